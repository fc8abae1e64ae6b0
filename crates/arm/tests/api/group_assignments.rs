//! Role assignments to groups (issue 14 item 6): a group's grant applies to its transitive
//! members, and a membership change is seen by the next decision — with AAD in the process (the
//! membership counter) and with ARM on its own (asking AAD every time).

use serde_json::json;

use mimic_testkit::fixture::{OPERATOR_APP_ID, OPERATOR_SECRET, READER, SUBSCRIPTION, TENANT};
use mimic_testkit::TestArm;

/// The operator's token for mimic's Graph (AAD's URL is Graph's resource id).
async fn graph_token(app: &TestArm) -> String {
    let scope = format!("{}/.default", app.aad.url(""));
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", OPERATOR_APP_ID),
        ("client_secret", OPERATOR_SECRET),
        ("scope", scope.as_str()),
    ];
    let reply = app
        .aad
        .form(&format!("/{TENANT}/oauth2/v2.0/token"), &form)
        .await;
    assert_eq!(reply.status, 200, "graph token: {}", reply.text);
    reply.token().to_string()
}

async fn create_group(app: &TestArm, token: &str, name: &str) -> String {
    let body = json!({"displayName": name, "mailNickname": name, "mailEnabled": false,
        "securityEnabled": true});
    let created = app.aad.post("/v1.0/groups", Some(token), Some(body)).await;
    assert_eq!(created.status, 201, "create group: {}", created.text);
    created.body["id"].as_str().unwrap().to_string()
}

async fn add_member(app: &TestArm, token: &str, group: &str, member: &str) {
    let reference =
        json!({"@odata.id": format!("{}/v1.0/directoryObjects/{member}", app.aad.url(""))});
    let added = app
        .aad
        .post(
            &format!("/v1.0/groups/{group}/members/$ref"),
            Some(token),
            Some(reference),
        )
        .await;
    assert_eq!(added.status, 204, "add member: {}", added.text);
}

async fn nested_group_grant_follows_membership(app: TestArm) {
    let operator = app.operator_token().await;
    let graph = graph_token(&app).await;
    let (member, member_token) = app.new_principal("group-member").await;
    let (_, outsider_token) = app.new_principal("outsider").await;
    let outer = create_group(&app, &graph, &format!("readers-{}", uuid::Uuid::new_v4())).await;
    let inner = create_group(&app, &graph, &format!("inner-{}", uuid::Uuid::new_v4())).await;
    add_member(&app, &graph, &outer, &inner).await;
    add_member(&app, &graph, &inner, &member.object_id).await;
    let group_path =
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg?api-version=2024-11-01");
    assert_eq!(
        app.arm.get(&group_path, Some(&member_token)).await.status,
        403
    );

    // Reader on the group for the outer group: the inner group's member reads it.
    let scope = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg");
    let name = uuid::Uuid::new_v4().to_string();
    let body = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
        "principalId": outer, "principalType": "Group"}});
    let granted = app
        .arm
        .put(
            &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"),
            Some(&operator),
            body,
        )
        .await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    assert_eq!(granted.body["properties"]["principalType"], "Group");
    let read = app.arm.get(&group_path, Some(&member_token)).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        app.arm.get(&group_path, Some(&outsider_token)).await.status,
        403
    );

    // Out of the inner group: the next request is refused again.
    let removed = app
        .aad
        .delete(
            &format!("/v1.0/groups/{inner}/members/{}/$ref", member.object_id),
            Some(&graph),
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let refused = app.arm.get(&group_path, Some(&member_token)).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
}

#[tokio::test]
async fn a_group_grant_applies_to_its_nested_members_and_stops_when_they_leave() {
    nested_group_grant_follows_membership(TestArm::spawn().await).await;
}

#[tokio::test]
async fn without_aad_in_the_process_arm_asks_aad_for_every_decision() {
    let app = TestArm::spawn_with(|settings| settings.membership_changes = None).await;
    nested_group_grant_follows_membership(app).await;
}

#[tokio::test]
async fn a_role_assignment_to_an_unknown_group_id_is_principal_not_found() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let scope = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg");
    let body = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
        "principalId": uuid::Uuid::new_v4().to_string(), "principalType": "Group"}});
    let refused = app
        .arm
        .put(
            &format!(
                "{scope}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
                uuid::Uuid::new_v4()
            ),
            Some(&operator),
            body,
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.code(), "PrincipalNotFound");
}

#[tokio::test]
async fn deleting_a_groups_assignment_stops_its_members_at_once() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let graph = graph_token(&app).await;
    let (member, member_token) = app.new_principal("member").await;
    let group = create_group(&app, &graph, &format!("g-{}", uuid::Uuid::new_v4())).await;
    add_member(&app, &graph, &group, &member.object_id).await;
    let group_path =
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg?api-version=2024-11-01");
    let assignment = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
        uuid::Uuid::new_v4()
    );
    let body = json!({"properties": {
        "roleDefinitionId": format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
        "principalId": group, "principalType": "Group"}});
    assert_eq!(
        app.arm.put(&assignment, Some(&operator), body).await.status,
        201
    );
    assert_eq!(
        app.arm.get(&group_path, Some(&member_token)).await.status,
        200
    );

    // The write touches the group's assignments only; the member's decision sees it at once.
    let deleted = app.arm.delete(&assignment, Some(&operator)).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);

    assert_eq!(
        app.arm.get(&group_path, Some(&member_token)).await.status,
        403
    );
}
