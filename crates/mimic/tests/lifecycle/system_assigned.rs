//! Seed 003: a system-assigned identity, tied to the VM's lifecycle.

use mimic_testkit::{claims, fixture::READER, TestMimic};
use serde_json::json;

const ARM: &str = "https://management.azure.com/";

#[tokio::test]
async fn system_assigned_identity_gets_403_before_the_grant_and_200_after() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let enabled = mimic
        .patch_vm_identity(&operator, "vm2", json!({"type": "SystemAssigned"}))
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    assert_eq!(enabled.body["identity"]["type"], "SystemAssigned");
    let principal_id = enabled.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        enabled.body["identity"]["tenantId"],
        mimic.endpoints.tenant_id.as_str()
    );
    assert!(mimic.principal_exists(&principal_id).await);

    let reply = mimic.imds_token("vm2", ARM, "").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    for field in [
        "access_token",
        "client_id",
        "expires_in",
        "expires_on",
        "ext_expires_in",
        "not_before",
        "resource",
        "token_type",
    ] {
        assert!(
            reply.body[field].is_string(),
            "IMDS field {field} must be a string: {}",
            reply.body
        );
    }
    let token = reply.body["access_token"].as_str().unwrap().to_string();
    let token_claims = claims(&token);
    assert_eq!(token_claims["oid"], principal_id.as_str());
    assert_eq!(
        token_claims["xms_mirid"].as_str().unwrap().to_lowercase(),
        mimic.vm_id("vm2").to_lowercase()
    );
    assert!(
        token_claims.get("xms_az_rid").is_none(),
        "system-assigned tokens carry no xms_az_rid"
    );

    let group = format!("{}?api-version=2016-09-01", mimic.group());
    assert_eq!(
        mimic
            .arm
            .request("GET", &group, Some(&token), None)
            .await
            .status,
        403
    );
    mimic
        .grant(&operator, &mimic.group(), READER, &principal_id)
        .await;
    let allowed = mimic.arm.request("GET", &group, Some(&token), None).await;
    assert_eq!(allowed.status, 200, "{}", allowed.body);
    assert_eq!(
        allowed.body["name"],
        mimic.endpoints.resource_group.as_str()
    );
    mimic.stop().await;
}

#[tokio::test]
async fn disabling_the_system_identity_deletes_its_principal_and_imds_answers_identity_not_found() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let enabled = mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let principal_id = enabled.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(mimic.imds_token("vm1", ARM, "").await.status, 200);

    let disabled = mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "None"}))
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert!(!mimic.principal_exists(&principal_id).await);
    let reply = mimic.imds_token("vm1", ARM, "").await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.body,
        json!({"error": "invalid_request", "error_description": "Identity not found"})
    );

    let again = mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    assert_ne!(
        again.body["identity"]["principalId"].as_str().unwrap(),
        principal_id,
        "re-enabling makes a new principal"
    );
    mimic.stop().await;
}

#[tokio::test]
async fn deleting_the_vm_removes_its_principal_and_its_imds() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let path = format!("{}?api-version=2024-11-01", mimic.vm_id("vm3"));
    let body = json!({"location": "eastus", "identity": {"type": "SystemAssigned"},
        "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}, "storageProfile": {"osDisk": {"osType": "Linux"}}}});
    let created = mimic
        .arm
        .request("PUT", &path, Some(&operator), Some(body))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let principal_id = created.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(mimic.principal_exists(&principal_id).await);
    assert_eq!(
        mimic.imds_token("vm3", ARM, "").await.status,
        200,
        "a new VM gets its IMDS before PUT returns"
    );

    let deleted = mimic
        .arm
        .request("DELETE", &path, Some(&operator), None)
        .await;
    // A long-running operation; with no time in progress it has ended before the 202.
    assert_eq!(deleted.status, 202, "{}", deleted.body);
    mimic
        .arm
        .assert_operation_succeeds(&deleted, Some(&operator))
        .await;
    assert!(!mimic.principal_exists(&principal_id).await);
    assert!(
        mimic.endpoints_file().vm("vm3").is_none(),
        "the deleted VM's IMDS is gone from endpoints.json"
    );
    let missing = mimic.arm.request("GET", &path, Some(&operator), None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["error"]["code"], "ResourceNotFound");
    mimic.stop().await;
}
