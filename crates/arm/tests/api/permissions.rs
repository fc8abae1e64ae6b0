//! `GET {scope}/providers/Microsoft.Authorization/permissions` (Permissions_ListForResourceGroup,
//! Permissions_ListForResource, and the subscription form): one entry per permission block of the
//! caller's roles at or above the scope, as Azure computes it.

use serde_json::{json, Value};

use mimic_testkit::fixture::{group_id, GROUP, READER, SUBSCRIPTION};
use mimic_testkit::TestArm;

use crate::key_vault_support::{create_vault, vault_id};

const VERSION: &str = "2022-04-01";
const SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";

async fn permissions(app: &TestArm, scope: &str, token: &str, version: &str) -> (u16, Value) {
    let path =
        format!("{scope}/providers/Microsoft.Authorization/permissions?api-version={version}");
    let reply = app.arm.get(&path, Some(token)).await;
    (reply.status, reply.body)
}

#[tokio::test]
async fn list_for_resource_group_returns_each_role_block_of_the_caller() {
    let app = TestArm::spawn().await;
    let (principal, token) = app.new_principal("perm-reader").await;
    app.grant(&group_id(GROUP), READER, &principal.object_id)
        .await;

    let (status, body) = permissions(&app, &group_id(GROUP), &token, VERSION).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"value": [{"actions": ["*/read"], "notActions": [], "dataActions": [], "notDataActions": []}]})
    );
}

#[tokio::test]
async fn list_for_resource_adds_roles_assigned_at_the_resource_and_subscription_shows_only_its_own()
{
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-perms", true, "standard", json!([])).await;
    let (principal, token) = app.new_principal("perm-secrets").await;
    app.grant(&group_id(GROUP), READER, &principal.object_id)
        .await;
    app.grant(&vault_id("kv-perms"), SECRETS_USER, &principal.object_id)
        .await;

    let (status, at_vault) = permissions(&app, &vault_id("kv-perms"), &token, VERSION).await;
    let (_, at_subscription) = permissions(
        &app,
        &format!("/subscriptions/{SUBSCRIPTION}"),
        &token,
        VERSION,
    )
    .await;

    assert_eq!(status, 200, "{at_vault}");
    let blocks = at_vault["value"].as_array().unwrap();
    assert_eq!(blocks.len(), 2, "{at_vault}");
    assert_eq!(blocks[0]["actions"], json!(["*/read"]));
    assert_eq!(
        blocks[1]["dataActions"],
        json!([
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
        ])
    );
    assert_eq!(at_subscription, json!({"value": []}));
}

#[tokio::test]
async fn a_caller_without_assignments_gets_an_empty_list_and_a_missing_group_404() {
    let app = TestArm::spawn().await;
    let (_, token) = app.new_principal("perm-nobody").await;

    let (status, body) = permissions(&app, &group_id(GROUP), &token, VERSION).await;
    let (missing, error) = permissions(&app, &group_id("no-such-group"), &token, VERSION).await;
    let (bad_version, _) = permissions(&app, &group_id(GROUP), &token, "2099-01-01").await;

    assert_eq!((status, body), (200, json!({"value": []})));
    assert_eq!(missing, 404, "{error}");
    assert_eq!(error["error"]["code"], "ResourceGroupNotFound");
    assert_eq!(bad_version, 400);
}
