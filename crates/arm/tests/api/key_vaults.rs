//! `Microsoft.KeyVault/vaults` (issue 16 item 1): shapes per api-version, Key Vault's name rules
//! and global names, access policies, soft delete / recover / purge, checkNameAvailability,
//! resource-group cascade, RBAC, and that refused requests change nothing.

use serde_json::{json, Value};

use mimic_testkit::fixture::{group_id, GROUP, OPERATOR_APP_ID, READER, SUBSCRIPTION, TENANT};
use mimic_testkit::{Reply, TestArm};

/// The api-version az 2.91 sends (azure-mgmt-keyvault 14.0.1).
const VERSION: &str = "2026-02-01";
const OLD: &str = "2025-05-01";
const OBJECT: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const OTHER_OBJECT: &str = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e";

fn vault_id(group: &str, name: &str) -> String {
    format!(
        "{}/providers/Microsoft.KeyVault/vaults/{name}",
        group_id(group)
    )
}

fn vault_path(group: &str, name: &str, version: &str) -> String {
    format!("{}?api-version={version}", vault_id(group, name))
}

fn deleted_path(name: &str, suffix: &str) -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/{name}{suffix}?api-version={VERSION}"
    )
}

fn body(properties: Value) -> Value {
    let mut base = json!({"tenantId": TENANT, "sku": {"family": "A", "name": "standard"}});
    for (key, value) in properties.as_object().unwrap() {
        base[key] = value.clone();
    }
    json!({"location": "eastus", "properties": base})
}

fn policy(object: &str, secrets: &[&str]) -> Value {
    json!({"tenantId": TENANT, "objectId": object, "permissions": {"secrets": secrets}})
}

async fn put(app: &TestArm, token: &str, name: &str, request: Value) -> Reply {
    let path = vault_path(GROUP, name, VERSION);
    app.arm.put(&path, Some(token), request).await
}

async fn get(app: &TestArm, token: &str, name: &str) -> Reply {
    app.arm
        .get(&vault_path(GROUP, name, VERSION), Some(token))
        .await
}

async fn delete(app: &TestArm, token: &str, name: &str) -> Reply {
    app.arm
        .delete(&vault_path(GROUP, name, VERSION), Some(token))
        .await
}

async fn check_name(app: &TestArm, token: &str, name: &str) -> Value {
    let path = format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/checkNameAvailability?api-version={VERSION}"
    );
    let reply = app
        .arm
        .post(
            &path,
            Some(token),
            Some(json!({"name": name, "type": "Microsoft.KeyVault/vaults"})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body
}

async fn deleted_names(app: &TestArm, token: &str) -> Vec<String> {
    let path = format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/deletedVaults?api-version={VERSION}"
    );
    let reply = app.arm.get(&path, Some(token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|vault| vault["name"].as_str().unwrap().to_string())
        .collect()
}

fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.body["error"]["code"], code, "{}", reply.text);
}

#[tokio::test]
async fn create_or_update_answers_key_vaults_shape_and_rbac_default_per_version() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let port = app.arm.base.rsplit(':').next().unwrap().to_string();
    let created = put(&app, &token, "Kv-Shape1", body(json!({}))).await;
    let again = put(&app, &token, "Kv-Shape1", body(json!({}))).await;
    let old = app
        .arm
        .put(
            &vault_path(GROUP, "kv-old-default", OLD),
            Some(&token),
            body(json!({})),
        )
        .await;

    assert_eq!(created.status, 201, "{}", created.text);
    // systemData (2021-04-01-preview on) names the operator application; its times vary.
    let system_data = &created.body["systemData"];
    assert_eq!(system_data["createdBy"], OPERATOR_APP_ID, "{system_data}");
    assert_eq!(system_data["createdByType"], "Application");
    assert_eq!(system_data["lastModifiedByType"], "Application");
    assert_eq!(
        without_system_data(&created.body),
        json!({
            "id": vault_id(GROUP, "Kv-Shape1"),
            "name": "Kv-Shape1",
            "type": "Microsoft.KeyVault/vaults",
            "location": "eastus",
            "tags": {},
            "properties": {
                "tenantId": TENANT,
                "sku": {"family": "A", "name": "standard"},
                "accessPolicies": [],
                "enabledForDeployment": false,
                "enabledForDiskEncryption": false,
                "enabledForTemplateDeployment": false,
                "enableSoftDelete": true,
                "softDeleteRetentionInDays": 90,
                "enableRbacAuthorization": true,
                "publicNetworkAccess": "Enabled",
                // The data plane shares ARM's listener: its port.
                "vaultUri": format!("https://kv-shape1.vault.mimic.test:{port}/"),
                "provisioningState": "Succeeded",
            },
        })
    );
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        without_system_data(&again.body),
        without_system_data(&created.body)
    );
    assert_eq!(
        again.body["systemData"]["createdAt"],
        system_data["createdAt"]
    );
    assert_eq!(old.status, 201, "{}", old.text);
    assert_eq!(old.body["properties"]["enableRbacAuthorization"], false);
    // A PUT of an existing vault that does not name the model keeps it.
    let kept = app
        .arm
        .put(
            &vault_path(GROUP, "kv-old-default", VERSION),
            Some(&token),
            body(json!({})),
        )
        .await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.body["properties"]["enableRbacAuthorization"], false);
    let read = get(&app, &token, "kv-shape1").await.body;
    assert_eq!(
        without_system_data(&read),
        without_system_data(&created.body)
    );
}

