//! Role definitions: the built-ins, ids by scope, filters and access.

use crate::helpers::{TestApp, GROUP, READER, SUBSCRIPTION};

const V: &str = "api-version=2022-05-01-preview";

fn definitions(scope: &str, query: &str) -> String {
    format!("{scope}/providers/Microsoft.Authorization/roleDefinitions?{V}{query}")
}

#[tokio::test]
async fn list_with_a_role_name_filter_returns_reader_with_the_subscription_id() {
    let app = TestApp::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .get(
            &definitions(&app.subscription(), "&$filter=roleName%20eq%20'Reader'"),
            &token,
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
    let app = TestApp::spawn().await;
    let token = app.operator_token().await;
    let at_group = app.get(&definitions(&app.group(GROUP), ""), &token).await;
    let at_subscription = app.get(&definitions(&app.subscription(), ""), &token).await;
    assert_eq!(at_group.status, 200);
    assert_eq!(at_group.body, at_subscription.body);
    assert_eq!(at_group.body["value"].as_array().unwrap().len(), 928);
}

#[tokio::test]
async fn list_with_a_type_filter_returns_built_in_roles_only() {
    let app = TestApp::spawn().await;
    let token = app.operator_token().await;
    let builtin = app
        .get(
            &definitions(&app.subscription(), "&$filter=type%20eq%20'BuiltInRole'"),
            &token,
        )
        .await;
    assert_eq!(builtin.body["value"].as_array().unwrap().len(), 928);
    let custom = app
        .get(
            &definitions(&app.subscription(), "&$filter=type%20eq%20'CustomRole'"),
            &token,
        )
        .await;
    assert_eq!(custom.body["value"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn list_at_the_tenant_root_uses_root_ids() {
    let app = TestApp::spawn().await;
    let (_, token) = app.new_principal("anyone").await;
    let reply = app
        .get(&definitions("", "&$filter=roleName%20eq%20'Owner'"), &token)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["value"][0]["id"],
        "/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
    );
}

#[tokio::test]
async fn get_returns_the_definition_or_404_role_definition_does_not_exist() {
    let app = TestApp::spawn().await;
    let token = app.operator_token().await;
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions/{}?{V}",
        app.subscription(),
        READER.to_uppercase()
    );
    let reply = app.get(&path, &token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["name"], READER);
    let unknown = "00000000-0000-4000-8000-000000000000";
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleDefinitions/{unknown}?{V}",
        app.subscription()
    );
    let reply = app.get(&path, &token).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "RoleDefinitionDoesNotExist");
}

#[tokio::test]
async fn list_without_access_returns_403() {
    let app = TestApp::spawn().await;
    let (_, token) = app.new_principal("outsider").await;
    let reply = app.get(&definitions(&app.group(GROUP), ""), &token).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.code(), "AuthorizationFailed");
}

#[tokio::test]
async fn list_at_a_vm_scope_works_and_a_missing_resource_is_404() {
    let app = TestApp::spawn().await;
    let token = app.operator_token().await;
    let vm = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/vm1",
        app.group(GROUP)
    );
    let reply = app
        .get(
            &definitions(&vm, "&$filter=roleName%20eq%20'Reader'"),
            &token,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["value"].as_array().unwrap().len(), 1);
    let missing = vm.replace("vm1", "ghost");
    let reply = app.get(&definitions(&missing, ""), &token).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "ResourceNotFound");
}
