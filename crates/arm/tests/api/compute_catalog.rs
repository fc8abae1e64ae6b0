//! What `az vm create` reads before its deployment: image versions, VM sizes, a group's (empty)
//! virtual networks; and the deployment PUT it then sends, which ARM refuses as an unknown type.

use serde_json::json;

use mimic_testkit::fixture::GROUP;
use mimic_testkit::TestArm;

const JAMMY: &str = "providers/Microsoft.Compute/locations/eastus/publishers/Canonical/artifacttypes/vmimage/offers/0001-com-ubuntu-server-jammy/skus/22_04-lts-gen2/versions";

#[tokio::test]
async fn list_versions_with_expand_returns_the_aliased_images_one_version_with_properties() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let path = format!(
        "{}/{JAMMY}?$expand=properties&$orderby=name%20desc&$top=1&api-version=2024-11-01",
        app.subscription()
    );
    let reply = app.arm.get(&path, Some(&token)).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    let versions = reply
        .body
        .as_array()
        .expect("a bare array, as Compute answers");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["name"], "1.0.0");
    assert_eq!(versions[0]["location"], "eastus");
    assert_eq!(
        versions[0]["properties"]["osDiskImage"]["operatingSystem"],
        "Linux"
    );
    assert_eq!(versions[0]["properties"]["hyperVGeneration"], "V2");
}

#[tokio::test]
async fn get_version_returns_the_image_and_an_unknown_sku_is_404() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let base = app.subscription();

    let found = app
        .arm
        .get(
            &format!("{base}/{JAMMY}/1.0.0?api-version=2024-11-01"),
            Some(&token),
        )
        .await;
    let missing = app
        .arm
        .get(
            &format!(
                "{base}/{}?api-version=2024-11-01",
                JAMMY.replace("22_04-lts-gen2", "no-such-sku")
            ),
            Some(&token),
        )
        .await;

    assert_eq!(found.status, 200, "{}", found.text);
    assert!(found.body["id"]
        .as_str()
        .unwrap()
        .ends_with("/Versions/1.0.0"));
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(missing.code(), "NotFound");
}

#[tokio::test]
async fn list_sizes_names_standard_b1s_and_needs_a_role() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (_, role_less) = app.new_principal("no-role").await;
    let path = format!(
        "{}/providers/Microsoft.Compute/locations/eastus/vmSizes?api-version=2024-11-01",
        app.subscription()
    );

    let listed = app.arm.get(&path, Some(&token)).await;
    let denied = app.arm.get(&path, Some(&role_less)).await;

    assert_eq!(listed.status, 200, "{}", listed.text);
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|size| size["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Standard_B1s"), "{names:?}");
    assert_eq!(denied.status, 403);
    assert_eq!(denied.code(), "AuthorizationFailed");
}

#[tokio::test]
async fn a_groups_virtual_networks_are_empty_and_a_deployment_put_is_an_invalid_resource_type() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let group = app.group(GROUP);

    let networks = app
        .arm
        .get(
            &format!("{group}/providers/Microsoft.Network/virtualNetworks?api-version=2022-01-01"),
            Some(&token),
        )
        .await;
    let deployment = app
        .arm.request(
            "PUT",
            &format!("{group}/providers/Microsoft.Resources/deployments/vm_deploy_1?api-version=2024-11-01"),
            Some(&token),
            Some(json!({"properties": {"mode": "Incremental", "template": {}}})),
        )
        .await;

    assert_eq!(networks.status, 200, "{}", networks.text);
    assert_eq!(networks.body, json!({"value": []}));
    assert_eq!(deployment.status, 404, "{}", deployment.text);
    assert_eq!(deployment.code(), "InvalidResourceType");
    assert!(
        deployment.message().contains("'deployments'"),
        "{}",
        deployment.text
    );
}