/// A vault body without its `systemData` (whose times depend on when the test ran).
fn without_system_data(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(object) = body.as_object_mut() {
        object.remove("systemData");
    }
    body
}

#[tokio::test]
async fn update_lists_and_delete_follow_the_vault() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    put(&app, &token, "kv-lists", body(json!({}))).await;

    let patched = app
        .arm
        .patch(
            &vault_path(GROUP, "kv-lists", VERSION),
            Some(&token),
            json!({"tags": {"env": "test"}, "properties": {"enableRbacAuthorization": false,
                "accessPolicies": [policy(OBJECT, &["get"])]}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["tags"], json!({"env": "test"}));
    assert_eq!(patched.body["properties"]["enableRbacAuthorization"], false);
    assert_eq!(
        patched.body["properties"]["accessPolicies"],
        json!([policy(OBJECT, &["get"])])
    );

    let group_list = format!(
        "{}/providers/Microsoft.KeyVault/vaults?api-version={VERSION}",
        group_id(GROUP)
    );
    let subscription_list = format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/vaults?api-version={VERSION}"
    );
    // What azure-mgmt-keyvault's `vaults.list()` (az keyvault list) sends.
    let generic = format!("/subscriptions/{SUBSCRIPTION}/resources?$filter=resourceType%20eq%20%27Microsoft.KeyVault%2Fvaults%27&api-version=2015-11-01");
    for path in [&group_list, &subscription_list] {
        let reply = app.arm.get(path, Some(&token)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.body["value"], json!([patched.body]), "{path}");
    }
    let reply = app.arm.get(&generic, Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let ids: Vec<&Value> = reply.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| &resource["id"])
        .collect();
    assert_eq!(ids, vec![&json!(vault_id(GROUP, "kv-lists"))]);

    assert_eq!(delete(&app, &token, "kv-lists").await.status, 200);
    assert_eq!(delete(&app, &token, "kv-lists").await.status, 204);
    assert_error(
        &get(&app, &token, "kv-lists").await,
        404,
        "ResourceNotFound",
    );
    let reply = app.arm.get(&group_list, Some(&token)).await;
    assert_eq!(reply.body["value"], json!([]));
}

#[tokio::test]
async fn names_follow_key_vaults_rule_and_are_global() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    assert_eq!(
        app.put_group(&token, "other-rg", json!({"location": "eastus"}))
            .await
            .status,
        201
    );

    for bad in [
        "kv",
        "1vault",
        "vault-",
        "my--vault",
        "my_vault",
        &"v".repeat(25),
    ] {
        let reply = put(&app, &token, bad, body(json!({}))).await;
        assert_error(&reply, 400, "VaultNameNotValid");
        assert_eq!(
            reply.body["error"]["message"],
            format!("The vault name '{bad}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens. Follow this link for more information: https://go.microsoft.com/fwlink/?linkid=2147742")
        );
    }
    assert_eq!(
        put(&app, &token, "kv-global", body(json!({}))).await.status,
        201
    );
    let elsewhere = app
        .arm
        .put(
            &vault_path("other-rg", "KV-GLOBAL", VERSION),
            Some(&token),
            body(json!({})),
        )
        .await;
    assert_error(&elsewhere, 409, "VaultAlreadyExists");
    assert!(elsewhere.body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("The vault name 'KV-GLOBAL' is already in use."));
    let other_list = format!(
        "{}/providers/Microsoft.KeyVault/vaults?api-version={VERSION}",
        group_id("other-rg")
    );
    assert_eq!(
        app.arm.get(&other_list, Some(&token)).await.body["value"],
        json!([])
    );
}

