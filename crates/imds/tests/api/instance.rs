//! Instances_GetMetadata, GetVersions and the other metadata errors.

use serde_json::{json, Value};

use mimic_testkit::fixture::{vm_id, SUBSCRIPTION};
use mimic_testkit::imds::World;

/// (case, method, path and query, headers, status, body).
type Case<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Vec<(&'a str, &'a str)>,
    u16,
    Value,
);

fn all_leaves_are_strings(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Object(map) => map.values().all(all_leaves_are_strings),
        Value::Array(items) => items.iter().all(all_leaves_are_strings),
        _ => false,
    }
}

#[tokio::test]
async fn get_instance_returns_compute_and_network_as_strings() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let imds = world.imds(&vm).await;

    let answer = imds.get("/metadata/instance?api-version=2021-02-01").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type().starts_with("application/json"));
    let body = answer.json();
    assert!(all_leaves_are_strings(&body), "{body}");
    let compute = &body["compute"];
    let expected = [
        ("azEnvironment", "AzurePublicCloud"),
        ("location", "eastus"),
        ("name", "vm1"),
        ("offer", "0001-com-ubuntu-server-jammy"),
        ("publisher", "Canonical"),
        ("sku", "22_04-lts-gen2"),
        ("version", "latest"),
        ("osType", "Linux"),
        ("vmSize", "Standard_B1s"),
        ("zone", ""),
        ("subscriptionId", SUBSCRIPTION),
        ("resourceGroupName", "mimic-rg"),
        ("provider", "Microsoft.Compute"),
        ("tags", "env:test;team:identity"),
    ];
    for (field, value) in expected {
        assert_eq!(compute[field], value, "{field}");
    }
    assert_eq!(compute["resourceId"], vm.as_str());
    assert_eq!(compute["vmId"], "5e1d2c3b-4a59-4687-9765-000000000vm1");
    assert_eq!(
        compute["tagsList"],
        json!([{"name": "env", "value": "test"}, {"name": "team", "value": "identity"}])
    );
    assert_eq!(
        compute["osProfile"],
        json!({"adminUsername": "azureuser", "computerName": "vm1", "disablePasswordAuthentication": "true"})
    );
    let interface = &body["network"]["interface"][0];
    let address = interface["ipv4"]["ipAddress"][0]["privateIpAddress"]
        .as_str()
        .unwrap();
    assert!(address.starts_with("10.0.0."), "{address}");
    assert_eq!(
        interface["ipv4"]["subnet"][0],
        json!({"address": "10.0.0.0", "prefix": "24"})
    );
    assert_eq!(interface["macAddress"].as_str().unwrap().len(), 12);
}

#[tokio::test]
async fn get_instance_is_stable_across_requests_and_distinct_per_vm() {
    let world = World::new().await;
    let vm1 = world.add_vm("vm1", &[]);
    let vm2 = world.add_vm("vm2", &[]);
    let (imds1, imds2) = (world.imds(&vm1).await, world.imds(&vm2).await);
    let path = "/metadata/instance/network?api-version=2021-02-01";

    let first = imds1.get(path).await.json();
    let again = imds1.get(path).await.json();
    let other = imds2.get(path).await.json();

    assert_eq!(first, again);
    assert_ne!(
        first["interface"][0]["macAddress"],
        other["interface"][0]["macAddress"]
    );
}

#[tokio::test]
async fn get_instance_sub_paths_filter_the_document() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let imds = world.imds(&vm).await;

    let compute = imds
        .get("/metadata/instance/compute?api-version=2021-02-01")
        .await;
    let interface = imds
        .get("/metadata/instance/network/interface/0?api-version=2021-02-01&format=json")
        .await;

    assert_eq!(compute.status, 200);
    assert_eq!(compute.json()["name"], "vm1");
    assert_eq!(interface.status, 200);
    assert!(interface.json()["macAddress"].is_string());
}

#[tokio::test]
async fn get_instance_leaf_with_format_text_returns_plain_text() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let imds = world.imds(&vm).await;

    let name = imds
        .get("/metadata/instance/compute/name?api-version=2021-02-01&format=text")
        .await;
    let address = imds
        .get("/metadata/instance/network/interface/0/ipv4/ipAddress/0/privateIpAddress?api-version=2021-02-01&format=text")
        .await;

    assert_eq!(name.status, 200);
    assert!(
        name.content_type().starts_with("text/plain"),
        "{}",
        name.content_type()
    );
    assert_eq!(name.text, "vm1");
    assert!(address.text.starts_with("10.0.0."), "{}", address.text);
}

