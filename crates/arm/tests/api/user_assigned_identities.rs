//! `Microsoft.ManagedIdentity/userAssignedIdentities`: shape, names, and the principal lifecycle
//! (created with the identity, deleted with it, detached from every VM).

use serde_json::json;

use crate::compute_helpers::{system_principal, user_identity_ids};
use mimic_testkit::fixture::{identity_id, GROUP, MSI_VERSION, TENANT};
use mimic_testkit::TestArm;

#[tokio::test]
async fn create_or_update_returns_201_then_200_and_creates_a_principal() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let created = app
        .put_identity(
            &token,
            "id1",
            json!({"location": "East US", "tags": {"a": "b"}}),
        )
        .await;
    let again = app
        .put_identity(&token, "ID1", json!({"location": "eastus"}))
        .await;

    assert_eq!(created.status, 201, "{}", created.text);
    let identity = &created.body;
    assert_eq!(identity["id"], identity_id("id1"));
    assert_eq!(identity["name"], "id1");
    assert_eq!(
        identity["type"],
        "Microsoft.ManagedIdentity/userAssignedIdentities"
    );
    assert_eq!(identity["location"], "eastus");
    assert_eq!(identity["tags"], json!({"a": "b"}));
    assert_eq!(identity["properties"]["tenantId"], TENANT);
    assert_eq!(identity["properties"]["isolationScope"], "None");
    let principal_id = identity["properties"]["principalId"].as_str().unwrap();
    let principal = app.aad_principal(principal_id).await;
    assert_eq!(principal["appId"], identity["properties"]["clientId"]);
    assert_eq!(
        principal["alternativeNames"],
        json!(["isExplicit=True", identity_id("id1")])
    );
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["properties"]["principalId"], principal_id);
    assert_eq!(again.body["tags"], json!({}));
}

#[tokio::test]
async fn create_or_update_with_bad_input_returns_400_and_creates_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let long = "a".repeat(129);
    let cases = [
        ("ab", json!({"location": "eastus"}), "InvalidResourceName"),
        ("-id", json!({"location": "eastus"}), "InvalidResourceName"),
        ("id.1", json!({"location": "eastus"}), "InvalidResourceName"),
        (
            long.as_str(),
            json!({"location": "eastus"}),
            "InvalidResourceName",
        ),
        ("noloc", json!({"tags": {}}), "LocationRequired"),
        (
            "scope",
            json!({"location": "eastus", "properties": {"isolationScope": "Galactic"}}),
            "InvalidParameter",
        ),
        (
            "tags",
            json!({"location": "eastus", "tags": "not-a-map"}),
            "InvalidRequestContent",
        ),
    ];

    for (name, body, code) in cases {
        let reply = app.put_identity(&token, name, body).await;

        assert_eq!(reply.status, 400, "{name}: {}", reply.text);
        assert_eq!(reply.code(), code, "{name}");
        let path = format!("{}?api-version={MSI_VERSION}", identity_id(name));
        assert_eq!(
            app.arm.get(&path, Some(&token)).await.status,
            404,
            "{name} must not exist"
        );
    }
}

#[tokio::test]
async fn create_or_update_in_another_location_returns_409() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "id1").await;

    let reply = app
        .put_identity(&token, "id1", json!({"location": "westus"}))
        .await;

    assert_eq!(reply.status, 409, "{}", reply.text);
    assert_eq!(reply.code(), "InvalidResourceLocation");
}

#[tokio::test]
async fn delete_removes_the_principal_and_detaches_the_identity_from_every_vm() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let identity = app.create_identity(&token, "shared").await;
    let principal_id = identity["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let shared = identity_id("shared");
    let attach =
        json!({"userAssignedIdentities": {&shared: {}}, "type": "SystemAssigned,UserAssigned"});
    app.patch_identity(&token, "vm1", attach).await;
    app.patch_identity(
        &token,
        "vm2",
        json!({"userAssignedIdentities": {&shared: {}}, "type": "UserAssigned"}),
    )
    .await;

    let deleted = app.delete_identity(&token, "shared").await;
    let again = app.delete_identity(&token, "shared").await;

    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(again.status, 204);
    assert!(!app.aad_has_principal(&principal_id).await);
    let vm1 = app.get_vm(&token, "vm1").await.body;
    assert_eq!(vm1["identity"]["type"], "SystemAssigned", "{vm1}");
    assert!(!system_principal(&vm1).is_empty());
    assert!(user_identity_ids(&vm1).is_empty());
    let vm2 = app.get_vm(&token, "vm2").await.body;
    assert!(vm2.get("identity").is_none(), "{vm2}");
}

#[tokio::test]
async fn one_identity_on_two_vms_and_two_identities_on_one_vm() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "id1").await;
    app.create_identity(&token, "id2").await;
    let (id1, id2) = (identity_id("id1"), identity_id("id2"));

    let vm1 = app
        .patch_identity(
            &token,
            "vm1",
            json!({"type": "UserAssigned", "userAssignedIdentities": {&id1: {}, &id2: {}}}),
        )
        .await;
    let vm2 = app
        .patch_identity(
            &token,
            "vm2",
            json!({"type": "UserAssigned", "userAssignedIdentities": {&id1: {}}}),
        )
        .await;

    assert_eq!(user_identity_ids(&vm1), vec![id1.clone(), id2.clone()]);
    assert_eq!(user_identity_ids(&vm2), vec![id1.clone()]);
    assert_eq!(
        vm1["identity"]["userAssignedIdentities"][&id1],
        vm2["identity"]["userAssignedIdentities"][&id1],
        "the same identity shows the same principal on both VMs"
    );
}

#[tokio::test]
async fn update_changes_tags_only() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let created = app.create_identity(&token, "id1").await;
    let path = format!("{}?api-version={MSI_VERSION}", identity_id("id1"));

    let reply = app
        .arm
        .request(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"tags": {"team": "x"}})),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["tags"], json!({"team": "x"}));
    assert_eq!(
        reply.body["properties"]["principalId"],
        created["properties"]["principalId"]
    );
}

#[tokio::test]
async fn list_returns_the_identities_of_the_group_and_of_the_subscription() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "id1").await;
    app.create_identity(&token, "id2").await;

    let group = app
        .arm.get(&format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI_VERSION}", app.group(GROUP)), Some(&token))
        .await;
    let subscription = app
        .arm.get(&format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2024-11-30", app.subscription()), Some(&token))
        .await;
    let missing_group = app
        .arm.get(&format!("{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={MSI_VERSION}", app.group("nogroup")), Some(&token))
        .await;

    for reply in [group, subscription] {
        assert_eq!(reply.status, 200, "{}", reply.text);
        let names: Vec<&str> = reply.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["id1", "id2"]);
    }
    assert_eq!(missing_group.status, 404);
    assert_eq!(missing_group.code(), "ResourceGroupNotFound");
}

#[tokio::test]
async fn resource_group_delete_removes_vms_identities_and_their_principals() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let identity = app.create_identity(&token, "id1").await;
    let identity_principal = identity["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let vm = app
        .patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let vm_principal = system_principal(&vm);

    let reply = app
        .arm
        .request(
            "DELETE",
            &format!("{}?api-version=2024-11-01", app.group(GROUP)),
            Some(&token),
            None,
        )
        .await;

    assert_eq!(reply.status, 202, "{}", reply.text);
    assert!(!app.aad_has_principal(&identity_principal).await);
    assert!(!app.aad_has_principal(&vm_principal).await);
    let host = app.host_get("/internal/vms").await;
    assert_eq!(host.body["value"], json!([]));
}
