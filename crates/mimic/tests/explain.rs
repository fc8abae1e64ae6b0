//! `mimic explain` (the binary, against an in-process `mimic up`): a 403 a test provokes is
//! explained by name, naming the missing grant and the roles that would give it, while the 403
//! body stays ARM's (or Graph's); ARM's and Graph's decisions are merged newest first.
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

#[tokio::test]
async fn explain_last_denied_names_the_graph_permission_a_403_lacked_newest_first() {
    let app = TestMimic::start().await;
    let (object_id, app_id, secret) = app.create_service_principal("graph-explainee").await;
    let arm_token = app
        .client_credentials(&app_id, &secret, "https://management.azure.com/.default")
        .await
        .token()
        .to_string();
    let graph_token = app
        .client_credentials(&app_id, &secret, "https://graph.microsoft.com/.default")
        .await
        .token()
        .to_string();
    let group = format!("{}?api-version=2021-04-01", app.group());
    let arm_refused = app.arm.get(&group, Some(&arm_token)).await;
    assert_eq!(arm_refused.status, 403, "{}", arm_refused.body);
    let graph_refused = app
        .aad
        .post(
            "/v1.0/applications",
            Some(&graph_token),
            Some(json!({"displayName": "not-allowed"})),
        )
        .await;
    assert_eq!(graph_refused.status, 403, "{}", graph_refused.body);
    assert_eq!(
        graph_refused.body["error"]["message"],
        "Insufficient privileges to complete the operation.",
        "Graph's 403 body stays Graph's"
    );

    let last = mimic(
        app.data_dir(),
        &["explain", "--last-denied", "--principal", "graph-explainee"],
    )
    .await;
    let both = mimic(
        app.data_dir(),
        &["explain", "--principal", &object_id, "--limit", "2"],
    )
    .await;

    assert_eq!(last.status.code(), Some(0), "{last:?}");
    let text = stdout(&last);
    for part in [
        format!("appid {app_id} (graph-explainee) was denied 'Create application' (POST /v1.0/applications) on Graph: the token carries no application permission (no `roles` claim); it holds no directory role; one of the application permissions Application.ReadWrite.OwnedBy, Application.ReadWrite.All"),
        "application permissions that would grant it: Application.ReadWrite.OwnedBy, Application.ReadWrite.All".to_string(),
        "directory roles that would grant it: Application Developer, Application Administrator".to_string(),
        "decided by Microsoft Graph permissions".to_string(),
        format!("oid {object_id}"),
    ] {
        assert!(text.contains(&part), "{part:?} in:\n{text}");
    }
    assert!(
        !text.contains("resourceGroups/read"),
        "one decision:\n{text}"
    );
    let text = stdout(&both);
    let graph_at = text.find("on Graph:").expect("Graph's decision");
    let arm_at = text
        .find(&format!(
            "was denied Microsoft.Resources/subscriptions/resourceGroups/read on {}",
            app.group()
        ))
        .expect("ARM's decision");
    assert!(graph_at < arm_at, "newest (Graph's) first:\n{text}");
}
