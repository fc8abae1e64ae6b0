//! Key Vault's data plane, secrets (issue 16 item 2), over real HTTPS to ARM's listener with the
//! vault's `Host`: the challenge, tokens for other audiences, RBAC data actions at the secret,
//! vault and group scopes, access policies (and their removal), the whole secret lifecycle with
//! Key Vault's errors, backup/restore, and that refused requests change nothing.

use serde_json::{json, Value};

use mimic_testkit::fixture::{group_id, GROUP, TENANT};
use mimic_testkit::{Reply, TestArm};

use crate::key_vault_support::{
    create_vault, kv_path, kv_url, port, vault_id, vault_token, KV, VERSION,
};

const SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";
const SECRETS_OFFICER: &str = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";
const READER: &str = "21090545-7ca7-4776-b22c-e363652d74d2";
const ADMINISTRATOR: &str = "00482a5a-887f-4fb3-b363-3b7fe8e74483";

/// A request to `vault`'s data plane at `path`, api-version [`KV`].
async fn kv(
    app: &TestArm,
    method: &str,
    vault: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    kv_url(app, method, vault, &kv_path(app, path), token, body).await
}

fn error(reply: &Reply) -> (&str, &str) {
    (
        reply.body["error"]["code"].as_str().unwrap_or_default(),
        reply.body["error"]["innererror"]["code"]
            .as_str()
            .unwrap_or_default(),
    )
}

#[tokio::test]
async fn without_a_token_key_vault_challenges_and_a_token_for_arm_is_refused() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-challenge", true, "standard", json!([])).await;

    let reply = kv(&app, "GET", "kv-challenge", "/secrets/s1", None, None).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    let challenge = reply.headers["www-authenticate"].to_str().unwrap();
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization=\"{}/{TENANT}\", resource=\"https://vault.azure.net\"",
            app.aad.base
        )
    );
    assert_eq!(
        reply.body["error"]["message"],
        "AKV10000: Request is missing a Bearer or PoP token."
    );
    // A PUT's first request comes without a body (the SDKs' challenge dance): still 401.
    let reply = kv(&app, "PUT", "kv-challenge", "/secrets/s1", None, None).await;
    assert_eq!(reply.status, 401);
    // The vault URI itself, as azurerm polls it.
    let reply = kv(&app, "GET", "kv-challenge", "/", None, None).await;
    assert_eq!(reply.status, 401);

    let arm_token = app.operator_token().await;
    let reply = kv(
        &app,
        "GET",
        "kv-challenge",
        "/secrets",
        Some(&arm_token),
        None,
    )
    .await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert!(
        reply.body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com"),
        "{}",
        reply.text
    );
    assert!(reply.headers.contains_key("www-authenticate"));

    // And the vault token is not good for ARM either.
    let token = vault_token(
        &app,
        mimic_testkit::fixture::OPERATOR_APP_ID,
        mimic_testkit::fixture::OPERATOR_SECRET,
    )
    .await;
    let reply = app
        .arm
        .get(
            &format!("{}?api-version={VERSION}", vault_id("kv-challenge")),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, 401, "{}", reply.text);
}

