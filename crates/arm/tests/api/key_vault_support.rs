//! What the Key Vault data-plane tests share: vaults made as the operator, Key Vault tokens, and
//! requests that name a vault by `Host` while connecting to ARM's listener.

use serde_json::{json, Value};

use mimic_testkit::fixture::{group_id, GROUP, TENANT};
use mimic_testkit::{Reply, TestArm};

/// The vault api-version the tests create with (az 2.91's).
pub const VERSION: &str = "2026-02-01";
/// The data-plane api-version the tests send.
pub const KV: &str = "7.5";

/// A vault's ARM id in the fixture group.
pub fn vault_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.KeyVault/vaults/{name}",
        group_id(GROUP)
    )
}

/// Creates a vault as the operator; `rbac` picks the permission model, `sku` standard or
/// premium. Returns ARM's answer.
pub async fn create_vault(
    app: &TestArm,
    name: &str,
    rbac: bool,
    sku: &str,
    policies: Value,
) -> Value {
    let token = app.operator_token().await;
    let body = json!({"location": "eastus", "properties": {
        "tenantId": TENANT, "sku": {"family": "A", "name": sku},
        "enableRbacAuthorization": rbac, "accessPolicies": policies}});
    let reply = app
        .arm
        .put(
            &format!("{}?api-version={VERSION}", vault_id(name)),
            Some(&token),
            body,
        )
        .await;
    assert!(matches!(reply.status, 200 | 201), "{}", reply.text);
    reply.body
}

/// A token for Key Vault by client credentials.
pub async fn vault_token(app: &TestArm, app_id: &str, secret: &str) -> String {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", app_id),
        ("client_secret", secret),
        ("scope", "https://vault.azure.net/.default"),
    ];
    let reply = app
        .aad
        .form(&format!("/{TENANT}/oauth2/v2.0/token"), &form)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.token().to_string()
}

/// ARM's port (the data plane's too).
pub fn port(app: &TestArm) -> String {
    app.arm.base.rsplit(':').next().unwrap().to_string()
}

/// A data-plane request to `vault` at `url` (on ARM's listener; the `Host` names the vault).
pub async fn kv_url(
    app: &TestArm,
    method: &str,
    vault: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app
        .arm
        .http
        .request(method, url)
        .header("Host", format!("{vault}.vault.mimic.test:{}", port(app)));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    app.arm.send(request).await
}

/// The URL of `path` (with its query, if any) at [`KV`].
pub fn kv_path(app: &TestArm, path: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{}{path}{separator}api-version={KV}", app.arm.base)
}
