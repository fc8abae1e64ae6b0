//! `systemData` on tracked resources: who created and who last modified them (issue 17).

use serde_json::{json, Value};

use mimic_testkit::fixture::{
    group_id, identity_id, ADMIN_PASSWORD, ADMIN_UPN, AZURE_CLI, CONTRIBUTOR, GROUP, GROUP_VERSION,
    MSI_VERSION, TENANT,
};
use mimic_testkit::TestArm;

/// The admin user's ARM token (ROPC as az does).
async fn user_token(app: &TestArm) -> String {
    let form = [
        ("client_id", AZURE_CLI),
        ("grant_type", "password"),
        ("username", ADMIN_UPN),
        ("password", ADMIN_PASSWORD),
        ("scope", "https://management.core.windows.net//.default"),
    ];
    let reply = app
        .aad
        .form(&format!("/{TENANT}/oauth2/v2.0/token"), &form)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.token().to_string()
}

/// A token of the user-assigned identity `identity` (as AAD issues it to the identity on a VM:
/// `xms_mirid`, the identity's client id as `appid`), with Contributor on the group.
async fn managed_identity_token(app: &TestArm, identity: &Value) -> String {
    let principal_id = identity["properties"]["principalId"].as_str().unwrap();
    let client_id = identity["properties"]["clientId"].as_str().unwrap();
    app.grant(&group_id(GROUP), CONTRIBUTOR, principal_id).await;
    let mut claims = app.operator_claims();
    claims.oid = principal_id.to_string();
    claims.sub = principal_id.to_string();
    claims.appid = client_id.to_string();
    claims.appidacr = "2".into();
    claims.xms_mirid = Some(identity["id"].as_str().unwrap().to_string());
    app.mint(&claims)
}

fn identity_path(name: &str, version: &str) -> String {
    format!("{}?api-version={version}", identity_id(name))
}

