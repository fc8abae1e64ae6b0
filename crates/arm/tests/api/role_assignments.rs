//! Role assignments: create, get, delete, list filters, and their errors.

use serde_json::json;

use mimic_testkit::fixture::{
    CONTRIBUTOR, GROUP, OPERATOR_APP_ID, OPERATOR_OBJECT_ID, OPERATOR_SECRET, RA_VERSION, READER,
    SUBSCRIPTION, TENANT,
};
use mimic_testkit::TestArm;

fn assignments(scope: &str, query: &str) -> String {
    format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments?api-version={RA_VERSION}{query}"
    )
}

/// `{scope}/…/roleAssignments/{name}?api-version=…`.
fn assignment(scope: &str, name: &str) -> String {
    format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}"
    )
}

/// A PUT body granting `role` (GUID) to `principal_id`, with extra `properties`.
fn body(role: &str, principal_id: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut properties = json!({
        "roleDefinitionId": format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{role}"
        ),
        "principalId": principal_id,
        "principalType": "ServicePrincipal",
    });
    for (key, value) in extra.as_object().unwrap() {
        properties[key] = value.clone();
    }
    json!({ "properties": properties })
}

/// The fixture's learner: a user, not a service principal.
const LEARNER: &str = "1ea40000-0000-4000-8000-00000000b002";

fn names(reply: &mimic_testkit::Reply) -> Vec<String> {
    reply.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|assignment| assignment["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn create_returns_201_with_the_assignment_in_azure_shape() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("assignee").await;
    let name = uuid::Uuid::new_v4().to_string();
    let scope = format!("/subscriptions/{SUBSCRIPTION}/resourcegroups/MIMIC-RG");
    let reply = app
        .put_assignment(&token, &scope, &name, READER, &principal.object_id)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    let group = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg");
    assert_eq!(
        reply.body["id"],
        format!("{group}/providers/Microsoft.Authorization/roleAssignments/{name}")
    );
    assert_eq!(reply.body["name"], name);
    assert_eq!(
        reply.body["type"],
        "Microsoft.Authorization/roleAssignments"
    );
    let properties = &reply.body["properties"];
    assert_eq!(
        properties["roleDefinitionId"],
        format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}")
    );
    assert_eq!(properties["principalId"], principal.object_id);
    assert_eq!(properties["principalType"], "ServicePrincipal");
    assert_eq!(properties["scope"], group);
    // Azure's 201 names the caller in updatedBy only (az prints "createdBy": null after a create).
    assert!(properties["createdBy"].is_null(), "{properties}");
    assert_eq!(properties["updatedBy"], OPERATOR_OBJECT_ID);
    for key in [
        "condition",
        "conditionVersion",
        "description",
        "delegatedManagedIdentityResourceId",
    ] {
        assert!(properties[key].is_null(), "{key}");
    }
    assert!(properties["createdOn"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn create_the_same_triple_under_another_name_returns_409_role_assignment_exists() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("twice").await;
    let scope = app.group(GROUP);
    let first = uuid::Uuid::new_v4().to_string();
    let created = app
        .put_assignment(&token, &scope, &first, READER, &principal.object_id)
        .await;
    assert_eq!(created.status, 201);
    let again = app
        .put_assignment(&token, &scope, &first, READER, &principal.object_id)
        .await;
    assert_eq!(
        again.status, 200,
        "same name, same assignment: {}",
        again.text
    );
    let second = uuid::Uuid::new_v4().to_string();
    let reply = app
        .put_assignment(&token, &scope, &second, READER, &principal.object_id)
        .await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.code(), "RoleAssignmentExists");
    assert_eq!(reply.message(), "The role assignment already exists.");
}

#[tokio::test]
async fn create_for_an_unknown_principal_returns_400_principal_not_found_and_stores_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let ghost = uuid::Uuid::new_v4().to_string();
    let name = uuid::Uuid::new_v4().to_string();
    // Without principalType (and with `User` or `Group`), ARM refuses a principal the
    // directory does not know.
    let mut without_type = body(READER, &ghost, json!({}));
    without_type["properties"]
        .as_object_mut()
        .unwrap()
        .remove("principalType");
    let reply = app
        .arm
        .put(
            &assignment(&app.group(GROUP), &name),
            Some(&token),
            without_type,
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "PrincipalNotFound");
    assert_eq!(
        reply.message(),
        format!("Principal {ghost} does not exist in the directory {TENANT}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype")
    );
    let list = app
        .arm
        .get(&assignments(&app.subscription(), ""), Some(&token))
        .await;
    assert!(!list.text.contains(&name));
}

