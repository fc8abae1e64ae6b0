//! The internal API is reachable with the internal key only: no spelling of its path lets a bearer
//! token (a role-less user's, or a VM's own) or no credential at all reach it, and no answer ever
//! carries key material. Paths are sent byte for byte with `curl --path-as-is`, since an HTTP
//! library would normalise `..` and `//` away before the request leaves.

use tokio::process::Command;

use mimic_testkit::fixture::vm_id;
use mimic_testkit::TestArm;

/// Every spelling a client could send for `/internal/vms/identities` and `/internal/vms`.
fn variants(vm: &str) -> Vec<String> {
    let query = serde_urlencoded::to_string([("id", vm)]).unwrap();
    [
        "/internal/vms/identities",
        "/Internal/vms/identities",
        "/INTERNAL/vms/identities",
        "/%69nternal/vms/identities",
        "/%49NTERNAL/vms/identities",
        "/%2569nternal/vms/identities",
        "/internal/../internal/vms/identities",
        "/x/../internal/vms/identities",
        "//internal/vms/identities",
        "/./internal/vms/identities",
        "/internal//vms/identities",
        "/internal/vms/identities/",
        "/Internal/vms",
        "/%69nternal/vms",
        "/internal/vms/",
    ]
    .iter()
    .map(|path| format!("{path}?{query}"))
    .collect()
}

/// `(status, body)` of a GET sent exactly as written (async: the servers share this runtime).
async fn curl(app: &TestArm, path: &str, headers: &[String]) -> (u16, String) {
    let mut command = Command::new("curl");
    command
        .args([
            "-s",
            "--max-time",
            "30",
            "--path-as-is",
            "-w",
            "\n%{http_code}",
            "--cacert",
        ])
        .arg(app.ca_path());
    for header in headers {
        command.args(["-H", header]);
    }
    let output = command
        .arg(format!("{}{path}", app.arm.base))
        .output()
        .await
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_string())
}

#[tokio::test]
async fn internal_routes_refuse_every_path_variant_without_the_key() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let (_, roleless) = app.new_principal("no-roles").await;
    // The VM has an identity, so a leak would show key material.
    app.patch_identity(
        &operator,
        "vm2",
        serde_json::json!({"type": "SystemAssigned"}),
    )
    .await;
    let credentials = [
        (
            "a role-less user's token",
            vec![format!("Authorization: Bearer {roleless}")],
        ),
        (
            "the Owner's token",
            vec![format!("Authorization: Bearer {operator}")],
        ),
        ("no credential", vec![]),
        (
            "a wrong internal key",
            vec![format!(
                "{}: {}",
                mimic_web::INTERNAL_KEY_HEADER,
                "0".repeat(64)
            )],
        ),
        (
            "a bearer token and a wrong internal key",
            vec![
                format!("Authorization: Bearer {operator}"),
                format!("{}: wrong", mimic_web::INTERNAL_KEY_HEADER),
            ],
        ),
    ];

    for path in variants(&vm_id("vm2")) {
        for (who, headers) in &credentials {
            let (status, body) = curl(&app, &path, headers).await;
            assert_eq!(status, 401, "{path} with {who}: {body}");
            assert!(
                !body.contains("PRIVATE KEY") && !body.contains("privateKeyPem"),
                "{path} with {who} leaked key material: {body}"
            );
            assert!(
                !body.contains("identities") || body.contains("\"error\""),
                "{path} with {who} answered data: {body}"
            );
        }
    }
}

#[tokio::test]
async fn internal_routes_answer_401_invalid_internal_key_for_case_and_encoding_variants() {
    let app = TestArm::spawn().await;
    let (_, roleless) = app.new_principal("no-roles").await;
    let bearer = format!("Authorization: Bearer {roleless}");

    for path in [
        "/Internal/vms",
        "/INTERNAL/vms",
        "/%69nternal/vms",
        "//internal/vms",
    ] {
        let (status, body) = curl(&app, path, std::slice::from_ref(&bearer)).await;

        assert_eq!(status, 401, "{path}: {body}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body["error"]["code"], "InvalidInternalKey",
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn internal_routes_still_answer_with_the_key() {
    let app = TestArm::spawn().await;
    let key = format!(
        "{}: {}",
        mimic_web::INTERNAL_KEY_HEADER,
        app.internal_key.expose()
    );

    let (status, body) = curl(&app, "/internal/vms", &[key]).await;

    assert_eq!(status, 200, "{body}");
    assert!(body.contains("vm1"), "{body}");
}

/// `(status, body)` of a request to AAD sent exactly as written.
async fn curl_aad(
    app: &TestArm,
    method: &str,
    path: &str,
    headers: &[String],
    body: Option<&str>,
) -> (u16, String) {
    let mut command = Command::new("curl");
    command
        .args(["-s", "--max-time", "30", "--path-as-is", "-X", method])
        .args(["-w", "\n%{http_code}", "--cacert"])
        .arg(app.ca_path());
    for header in headers {
        command.args(["-H", header]);
    }
    if let Some(body) = body {
        command.args(["-H", "Content-Type: application/json", "--data", body]);
    }
    let output = command
        .arg(format!("{}{path}", app.aad.base))
        .output()
        .await
        .expect("curl runs");
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_string())
}

#[tokio::test]
async fn aad_internal_routes_refuse_every_path_variant_without_the_key() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let vm = app
        .patch_identity(
            &operator,
            "vm2",
            serde_json::json!({"type": "SystemAssigned"}),
        )
        .await;
    let principal = vm["identity"]["principalId"].as_str().unwrap().to_string();
    let token_body = serde_json::json!({"vmId": vm_id("vm2"), "principalId": principal,
        "resource": "https://management.azure.com/"})
    .to_string();
    let bearer = vec![format!("Authorization: Bearer {operator}")];
    let wrong = vec![format!("{}: wrong", mimic_web::INTERNAL_KEY_HEADER)];
    let requests: Vec<(&str, String, Option<&str>)> = [
        "/internal/servicePrincipals",
        "/%69nternal/servicePrincipals",
        "//internal/servicePrincipals",
        "/x/../internal/servicePrincipals",
    ]
    .iter()
    .flat_map(|root| {
        [
            (
                "GET",
                format!("{root}?servicePrincipalType=ManagedIdentity"),
                None,
            ),
            ("GET", format!("{root}/{principal}"), None),
            ("DELETE", format!("{root}/{principal}"), None),
            (
                "POST",
                root.to_string(),
                Some(r#"{"displayName":"x","servicePrincipalType":"Application"}"#),
            ),
        ]
    })
    .chain([
        (
            "POST",
            "/internal/managedIdentities/token".to_string(),
            Some(token_body.as_str()),
        ),
        (
            "POST",
            "/%69nternal/managedIdentities/token".to_string(),
            Some(token_body.as_str()),
        ),
        (
            "POST",
            "/internal/users".to_string(),
            Some(r#"{"userPrincipalName":"x@y","displayName":"x","password":"p"}"#),
        ),
    ])
    .collect();

    for (method, path, body) in &requests {
        for (who, headers) in [
            ("a bearer token", &bearer),
            ("a wrong key", &wrong),
            ("nothing", &vec![]),
        ] {
            let (status, answer) = curl_aad(&app, method, path, headers, *body).await;
            assert_eq!(status, 401, "{method} {path} with {who}: {answer}");
            assert!(
                !answer.contains("access_token"),
                "{method} {path} with {who}: {answer}"
            );
        }
    }
    // Nothing changed: the principal is still there.
    assert_eq!(
        app.aad_principal(&principal).await["id"],
        principal.as_str()
    );
}
