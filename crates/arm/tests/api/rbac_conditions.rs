//! ABAC conditions as Azure applies them: a conditional role grants the actions its condition
//! does not name and the role-assignment writes/deletes the condition allows; an assignment's
//! own condition restricts the writes it names; a `principalType` left out is the directory's.

use serde_json::json;

use mimic_testkit::fixture::{
    identity_id, CONTRIBUTOR, GROUP, MI_OPERATOR, OWNER, RA_VERSION, READER, SUBSCRIPTION,
};
use mimic_testkit::TestArm;

/// Key Vault Data Access Administrator (its delegation condition allows Key Vault data roles).
const KV_DATA_ACCESS_ADMIN: &str = "8b54135c-b56d-4d72-a534-26097cfdc8d8";
/// Key Vault Secrets User (one of the roles that condition allows).
const KV_SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";
/// Owner (not allowed by that condition).
/// User Access Administrator (unconditional roleAssignments/* through `*/read` and `Microsoft.Authorization/*`).
const USER_ACCESS_ADMIN: &str = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";

fn assignment(scope: &str, name: &str) -> String {
    format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}"
    )
}

fn list(scope: &str) -> String {
    format!("{scope}/providers/Microsoft.Authorization/roleAssignments?api-version={RA_VERSION}")
}

fn body(role: &str, principal_id: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut properties = json!({
        "roleDefinitionId": format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{role}"
        ),
        "principalId": principal_id,
    });
    for (key, value) in extra.as_object().unwrap() {
        properties[key] = value.clone();
    }
    json!({ "properties": properties })
}

