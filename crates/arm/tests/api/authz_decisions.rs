//! The record of authorization decisions (issue 17 item 4): `GET /internal/authz/decisions` shows
//! a 403 provoked through ARM and through Key Vault's data plane with what decided it, while the
//! 403 bodies stay Azure's.

use serde_json::{json, Value};

use mimic_testkit::fixture::{GROUP, GROUP_VERSION, READER, TENANT};
use mimic_testkit::TestArm;

use crate::key_vault_support::{create_vault, kv_path, kv_url, vault_id, vault_token};

const RESOURCE_GROUP_WRITE: &str = "Microsoft.Resources/subscriptions/resourceGroups/write";
const GET_SECRET: &str = "Microsoft.KeyVault/vaults/secrets/getSecret/action";

/// `GET /internal/authz/decisions?{query}` with the internal key.
async fn decisions(app: &TestArm, query: &str) -> Vec<Value> {
    let reply = app
        .arm
        .internal("GET", &format!("/internal/authz/decisions?{query}"), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["value"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_arm_403_is_recorded_with_its_reason_and_the_body_stays_azures() {
    let app = TestArm::spawn().await;
    let (principal, token) = app.new_principal("explain-reader").await;
    let group = app.group(GROUP);
    let assignment = app.grant(&group, READER, &principal.object_id).await;
    let path = format!("{group}?api-version={GROUP_VERSION}");

    let read = app.arm.get(&path, Some(&token)).await;
    let write = app
        .arm
        .put(&path, Some(&token), json!({"location": "eastus"}))
        .await;

    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(write.status, 403, "{}", write.text);
    assert_eq!(
        write.body,
        json!({"error": {"code": "AuthorizationFailed", "message": format!(
            "The client '{}' with object id '{}' does not have authorization to perform action '{RESOURCE_GROUP_WRITE}' over scope '{group}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            principal.app_id, principal.object_id)}}),
        "the 403 body carries no explanation"
    );
    let denied = decisions(
        &app,
        &format!("principal={}&decision=denied", principal.app_id),
    )
    .await;
    assert_eq!(denied.len(), 1, "{denied:#?}");
    let record = &denied[0];
    assert_eq!(record["caller"]["oid"], principal.object_id.as_str());
    assert_eq!(record["caller"]["name"], "explain-reader");
    assert_eq!(record["action"], RESOURCE_GROUP_WRITE);
    assert_eq!(record["scope"], group.as_str());
    assert_eq!(record["plane"], "control");
    assert_eq!(record["authorization"], "rbac");
    let reason = record["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "no role assignment of this principal or its groups at or above this scope grants it"
        ),
        "{reason}"
    );
    assert_eq!(record["assignmentsConsidered"][0]["roleName"], "Reader");
    let roles = record["rolesThatGrant"].as_array().unwrap();
    assert!(roles.iter().any(|role| role == "Contributor"), "{roles:?}");

    let allowed = decisions(&app, "principal=explain-reader&decision=allowed").await;
    let granted = allowed
        .iter()
        .find(|record| record["action"] == "Microsoft.Resources/subscriptions/resourceGroups/read")
        .expect("the read is recorded");
    assert!(granted["roleAssignment"]["id"]
        .as_str()
        .unwrap()
        .ends_with(&assignment));
    assert_eq!(granted["roleAssignment"]["roleName"], "Reader");
}

#[tokio::test]
async fn a_key_vault_rbac_403_is_recorded_with_the_roles_that_would_grant_it() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-explain", true, "standard", json!([])).await;
    let (principal, _) = app.new_principal("kv-explainee").await;
    let token = vault_token(&app, &principal.app_id, &principal.secret).await;

    let url = kv_path(&app, "/secrets/db-password");
    let reply = kv_url(&app, "GET", "kv-explain", &url, Some(&token), None).await;

    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(reply.body["error"]["innererror"]["code"], "ForbiddenByRbac");
    assert!(
        !reply.text.contains("Key Vault Secrets User"),
        "the 403 body carries no explanation: {}",
        reply.text
    );
    let denied = decisions(
        &app,
        &format!("principal={}&decision=denied", principal.object_id),
    )
    .await;
    assert_eq!(denied.len(), 1, "{denied:#?}");
    let record = &denied[0];
    assert_eq!(record["plane"], "data");
    assert_eq!(record["action"], GET_SECRET);
    assert_eq!(
        record["scope"],
        format!("{}/secrets/db-password", vault_id("kv-explain"))
    );
    assert_eq!(
        record["reason"],
        "no role assignment of this principal or its groups at or above this scope"
    );
    assert_eq!(record["rolesThatGrant"][0], "Key Vault Secrets User");
}

#[tokio::test]
async fn an_access_policy_403_is_recorded_naming_the_policy_that_lacks_the_permission() {
    let app = TestArm::spawn().await;
    let (principal, _) = app.new_principal("kv-lister").await;
    let policy = json!({"tenantId": TENANT, "objectId": principal.object_id,
        "permissions": {"secrets": ["list"]}});
    create_vault(&app, "kv-explain-ap", false, "standard", json!([policy])).await;
    let token = vault_token(&app, &principal.app_id, &principal.secret).await;

    let list = kv_url(
        &app,
        "GET",
        "kv-explain-ap",
        &kv_path(&app, "/secrets"),
        Some(&token),
        None,
    )
    .await;
    let get = kv_url(
        &app,
        "GET",
        "kv-explain-ap",
        &kv_path(&app, "/secrets/conn"),
        Some(&token),
        None,
    )
    .await;

    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(get.status, 403, "{}", get.text);
    assert_eq!(get.body["error"]["innererror"]["code"], "AccessDenied");
    let recorded = decisions(&app, &format!("principal={}", principal.object_id)).await;
    assert_eq!(recorded.len(), 2, "{recorded:#?}");
    let (denied, allowed) = (&recorded[0], &recorded[1]);
    assert_eq!(denied["decision"], "denied");
    assert_eq!(denied["authorization"], "accessPolicy");
    assert_eq!(
        denied["reason"],
        format!(
            "no access policy lists secrets get: the access policy of object {} lists secrets [list]",
            principal.object_id
        )
    );
    assert_eq!(allowed["decision"], "allowed");
    assert_eq!(
        allowed["reason"],
        format!(
            "the access policy of object {} lists secrets list",
            principal.object_id
        )
    );
}

#[tokio::test]
async fn decisions_need_the_internal_key_and_honour_the_limit() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("{}?api-version={GROUP_VERSION}", app.group(GROUP));
    for _ in 0..3 {
        assert_eq!(app.arm.get(&path, Some(&token)).await.status, 200);
    }

    let without_key = app.arm.get("/internal/authz/decisions", Some(&token)).await;
    let limited = decisions(&app, "limit=2").await;

    assert_eq!(without_key.status, 401, "{}", without_key.text);
    assert_eq!(limited.len(), 2, "{limited:#?}");
    assert!(limited[0]["sequence"].as_u64() > limited[1]["sequence"].as_u64());
}