#[tokio::test]
async fn check_name_availability_sees_invalid_live_and_soft_deleted_names() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    assert_eq!(
        check_name(&app, &token, "kv-check").await,
        json!({"nameAvailable": true})
    );
    let invalid = check_name(&app, &token, "9lives").await;
    assert_eq!(
        (&invalid["nameAvailable"], &invalid["reason"]),
        (&json!(false), &json!("AccountNameInvalid"))
    );
    put(&app, &token, "kv-check", body(json!({}))).await;
    let taken = check_name(&app, &token, "KV-CHECK").await;
    assert_eq!(
        (&taken["nameAvailable"], &taken["reason"]),
        (&json!(false), &json!("AlreadyExists"))
    );
    delete(&app, &token, "kv-check").await;
    assert_eq!(
        check_name(&app, &token, "kv-check").await["reason"],
        "AlreadyExists"
    );
    let purged = app
        .arm
        .post(&deleted_path("kv-check", "/purge"), Some(&token), None)
        .await;
    assert_eq!(purged.status, 202, "{}", purged.text);
    assert_eq!(
        check_name(&app, &token, "kv-check").await,
        json!({"nameAvailable": true})
    );
}

#[tokio::test]
async fn access_policies_add_replace_and_remove_and_bad_ones_change_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    put(
        &app,
        &token,
        "kv-policies",
        body(
            json!({"enableRbacAuthorization": false, "accessPolicies": [policy(OBJECT, &["get"])]}),
        ),
    )
    .await;
    let update = |kind: &'static str, policies: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            let path = format!(
                "{}/accessPolicies/{kind}?api-version={VERSION}",
                vault_id(GROUP, "kv-policies")
            );
            app.arm
                .put(
                    &path,
                    Some(&token),
                    json!({"properties": {"accessPolicies": policies}}),
                )
                .await
        }
    };
    let policies = |reply: Reply| reply.body["properties"]["accessPolicies"].clone();

    let added = update(
        "add",
        json!([policy(OBJECT, &["list"]), policy(OTHER_OBJECT, &["set"])]),
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(
        added.body["type"],
        "Microsoft.KeyVault/vaults/accessPolicies"
    );
    assert_eq!(
        policies(get(&app, &token, "kv-policies").await),
        json!([
            policy(OBJECT, &["get", "list"]),
            policy(OTHER_OBJECT, &["set"])
        ])
    );
    update("replace", json!([policy(OBJECT, &["delete"])])).await;
    update("remove", json!([policy(OTHER_OBJECT, &[])])).await;
    let expected = json!([policy(OBJECT, &["delete"])]);
    assert_eq!(policies(get(&app, &token, "kv-policies").await), expected);

    let foreign = json!([{"tenantId": "11111111-2222-4333-8444-555555555555",
        "objectId": OTHER_OBJECT, "permissions": {"keys": ["get"]}}]);
    assert_error(&update("add", foreign).await, 400, "BadRequest");
    assert_error(
        &update("merge", json!([policy(OTHER_OBJECT, &["get"])])).await,
        400,
        "BadRequest",
    );
    assert_error(
        &update("add", json!([{"tenantId": TENANT}])).await,
        400,
        "BadRequest",
    );
    assert_eq!(policies(get(&app, &token, "kv-policies").await), expected);
}