#[tokio::test]
async fn create_for_an_unknown_principal_with_type_user_is_principal_not_found_too() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let ghost = uuid::Uuid::new_v4().to_string();
    let path = assignment(&app.group(GROUP), &uuid::Uuid::new_v4().to_string());
    let user = body(READER, &ghost, json!({"principalType": "User"}));
    let reply = app.arm.put(&path, Some(&token), user).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.code(), "PrincipalNotFound");
}

#[tokio::test]
async fn create_with_principal_type_service_principal_skips_the_replication_check() {
    // Azure takes a service principal it cannot find for one not yet replicated, and creates
    // the assignment ("Set principalType … to avoid replication delay").
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let ghost = uuid::Uuid::new_v4().to_string();
    let name = uuid::Uuid::new_v4().to_string();
    let reply = app
        .put_assignment(&token, &app.group(GROUP), &name, READER, &ghost)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["properties"]["principalId"], ghost.as_str());
    assert_eq!(
        reply.body["properties"]["principalType"],
        "ServicePrincipal"
    );
    let read = app
        .arm
        .get(&assignment(&app.group(GROUP), &name), Some(&token))
        .await;
    assert_eq!(read.status, 200);
}

#[tokio::test]
async fn create_for_a_directory_user_returns_201() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let name = uuid::Uuid::new_v4().to_string();
    let reply = app
        .arm
        .put(
            &assignment(&app.group(GROUP), &name),
            Some(&token),
            body(READER, LEARNER, json!({"principalType": "User"})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["properties"]["principalId"], LEARNER);
    assert_eq!(reply.body["properties"]["principalType"], "User");
}

/// ARM looks every principal up and refuses a `principalType` that is not the directory's, in
/// Azure's words (misspelling, stray space and hyphen-less id included); the case of the type
/// does not matter.
#[tokio::test]
async fn create_with_another_principal_type_than_the_directorys_is_400_unmatched_principal_type() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("typed").await;
    let scope = app.group(GROUP);
    let (user_name, sp_name) = (
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::new_v4().to_string(),
    );

    let user_as_sp = app
        .arm
        .put(
            &assignment(&scope, &user_name),
            Some(&token),
            body(READER, LEARNER, json!({})),
        )
        .await;
    let sp_as_group = app
        .arm
        .put(
            &assignment(&scope, &sp_name),
            Some(&token),
            body(
                READER,
                &principal.object_id,
                json!({"principalType": "Group"}),
            ),
        )
        .await;
    let sp_lower_case = app
        .arm
        .put(
            &assignment(&scope, &uuid::Uuid::new_v4().to_string()),
            Some(&token),
            body(
                READER,
                &principal.object_id,
                json!({"principalType": "serviceprincipal"}),
            ),
        )
        .await;
    let listed = app.arm.get(&assignments(&scope, ""), Some(&token)).await;

    for (refused, actual, given, id) in [
        (&user_as_sp, "User", "ServicePrincipal", LEARNER),
        (
            &sp_as_group,
            "ServicePrincipal",
            "Group",
            principal.object_id.as_str(),
        ),
    ] {
        assert_eq!(refused.status, 400, "{}", refused.text);
        assert_eq!(refused.code(), "UnmatchedPrincipalType");
        assert_eq!(
            refused.message(),
            format!(
                "The PrincipalId '{}' has type '{actual}' , which is different from specified PrinciaplType '{given}'.",
                id.replace('-', "")
            )
        );
    }
    assert_eq!(sp_lower_case.status, 201, "{}", sp_lower_case.text);
    let names = names(&listed);
    assert!(
        !names.contains(&user_name) && !names.contains(&sp_name),
        "{names:?}"
    );
}

