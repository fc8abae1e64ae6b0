//! Restarting on the same data dir keeps state and the signing key.

use mimic_testkit::TestMimic;
use serde_json::json;

#[tokio::test]
async fn restart_keeps_state_signing_key_and_issued_tokens_valid() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let identity = mimic.create_identity(&operator, "durable").await;
    mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    // The key's public numbers, not the issuer URL beside it: port 0 gives new ports after a restart.
    let public_key =
        |jwks: serde_json::Value| (jwks["keys"][0]["kid"].clone(), jwks["keys"][0]["n"].clone());
    let key_before = public_key(mimic.jwks().await);

    let mimic = mimic.restart().await;
    assert_eq!(
        public_key(mimic.jwks().await),
        key_before,
        "the signing key survives a restart"
    );
    let path = format!("{}?api-version=2024-11-30", mimic.identity_id("durable"));
    let again = mimic.arm.request("GET", &path, Some(&operator), None).await;
    assert_eq!(
        again.status, 200,
        "a token from before the restart still validates: {}",
        again.body
    );
    assert_eq!(
        again.body["properties"]["principalId"],
        identity["properties"]["principalId"]
    );
    let reply = mimic
        .imds_token("vm1", "https://management.azure.com/", "")
        .await;
    assert_eq!(
        reply.status, 200,
        "the VM's identity and IMDS survive a restart: {}",
        reply.body
    );
    mimic.stop().await;
}