#[tokio::test]
async fn soft_delete_recover_and_purge_keep_the_name_until_purged() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let created = put(
        &app,
        &token,
        "kv-soft",
        body(
            json!({"softDeleteRetentionInDays": 7, "enableRbacAuthorization": false,
            "accessPolicies": [policy(OBJECT, &["get"])]}),
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);

    assert_eq!(delete(&app, &token, "kv-soft").await.status, 200);
    assert_error(&get(&app, &token, "kv-soft").await, 404, "ResourceNotFound");
    assert_eq!(deleted_names(&app, &token).await, vec!["kv-soft"]);
    let deleted = app
        .arm
        .get(&deleted_path("kv-soft", ""), Some(&token))
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["type"], "Microsoft.KeyVault/deletedVaults");
    assert_eq!(
        deleted.body["id"],
        format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/kv-soft")
    );
    let properties = &deleted.body["properties"];
    assert_eq!(properties["vaultId"], vault_id(GROUP, "kv-soft"));
    assert_eq!(properties["location"], "eastus");
    assert_eq!(properties["purgeProtectionEnabled"], false);
    let deletion =
        chrono::DateTime::parse_from_rfc3339(properties["deletionDate"].as_str().unwrap()).unwrap();
    let purge =
        chrono::DateTime::parse_from_rfc3339(properties["scheduledPurgeDate"].as_str().unwrap())
            .unwrap();
    assert_eq!((purge - deletion).num_days(), 7);

    // A new vault of that name: Key Vault's conflict, nothing created.
    let again = put(&app, &token, "kv-soft", body(json!({}))).await;
    assert_error(&again, 409, "ConflictError");
    assert_eq!(again.body["error"]["message"], "A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.");
    assert_eq!(deleted_names(&app, &token).await, vec!["kv-soft"]);

    let recovered = put(
        &app,
        &token,
        "kv-soft",
        body(json!({"createMode": "recover"})),
    )
    .await;
    assert_eq!(recovered.status, 200, "{}", recovered.text);
    assert_eq!(
        without_system_data(&recovered.body),
        without_system_data(&created.body)
    );
    // The recovered vault keeps its creation record.
    assert_eq!(
        recovered.body["systemData"]["createdAt"],
        created.body["systemData"]["createdAt"]
    );
    assert!(deleted_names(&app, &token).await.is_empty());

    delete(&app, &token, "kv-soft").await;
    let purged = app
        .arm
        .post(&deleted_path("kv-soft", "/purge"), Some(&token), None)
        .await;
    assert_eq!(purged.status, 202, "{}", purged.text);
    assert_error(
        &app.arm
            .get(&deleted_path("kv-soft", ""), Some(&token))
            .await,
        404,
        "ResourceNotFound",
    );
    assert_error(
        &put(
            &app,
            &token,
            "kv-soft",
            body(json!({"createMode": "recover"})),
        )
        .await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(
        put(&app, &token, "kv-soft", body(json!({}))).await.status,
        201
    );
}

#[tokio::test]
async fn purge_protection_cannot_be_turned_off_and_blocks_purge() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let off = put(
        &app,
        &token,
        "kv-protect",
        body(json!({"enablePurgeProtection": false})),
    )
    .await;
    assert_error(&off, 400, "BadRequest");
    assert_eq!(off.body["error"]["message"], "The property \"enablePurgeProtection\" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.");
    assert_error(
        &get(&app, &token, "kv-protect").await,
        404,
        "ResourceNotFound",
    );

    let on = put(
        &app,
        &token,
        "kv-protect",
        body(json!({"enablePurgeProtection": true})),
    )
    .await;
    assert_eq!(on.body["properties"]["enablePurgeProtection"], true);
    delete(&app, &token, "kv-protect").await;
    let purge = app
        .arm
        .post(&deleted_path("kv-protect", "/purge"), Some(&token), None)
        .await;
    assert_error(&purge, 400, "InvalidOperation");
    assert_eq!(
        purge.body["error"]["message"],
        "Operation 'DeletedVaultPurge' is not allowed."
    );
    assert_eq!(deleted_names(&app, &token).await, vec!["kv-protect"]);
}

#[tokio::test]
async fn invalid_bodies_get_errors_and_change_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    put(
        &app,
        &token,
        "kv-valid",
        body(json!({"softDeleteRetentionInDays": 30})),
    )
    .await;
    let before = get(&app, &token, "kv-valid").await.body;

    let cases = [
        json!({"location": "eastus"}),
        json!({"location": "eastus", "properties": {"sku": {"family": "A", "name": "standard"}}}),
        body(json!({"tenantId": "11111111-2222-4333-8444-555555555555"})),
        body(json!({"sku": {"family": "A", "name": "gold"}})),
        body(json!({"softDeleteRetentionInDays": 6})),
        body(json!({"softDeleteRetentionInDays": 91})),
        body(json!({"enableSoftDelete": false})),
    ];
    for case in &cases {
        for name in ["kv-valid", "kv-never"] {
            let reply = put(&app, &token, name, case.clone()).await;
            assert_error(&reply, 400, "BadRequest");
        }
    }
    let moved = put(
        &app,
        &token,
        "kv-valid",
        json!({"location": "westus2",
        "properties": before["properties"].clone()}),
    )
    .await;
    assert_error(&moved, 409, "InvalidResourceLocation");
    let no_location = put(&app, &token, "kv-never", json!({"properties": {}})).await;
    assert_error(&no_location, 400, "LocationRequired");
    // The retention is fixed at creation.
    let retention = put(
        &app,
        &token,
        "kv-valid",
        body(json!({"softDeleteRetentionInDays": 60})),
    )
    .await;
    assert_error(&retention, 400, "BadRequest");

    assert_eq!(get(&app, &token, "kv-valid").await.body, before);
    assert_error(
        &get(&app, &token, "kv-never").await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(
        check_name(&app, &token, "kv-never").await,
        json!({"nameAvailable": true})
    );
}

