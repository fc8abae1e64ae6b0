//! Seed 004: a user-assigned identity, assigned to VMs, granted a role, used through IMDS.

use mimic_testkit::{claims, fixture::READER, TestMimic};
use serde_json::json;

const ARM: &str = "https://management.azure.com/";

/// Reads the fixture group with a bearer token; returns the status.
async fn read_group(mimic: &TestMimic, token: &str) -> u16 {
    mimic
        .arm
        .request(
            "GET",
            &format!("{}?api-version=2016-09-01", mimic.group()),
            Some(token),
            None,
        )
        .await
        .status
}

#[tokio::test]
async fn user_assigned_identity_gets_403_before_the_grant_and_200_after() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let identity = mimic.create_identity(&operator, "id1").await;
    let client_id = identity["properties"]["clientId"].as_str().unwrap();
    let principal_id = identity["properties"]["principalId"].as_str().unwrap();
    let assigned = mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "UserAssigned", "userAssignedIdentities": {mimic.identity_id("id1"): {}}}))
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);

    let token_reply = mimic
        .imds_token(
            "vm1",
            "https%3A%2F%2Fmanagement.azure.com/",
            &format!("&client_id={client_id}"),
        )
        .await;
    assert_eq!(token_reply.status, 200, "{}", token_reply.body);
    let token = token_reply.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let token_claims = claims(&token);
    assert_eq!(token_claims["oid"], principal_id);
    assert_eq!(token_claims["aud"], ARM);
    assert_eq!(
        token_claims["xms_mirid"].as_str().unwrap().to_lowercase(),
        mimic.identity_id("id1").to_lowercase()
    );
    assert_eq!(
        token_claims["xms_az_rid"].as_str().unwrap().to_lowercase(),
        mimic.vm_id("vm1").to_lowercase()
    );

    let denied = mimic
        .arm
        .request(
            "GET",
            &format!("{}?api-version=2016-09-01", mimic.group()),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["error"]["code"], "AuthorizationFailed");

    mimic
        .grant(&operator, &mimic.group(), READER, principal_id)
        .await;
    assert_eq!(read_group(&mimic, &token).await, 200);
    mimic.stop().await;
}

#[tokio::test]
async fn a_grant_on_the_group_is_inherited_by_the_vm_and_revoking_it_denies_again() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let identity = mimic.create_identity(&operator, "reader").await;
    let principal_id = identity["properties"]["principalId"].as_str().unwrap();
    mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "UserAssigned", "userAssignedIdentities": {mimic.identity_id("reader"): {}}}))
        .await;
    let token = mimic.imds_token("vm1", ARM, "").await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let vm_path = format!("{}?api-version=2024-11-01", mimic.vm_id("vm2"));
    assert_eq!(
        mimic
            .arm
            .request("GET", &vm_path, Some(&token), None)
            .await
            .status,
        403
    );

    let assignment = mimic
        .grant(&operator, &mimic.group(), READER, principal_id)
        .await;
    let vm = mimic.arm.request("GET", &vm_path, Some(&token), None).await;
    assert_eq!(vm.status, 200, "{}", vm.body);
    assert_eq!(vm.body["name"], "vm2");

    let revoked = mimic
        .arm
        .request(
            "DELETE",
            &format!("{assignment}?api-version=2022-04-01"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    let denied = mimic.arm.request("GET", &vm_path, Some(&token), None).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["error"]["code"], "AuthorizationFailed");
    mimic.stop().await;
}

#[tokio::test]
async fn one_identity_on_two_vms_serves_both_with_each_vm_in_xms_az_rid() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let identity = mimic.create_identity(&operator, "shared").await;
    for vm in ["vm1", "vm2"] {
        let reply = mimic
            .patch_vm_identity(&operator, vm, json!({"type": "UserAssigned", "userAssignedIdentities": {mimic.identity_id("shared"): {}}}))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    for vm in ["vm1", "vm2"] {
        let reply = mimic.imds_token(vm, ARM, "").await;
        assert_eq!(reply.status, 200, "{vm}: {}", reply.body);
        let token_claims = claims(reply.body["access_token"].as_str().unwrap());
        assert_eq!(token_claims["oid"], identity["properties"]["principalId"]);
        assert_eq!(
            token_claims["xms_az_rid"].as_str().unwrap().to_lowercase(),
            mimic.vm_id(vm).to_lowercase()
        );
    }
    mimic.stop().await;
}

#[tokio::test]
async fn two_identities_on_one_vm_need_a_selector() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let first = mimic.create_identity(&operator, "first").await;
    let second = mimic.create_identity(&operator, "second").await;
    let both = json!({"type": "UserAssigned", "userAssignedIdentities": {mimic.identity_id("first"): {}, mimic.identity_id("second"): {}}});
    assert_eq!(
        mimic.patch_vm_identity(&operator, "vm1", both).await.status,
        200
    );

    let ambiguous = mimic.imds_token("vm1", ARM, "").await;
    assert_eq!(ambiguous.status, 400);
    assert_eq!(ambiguous.body["error"], "invalid_request");
    assert!(ambiguous.body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("Multiple user assigned identities exist"));

    for (identity, selector) in [
        (
            &first,
            format!(
                "&client_id={}",
                first["properties"]["clientId"].as_str().unwrap()
            ),
        ),
        (
            &second,
            format!(
                "&object_id={}",
                second["properties"]["principalId"].as_str().unwrap()
            ),
        ),
        (
            &second,
            format!("&msi_res_id={}", mimic.identity_id("second")),
        ),
    ] {
        let reply = mimic.imds_token("vm1", ARM, &selector).await;
        assert_eq!(reply.status, 200, "{selector}: {}", reply.body);
        assert_eq!(
            claims(reply.body["access_token"].as_str().unwrap())["oid"],
            identity["properties"]["principalId"],
            "{selector}"
        );
        assert_eq!(
            reply.body["client_id"], identity["properties"]["clientId"],
            "{selector}"
        );
    }
    let unknown = mimic
        .imds_token("vm1", ARM, &format!("&client_id={}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.body["error_description"], "Identity not found");
    mimic.stop().await;
}

#[tokio::test]
async fn deleting_a_user_assigned_identity_removes_its_principal_and_detaches_it() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let identity = mimic.create_identity(&operator, "doomed").await;
    let principal_id = identity["properties"]["principalId"].as_str().unwrap();
    mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "UserAssigned", "userAssignedIdentities": {mimic.identity_id("doomed"): {}}}))
        .await;
    assert!(mimic.principal_exists(principal_id).await);
    assert_eq!(mimic.imds_token("vm1", ARM, "").await.status, 200);

    let deleted = mimic
        .arm
        .request(
            "DELETE",
            &format!("{}?api-version=2024-11-30", mimic.identity_id("doomed")),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert!(!mimic.principal_exists(principal_id).await);
    let vm = mimic
        .arm
        .request(
            "GET",
            &format!("{}?api-version=2024-11-01", mimic.vm_id("vm1")),
            Some(&operator),
            None,
        )
        .await;
    assert!(
        vm.body["identity"].is_null() || vm.body["identity"]["type"] == "None",
        "{}",
        vm.body
    );
    let gone = mimic.imds_token("vm1", ARM, "").await;
    assert_eq!(
        (gone.status, gone.body["error_description"].as_str()),
        (400, Some("Identity not found"))
    );
    mimic.stop().await;
}
