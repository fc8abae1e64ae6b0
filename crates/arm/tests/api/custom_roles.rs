//! Custom roles: create, update, list, assign, delete (refused while assigned), and what an
//! assigned custom role grants.

use serde_json::{json, Value};

use mimic_testkit::fixture::{GROUP, SUBSCRIPTION};
use mimic_testkit::TestArm;

const V: &str = "api-version=2022-05-01-preview";
const ROLE: &str = "5d0c5f8e-1a2b-4c3d-8e9f-0a1b2c3d4e5f";
const GROUP_READ: &str = "Microsoft.Resources/subscriptions/resourceGroups/read";

fn role_path(scope: &str, guid: &str) -> String {
    format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}?{V}")
}

fn list_path(scope: &str, filter: &str) -> String {
    format!("{scope}/providers/Microsoft.Authorization/roleDefinitions?{V}{filter}")
}

/// A custom role body: groups may be read and written but not deleted.
fn role_body(name: &str, assignable: &str) -> Value {
    json!({"properties": {
        "roleName": name,
        "description": "Group keeper",
        "type": "CustomRole",
        "assignableScopes": [assignable],
        "permissions": [{
            "actions": ["Microsoft.Resources/subscriptions/resourceGroups/*"],
            "notActions": ["Microsoft.Resources/subscriptions/resourceGroups/delete"],
            "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
            "notDataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"]
        }]
    }})
}

async fn custom_roles(app: &TestArm, token: &str) -> Vec<Value> {
    let reply = app
        .arm
        .get(
            &list_path(&app.subscription(), "&$filter=type%20eq%20'CustomRole'"),
            Some(token),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["value"].as_array().unwrap().clone()
}

#[tokio::test]
async fn create_or_update_returns_201_for_a_create_and_an_update_and_the_role_is_listed_and_gettable(
) {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = role_path(&app.subscription(), ROLE);
    let body = role_body("Group Keeper", &app.subscription());

    let created = app
        .arm
        .request("PUT", &path, Some(&token), Some(body.clone()))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["id"],
        format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{ROLE}")
    );
    assert_eq!(created.body["properties"]["type"], "CustomRole");
    assert_eq!(
        created.body["properties"]["permissions"],
        body["properties"]["permissions"]
    );

    let mut changed = body.clone();
    changed["properties"]["description"] = json!("Keeps groups");
    let updated = app
        .arm
        .request("PUT", &path, Some(&token), Some(changed))
        .await;
    // ARM answers 201 to an update too (the spec lists only 201; az refuses a 200).
    assert_eq!(updated.status, 201, "{}", updated.text);
    assert_eq!(
        updated.body["properties"]["createdOn"],
        created.body["properties"]["createdOn"]
    );
    assert_eq!(updated.body["properties"]["description"], "Keeps groups");

    let all = app
        .arm
        .get(&list_path(&app.group(GROUP), ""), Some(&token))
        .await;
    assert_eq!(all.body["value"].as_array().unwrap().len(), 929);
    let custom = custom_roles(&app, &token).await;
    assert_eq!(custom.len(), 1);
    assert_eq!(custom[0]["properties"]["description"], "Keeps groups");
    let by_name = app
        .arm
        .get(
            &list_path(
                &app.subscription(),
                "&$filter=roleName%20eq%20'gROUP kEEPER'",
            ),
            Some(&token),
        )
        .await;
    assert_eq!(by_name.body["value"][0]["name"], ROLE);
    let got = app
        .arm
        .get(&role_path(&app.group(GROUP), ROLE), Some(&token))
        .await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["properties"]["roleName"], "Group Keeper");
}