#[tokio::test]
async fn create_for_a_directory_group_returns_201_with_principal_type_group() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let graph_scope = format!("{}//.default", app.aad.base);
    let graph = app
        .aad
        .form(
            &format!("/{TENANT}/oauth2/v2.0/token"),
            &[
                ("client_id", OPERATOR_APP_ID),
                ("grant_type", "client_credentials"),
                ("client_secret", OPERATOR_SECRET),
                ("scope", &graph_scope),
            ],
        )
        .await;
    let group = app
        .aad
        .post(
            "/v1.0/groups",
            Some(graph.token()),
            Some(json!({"displayName": "readers", "mailNickname": "readers",
                "mailEnabled": false, "securityEnabled": true})),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.text);
    let group_id = group.body["id"].as_str().unwrap();
    let name = uuid::Uuid::new_v4().to_string();

    let reply = app
        .arm
        .put(
            &assignment(&app.group(GROUP), &name),
            Some(&token),
            body(READER, group_id, json!({"principalType": "Group"})),
        )
        .await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["properties"]["principalId"], group_id);
    assert_eq!(reply.body["properties"]["principalType"], "Group");
}

#[tokio::test]
async fn create_with_an_unknown_role_returns_400_role_definition_does_not_exist() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("assignee").await;
    let name = uuid::Uuid::new_v4().to_string();
    let reply = app
        .put_assignment(
            &token,
            &app.group(GROUP),
            &name,
            "00000000-0000-4000-8000-000000000000",
            &principal.object_id,
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "RoleDefinitionDoesNotExist");
}

#[tokio::test]
async fn create_with_a_name_that_is_not_a_guid_returns_400_invalid_role_assignment_id() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .put_assignment(
            &token,
            &app.group(GROUP),
            "my-assignment",
            READER,
            OPERATOR_OBJECT_ID,
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "InvalidRoleAssignmentId");
}

#[tokio::test]
async fn create_in_a_missing_group_returns_404_resource_group_not_found() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("assignee").await;
    let name = uuid::Uuid::new_v4().to_string();
    let reply = app
        .put_assignment(
            &token,
            &app.group("nope"),
            &name,
            READER,
            &principal.object_id,
        )
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "ResourceGroupNotFound");
}

#[tokio::test]
async fn create_at_a_vm_scope_uses_the_canonical_vm_id() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("vm-reader").await;
    let name = uuid::Uuid::new_v4().to_string();
    let scope = format!(
        "/subscriptions/{SUBSCRIPTION}/resourcegroups/MIMIC-RG/providers/microsoft.compute/VIRTUALMACHINES/VM1"
    );
    let reply = app
        .put_assignment(&token, &scope, &name, READER, &principal.object_id)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(
        reply.body["properties"]["scope"],
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg/providers/Microsoft.Compute/virtualMachines/vm1")
    );
    let missing = scope.replace("VM1", "ghost");
    let reply = app
        .put_assignment(
            &token,
            &missing,
            &uuid::Uuid::new_v4().to_string(),
            READER,
            &principal.object_id,
        )
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "ResourceNotFound");
}