#[tokio::test]
async fn rbac_vaults_check_data_actions_at_the_secret_vault_and_group_scopes() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-rbac", true, "standard", json!([])).await;
    let (admin, _) = app.new_principal("kv-admin").await;
    let (reader, _) = app.new_principal("kv-reader").await;
    let admin_token = vault_token(&app, &admin.app_id, &admin.secret).await;
    let reader_token = vault_token(&app, &reader.app_id, &reader.secret).await;

    // No grant: 403 ForbiddenByRbac naming the caller, the action and the resource.
    let set = json!({"value": "s3cr3t"});
    let reply = kv(
        &app,
        "PUT",
        "kv-rbac",
        "/secrets/db-password",
        Some(&admin_token),
        Some(set.clone()),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(error(&reply), ("Forbidden", "ForbiddenByRbac"));
    let message = reply.body["error"]["message"].as_str().unwrap();
    for part in [
        "Caller is not authorized to perform action on resource.",
        &format!(
            "Caller: appid={};oid={};iss=https://sts.windows.net/{TENANT}/",
            admin.app_id, admin.object_id
        ),
        "Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'",
        &format!(
            "Resource: '{}/secrets/db-password'",
            vault_id("kv-rbac").to_lowercase()
        ),
        "Assignment: (not found)",
        "Vault: kv-rbac;location=eastus",
    ] {
        assert!(message.contains(part), "{part} not in {message}");
    }

    // Secrets Officer on the group: set and get.
    app.grant(&group_id(GROUP), SECRETS_OFFICER, &admin.object_id)
        .await;
    let reply = kv(
        &app,
        "PUT",
        "kv-rbac",
        "/secrets/db-password",
        Some(&admin_token),
        Some(set.clone()),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kv(
        &app,
        "PUT",
        "kv-rbac",
        "/secrets/other",
        Some(&admin_token),
        Some(json!({"value": "x"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    // Secrets User on one secret: that secret's value, not the other's, and no writes.
    let secret_scope = format!("{}/secrets/db-password", vault_id("kv-rbac"));
    app.grant(&secret_scope, SECRETS_USER, &reader.object_id)
        .await;
    let reply = kv(
        &app,
        "GET",
        "kv-rbac",
        "/secrets/db-password/",
        Some(&reader_token),
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["value"], "s3cr3t");
    let reply = kv(
        &app,
        "GET",
        "kv-rbac",
        "/secrets/other",
        Some(&reader_token),
        None,
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    let reply = kv(
        &app,
        "PUT",
        "kv-rbac",
        "/secrets/db-password",
        Some(&reader_token),
        Some(json!({"value": "changed"})),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    let reply = kv(
        &app,
        "GET",
        "kv-rbac",
        "/secrets/db-password",
        Some(&admin_token),
        None,
    )
    .await;
    assert_eq!(
        reply.body["value"], "s3cr3t",
        "a refused write changes nothing"
    );

    // Key Vault Reader on the vault: metadata (list) but never a value.
    let (viewer, _) = app.new_principal("kv-viewer").await;
    let viewer_token = vault_token(&app, &viewer.app_id, &viewer.secret).await;
    app.grant(&vault_id("kv-rbac"), READER, &viewer.object_id)
        .await;
    let reply = kv(
        &app,
        "GET",
        "kv-rbac",
        "/secrets",
        Some(&viewer_token),
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["value"].as_array().unwrap().len(), 2);
    assert!(reply.body["value"][0].get("value").is_none());
    let reply = kv(
        &app,
        "GET",
        "kv-rbac",
        "/secrets/other",
        Some(&viewer_token),
        None,
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
}

#[tokio::test]
async fn access_policy_vaults_follow_the_policy_of_the_caller_and_its_removal() {
    let app = TestArm::spawn().await;
    let (owner, _) = app.new_principal("kv-owner").await;
    let (app_sp, _) = app.new_principal("kv-app").await;
    let policy = |object: &str, secrets: &[&str]| json!({"tenantId": TENANT, "objectId": object, "permissions": {"secrets": secrets}});
    create_vault(
        &app,
        "kv-policy",
        false,
        "standard",
        json!([policy(&owner.object_id, &["all"])]),
    )
    .await;
    let owner_token = vault_token(&app, &owner.app_id, &owner.secret).await;
    let app_token = vault_token(&app, &app_sp.app_id, &app_sp.secret).await;

    let reply = kv(
        &app,
        "PUT",
        "kv-policy",
        "/secrets/conn",
        Some(&owner_token),
        Some(json!({"value": "v1"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kv(
        &app,
        "GET",
        "kv-policy",
        "/secrets/conn",
        Some(&app_token),
        None,
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(error(&reply), ("Forbidden", "AccessDenied"));
    let message = reply.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "The user, group or application 'appid={};oid={};iss=https://sts.windows.net/{TENANT}/' does not have secrets get permission on key vault 'kv-policy;location=eastus'."
        , app_sp.app_id, app_sp.object_id)),
        "{message}"
    );

    // az keyvault set-policy: accessPolicies/add.
    let token = app.operator_token().await;
    let policies_path = |kind: &str| {
        format!(
            "{}/accessPolicies/{kind}?api-version={VERSION}",
            vault_id("kv-policy")
        )
    };
    let body =
        json!({"properties": {"accessPolicies": [policy(&app_sp.object_id, &["get", "list"])]}});
    let reply = app
        .arm
        .put(&policies_path("add"), Some(&token), body.clone())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kv(
        &app,
        "GET",
        "kv-policy",
        "/secrets/conn",
        Some(&app_token),
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["value"], "v1");
    let reply = kv(
        &app,
        "PUT",
        "kv-policy",
        "/secrets/conn",
        Some(&app_token),
        Some(json!({"value": "v2"})),
    )
    .await;
    assert_eq!(
        reply.status, 403,
        "get and list do not allow set: {}",
        reply.text
    );

    let reply = app
        .arm
        .put(&policies_path("remove"), Some(&token), body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kv(
        &app,
        "GET",
        "kv-policy",
        "/secrets/conn",
        Some(&app_token),
        None,
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
}

#[tokio::test]
async fn secrets_have_versions_attributes_soft_delete_recovery_purge_and_backups() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-life", true, "standard", json!([])).await;
    let (officer, _) = app.new_principal("kv-officer").await;
    app.grant(&vault_id("kv-life"), SECRETS_OFFICER, &officer.object_id)
        .await;
    let token = vault_token(&app, &officer.app_id, &officer.secret).await;
    let base = format!("https://kv-life.vault.mimic.test:{}", port(&app));
    let t = Some(token.as_str());

    let first = kv(
        &app,
        "PUT",
        "kv-life",
        "/secrets/Api-Key",
        t,
        Some(json!({"value": "one",
        "contentType": "text/plain", "tags": {"env": "test"}})),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let first_id = first.body["id"].as_str().unwrap().to_string();
    assert!(
        first_id.starts_with(&format!("{base}/secrets/Api-Key/")),
        "{first_id}"
    );
    let first_version = first_id.rsplit('/').next().unwrap().to_string();
    assert_eq!(first_version.len(), 32);
    assert_eq!(first.body["attributes"]["enabled"], true);
    assert_eq!(
        first.body["attributes"]["recoveryLevel"],
        "Recoverable+Purgeable"
    );
    assert_eq!(first.body["attributes"]["recoverableDays"], 90);
    assert_eq!(first.body["contentType"], "text/plain");
    assert_eq!(first.body["tags"]["env"], "test");
    let second = kv(
        &app,
        "PUT",
        "kv-life",
        "/secrets/api-key",
        t,
        Some(json!({"value": "two"})),
    )
    .await;
    assert_eq!(second.status, 200);
    assert!(
        second.body["id"]
            .as_str()
            .unwrap()
            .contains("/secrets/Api-Key/"),
        "the name keeps its case"
    );

    // Latest and by version; versions paged by maxresults.
    let latest = kv(&app, "GET", "kv-life", "/secrets/api-key", t, None).await;
    assert_eq!(latest.body["value"], "two");
    let old = kv(
        &app,
        "GET",
        "kv-life",
        &format!("/secrets/api-key/{first_version}"),
        t,
        None,
    )
    .await;
    assert_eq!(old.body["value"], "one");
    let page = kv(
        &app,
        "GET",
        "kv-life",
        "/secrets/api-key/versions?maxresults=1",
        t,
        None,
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.body["value"].as_array().unwrap().len(), 1);
    let next = page.body["nextLink"].as_str().unwrap().to_string();
    assert!(next.starts_with(&base), "{next}");
    let next_url = next.replace(&base, &app.arm.base);
    let page = kv_url(&app, "GET", "kv-life", &next_url, t, None).await;
    assert_eq!(page.body["value"].as_array().unwrap().len(), 1);
    assert!(page.body["nextLink"].is_null());

    // Disable the latest version: get refused, list still shows it.
    let reply = kv(
        &app,
        "PATCH",
        "kv-life",
        "/secrets/api-key/",
        t,
        Some(json!({"attributes": {"enabled": false}})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.body.get("value").is_none());
    let reply = kv(&app, "GET", "kv-life", "/secrets/api-key", t, None).await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(error(&reply), ("Forbidden", "SecretDisabled"));
    let list = kv(&app, "GET", "kv-life", "/secrets", t, None).await;
    assert_eq!(
        list.body["value"][0]["id"],
        format!("{base}/secrets/Api-Key")
    );
    assert_eq!(list.body["value"][0]["attributes"]["enabled"], false);
    // Expiry is shown, not enforced (Key Vault returns an expired secret).
    let reply = kv(
        &app,
        "PUT",
        "kv-life",
        "/secrets/expired",
        t,
        Some(json!({"value": "old",
        "attributes": {"exp": 1_000_000_000}})),
    )
    .await;
    assert_eq!(reply.status, 200);
    let reply = kv(&app, "GET", "kv-life", "/secrets/expired", t, None).await;
    assert_eq!(
        (reply.status, reply.body["attributes"]["exp"].as_i64()),
        (200, Some(1_000_000_000))
    );

    // Soft delete: gone, listed as deleted, the name reserved, then recovered.
    let deleted = kv(&app, "DELETE", "kv-life", "/secrets/api-key", t, None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(
        deleted.body["recoveryId"],
        format!("{base}/deletedsecrets/Api-Key")
    );
    assert!(
        deleted.body["scheduledPurgeDate"].as_i64().unwrap()
            > deleted.body["deletedDate"].as_i64().unwrap()
    );
    let reply = kv(&app, "GET", "kv-life", "/secrets/api-key", t, None).await;
    assert_eq!((reply.status, error(&reply).0), (404, "SecretNotFound"));
    let reply = kv(
        &app,
        "PUT",
        "kv-life",
        "/secrets/api-key",
        t,
        Some(json!({"value": "three"})),
    )
    .await;
    assert_eq!(reply.status, 409, "{}", reply.text);
    assert_eq!(error(&reply), ("Conflict", "ObjectIsDeletedButRecoverable"));
    let reply = kv(&app, "GET", "kv-life", "/deletedsecrets", t, None).await;
    assert_eq!(reply.body["value"].as_array().unwrap().len(), 1);
    let reply = kv(
        &app,
        "POST",
        "kv-life",
        "/deletedsecrets/api-key/recover",
        t,
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let versions = kv(&app, "GET", "kv-life", "/secrets/api-key/versions", t, None).await;
    assert_eq!(
        versions.body["value"].as_array().unwrap().len(),
        2,
        "every version is back"
    );

    // Backup, delete, purge, restore.
    let backup = kv(&app, "POST", "kv-life", "/secrets/api-key/backup", t, None).await;
    assert_eq!(backup.status, 200, "{}", backup.text);
    let blob = backup.body["value"].as_str().unwrap().to_string();
    assert!(!blob.contains("one") && !blob.contains("two"));
    kv(&app, "DELETE", "kv-life", "/secrets/api-key", t, None).await;
    let reply = kv(
        &app,
        "DELETE",
        "kv-life",
        "/deletedsecrets/api-key",
        t,
        None,
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let reply = kv(&app, "GET", "kv-life", "/deletedsecrets/api-key", t, None).await;
    assert_eq!(reply.status, 404);
    let mut tampered = blob.clone().into_bytes();
    let last = tampered.len() - 5;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let reply = kv(
        &app,
        "POST",
        "kv-life",
        "/secrets/restore",
        t,
        Some(json!({"value": String::from_utf8(tampered).unwrap()})),
    )
    .await;
    assert_eq!(
        (reply.status, error(&reply).0),
        (400, "BadParameter"),
        "{}",
        reply.text
    );
    let reply = kv(
        &app,
        "POST",
        "kv-life",
        "/secrets/restore",
        t,
        Some(json!({"value": blob})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let old = kv(
        &app,
        "GET",
        "kv-life",
        &format!("/secrets/api-key/{first_version}"),
        t,
        None,
    )
    .await;
    assert_eq!(old.body["value"], "one");
    let reply = kv(
        &app,
        "POST",
        "kv-life",
        "/secrets/restore",
        t,
        Some(json!({"value": blob})),
    )
    .await;
    assert_eq!(reply.status, 409, "{}", reply.text);
}

#[tokio::test]
async fn the_date_named_api_versions_serve_secrets_as_7_6_does() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-dated", true, "standard", json!([])).await;
    let (officer, _) = app.new_principal("kv-officer").await;
    app.grant(&vault_id("kv-dated"), SECRETS_OFFICER, &officer.object_id)
        .await;
    let token = vault_token(&app, &officer.app_id, &officer.secret).await;
    let t = Some(token.as_str());

    for version in ["2025-06-01", "2025-07-01", "2026-04-01"] {
        let url = format!("{}/secrets/s1?api-version={version}", app.arm.base);
        let body = json!({"value": version});
        let set = kv_url(&app, "PUT", "kv-dated", &url, t, Some(body)).await;
        assert_eq!(set.status, 200, "{version}: {}", set.text);
        let got = kv_url(&app, "GET", "kv-dated", &url, t, None).await;
        assert_eq!(got.status, 200, "{version}: {}", got.text);
        assert_eq!(got.body["value"], version);
        assert_eq!(got.body["id"], set.body["id"]);
    }
}

#[tokio::test]
async fn bad_input_gets_key_vault_errors_and_changes_nothing() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-bad", true, "standard", json!([])).await;
    let (officer, _) = app.new_principal("kv-officer").await;
    app.grant(&vault_id("kv-bad"), SECRETS_OFFICER, &officer.object_id)
        .await;
    let token = vault_token(&app, &officer.app_id, &officer.secret).await;
    let t = Some(token.as_str());

    for (path, body) in [
        ("/secrets/bad_name", json!({"value": "x"})),
        ("/secrets/a.b", json!({"value": "x"})),
        (
            &*format!("/secrets/{}", "n".repeat(128)),
            json!({"value": "x"}),
        ),
        ("/secrets/good", json!({"contentType": "no value"})),
        ("/secrets/good", json!({"value": "x".repeat(25 * 1024 + 1)})),
        (
            "/secrets/good",
            json!({"value": "x", "attributes": {"nbf": 20, "exp": 10}}),
        ),
        ("/secrets/good", json!("not an object")),
    ] {
        let reply = kv(&app, "PUT", "kv-bad", path, t, Some(body)).await;
        assert_eq!(
            (reply.status, error(&reply).0),
            (400, "BadParameter"),
            "{path}: {}",
            reply.text
        );
    }
    let reply = kv(&app, "GET", "kv-bad", "/secrets", t, None).await;
    assert_eq!(reply.body["value"], json!([]), "nothing was stored");

    // api-version: missing and unknown.
    let url = format!("{}/secrets", app.arm.base);
    let reply = kv_url(&app, "GET", "kv-bad", &url, t, None).await;
    assert_eq!(
        (reply.status, error(&reply).0),
        (400, "BadParameter"),
        "{}",
        reply.text
    );
    let reply = kv_url(
        &app,
        "GET",
        "kv-bad",
        &format!("{url}?api-version=2099-01-01"),
        t,
        None,
    )
    .await;
    assert_eq!(
        (reply.status, error(&reply).0),
        (400, "BadParameter"),
        "{}",
        reply.text
    );
    // An unknown vault, an unknown path, a method a path does not serve.
    let reply = kv(&app, "GET", "kv-none", "/secrets", t, None).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    let reply = kv(&app, "GET", "kv-bad", "/nothing-here", t, None).await;
    assert_eq!(reply.status, 404, "{}", reply.text);
    let reply = kv(&app, "POST", "kv-bad", "/secrets", t, None).await;
    assert_eq!(reply.status, 405, "{}", reply.text);
    let reply = kv(&app, "GET", "kv-bad", "/secrets/missing", t, None).await;
    assert_eq!((reply.status, error(&reply).0), (404, "SecretNotFound"));
}

#[tokio::test]
async fn parallel_sets_of_one_secret_all_land_as_versions() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-many", true, "standard", json!([])).await;
    let (officer, _) = app.new_principal("kv-officer").await;
    app.grant(&vault_id("kv-many"), SECRETS_OFFICER, &officer.object_id)
        .await;
    let token = vault_token(&app, &officer.app_id, &officer.secret).await;
    let replies = futures::future::join_all((0..10).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            kv(
                app,
                "PUT",
                "kv-many",
                "/secrets/shared",
                Some(token),
                Some(json!({"value": format!("v{i}")})),
            )
            .await
        }
    }))
    .await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let versions = kv(
        &app,
        "GET",
        "kv-many",
        "/secrets/shared/versions",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(versions.body["value"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn purging_a_vault_removes_its_secrets() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-gone", true, "standard", json!([])).await;
    let (officer, _) = app.new_principal("kv-officer").await;
    app.grant(&group_id(GROUP), SECRETS_OFFICER, &officer.object_id)
        .await;
    let token = vault_token(&app, &officer.app_id, &officer.secret).await;
    let reply = kv(
        &app,
        "PUT",
        "kv-gone",
        "/secrets/s",
        Some(&token),
        Some(json!({"value": "x"})),
    )
    .await;
    assert_eq!(reply.status, 200);
    let operator = app.operator_token().await;
    let reply = app
        .arm
        .delete(
            &format!("{}?api-version={VERSION}", vault_id("kv-gone")),
            Some(&operator),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kv(&app, "GET", "kv-gone", "/secrets/s", Some(&token), None).await;
    assert_eq!(
        reply.status, 404,
        "a soft-deleted vault serves nothing: {}",
        reply.text
    );
    let purge = format!("/subscriptions/{}/providers/Microsoft.KeyVault/locations/eastus/deletedVaults/kv-gone/purge?api-version={VERSION}", mimic_testkit::fixture::SUBSCRIPTION);
    let reply = app.arm.post(&purge, Some(&operator), None).await;
    assert_eq!(reply.status, 202, "{}", reply.text);
    create_vault(&app, "kv-gone", true, "standard", json!([])).await;
    let reply = kv(&app, "GET", "kv-gone", "/secrets", Some(&token), None).await;
    assert_eq!(
        reply.body["value"],
        json!([]),
        "a new vault of the name starts empty"
    );
}

#[tokio::test]
async fn the_portals_origin_alone_gets_cors_answers() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-cors", true, "standard", json!([])).await;
    let preflight = |origin: &str| {
        app.arm
            .http
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/secrets?api-version={KV}", app.arm.base),
            )
            .header("Host", format!("kv-cors.vault.mimic.test:{}", port(&app)))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
    };
    let reply = app.arm.send(preflight(&app.arm.base)).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(
        reply.headers["access-control-allow-origin"],
        app.arm.base.as_str()
    );
    assert!(reply.headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("authorization"));
    // An answer to the portal carries the header; the 401 challenge too.
    let reply = app
        .arm
        .send(
            app.arm
                .http
                .get(format!("{}/secrets?api-version={KV}", app.arm.base))
                .header("Host", format!("kv-cors.vault.mimic.test:{}", port(&app)))
                .header("Origin", &app.arm.base),
        )
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.headers["access-control-allow-origin"],
        app.arm.base.as_str()
    );

    let reply = app.arm.send(preflight("https://evil.example")).await;
    assert!(
        !reply.headers.contains_key("access-control-allow-origin"),
        "{:?}",
        reply.headers
    );
}

#[tokio::test]
async fn a_compound_identity_policy_admits_its_object_only_through_its_application() {
    let app = TestArm::spawn().await;
    let (caller, _) = app.new_principal("kv-compound").await;
    let (other_app, _) = app.new_principal("kv-other-app").await;
    let (owner, _) = app.new_principal("kv-compound-owner").await;
    let policy = |application: &str| {
        json!({"tenantId": TENANT, "objectId": caller.object_id, "applicationId": application,
            "permissions": {"secrets": ["get"]}})
    };
    let owner_policy = json!({"tenantId": TENANT, "objectId": owner.object_id,
        "permissions": {"secrets": ["set"]}});
    create_vault(
        &app,
        "kv-compound",
        false,
        "standard",
        json!([owner_policy, policy(&other_app.app_id)]),
    )
    .await;
    let owner_token = vault_token(&app, &owner.app_id, &owner.secret).await;
    let reply = kv(
        &app,
        "PUT",
        "kv-compound",
        "/secrets/s",
        Some(&owner_token),
        Some(json!({"value": "v"})),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    // The caller's object is named, but with another application: not this token's.
    let token = vault_token(&app, &caller.app_id, &caller.secret).await;
    let reply = kv(&app, "GET", "kv-compound", "/secrets/s", Some(&token), None).await;
    assert_eq!(
        (reply.status, error(&reply).1),
        (403, "AccessDenied"),
        "{}",
        reply.text
    );

    // The same object through its own application (the token's appid): admitted.
    let operator = app.operator_token().await;
    let path = format!(
        "{}/accessPolicies/add?api-version={VERSION}",
        vault_id("kv-compound")
    );
    let body = json!({"properties": {"accessPolicies": [policy(&caller.app_id)]}});
    let reply = app.arm.put(&path, Some(&operator), body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let reply = kv(&app, "GET", "kv-compound", "/secrets/s", Some(&token), None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["value"], "v");
}

#[tokio::test]
async fn key_vault_administrator_at_the_subscription_reaches_every_vault() {
    let app = TestArm::spawn().await;
    create_vault(&app, "kv-admin-a", true, "standard", json!([])).await;
    let (admin, _) = app.new_principal("kv-administrator").await;
    let subscription = format!("/subscriptions/{}", mimic_testkit::fixture::SUBSCRIPTION);
    app.grant(&subscription, ADMINISTRATOR, &admin.object_id)
        .await;
    let token = vault_token(&app, &admin.app_id, &admin.secret).await;
    for (method, path, body) in [
        ("PUT", "/secrets/s", Some(json!({"value": "v"}))),
        ("GET", "/secrets/s", None),
        ("DELETE", "/secrets/s", None),
        ("DELETE", "/deletedsecrets/s", None),
    ] {
        let reply = kv(&app, method, "kv-admin-a", path, Some(&token), body).await;
        assert!(
            matches!(reply.status, 200 | 204),
            "{method} {path}: {}",
            reply.text
        );
    }
}