#[tokio::test]
async fn concurrent_identical_puts_create_one_vault() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let puts = (0..8).map(|_| put(&app, &token, "kv-race", body(json!({}))));
    let replies = futures::future::join_all(puts).await;
    let mut statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 200, 200, 201]);
    for reply in &replies {
        assert_eq!(
            without_system_data(&reply.body),
            without_system_data(&replies[0].body)
        );
    }
}

#[tokio::test]
async fn deleting_the_group_soft_deletes_its_vaults() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.put_group(&token, "kv-rg", json!({"location": "eastus"}))
        .await;
    let created = app
        .arm
        .put(
            &vault_path("kv-rg", "kv-in-group", VERSION),
            Some(&token),
            body(json!({})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let deleted = app
        .arm
        .delete(
            &format!("{}?api-version=2024-11-01", group_id("kv-rg")),
            Some(&token),
        )
        .await;
    assert!(deleted.status < 300, "{}", deleted.text);

    assert_eq!(deleted_names(&app, &token).await, vec!["kv-in-group"]);
    assert_eq!(
        check_name(&app, &token, "kv-in-group").await["reason"],
        "AlreadyExists"
    );
}

#[tokio::test]
async fn rbac_guards_vaults_and_assignments_last_until_purge() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    put(&app, &token, "kv-rbac", body(json!({}))).await;
    let (principal, reader_token) = app.new_principal("kv-reader").await;

    let denied = get(&app, &reader_token, "kv-rbac").await;
    assert_error(&denied, 403, "AuthorizationFailed");
    assert!(denied.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("'Microsoft.KeyVault/vaults/read'"));

    let vault = vault_id(GROUP, "kv-rbac");
    let assignment = app.grant(&vault, READER, &principal.object_id).await;
    let assignment_path = format!(
        "{vault}/providers/Microsoft.Authorization/roleAssignments/{assignment}?api-version=2022-04-01"
    );
    assert_eq!(get(&app, &reader_token, "kv-rbac").await.status, 200);
    assert_error(
        &delete(&app, &reader_token, "kv-rbac").await,
        403,
        "AuthorizationFailed",
    );

    // Soft delete keeps the assignment, so recovering the vault brings its access back.
    delete(&app, &token, "kv-rbac").await;
    put(
        &app,
        &token,
        "kv-rbac",
        body(json!({"createMode": "recover"})),
    )
    .await;
    assert_eq!(get(&app, &reader_token, "kv-rbac").await.status, 200);
    // Purging the vault removes it.
    delete(&app, &token, "kv-rbac").await;
    app.arm
        .post(&deleted_path("kv-rbac", "/purge"), Some(&token), None)
        .await;
    put(&app, &token, "kv-rbac", body(json!({}))).await;
    assert_error(
        &app.arm.get(&assignment_path, Some(&token)).await,
        404,
        "RoleAssignmentNotFound",
    );
    assert_error(
        &get(&app, &reader_token, "kv-rbac").await,
        403,
        "AuthorizationFailed",
    );
}

#[tokio::test]
async fn vault_uri_and_metadata_follow_the_settings() {
    let app = TestArm::spawn_with(|settings| {
        settings.key_vault_dns_suffix = "vault.example.test".to_string();
        settings.key_vault_port = Some(8453);
    })
    .await;
    let token = app.operator_token().await;

    let created = put(&app, &token, "kv-port", body(json!({}))).await;
    let metadata = app
        .arm
        .get("/metadata/endpoints?api-version=2022-09-01", None)
        .await;

    assert_eq!(
        created.body["properties"]["vaultUri"],
        "https://kv-port.vault.example.test:8453/"
    );
    assert_eq!(
        metadata.body["suffixes"]["keyVaultDns"],
        "vault.example.test"
    );
}