#[tokio::test]
async fn list_filters_select_at_above_and_below_the_scope() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("listed").await;
    let at_group = app
        .grant(&app.group(GROUP), READER, &principal.object_id)
        .await;
    let fixture_owner = "c0ffee00-0b5e-4a11-9e55-0123456789ab".to_string();
    let fixture_admin = "c0ffee00-0b5e-4a11-9e55-00000000a001".to_string();

    let at_scope = app
        .arm
        .get(
            &assignments(&app.group(GROUP), "&$filter=atScope()"),
            Some(&token),
        )
        .await;
    assert_eq!(at_scope.status, 200, "{}", at_scope.text);
    let mut found = names(&at_scope);
    found.sort();
    let mut want = vec![
        at_group.clone(),
        fixture_owner.clone(),
        fixture_admin.clone(),
    ];
    want.sort();
    assert_eq!(
        found, want,
        "atScope() at the group: the group's and the inherited ones"
    );

    let sub_at_scope = app
        .arm
        .get(
            &assignments(&app.subscription(), "&$filter=atScope()"),
            Some(&token),
        )
        .await;
    let mut at_subscription = names(&sub_at_scope);
    at_subscription.sort();
    let mut fixture = vec![fixture_owner.clone(), fixture_admin.clone()];
    fixture.sort();
    assert_eq!(at_subscription, fixture, "not below");

    let everything = app
        .arm
        .get(&assignments(&app.subscription(), ""), Some(&token))
        .await;
    assert_eq!(names(&everything).len(), 3, "no filter: below too");

    let by_principal = app
        .arm
        .get(
            &assignments(
                &app.subscription(),
                &format!("&$filter=principalId%20eq%20'{}'", principal.object_id),
            ),
            Some(&token),
        )
        .await;
    assert_eq!(names(&by_principal), [at_group.as_str()]);

    let assigned_to = app
        .arm
        .get(
            &assignments(
                &app.subscription(),
                &format!("&$filter=assignedTo('{OPERATOR_OBJECT_ID}')"),
            ),
            Some(&token),
        )
        .await;
    assert_eq!(names(&assigned_to), [fixture_owner]);

    let bad = app
        .arm
        .get(
            &assignments(&app.subscription(), "&$filter=foo%20eq%20'x'"),
            Some(&token),
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn create_answers_created_by_null_and_a_later_get_names_the_creator() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("creator").await;
    let name = uuid::Uuid::new_v4().to_string();
    let scope = app.group(GROUP);
    let created = app
        .put_assignment(&token, &scope, &name, READER, &principal.object_id)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(created.body["properties"]["createdBy"].is_null());
    assert_eq!(created.body["properties"]["updatedBy"], OPERATOR_OBJECT_ID);
    let path = format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}"
    );
    let got = app.arm.get(&path, Some(&token)).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["properties"]["createdBy"], OPERATOR_OBJECT_ID);
    assert_eq!(got.body["properties"]["updatedBy"], OPERATOR_OBJECT_ID);
}

#[tokio::test]
async fn get_and_delete_an_assignment_then_delete_again_returns_204() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("temporary").await;
    let name = app
        .grant(&app.group(GROUP), READER, &principal.object_id)
        .await;
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}",
        app.group(GROUP)
    );
    let got = app.arm.get(&path, Some(&token)).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["name"], name);
    let elsewhere = path.replace(&app.group(GROUP), &app.subscription());
    let wrong_scope = app.arm.get(&elsewhere, Some(&token)).await;
    assert_eq!(wrong_scope.status, 404);
    assert_eq!(wrong_scope.code(), "RoleAssignmentNotFound");
    let deleted = app.arm.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["name"], name);
    let again = app.arm.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(again.status, 204);
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
}

#[tokio::test]
async fn create_needs_role_assignment_write_which_contributor_lacks() {
    let app = TestArm::spawn().await;
    let (contributor, token) = app.new_principal("contributor").await;
    app.grant(&app.subscription(), CONTRIBUTOR, &contributor.object_id)
        .await;
    let (other, _) = app.new_principal("other").await;
    let name = uuid::Uuid::new_v4().to_string();
    let reply = app
        .put_assignment(&token, &app.group(GROUP), &name, READER, &other.object_id)
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.code(), "AuthorizationFailed");
    assert!(reply
        .message()
        .contains("'Microsoft.Authorization/roleAssignments/write'"));
    app.grant(
        &app.group(GROUP),
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        &contributor.object_id,
    )
    .await;
    let reply = app
        .put_assignment(&token, &app.group(GROUP), &name, READER, &other.object_id)
        .await;
    assert_eq!(
        reply.status, 201,
        "User Access Administrator may: {}",
        reply.text
    );
}

#[tokio::test]
async fn create_with_malformed_json_returns_400_and_stores_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let name = uuid::Uuid::new_v4().to_string();
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}",
        app.group(GROUP)
    );
    let reply = app
        .arm
        .request(
            "PUT",
            &path,
            Some(&token),
            Some(json!({"properties": {"principalId": 1}})),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "InvalidRequestContent");
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
}

