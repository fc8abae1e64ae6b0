//! Role definitions: the built-ins, ids by scope, filters and access.

use mimic_testkit::fixture::{GROUP, READER, SUBSCRIPTION};
use mimic_testkit::TestArm;

const V: &str = "api-version=2022-05-01-preview";

fn definitions(scope: &str, query: &str) -> String {
    format!("{scope}/providers/Microsoft.Authorization/roleDefinitions?{V}{query}")
}

#[tokio::test]
async fn list_with_a_role_name_filter_returns_reader_with_the_subscription_id() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .arm
        .get(
            &definitions(&app.subscription(), "&$filter=roleName%20eq%20'Reader'"),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let value = reply.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    let reader = &value[0];
    assert_eq!(
        reader["id"],
        format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}")
    );
    assert_eq!(reader["name"], READER);
    assert_eq!(reader["type"], "Microsoft.Authorization/roleDefinitions");
    assert_eq!(reader["properties"]["roleName"], "Reader");
    assert_eq!(reader["properties"]["type"], "BuiltInRole");
    assert_eq!(
        reader["properties"]["assignableScopes"],
        serde_json::json!(["/"])
    );
    assert_eq!(
        reader["properties"]["permissions"][0]["actions"],
        serde_json::json!(["*/read"])
    );
}

#[tokio::test]
async fn list_at_group_scope_uses_the_same_subscription_ids() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let at_group = app
        .arm
        .get(&definitions(&app.group(GROUP), ""), Some(&token))
        .await;
    let at_subscription = app
        .arm
        .get(&definitions(&app.subscription(), ""), Some(&token))
        .await;
    assert_eq!(at_group.status, 200);
    assert_eq!(at_group.body, at_subscription.body);
    assert_eq!(at_group.body["value"].as_array().unwrap().len(), 928);
}

#[tokio::test]
async fn list_with_a_type_filter_returns_built_in_roles_only() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let builtin = app
        .arm
        .get(
            &definitions(&app.subscription(), "&$filter=type%20eq%20'BuiltInRole'"),
            Some(&token),
        )
        .await;
    assert_eq!(builtin.body["value"].as_array().unwrap().len(), 928);
    let custom = app
        .arm
        .get(
            &definitions(&app.subscription(), "&$filter=type%20eq%20'CustomRole'"),
            Some(&token),
        )
        .await;
    assert_eq!(custom.body["value"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn list_at_the_tenant_root_uses_root_ids() {
    let app = TestArm::spawn().await;
    let (_, token) = app.new_principal("anyone").await;
    let reply = app
        .arm
        .get(
            &definitions("", "&$filter=roleName%20eq%20'Owner'"),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["value"][0]["id"],
        "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    );
}

#[tokio::test]
async fn get_returns_the_definition_or_404_role_definition_does_not_exist() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions/{}?{V}",
        app.subscription(),
        READER.to_uppercase()
    );
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["name"], READER);
    let unknown = "00000000-0000-4000-8000-000000000000";
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions/{unknown}?{V}",
        app.subscription()
    );
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "RoleDefinitionDoesNotExist");
}

#[tokio::test]
async fn list_without_access_returns_403() {
    let app = TestArm::spawn().await;
    let (_, token) = app.new_principal("outsider").await;
    let reply = app
        .arm
        .get(&definitions(&app.group(GROUP), ""), Some(&token))
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.code(), "AuthorizationFailed");
}

#[tokio::test]
async fn list_at_a_vm_scope_works_and_a_missing_resource_is_404() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let vm = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/vm1",
        app.group(GROUP)
    );
    let reply = app
        .arm
        .get(
            &definitions(&vm, "&$filter=roleName%20eq%20'Reader'"),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["value"].as_array().unwrap().len(), 1);
    let missing = vm.replace("vm1", "ghost");
    let reply = app.arm.get(&definitions(&missing, ""), Some(&token)).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "ResourceNotFound");
}

/// The catalogue the binary embeds, read from the crate's data directory.
fn catalogue() -> Vec<serde_json::Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/builtin-roles/builtin-roles.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn definition_path(scope: &str, guid: &str, version: &str) -> String {
    format!(
        "{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}?api-version={version}"
    )
}

#[tokio::test]
async fn list_returns_all_928_built_in_roles_exactly_as_the_catalogue() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .arm
        .get(&definitions(&app.subscription(), ""), Some(&token))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let listed = reply.body["value"].as_array().unwrap();
    let expected = catalogue();
    assert_eq!(listed.len(), 928);
    for (listed, expected) in listed.iter().zip(&expected) {
        let name = expected["name"].as_str().unwrap();
        assert_eq!(
            listed["id"],
            format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{name}")
        );
        for key in [
            "roleName",
            "type",
            "description",
            "assignableScopes",
            "permissions",
        ] {
            assert_eq!(
                listed["properties"][key], expected["properties"][key],
                "{name}: {key}"
            );
        }
    }
}

#[tokio::test]
async fn get_returns_every_built_in_role_by_id() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    for expected in catalogue() {
        let name = expected["name"].as_str().unwrap();
        let path = definition_path(&app.subscription(), name, "2022-05-01-preview");
        let reply = app.arm.get(&path, Some(&token)).await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.text);
        assert_eq!(reply.body["name"], name);
        assert_eq!(reply.body["properties"], {
            let mut properties = expected["properties"].clone();
            properties["createdBy"] = serde_json::Value::Null;
            properties["updatedBy"] = serde_json::Value::Null;
            properties
        });
    }
}

#[tokio::test]
async fn list_with_a_role_name_filter_in_odd_casing_finds_the_role() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let cases = [
        (
            "sToRaGe BlOb DaTa CoNtRiBuToR",
            "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        ),
        (
            "key vault secrets user",
            "4633458b-17de-408a-b874-0445c86b69e6",
        ),
        ("ACRPULL", "7f951dda-4ed3-4680-a7ca-43fe172d538d"),
        (
            "managed IDENTITY operator",
            "f1a07417-d97a-45cb-824c-7a7467783830",
        ),
    ];
    for (name, guid) in cases {
        let filter = format!("&$filter=roleName%20eq%20'{}'", name.replace(' ', "%20"));
        let reply = app
            .arm
            .get(&definitions(&app.group(GROUP), &filter), Some(&token))
            .await;
        assert_eq!(reply.status, 200, "{name}: {}", reply.text);
        let value = reply.body["value"].as_array().unwrap();
        assert_eq!(value.len(), 1, "{name}");
        assert_eq!(value[0]["name"], guid, "{name}");
    }
}

#[tokio::test]
async fn permission_conditions_show_from_2022_05_01_preview_only() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let conditional = catalogue()
        .into_iter()
        .find(|role| role["properties"]["permissions"][0]["condition"].is_string())
        .unwrap();
    let guid = conditional["name"].as_str().unwrap();
    let preview = app
        .arm
        .get(
            &definition_path(&app.subscription(), guid, "2022-05-01-preview"),
            Some(&token),
        )
        .await;
    let stable = app
        .arm
        .get(
            &definition_path(&app.subscription(), guid, "2022-04-01"),
            Some(&token),
        )
        .await;
    assert_eq!(
        preview.body["properties"]["permissions"][0]["condition"],
        conditional["properties"]["permissions"][0]["condition"]
    );
    let block = stable.body["properties"]["permissions"][0]
        .as_object()
        .unwrap();
    assert!(!block.contains_key("condition"), "{block:?}");
    assert!(!block.contains_key("conditionVersion"), "{block:?}");
    assert_eq!(
        block["actions"],
        conditional["properties"]["permissions"][0]["actions"]
    );
}