#[tokio::test]
async fn by_azures_name_arm_describes_the_public_cloud_and_its_vault_uris() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let created = put(&app, &token, "kv-public", body(json!({}))).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let port = app.arm.base.rsplit(':').next().unwrap().to_string();

    let public = |path: &str| {
        app.arm
            .http
            .get(format!("{}{path}", app.arm.base))
            .header("Host", "management.azure.com")
    };
    let metadata = app
        .arm
        .send(public("/metadata/endpoints?api-version=2022-09-01"))
        .await;
    assert_eq!(
        metadata.body["resourceManager"],
        "https://management.azure.com/"
    );
    assert_eq!(
        metadata.body["authentication"]["loginEndpoint"],
        "https://login.microsoftonline.com"
    );
    assert_eq!(
        metadata.body["microsoftGraphResourceId"],
        "https://graph.microsoft.com/"
    );
    assert_eq!(metadata.body["suffixes"]["keyVaultDns"], "vault.azure.net");
    let vault = app
        .arm
        .send(public(&vault_path(GROUP, "kv-public", VERSION)).bearer_auth(&token))
        .await;
    assert_eq!(
        vault.body["properties"]["vaultUri"], "https://kv-public.vault.azure.net/",
        "{}",
        vault.text
    );

    // By mimic's own address: mimic's names and ARM's port.
    let metadata = app
        .arm
        .get("/metadata/endpoints?api-version=2022-09-01", None)
        .await;
    assert_eq!(
        metadata.body["resourceManager"],
        format!("{}/", app.arm.base)
    );
    assert_eq!(metadata.body["suffixes"]["keyVaultDns"], "vault.mimic.test");
    assert_eq!(
        created.body["properties"]["vaultUri"],
        format!("https://kv-public.vault.mimic.test:{port}/")
    );
}

async fn internal_names(app: &TestArm) -> Value {
    let reply = app.host_get("/internal/keyVaults/names").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["value"].clone()
}

#[tokio::test]
async fn internal_names_list_live_vaults_lower_cased_and_follow_delete_recover_purge() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    assert_eq!(internal_names(&app).await, json!([]));
    for name in ["KV-Sandbox-B", "kv-sandbox-a"] {
        let created = put(&app, &token, name, body(json!({}))).await;
        assert_eq!(created.status, 201, "{}", created.text);
    }

    assert_eq!(
        internal_names(&app).await,
        json!(["kv-sandbox-a", "kv-sandbox-b"])
    );
    assert_eq!(delete(&app, &token, "kv-sandbox-a").await.status, 200);
    assert_eq!(internal_names(&app).await, json!(["kv-sandbox-b"]));
    let recovered = put(
        &app,
        &token,
        "kv-sandbox-a",
        body(json!({"createMode": "recover"})),
    )
    .await;
    assert_eq!(recovered.status, 200, "{}", recovered.text);
    assert_eq!(
        internal_names(&app).await,
        json!(["kv-sandbox-a", "kv-sandbox-b"])
    );
    assert_eq!(delete(&app, &token, "KV-SANDBOX-B").await.status, 200);
    let purged = app
        .arm
        .post(&deleted_path("kv-sandbox-b", "/purge"), Some(&token), None)
        .await;
    assert_eq!(purged.status, 202, "{}", purged.text);
    assert_eq!(internal_names(&app).await, json!(["kv-sandbox-a"]));
}

#[tokio::test]
async fn internal_names_refuse_a_bearer_token_without_the_internal_key() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    put(&app, &token, "kv-hidden", body(json!({}))).await;

    let reply = app.arm.get("/internal/keyVaults/names", Some(&token)).await;

    assert_error(&reply, 401, "InvalidInternalKey");
    assert!(!reply.text.contains("kv-hidden"), "{}", reply.text);
}

/// The path and query of an absolute URL ARM gave out.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest[rest.find('/').expect("a path")..].to_string()
}

/// Creates a vault, soft-deletes it and POSTs its purge.
async fn delete_and_purge(app: &TestArm, token: &str, name: &str) -> Reply {
    let created = put(app, token, name, body(json!({}))).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(delete(app, token, name).await.status, 200);
    app.arm
        .post(&deleted_path(name, "/purge"), Some(token), None)
        .await
}

