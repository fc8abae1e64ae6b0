//! Every error IMDS answers, each with its exact JSON.

use serde_json::{json, Value};

use mimic_testkit::fixture::vm_id;
use mimic_testkit::imds::{Identity, Imds, World, FAILING_RESOURCE, UNKNOWN_RESOURCE};

const TOKEN: &str = "/metadata/identity/oauth2/token";
const NEWEST: [&str; 3] = ["2025-04-07", "2024-07-17", "2024-03-15"];

/// (case, method, path and query, headers, status, body).
type Case<'a> = (
    &'a str,
    &'a str,
    String,
    Vec<(&'a str, &'a str)>,
    u16,
    Value,
);

fn invalid_request(description: &str) -> Value {
    json!({"error": "invalid_request", "error_description": description})
}

const UNKNOWN: &str = "Failed to retrieve token from the Active directory. For details see logs in C:\\WindowsAzure\\Logs\\Plugins\\Microsoft.Identity.MSI\\MSI.log";

#[tokio::test]
async fn get_token_with_a_bad_request_returns_each_documented_error() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;
    let good = "?api-version=2018-02-01&resource=https://management.azure.com";
    let metadata = [("Metadata", "true")];
    let cases: Vec<Case> = vec![
        ("no Metadata header", "GET", format!("{TOKEN}{good}"), vec![], 400, invalid_request("Required metadata header not specified")),
        ("Metadata: false", "GET", format!("{TOKEN}{good}"), vec![("Metadata", "false")], 400, invalid_request("Required metadata header not specified")),
        ("Metadata: yes", "GET", format!("{TOKEN}{good}"), vec![("Metadata", "yes")], 400, invalid_request("Required metadata header not specified")),
        ("X-Forwarded-For", "GET", format!("{TOKEN}{good}"), vec![("Metadata", "true"), ("X-Forwarded-For", "10.0.0.9")], 400, invalid_request("Request should not contain X-Forwarded-For header")),
        ("no api-version", "GET", format!("{TOKEN}?resource=https://management.azure.com"), metadata.to_vec(), 400,
            json!({"error": "Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds", "newest-versions": NEWEST})),
        ("unsupported api-version", "GET", format!("{TOKEN}?api-version=2018-02-02&resource=https://management.azure.com"), metadata.to_vec(), 400,
            json!({"error": "Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds", "newest-versions": NEWEST})),
        ("no resource", "GET", format!("{TOKEN}?api-version=2018-02-01"), metadata.to_vec(), 400, invalid_request("Required audience parameter not specified")),
        ("empty resource", "GET", format!("{TOKEN}?api-version=2018-02-01&resource="), metadata.to_vec(), 400, invalid_request("Required audience parameter not specified")),
        ("duplicate parameter", "GET", format!("{TOKEN}{good}&resource=https://storage.azure.com"), metadata.to_vec(), 400, invalid_request("Duplicate query parameter 'resource' is not allowed")),
        ("two selectors", "GET", format!("{TOKEN}{good}&client_id=a&object_id=b"), metadata.to_vec(), 400, invalid_request("Only one of client_id, object_id, msi_res_id may be specified in the token request")),
        ("POST", "POST", format!("{TOKEN}{good}"), metadata.to_vec(), 405,
            json!({"error": "method_not_allowed", "error_description": "The request method is not supported; only GET is allowed"})),
        ("unknown path", "GET", "/metadata/identity/oauth2/tokens".to_string(), metadata.to_vec(), 404, json!({"error": "Not found"})),
        ("unknown root path", "GET", "/favicon.ico".to_string(), vec![], 404, json!({"error": "Not found"})),
    ];

    for (case, method, path, headers, status, body) in cases {
        let answer = imds.client.raw(method, &path, &headers, "").await;
        assert_eq!(answer.status, status, "{case}: {}", answer.text);
        assert!(
            answer.content_type().starts_with("application/json"),
            "{case}: {}",
            answer.content_type()
        );
        assert_eq!(answer.json(), body, "{case}");
    }
    assert!(world.aad.issued().is_empty());
}

#[tokio::test]
async fn get_token_probe_without_metadata_header_gets_a_json_400() {
    // DefaultAzureCredential's probe: no Metadata header, no msal headers.
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    let answer = imds.client.raw("GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com", &[], "").await;

    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"], "invalid_request");
    assert_eq!(world.arm.identity_requests(), 0);
}

#[tokio::test]
async fn get_token_method_not_allowed_lists_get() {
    let world = World::new().await;
    let imds = world.imds(&vm_id("vm1")).await;
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let answer = imds
            .client
            .raw(
                method,
                "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x",
                &[("Metadata", "true")],
                "",
            )
            .await;
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.json()["error"], "method_not_allowed", "{method}");
    }
}

#[tokio::test]
async fn get_token_for_a_vm_without_identities_returns_identity_not_found() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let imds = world.imds(&vm).await;

    let answer = imds.token("").await;

    assert_eq!(answer.status, 400);
    assert_eq!(answer.json(), invalid_request("Identity not found"));
}

#[tokio::test]
async fn get_token_for_a_deleted_vm_returns_identity_not_found() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;
    assert_eq!(imds.token("").await.status, 200);

    world.arm.delete_vm(&vm);
    let answer = imds.token("").await;

    assert_eq!(answer.status, 400);
    assert_eq!(answer.json(), invalid_request("Identity not found"));
}

#[tokio::test]
async fn get_token_for_a_resource_aad_rejects_passes_aads_error_through_as_400() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    let answer = imds
        .get(&format!(
            "{TOKEN}?api-version=2018-02-01&resource={UNKNOWN_RESOURCE}"
        ))
        .await;

    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json(),
        json!({"error": "invalid_resource", "error_description": format!("AADSTS500011: The resource principal named {UNKNOWN_RESOURCE} was not found in the tenant.")})
    );
}

#[tokio::test]
async fn get_token_when_aad_fails_returns_500_unknown() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    let answer = imds
        .get(&format!(
            "{TOKEN}?api-version=2018-02-01&resource={FAILING_RESOURCE}"
        ))
        .await;

    assert_eq!(answer.status, 500);
    assert_eq!(
        answer.json(),
        json!({"error": "unknown", "error_description": UNKNOWN})
    );
}

#[tokio::test]
async fn get_token_when_arm_is_unreachable_returns_500_unknown() {
    let world = World::new().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let arm_url = format!("https://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let mut settings = world.settings(&vm_id("vm1"));
    settings.arm_url = arm_url;
    let imds = Imds::start(settings).await;

    let answer = imds.token("").await;

    assert_eq!(answer.status, 500);
    assert_eq!(
        answer.json(),
        json!({"error": "unknown", "error_description": UNKNOWN})
    );
}

#[tokio::test]
async fn get_token_with_a_wrong_internal_key_returns_500_unknown() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let mut settings = world.settings(&vm);
    settings.internal_key = mimic_web::InternalKey::new("wrong");
    let imds = Imds::start(settings).await;

    let answer = imds.token("").await;

    assert_eq!(answer.status, 500);
    assert_eq!(answer.json()["error"], "unknown");
}

#[tokio::test]
async fn get_token_when_aad_finds_the_identity_gone_from_the_vm_answers_identity_not_found() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    // ARM listed the identity, but by the time AAD asks ARM it has left the VM.
    world.aad.unregister(&Identity::system("vm1").principal_id);
    let imds = world.imds(&vm).await;

    let answer = imds.token("").await;

    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.json()["error"], "invalid_request");
    assert_eq!(answer.json()["error_description"], "Identity not found");
    assert!(world.aad.issued().is_empty());
}
