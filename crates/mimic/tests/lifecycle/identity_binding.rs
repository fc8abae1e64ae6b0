//! Nobody obtains an identity that is not theirs: managed identities have no key anywhere (not in
//! arm.db, not on the host API), and AAD issues a managed identity's token only to the internal
//! key's holder and only for a VM the identity is on, as ARM says at that moment.

use mimic_testkit::{claims, TestMimic};
use serde_json::{json, Value};

/// `POST {aad}/internal/managedIdentities/token` with these headers.
async fn mi_token(
    mimic: &TestMimic,
    headers: &[(&str, &str)],
    vm: &str,
    principal: &str,
) -> (u16, Value) {
    let mut request = mimic
        .http
        .post(format!(
            "{}/internal/managedIdentities/token",
            mimic.endpoints.aad
        ))
        .json(&json!({"vmId": vm, "principalId": principal, "resource": "https://management.azure.com/"}));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn internal_key(mimic: &TestMimic) -> String {
    let key = &mimic.mimic.as_ref().unwrap().data_dir.internal_key;
    key.expose().to_string()
}

#[tokio::test]
async fn aad_issues_a_managed_identity_token_only_for_a_vm_the_identity_is_on() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let vm1 = mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let vm2 = mimic
        .patch_vm_identity(&operator, "vm2", json!({"type": "SystemAssigned"}))
        .await;
    let vm2_principal = vm2.body["identity"]["principalId"].as_str().unwrap();
    let key = internal_key(&mimic);
    let with_key = [(mimic_web::INTERNAL_KEY_HEADER, key.as_str())];

    let (as_vm1, refused) = mi_token(&mimic, &with_key, &mimic.vm_id("vm1"), vm2_principal).await;
    let (as_vm2, issued) = mi_token(&mimic, &with_key, &mimic.vm_id("vm2"), vm2_principal).await;

    assert_eq!(as_vm1, 400, "{refused}");
    assert_eq!(refused["error"], "invalid_request");
    assert!(refused["access_token"].is_null());
    assert_eq!(as_vm2, 200, "{issued}");
    let token = claims(issued["access_token"].as_str().unwrap());
    assert_eq!(token["oid"], vm2_principal);
    assert_eq!(token["xms_mirid"], mimic.vm_id("vm2"));
    assert_eq!(token["appidacr"], "2");
    assert_ne!(vm1.body["identity"]["principalId"], vm2_principal);
}

#[tokio::test]
async fn aad_refuses_managed_identity_tokens_to_bearer_tokens_and_wrong_keys() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let vm1 = mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let principal = vm1.body["identity"]["principalId"].as_str().unwrap();
    // The VM's own token, as a workload inside it would hold.
    let vm_token = mimic
        .imds_token("vm1", "https://management.azure.com/", "")
        .await;
    let vm_token = vm_token.body["access_token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {vm_token}");
    let operator_bearer = format!("Bearer {operator}");
    let wrong = "0".repeat(64);

    for headers in [
        vec![("Authorization", bearer.as_str())],
        vec![("Authorization", operator_bearer.as_str())],
        vec![(mimic_web::INTERNAL_KEY_HEADER, wrong.as_str())],
        vec![],
    ] {
        let (status, body) = mi_token(&mimic, &headers, &mimic.vm_id("vm1"), principal).await;

        assert_eq!(status, 401, "{headers:?}: {body}");
        assert!(body["access_token"].is_null());
    }
}

#[tokio::test]
async fn no_managed_identity_key_exists_in_arm_db_or_on_the_host_api() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    mimic.create_identity(&operator, "id1").await;
    mimic
        .patch_vm_identity(
            &operator,
            "vm1",
            json!({"type": "SystemAssigned,UserAssigned",
                   "userAssignedIdentities": {mimic.identity_id("id1"): {}}}),
        )
        .await;
    // The identities work: IMDS gets tokens for both.
    let system = mimic
        .imds_token("vm1", "https://management.azure.com/", "")
        .await;
    assert_eq!(system.status, 200, "{:?}", system.body);

    for file in ["arm.db", "arm.db-wal"] {
        let path = mimic.data_dir().join(file);
        let bytes = std::fs::read(&path).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("PRIVATE KEY"), "{file} holds a private key");
    }
    let key = internal_key(&mimic);
    let host = mimic
        .http
        .get(format!("{}/internal/vms/identities", mimic.endpoints.arm))
        .query(&[("id", mimic.vm_id("vm1"))])
        .header(mimic_web::INTERNAL_KEY_HEADER, key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(host.contains("UserAssigned"), "{host}");
    assert!(
        !host.contains("PRIVATE KEY") && !host.contains("privateKeyPem"),
        "{host}"
    );
}