#[tokio::test]
async fn create_again_with_the_same_body_returns_200_with_the_stored_assignment() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("repeated").await;
    let path = assignment(&app.group(GROUP), &uuid::Uuid::new_v4().to_string());
    let wanted = body(
        READER,
        &principal.object_id,
        json!({"description": "read the group"}),
    );
    let created = app
        .arm
        .request("PUT", &path, Some(&token), Some(wanted.clone()))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let again = app
        .arm
        .request("PUT", &path, Some(&token), Some(wanted))
        .await;

    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["id"], created.body["id"]);
    let properties = &again.body["properties"];
    assert_eq!(properties["description"], "read the group");
    assert_eq!(
        properties["createdOn"],
        created.body["properties"]["createdOn"]
    );
    assert_eq!(
        properties["createdBy"], OPERATOR_OBJECT_ID,
        "the stored creator"
    );
    let list = app
        .arm
        .get(
            &assignments(
                &app.subscription(),
                &format!("&$filter=principalId%20eq%20'{}'", principal.object_id),
            ),
            Some(&token),
        )
        .await;
    assert_eq!(names(&list).len(), 1, "{}", list.text);
}

#[tokio::test]
async fn create_again_with_a_new_description_and_condition_returns_200_and_updates_them() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("conditioned").await;
    let path = assignment(&app.group(GROUP), &uuid::Uuid::new_v4().to_string());
    let first = body(READER, &principal.object_id, json!({"description": "old"}));
    let created = app
        .arm
        .request("PUT", &path, Some(&token), Some(first))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let condition = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] \
        StringEquals 'logs'";
    let changed = body(
        READER,
        &principal.object_id,
        json!({"description": "new", "condition": condition, "conditionVersion": "2.0"}),
    );

    let updated = app
        .arm
        .request("PUT", &path, Some(&token), Some(changed))
        .await;

    assert_eq!(updated.status, 200, "{}", updated.text);
    let got = app.arm.get(&path, Some(&token)).await;
    assert_eq!(got.status, 200);
    for reply in [&updated, &got] {
        let properties = &reply.body["properties"];
        assert_eq!(properties["description"], "new", "{}", reply.text);
        assert_eq!(properties["condition"], condition, "{}", reply.text);
        assert_eq!(properties["conditionVersion"], "2.0", "{}", reply.text);
        assert_eq!(properties["principalId"], principal.object_id);
        assert_eq!(
            properties["createdOn"],
            created.body["properties"]["createdOn"]
        );
        assert_eq!(properties["updatedBy"], OPERATOR_OBJECT_ID);
    }
}

