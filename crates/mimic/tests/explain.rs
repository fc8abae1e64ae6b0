//! `mimic explain` (the binary, against an in-process `mimic up`): a 403 a test provokes is
//! explained by name, naming the missing grant and the roles that would give it, while the 403
//! body stays ARM's.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Output;

use mimic_testkit::TestMimic;
use serde_json::json;
use support::mimic;

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const IDENTITY_WRITE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/write";

/// Runs `mimic --data-dir DIR ARGS…` to completion, off the test's runtime (which serves the
/// in-process mimic meanwhile).
fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn explain_last_denied_names_the_missing_grant_of_a_403() {
    let app = TestMimic::start().await;
    let operator = app.operator_token().await;
    let (object_id, app_id, secret) = app.create_service_principal("explain-builder").await;
    app.grant(&operator, &app.group(), READER, &object_id).await;
    let token = app
        .client_credentials(&app_id, &secret, "https://management.azure.com/.default")
        .await
        .token()
        .to_string();
    let identity = app.identity_id("explained");
    let path = format!("{identity}?api-version=2024-11-30");
    let refused = app
        .arm
        .put(&path, Some(&token), json!({"location": "eastus"}))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        refused.body,
        json!({"error": {"code": "AuthorizationFailed", "message": format!(
            "The client '{app_id}' with object id '{object_id}' does not have authorization to perform action '{IDENTITY_WRITE}' over scope '{identity}' or the scope is invalid. If access was recently granted, please refresh your credentials.")}})
    );

    let explained = mimic(
        app.data_dir(),
        &["explain", "--last-denied", "--principal", "explain-builder"],
    )
    .await;

    assert_eq!(explained.status.code(), Some(0), "{explained:?}");
    let text = stdout(&explained);
    for part in [
        format!("appid {app_id} (explain-builder) was denied {IDENTITY_WRITE} on {identity}: no role assignment of this principal or its groups at or above this scope grants it"),
        format!("'Reader' at {}", app.group()),
        "roles that would grant it: Contributor, Owner".to_string(),
        format!("oid {object_id}"),
    ] {
        assert!(text.contains(&part), "{part:?} in:\n{text}");
    }
}

#[tokio::test]
async fn explain_last_denied_without_a_denial_says_so_and_exits_1() {
    let app = TestMimic::start().await;
    let (_, app_id, _) = app.create_service_principal("never-denied").await;

    let explained = mimic(
        app.data_dir(),
        &["explain", "--last-denied", "--principal", &app_id],
    )
    .await;

    assert_eq!(explained.status.code(), Some(1), "{explained:?}");
    assert!(
        stdout(&explained).starts_with(&format!("no denied decision recorded for {app_id}")),
        "{}",
        stdout(&explained)
    );
}
