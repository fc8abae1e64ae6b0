//! Generic resource listing (`az resource list`) and resource providers (`az resource show`).

use serde_json::json;

use crate::compute_helpers::system_principal;
use mimic_testkit::fixture::{identity_id, vm_id, GROUP, READER};
use mimic_testkit::TestArm;

const EXPAND: &str = "$expand=createdTime%2CchangedTime%2CprovisioningState&api-version=2024-11-01";

#[tokio::test]
async fn list_with_a_name_filter_returns_the_vm_with_its_identity_principal_id() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let vm = app
        .patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;

    let reply = app
        .arm
        .get(
            &format!(
                "{}/resources?$filter=name%20eq%20%27VM1%27&{EXPAND}",
                app.subscription()
            ),
            Some(&token),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    let value = reply.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1, "{}", reply.text);
    let item = &value[0];
    assert_eq!(item["id"], vm_id("vm1"));
    assert_eq!(item["type"], "Microsoft.Compute/virtualMachines");
    assert_eq!(item["location"], "eastus");
    assert_eq!(item["identity"]["type"], "SystemAssigned");
    assert_eq!(item["identity"]["principalId"], system_principal(&vm));
    assert_eq!(item["provisioningState"], "Succeeded");
    assert!(item["createdTime"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert!(item["changedTime"].is_string());
}

#[tokio::test]
async fn list_filters_by_type_group_location_and_tags() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "id1").await;
    app.patch_vm(&token, "vm2", json!({"tags": {"Env": "prod"}}))
        .await;
    let cases = [
        (
            "resourceType eq 'Microsoft.ManagedIdentity/userAssignedIdentities'",
            vec![identity_id("id1")],
        ),
        (
            "resourceGroup eq 'MIMIC-RG' and resourceType eq 'microsoft.compute/virtualmachines'",
            vec![vm_id("vm1"), vm_id("vm2")],
        ),
        ("location eq 'westus'", vec![]),
        (
            "tagName eq 'env' and tagValue eq 'prod'",
            vec![vm_id("vm2")],
        ),
        ("startswith(tagName, 'En')", vec![vm_id("vm2")]),
    ];

    for (filter, expected) in cases {
        let query =
            serde_urlencoded::to_string([("$filter", filter), ("api-version", "2024-11-01")])
                .unwrap();
        let reply = app
            .arm
            .get(
                &format!("{}/resources?{query}", app.group(GROUP)),
                Some(&token),
            )
            .await;

        assert_eq!(reply.status, 200, "{filter}: {}", reply.text);
        let ids: Vec<&str> = reply.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, expected, "{filter}");
        if filter.starts_with("tag") || filter.starts_with("startswith") {
            assert!(
                reply.body["value"][0].get("tags").is_none(),
                "tag filters hide tags"
            );
        }
    }
}

#[tokio::test]
async fn list_with_an_unsupported_filter_returns_400() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let reply = app
        .arm
        .get(
            &format!(
                "{}/resources?$filter=managedBy%20eq%20%27x%27&api-version=2024-11-01",
                app.subscription()
            ),
            Some(&token),
        )
        .await;

    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.code(), "InvalidFilterInQueryString");
}

#[tokio::test]
async fn list_shows_only_the_resources_the_caller_may_read() {
    let app = TestArm::spawn().await;
    let (reader, reader_token) = app.new_principal("vm2-reader").await;
    app.grant(&vm_id("vm2"), READER, &reader.object_id).await;

    let reply = app
        .arm
        .get(
            &format!("{}/resources?api-version=2024-11-01", app.subscription()),
            Some(&reader_token),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    let ids: Vec<&str> = reply.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![vm_id("vm2")]);
}

#[tokio::test]
async fn get_provider_lists_types_with_the_newest_api_version_first() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let compute = app
        .arm
        .get(
            &format!(
                "{}/providers/Microsoft.Compute?api-version=2024-11-01",
                app.subscription()
            ),
            Some(&token),
        )
        .await;
    let msi = app
        .arm
        .get(
            &format!(
                "{}/providers/microsoft.managedidentity?api-version=2024-11-01",
                app.subscription()
            ),
            Some(&token),
        )
        .await;
    let unknown = app
        .arm
        .get(
            &format!(
                "{}/providers/Microsoft.Storage?api-version=2024-11-01",
                app.subscription()
            ),
            Some(&token),
        )
        .await;
    let all = app
        .arm
        .get(
            &format!("{}/providers?api-version=2024-11-01", app.subscription()),
            Some(&token),
        )
        .await;

    assert_eq!(compute.status, 200, "{}", compute.text);
    assert_eq!(compute.body["namespace"], "Microsoft.Compute");
    assert_eq!(compute.body["registrationState"], "Registered");
    let vms = compute.body["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["resourceType"] == "virtualMachines")
        .unwrap();
    assert_eq!(vms["apiVersions"][0], "2026-04-01");
    assert_eq!(msi.status, 200);
    let uamis = msi.body["resourceTypes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["resourceType"] == "userAssignedIdentities")
        .unwrap();
    let first_stable = uamis["apiVersions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| !v.as_str().unwrap().contains("preview"))
        .unwrap();
    assert_eq!(first_stable, "2024-11-30");
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert_eq!(unknown.code(), "InvalidResourceNamespace");
    assert_eq!(all.status, 200);
    assert_eq!(
        all.body["value"].as_array().unwrap().len(),
        7,
        "Microsoft.Insights serves the activity log"
    );
}