async fn assignment_names(app: &TestArm, token: &str, scope: &str) -> Vec<String> {
    let reply = app.arm.get(&list(scope), Some(token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_conditional_built_in_grants_reads_and_only_the_role_assignments_its_condition_allows() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let group = app.group(GROUP);
    let (admin, admin_token) = app.new_principal("kv-admin").await;
    let (assignee, _) = app.new_principal("assignee").await;
    app.grant(&group, KV_DATA_ACCESS_ADMIN, &admin.object_id)
        .await;

    // Actions the condition does not name are granted (Microsoft.Authorization/*/read).
    let before = assignment_names(&app, &admin_token, &group).await;

    // A role the condition allows: created.
    let allowed_name = uuid::Uuid::new_v4().to_string();
    let allowed = app
        .arm
        .request(
            "PUT",
            &assignment(&group, &allowed_name),
            Some(&admin_token),
            Some(body(KV_SECRETS_USER, &assignee.object_id, json!({}))),
        )
        .await;
    assert_eq!(allowed.status, 201, "{}", allowed.text);

    // A role it does not allow: 403, nothing written.
    let refused_name = uuid::Uuid::new_v4().to_string();
    let refused = app
        .arm
        .request(
            "PUT",
            &assignment(&group, &refused_name),
            Some(&admin_token),
            Some(body(OWNER, &assignee.object_id, json!({}))),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.code(), "AuthorizationFailed");
    let after = assignment_names(&app, &operator, &group).await;
    assert!(after.contains(&allowed_name));
    assert!(!after.contains(&refused_name), "{after:?}");
    assert_eq!(after.len(), before.len() + 1);

    // Deletes: allowed for the Key Vault role (@Resource…RoleDefinitionId), refused for Reader.
    let reader_name = app.grant(&group, READER, &assignee.object_id).await;
    let refused_delete = app
        .arm
        .request(
            "DELETE",
            &assignment(&group, &reader_name),
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(refused_delete.status, 403, "{}", refused_delete.text);
    assert!(assignment_names(&app, &operator, &group)
        .await
        .contains(&reader_name));
    let deleted = app
        .arm
        .request(
            "DELETE",
            &assignment(&group, &allowed_name),
            Some(&admin_token),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
}

#[tokio::test]
async fn an_assignment_condition_restricts_the_role_assignment_writes_it_names() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let group = app.group(GROUP);
    let (delegate, delegate_token) = app.new_principal("delegate").await;
    let (assignee, _) = app.new_principal("assignee").await;
    let condition = format!(
        "((!(ActionMatches{{'Microsoft.Authorization/roleAssignments/write'}})) OR \
         ((@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {{{READER}}}) \
         AND (@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {{'ServicePrincipal'}})))"
    );
    let delegation = uuid::Uuid::new_v4().to_string();
    let granted = app
        .arm.request(
            "PUT",
            &assignment(&group, &delegation),
            Some(&operator),
            Some(body(
                USER_ACCESS_ADMIN,
                &delegate.object_id,
                json!({"principalType": "ServicePrincipal", "condition": condition,
                       "conditionVersion": "2.0", "description": "Reader for service principals only"}),
            )),
        )
        .await;
    assert_eq!(granted.status, 201, "{}", granted.text);

    let cases = [
        (READER, "ServicePrincipal", 201),
        (CONTRIBUTOR, "ServicePrincipal", 403),
        (READER, "User", 403),
    ];
    for (role, principal_type, want) in cases {
        let name = uuid::Uuid::new_v4().to_string();
        let reply = app
            .arm
            .request(
                "PUT",
                &assignment(&group, &name),
                Some(&delegate_token),
                Some(body(
                    role,
                    &assignee.object_id,
                    json!({"principalType": principal_type}),
                )),
            )
            .await;
        assert_eq!(
            reply.status, want,
            "{role} {principal_type}: {}",
            reply.text
        );
        let present = assignment_names(&app, &operator, &group)
            .await
            .contains(&name);
        assert_eq!(present, want == 201, "{role} {principal_type}");
    }

    // Actions the condition does not name stay granted: a delete of another role's assignment.
    let contributor = app.grant(&group, CONTRIBUTOR, &assignee.object_id).await;
    let deleted = app
        .arm
        .request(
            "DELETE",
            &assignment(&group, &contributor),
            Some(&delegate_token),
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);

    // The list shows the condition, its version and the description (2022-04-01 shape).
    let listed = app.arm.get(&list(&group), Some(&operator)).await;
    let entry = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == delegation.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["properties"]["condition"], condition.as_str());
    assert_eq!(entry["properties"]["conditionVersion"], "2.0");
    assert_eq!(
        entry["properties"]["description"],
        "Reader for service principals only"
    );
}

/// Azure resolves a `principalType` the request leaves out from the directory (the 2022-04-01
/// spec's `User` default is the spec's, not the service's: Azure/azure-rest-api-specs#21664).
#[tokio::test]
async fn create_without_principal_type_stores_the_directorys_type() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let group = app.group(GROUP);
    let (assignee, _) = app.new_principal("untyped").await;
    let path = assignment(&group, &uuid::Uuid::new_v4().to_string());

    let created = app
        .arm
        .request(
            "PUT",
            &path,
            Some(&operator),
            Some(body(READER, &assignee.object_id, json!({}))),
        )
        .await;

    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body["properties"]["principalType"],
        "ServicePrincipal"
    );
    let got = app.arm.get(&path, Some(&operator)).await;
    assert_eq!(got.body["properties"]["principalType"], "ServicePrincipal");
}

#[tokio::test]
async fn an_assignment_at_a_user_assigned_identity_scope_grants_there_only() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    app.create_identity(&operator, "scoped").await;
    app.create_identity(&operator, "elsewhere").await;
    let (reader, reader_token) = app.new_principal("identity-reader").await;
    app.grant(&identity_id("scoped"), MI_OPERATOR, &reader.object_id)
        .await;
    let read = |name: &str| format!("{}?api-version=2025-05-31-preview", identity_id(name));

    assert_eq!(
        app.arm
            .get(&read("scoped"), Some(&reader_token))
            .await
            .status,
        200
    );
    assert_eq!(
        app.arm
            .get(&read("elsewhere"), Some(&reader_token))
            .await
            .status,
        403
    );
}