#[tokio::test]
async fn get_instance_inner_node_with_format_text_lists_its_children() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let imds = world.imds(&vm).await;

    let root = imds
        .get("/metadata/instance?api-version=2021-02-01&format=text")
        .await;
    let os_profile = imds
        .get("/metadata/instance/compute/osProfile?api-version=2021-02-01&format=text")
        .await;

    assert_eq!(root.text, "compute/\nnetwork/");
    assert_eq!(
        os_profile.text,
        "adminUsername\ncomputerName\ndisablePasswordAuthentication"
    );
}

#[tokio::test]
async fn get_instance_with_a_bad_request_returns_each_error() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let imds = world.imds_unlimited(&vm).await;
    let newest = ["2025-04-07", "2024-07-17", "2024-03-15"];
    let metadata = vec![("Metadata", "true")];
    let cases: Vec<Case> = vec![
        (
            "no Metadata header",
            "GET",
            "/metadata/instance?api-version=2021-02-01",
            vec![],
            400,
            json!({"error": "Bad request. Required metadata header not specified"}),
        ),
        (
            "X-Forwarded-For",
            "GET",
            "/metadata/instance?api-version=2021-02-01",
            vec![("Metadata", "true"), ("X-Forwarded-For", "1.2.3.4")],
            400,
            json!({"error": "Bad request. Request should not contain X-Forwarded-For header"}),
        ),
        (
            "no api-version",
            "GET",
            "/metadata/instance",
            metadata.clone(),
            400,
            json!({"error": "Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds", "newest-versions": newest}),
        ),
        (
            "bad api-version",
            "GET",
            "/metadata/instance?api-version=2099-01-01",
            metadata.clone(),
            400,
            json!({"error": "Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds", "newest-versions": newest}),
        ),
        (
            "duplicate parameter",
            "GET",
            "/metadata/instance?api-version=2021-02-01&api-version=2021-02-01",
            metadata.clone(),
            400,
            json!({"error": "Bad request. Duplicate query parameter 'api-version' is not allowed"}),
        ),
        (
            "leaf as json",
            "GET",
            "/metadata/instance/compute/name?api-version=2021-02-01",
            metadata.clone(),
            400,
            json!({"error": "Bad request. Leaf nodes are only supported with format=text"}),
        ),
        (
            "bad format",
            "GET",
            "/metadata/instance?api-version=2021-02-01&format=xml",
            metadata.clone(),
            400,
            json!({"error": "Bad request. Invalid format 'xml'; supported formats are json and text"}),
        ),
        (
            "unknown node",
            "GET",
            "/metadata/instance/compute/nope?api-version=2021-02-01",
            metadata.clone(),
            404,
            json!({"error": "Not found"}),
        ),
        (
            "index out of range",
            "GET",
            "/metadata/instance/network/interface/3?api-version=2021-02-01",
            metadata.clone(),
            404,
            json!({"error": "Not found"}),
        ),
        (
            "unknown category",
            "GET",
            "/metadata/attested/document?api-version=2021-02-01",
            metadata.clone(),
            404,
            json!({"error": "Not found"}),
        ),
        (
            "unknown category without header",
            "GET",
            "/metadata/attested/document?api-version=2021-02-01",
            vec![],
            400,
            json!({"error": "Bad request. Required metadata header not specified"}),
        ),
        (
            "POST",
            "POST",
            "/metadata/instance?api-version=2021-02-01",
            metadata.clone(),
            405,
            json!({"error": "Method not allowed"}),
        ),
        (
            "versions POST",
            "DELETE",
            "/metadata/versions",
            metadata.clone(),
            405,
            json!({"error": "Method not allowed"}),
        ),
        (
            "versions without header",
            "GET",
            "/metadata/versions",
            vec![],
            400,
            json!({"error": "Bad request. Required metadata header not specified"}),
        ),
        (
            "info without api-version",
            "GET",
            "/metadata/identity/info",
            metadata.clone(),
            400,
            json!({"error": "Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds", "newest-versions": newest}),
        ),
        (
            "info without header",
            "GET",
            "/metadata/identity/info?api-version=2018-02-01",
            vec![],
            400,
            json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}),
        ),
    ];

    for (case, method, path, headers, status, body) in cases {
        let answer = imds.client.raw(method, path, &headers, "").await;
        assert_eq!(answer.status, status, "{case}: {}", answer.text);
        assert_eq!(answer.json(), body, "{case}");
    }
}