#[tokio::test]
async fn an_identity_shows_its_creator_and_each_later_modifier_by_kind() {
    let app = TestArm::spawn().await;
    let (principal, sp) = app.new_principal("system-data-writer").await;
    app.grant(&group_id(GROUP), CONTRIBUTOR, &principal.object_id)
        .await;
    let operator = app.operator_token().await;
    let writer_identity = app.create_identity(&operator, "writer-mi").await;
    let mi = managed_identity_token(&app, &writer_identity).await;
    let user = user_token(&app).await;

    // Created by an application: its client id.
    let created = app
        .put_identity(&sp, "tracked", json!({"location": "eastus"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let data = &created.json()["systemData"];
    assert_eq!(data["createdBy"], principal.app_id.as_str(), "{data}");
    assert_eq!(data["createdByType"], "Application");
    assert_eq!(data["lastModifiedBy"], principal.app_id.as_str());
    assert_eq!(data["lastModifiedByType"], "Application");
    let created_at = data["createdAt"].as_str().unwrap().to_string();
    assert!(
        created_at.ends_with('Z') && created_at.contains('T'),
        "{created_at}"
    );
    assert_eq!(data["lastModifiedAt"], created_at.as_str());

    // Modified by a user: the UPN; the creation stays.
    app.clock.advance(5);
    let patched = app
        .arm
        .patch(
            &identity_path("tracked", MSI_VERSION),
            Some(&user),
            json!({"tags": {"k": "v"}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let data = &patched.json()["systemData"];
    assert_eq!(data["createdBy"], principal.app_id.as_str(), "{data}");
    assert_eq!(data["createdAt"], created_at.as_str());
    assert_eq!(data["lastModifiedBy"], ADMIN_UPN);
    assert_eq!(data["lastModifiedByType"], "User");
    assert_ne!(data["lastModifiedAt"], created_at.as_str());

    // Modified by a managed identity: its client id.
    let client_id = writer_identity["properties"]["clientId"].as_str().unwrap();
    let replaced = app
        .put_identity(&mi, "tracked", json!({"location": "eastus"}))
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    let data = &replaced.json()["systemData"];
    assert_eq!(data["createdByType"], "Application", "{data}");
    assert_eq!(data["lastModifiedBy"], client_id);
    assert_eq!(data["lastModifiedByType"], "ManagedIdentity");

    // GET and both lists show what the last write left.
    let read = app
        .arm
        .get(&identity_path("tracked", MSI_VERSION), Some(&operator))
        .await;
    assert_eq!(&read.json()["systemData"], data);
    for list in [
        format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI_VERSION}", group_id(GROUP)),
        format!("/subscriptions/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI_VERSION}", mimic_testkit::fixture::SUBSCRIPTION),
    ] {
        let reply = app.arm.get(&list, Some(&operator)).await;
        let listed = reply.json()["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|identity| identity["name"] == "tracked")
            .cloned()
            .unwrap();
        assert_eq!(&listed["systemData"], data, "{list}");
    }
    // The 2018-11-30 spec has no systemData.
    let old = app
        .arm
        .get(&identity_path("tracked", "2018-11-30"), Some(&operator))
        .await;
    assert_eq!(old.status, 200, "{}", old.text);
    assert!(old.json().get("systemData").is_none(), "{}", old.text);
}

#[tokio::test]
async fn a_deleted_and_recreated_identity_starts_a_new_record() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let user = user_token(&app).await;
    app.create_identity(&operator, "again").await;
    assert!(app.delete_identity(&operator, "again").await.status < 300);
    let recreated = app
        .put_identity(&user, "again", json!({"location": "eastus"}))
        .await;
    assert_eq!(recreated.status, 201, "{}", recreated.text);
    assert_eq!(recreated.json()["systemData"]["createdBy"], ADMIN_UPN);
    assert_eq!(recreated.json()["systemData"]["createdByType"], "User");
}

#[tokio::test]
async fn a_vault_shows_system_data_from_2021_and_groups_and_vms_never_do() {
    let app = TestArm::spawn().await;
    let user = user_token(&app).await;
    let vault = format!(
        "{}/providers/Microsoft.KeyVault/vaults/sd-vault",
        group_id(GROUP)
    );
    let body = json!({"location": "eastus", "properties": {
        "tenantId": TENANT, "sku": {"family": "A", "name": "standard"},
        "enableRbacAuthorization": true, "accessPolicies": []}});
    let created = app
        .arm
        .put(
            &format!("{vault}?api-version=2023-07-01"),
            Some(&user),
            body,
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.json()["systemData"]["createdBy"],
        ADMIN_UPN,
        "{}",
        created.text
    );
    let listed = app
        .arm
        .get(
            &format!(
                "{}/providers/Microsoft.KeyVault/vaults?api-version=2023-07-01",
                group_id(GROUP)
            ),
            Some(&user),
        )
        .await;
    assert_eq!(
        listed.json()["value"][0]["systemData"]["createdByType"],
        "User",
        "{}",
        listed.text
    );
    let old = app
        .arm
        .get(&format!("{vault}?api-version=2019-09-01"), Some(&user))
        .await;
    assert_eq!(old.status, 200, "{}", old.text);
    assert!(old.json().get("systemData").is_none(), "{}", old.text);

    // Resource groups and VMs have no systemData in their specs, at any api-version.
    let group = app
        .put_group(&user, "sd-group", json!({"location": "eastus"}))
        .await;
    assert_eq!(group.status, 201, "{}", group.text);
    assert!(group.json().get("systemData").is_none(), "{}", group.text);
    let read = app
        .arm
        .get(
            &format!("{}?api-version={GROUP_VERSION}", group_id("sd-group")),
            Some(&user),
        )
        .await;
    assert!(read.json().get("systemData").is_none());
    let vm = app.create_vm(&user, "sd-vm").await;
    assert!(vm.get("systemData").is_none(), "{vm}");
}