#[tokio::test]
async fn create_or_update_refuses_invalid_definitions_and_stores_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let subscription = app.subscription();
    let first = app
        .arm
        .request(
            "PUT",
            &role_path(&subscription, ROLE),
            Some(&token),
            Some(role_body("Group Keeper", &subscription)),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let other = "6e1d6a9f-2b3c-4d4e-9fa0-1b2c3d4e5f60";
    let mut no_scopes = role_body("No Scopes", &subscription);
    no_scopes["properties"]["assignableScopes"] = json!([]);
    let mut bad_action = role_body("Bad Action", &subscription);
    bad_action["properties"]["permissions"][0]["actions"] = json!(["read everything"]);
    let cases = [
        (
            "same name as a custom role",
            &subscription,
            other,
            role_body("gROUP keeper", &subscription),
            409,
            "RoleDefinitionWithSameNameExists",
        ),
        (
            "same name as a built-in",
            &subscription,
            other,
            role_body("reader", &subscription),
            409,
            "RoleDefinitionWithSameNameExists",
        ),
        (
            "no assignable scopes",
            &subscription,
            other,
            no_scopes,
            400,
            "InvalidAssignableScopes",
        ),
        (
            "root assignable scope",
            &subscription,
            other,
            role_body("Rooted", "/"),
            400,
            "InvalidAssignableScopes",
        ),
        (
            "assignable scope above the request's",
            &app.group(GROUP),
            other,
            role_body("Above", &subscription),
            400,
            "InvalidAssignableScopes",
        ),
        (
            "malformed action",
            &subscription,
            other,
            bad_action,
            400,
            "InvalidActionOrNotAction",
        ),
        (
            "a built-in's id",
            &subscription,
            "acdd72a7-3385-48ef-bd42-f606fba81ae7",
            role_body("Not Reader", &subscription),
            400,
            "BuiltInRoleCannotBeModified",
        ),
    ];
    for (case, scope, guid, body, status, code) in cases {
        let reply = app
            .arm
            .request("PUT", &role_path(scope, guid), Some(&token), Some(body))
            .await;
        assert_eq!(reply.status, status, "{case}: {}", reply.text);
        assert_eq!(reply.code(), code, "{case}");
    }
    let custom = custom_roles(&app, &token).await;
    assert_eq!(custom.len(), 1);
    assert_eq!(custom[0]["properties"]["roleName"], "Group Keeper");
    let reader = app
        .arm
        .get(
            &role_path(&subscription, "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
            Some(&token),
        )
        .await;
    assert_eq!(reader.body["properties"]["roleName"], "Reader");
}

#[tokio::test]
async fn create_or_update_and_delete_without_access_return_403() {
    let app = TestArm::spawn().await;
    let (principal, token) = app.new_principal("contributor").await;
    app.grant(
        &app.subscription(),
        mimic_testkit::fixture::CONTRIBUTOR,
        &principal.object_id,
    )
    .await;
    let path = role_path(&app.subscription(), ROLE);
    let reply = app
        .arm
        .request(
            "PUT",
            &path,
            Some(&token),
            Some(role_body("Nope", &app.subscription())),
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(reply.code(), "AuthorizationFailed");
    assert!(reply
        .message()
        .contains("Microsoft.Authorization/roleDefinitions/write"));
    let operator = app.operator_token().await;
    assert!(custom_roles(&app, &operator).await.is_empty());
    let reply = app.arm.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(reply.status, 403, "{}", reply.text);
}

#[tokio::test]
async fn an_assigned_custom_role_grants_exactly_its_actions_and_cannot_be_deleted_until_unassigned()
{
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let group = app.group(GROUP);
    let path = role_path(&app.subscription(), ROLE);
    let created = app
        .arm
        .request(
            "PUT",
            &path,
            Some(&token),
            Some(role_body("Group Keeper", &app.subscription())),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let (keeper, keeper_token) = app.new_principal("keeper").await;
    let assignment = app.grant(&group, ROLE, &keeper.object_id).await;

    let read = app
        .arm
        .get(
            &format!("{group}?api-version=2024-11-01"),
            Some(&keeper_token),
        )
        .await;
    assert_eq!(read.status, 200, "{GROUP_READ}: {}", read.text);
    let delete = app
        .arm
        .request(
            "DELETE",
            &format!("{group}?api-version=2024-11-01"),
            Some(&keeper_token),
            None,
        )
        .await;
    assert_eq!(delete.status, 403, "notAction: {}", delete.text);
    assert_eq!(delete.code(), "AuthorizationFailed");
    let assignments = app
        .arm
        .get(
            &format!(
                "{group}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"
            ),
            Some(&keeper_token),
        )
        .await;
    assert_eq!(
        assignments.status, 403,
        "not in actions: {}",
        assignments.text
    );

    let refused = app.arm.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.code(), "RoleDefinitionHasAssignments");
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 200);
    let still = app
        .arm
        .get(
            &format!("{group}?api-version=2024-11-01"),
            Some(&keeper_token),
        )
        .await;
    assert_eq!(still.status, 200, "{}", still.text);

    let unassign = format!(
        "{group}/providers/Microsoft.Authorization/roleAssignments/{assignment}?api-version=2022-04-01"
    );
    assert_eq!(
        app.arm
            .request("DELETE", &unassign, Some(&token), None)
            .await
            .status,
        200
    );
    let deleted = app.arm.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(deleted.body["properties"]["roleName"], "Group Keeper");
    let gone = app.arm.get(&path, Some(&token)).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.code(), "RoleDefinitionDoesNotExist");
    assert_eq!(
        app.arm
            .request("DELETE", &path, Some(&token), None)
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn delete_of_a_built_in_role_is_refused() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = role_path(&app.subscription(), "acdd72a7-3385-48ef-bd42-f606fba81ae7");
    let reply = app.arm.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.code(), "BuiltInRoleCannotBeModified");
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 200);
}

#[tokio::test]
async fn role_assignments_accept_the_built_ins_az_users_name() {
    let app = TestArm::spawn().await;
    let (principal, _) = app.new_principal("workload").await;
    for guid in [
        "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        "4633458b-17de-408a-b874-0445c86b69e6",
        "7f951dda-4ed3-4680-a7ca-43fe172d538d",
        "f1a07417-d97a-45cb-824c-7a7467783830",
    ] {
        app.grant(&app.group(GROUP), guid, &principal.object_id)
            .await;
    }
}
