//! Routing: unknown paths, methods, api-version checks, request ids — always ARM's envelope.

use mimic_testkit::fixture::GROUP;
use mimic_testkit::TestArm;

#[tokio::test]
async fn an_unknown_path_returns_404_not_found_in_the_arm_envelope() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .arm
        .get("/nothing/here?api-version=2024-11-01", Some(&token))
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "NotFound");
}

#[tokio::test]
async fn an_unknown_namespace_returns_400_invalid_resource_namespace() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!(
        "{}/providers/Microsoft.Nope/widgets/w1?api-version=2024-11-01",
        app.group(GROUP)
    );
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "InvalidResourceNamespace");
    assert_eq!(
        reply.message(),
        "The resource namespace 'Microsoft.Nope' is invalid."
    );
}

#[tokio::test]
async fn an_unknown_type_in_a_known_namespace_returns_404_invalid_resource_type() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!(
        "{}/providers/Microsoft.Compute/gadgets/g1?api-version=2024-11-01",
        app.group(GROUP)
    );
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "InvalidResourceType");
    assert_eq!(
        reply.message(),
        "The resource type 'gadgets' could not be found in the namespace 'Microsoft.Compute' for api version '2024-11-01'."
    );
}

#[tokio::test]
async fn an_unknown_nested_type_is_named_in_full() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    // (`federatedIdentityCredentials` is served: a made-up child type stands for the unknown ones.)
    for suffix in ["/gadgets/g1", "/gadgets"] {
        let path = format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1{suffix}?api-version=2023-01-31",
            app.group(GROUP)
        );
        let reply = app.arm.get(&path, Some(&token)).await;
        assert_eq!(reply.status, 404, "{suffix}: {}", reply.text);
        assert_eq!(reply.code(), "InvalidResourceType");
        assert_eq!(
            reply.message(),
            "The resource type 'userAssignedIdentities/gadgets' could not be found in the namespace 'Microsoft.ManagedIdentity' for api version '2023-01-31'.",
            "{suffix}"
        );
    }
}

#[tokio::test]
async fn a_missing_api_version_returns_400_on_known_and_unknown_routes() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    for path in ["/subscriptions", "/nothing/here", &app.group(GROUP) as &str] {
        let reply = app.arm.get(path, Some(&token)).await;
        assert_eq!(reply.status, 400, "{path}");
        assert_eq!(reply.code(), "MissingApiVersionParameter", "{path}");
        assert_eq!(
            reply.message(),
            "The api-version query parameter (?api-version=) is required for all requests."
        );
    }
}

#[tokio::test]
async fn a_malformed_api_version_returns_400_invalid_api_version_parameter() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .arm
        .get("/subscriptions?api-version=latest", Some(&token))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "InvalidApiVersionParameter");
    assert!(reply
        .message()
        .starts_with("The api-version 'latest' is invalid."));
    for version in ["2016-09-01", "2024-11-01", "2025-04-01"] {
        let path = format!("{}?api-version={version}", app.group(GROUP));
        assert_eq!(
            app.arm.get(&path, Some(&token)).await.status,
            200,
            "{version}"
        );
    }
    // Well-formed, but not a version of resource groups (a role-definition version).
    let path = format!("{}?api-version=2022-05-01-preview", app.group(GROUP));
    assert_eq!(
        app.arm.get(&path, Some(&token)).await.code(),
        "InvalidApiVersionParameter"
    );
}

#[tokio::test]
async fn an_unsupported_method_returns_405_in_the_arm_envelope() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("{}?api-version=2024-11-01", app.group(GROUP));
    let reply = app.arm.request("POST", &path, Some(&token), None).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.code(), "MethodNotAllowed");
}

#[tokio::test]
async fn responses_carry_a_request_id_and_echo_the_client_request_id() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let auth = format!("Bearer {token}");
    let reply = app
        .arm
        .raw(
            "GET",
            "/subscriptions?api-version=2022-12-01",
            &[
                ("Authorization", &auth),
                ("x-ms-client-request-id", "abc-123"),
            ],
            "",
        )
        .await;
    assert_eq!(reply.status, 200);
    assert!(reply.headers.contains_key("x-ms-request-id"));
    assert_eq!(reply.headers["x-ms-client-request-id"], "abc-123");
}