#[tokio::test]
async fn get_instance_of_a_deleted_vm_returns_404() {
    let world = World::new().await;
    let imds = world.imds(&vm_id("gone")).await;

    let answer = imds.get("/metadata/instance?api-version=2021-02-01").await;

    assert_eq!(answer.status, 404);
    assert_eq!(answer.json(), json!({"error": "Not found"}));
}

#[tokio::test]
async fn get_versions_lists_every_supported_version_without_an_api_version() {
    let world = World::new().await;
    let imds = world.imds(&vm_id("vm1")).await;

    let answer = imds.get("/metadata/versions").await;

    assert_eq!(answer.status, 200);
    let versions = answer.json()["apiVersions"].as_array().unwrap().clone();
    assert_eq!(versions.first().unwrap(), "2017-03-01");
    assert_eq!(versions.last().unwrap(), "2025-04-07");
    for version in ["2018-02-01", "2021-12-13", "2023-07-01"] {
        assert!(versions.contains(&json!(version)), "{version}");
    }
}

#[tokio::test]
async fn get_instance_with_an_old_api_version_omits_the_fields_added_later() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let imds = world.imds_unlimited(&vm).await;
    let keys = |body: Value| -> Vec<String> { body.as_object().unwrap().keys().cloned().collect() };

    let first = imds
        .get("/metadata/instance/compute?api-version=2017-04-02")
        .await;
    let tags = imds
        .get("/metadata/instance/compute/tags?api-version=2017-08-01&format=text")
        .await;
    let no_tags_list = imds
        .get("/metadata/instance/compute/tagsList?api-version=2019-06-01")
        .await;
    let tags_list = imds
        .get("/metadata/instance/compute/tagsList?api-version=2019-06-04")
        .await;
    let user_data = imds
        .get("/metadata/instance/compute/userData?api-version=2021-01-01&format=text")
        .await;
    let old_security = imds
        .get("/metadata/instance/compute/securityProfile?api-version=2021-02-01")
        .await;

    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        keys(first.json()),
        [
            "location",
            "name",
            "offer",
            "osType",
            "platformFaultDomain",
            "platformUpdateDomain",
            "publisher",
            "sku",
            "version",
            "vmId",
            "vmSize"
        ]
    );
    assert_eq!(
        (tags.status, tags.text.as_str()),
        (200, "env:test;team:identity")
    );
    assert_eq!(no_tags_list.status, 404);
    assert_eq!(
        tags_list.json(),
        json!([{"name": "env", "value": "test"}, {"name": "team", "value": "identity"}])
    );
    assert_eq!((user_data.status, user_data.text.as_str()), (200, ""));
    assert_eq!(
        old_security.json(),
        json!({"secureBootEnabled": "false", "virtualTpmEnabled": "false"})
    );
}

#[tokio::test]
async fn get_instance_answers_every_supported_api_version_with_compute_and_network() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let imds = world.imds_unlimited(&vm).await;
    let versions = imds.get("/metadata/versions").await.json()["apiVersions"].clone();

    let mut sizes = Vec::new();
    for version in versions.as_array().unwrap() {
        let version = version.as_str().unwrap();
        let answer = imds
            .get(&format!("/metadata/instance?api-version={version}"))
            .await;
        assert_eq!(answer.status, 200, "{version}: {}", answer.text);
        let body = answer.json();
        assert!(all_leaves_are_strings(&body), "{version}: {body}");
        assert_eq!(body["compute"]["name"], "vm1", "{version}");
        assert!(body["network"]["interface"][0]["macAddress"].is_string());
        sizes.push(body["compute"].as_object().unwrap().len());
    }
    // Each version shows at least the fields of the one before it.
    assert!(sizes.windows(2).all(|pair| pair[0] <= pair[1]), "{sizes:?}");
    assert!(sizes.first() < sizes.last());
}