#[tokio::test]
async fn create_under_an_existing_name_with_another_role_principal_or_scope_returns_400_and_changes_nothing(
) {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("fixed").await;
    let (other, _) = app.new_principal("other").await;
    let name = uuid::Uuid::new_v4().to_string();
    let group = app.group(GROUP);
    let created = app
        .arm
        .request(
            "PUT",
            &assignment(&group, &name),
            Some(&token),
            Some(body(
                READER,
                &principal.object_id,
                json!({"description": "kept"}),
            )),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let subscription = app.subscription();
    let cases = [
        ("another role", &group, CONTRIBUTOR, &principal.object_id),
        ("another principal", &group, READER, &other.object_id),
        ("another scope", &subscription, READER, &principal.object_id),
    ];

    for (case, scope, role, principal_id) in cases {
        let changed = body(role, principal_id, json!({"description": "changed"}));
        let reply = app
            .arm
            .request(
                "PUT",
                &assignment(scope, &name),
                Some(&token),
                Some(changed),
            )
            .await;

        assert_eq!(reply.status, 400, "{case}: {}", reply.text);
        assert_eq!(reply.code(), "RoleAssignmentUpdateNotPermitted", "{case}");
        assert_eq!(
            reply.message(),
            "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            "{case}"
        );
        let got = app.arm.get(&assignment(&group, &name), Some(&token)).await;
        assert_eq!(got.status, 200, "{case}");
        assert_eq!(
            got.body["properties"],
            created_properties(&created),
            "{case}"
        );
    }
}

/// The 201 body's properties as a later GET shows them (which names the creator).
fn created_properties(created: &mimic_testkit::Reply) -> serde_json::Value {
    let mut properties = created.body["properties"].clone();
    properties["createdBy"] = json!(OPERATOR_OBJECT_ID);
    properties
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_identical_concurrent_creates_answer_one_201_and_200s_and_store_one_assignment() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("raced").await;
    let path = assignment(&app.group(GROUP), &uuid::Uuid::new_v4().to_string());
    let wanted = body(READER, &principal.object_id, json!({"description": "once"}));
    // Open the 50 connections first (each GET is a 404), so that the PUTs do not queue behind
    // TLS handshakes and really overlap on the server.
    let warm_up = (0..50).map(|_| app.arm.get(&path, Some(&token)));
    for reply in futures::future::join_all(warm_up).await {
        assert_eq!(reply.status, 404, "{}", reply.text);
    }

    let puts = (0..50).map(|_| {
        app.arm
            .request("PUT", &path, Some(&token), Some(wanted.clone()))
    });
    let replies = futures::future::join_all(puts).await;

    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for reply in &replies {
        *statuses.entry(reply.status).or_default() += 1;
    }
    let unexpected: Vec<&str> = replies
        .iter()
        .filter(|reply| ![200, 201].contains(&reply.status))
        .map(|reply| reply.text.as_str())
        .collect();
    assert!(unexpected.is_empty(), "{statuses:?}: {unexpected:?}");
    assert_eq!(statuses.get(&201), Some(&1), "{statuses:?}");
    assert_eq!(statuses.get(&200), Some(&49), "{statuses:?}");
    let list = app
        .arm
        .get(
            &assignments(
                &app.subscription(),
                &format!("&$filter=principalId%20eq%20'{}'", principal.object_id),
            ),
            Some(&token),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(names(&list).len(), 1, "{}", list.text);
}

/// Azure keeps the role assignments of a deleted principal: listed (the portal and az show
/// "Identity not found"), granting nothing, deletable. A new identity of the same name is a new
/// principal and inherits none of them.
#[tokio::test]
async fn deleting_a_principal_leaves_its_assignments_orphaned() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let scope = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}");
    let listed_for = |principal: &str| {
        assignments(
            &scope,
            &format!("&$filter=principalId%20eq%20'{principal}'"),
        )
    };

    // A user-assigned identity, deleted.
    let identity = app.create_identity(&token, "short-lived").await;
    let principal = identity["properties"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    let name = uuid::Uuid::new_v4().to_string();
    let granted = app
        .put_assignment(&token, &scope, &name, READER, &principal)
        .await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    assert_eq!(app.delete_identity(&token, "short-lived").await.status, 200);
    assert!(!app.aad_has_principal(&principal).await);
    let listed = app.arm.get(&listed_for(&principal), Some(&token)).await;
    assert_eq!(
        names(&listed),
        std::slice::from_ref(&name),
        "{}",
        listed.text
    );
    let kept = app.arm.get(&assignment(&scope, &name), Some(&token)).await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.body["properties"]["principalId"], principal.as_str());

    let again = app.create_identity(&token, "short-lived").await;
    let new_principal = again["properties"]["principalId"].as_str().unwrap();
    assert_ne!(new_principal, principal);
    let inherited = app.arm.get(&listed_for(new_principal), Some(&token)).await;
    assert_eq!(
        names(&inherited),
        Vec::<String>::new(),
        "{}",
        inherited.text
    );

    // A system-assigned identity, disabled.
    let vm = app
        .patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let system = vm["identity"]["principalId"].as_str().unwrap().to_string();
    let system_grant = uuid::Uuid::new_v4().to_string();
    let granted = app
        .put_assignment(&token, &scope, &system_grant, CONTRIBUTOR, &system)
        .await;
    assert_eq!(granted.status, 201, "{}", granted.text);
    app.patch_identity(&token, "vm1", json!({"type": "None"}))
        .await;
    let listed = app.arm.get(&listed_for(&system), Some(&token)).await;
    assert_eq!(
        names(&listed),
        std::slice::from_ref(&system_grant),
        "{}",
        listed.text
    );

    // Orphans are deleted like any assignment.
    for orphan in [&name, &system_grant] {
        let deleted = app
            .arm
            .request("DELETE", &assignment(&scope, orphan), Some(&token), None)
            .await;
        assert_eq!(deleted.status, 200, "{}", deleted.text);
    }
    let listed = app.arm.get(&listed_for(&principal), Some(&token)).await;
    assert_eq!(names(&listed), Vec::<String>::new());
}