#[tokio::test]
async fn purge_answers_202_with_key_vaults_location_which_answers_200_when_done() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let purged = delete_and_purge(&app, &token, "kv-lro").await;
    let location = purged.header("location").to_string();
    let result = app.arm.get(&path_of(&location), Some(&token)).await;

    assert_eq!(purged.status, 202, "{}", purged.text);
    assert_eq!(purged.text, "");
    assert_eq!(purged.header("retry-after"), "1");
    assert!(purged.header("azure-asyncoperation").is_empty());
    let prefix = format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/locations/eastus/operationResults/"
    );
    let result_path = path_of(&location);
    let (id, query) = result_path
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{location}"))
        .split_once('?')
        .unwrap();
    assert_eq!(query, format!("api-version={VERSION}"));
    // Key Vault's operation ids read as base64 of `UT|{ticks}|{hex}`.
    assert!(id.starts_with("VVR8"), "{id}");
    // go-azure-sdk's poller reads a 200 without a body as done; azure-core any answer but 202.
    assert_eq!((result.status, result.text.as_str()), (200, ""));
    assert_eq!(result.header("content-length"), "0");
    assert_error(
        &app.arm.get(&deleted_path("kv-lro", ""), Some(&token)).await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(
        check_name(&app, &token, "kv-lro").await,
        json!({"nameAvailable": true})
    );
}

#[tokio::test]
async fn a_purge_keeps_the_deleted_vault_and_its_name_until_its_time_is_up() {
    const IN_PROGRESS: u64 = 30;
    let app = TestArm::spawn_with(|settings| settings.async_operation_seconds = IN_PROGRESS).await;
    let token = app.operator_token().await;

    let purged = delete_and_purge(&app, &token, "kv-slow").await;
    let location = path_of(purged.header("location"));
    let running = app.arm.get(&location, Some(&token)).await;
    let shown = app
        .arm
        .get(&deleted_path("kv-slow", ""), Some(&token))
        .await;
    let listed = deleted_names(&app, &token).await;
    let name = check_name(&app, &token, "kv-slow").await;
    let again = app
        .arm
        .post(&deleted_path("kv-slow", "/purge"), Some(&token), None)
        .await;
    let recover = put(
        &app,
        &token,
        "kv-slow",
        body(json!({"createMode": "recover"})),
    )
    .await;
    let create = put(&app, &token, "kv-slow", body(json!({}))).await;
    app.clock.advance(IN_PROGRESS as i64);
    let ended = app.arm.get(&location, Some(&token)).await;

    assert_eq!(purged.status, 202, "{}", purged.text);
    assert_eq!(running.status, 202, "{}", running.text);
    assert_eq!(path_of(running.header("location")), location);
    assert_eq!(running.header("retry-after"), "1");
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.body["name"], "kv-slow");
    assert_eq!(listed, vec!["kv-slow"]);
    assert_eq!(name["reason"], "AlreadyExists");
    // A second purge while one runs answers with the running one.
    assert_eq!(again.status, 202, "{}", again.text);
    assert_eq!(path_of(again.header("location")), location);
    assert_error(&recover, 409, "ConflictError");
    assert_error(&create, 409, "ConflictError");
    assert_eq!((ended.status, ended.text.as_str()), (200, ""));
    assert!(deleted_names(&app, &token).await.is_empty());
    assert_eq!(
        check_name(&app, &token, "kv-slow").await,
        json!({"nameAvailable": true})
    );
}

#[tokio::test]
async fn operation_results_need_key_vaults_read_action_and_an_id_it_gave_out() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let purged = delete_and_purge(&app, &token, "kv-result").await;
    let location = path_of(purged.header("location"));
    let (_, stranger_token) = app.new_principal("kv-stranger").await;

    let denied = app.arm.get(&location, Some(&stranger_token)).await;
    let unknown = app
        .arm
        .get(
            &format!(
                "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/locations/eastus/operationResults/VVR8bm8?api-version={VERSION}"
            ),
            Some(&token),
        )
        .await;
    let elsewhere = app
        .arm
        .get(&location.replace("/eastus/", "/westus/"), Some(&token))
        .await;

    assert_error(&denied, 403, "AuthorizationFailed");
    assert!(
        denied
            .text
            .contains("Microsoft.KeyVault/locations/operationResults/read"),
        "{}",
        denied.text
    );
    assert_error(&unknown, 404, "NotFound");
    assert_error(&elsewhere, 404, "NotFound");
    assert_eq!(app.arm.get(&location, Some(&token)).await.status, 200);
}
