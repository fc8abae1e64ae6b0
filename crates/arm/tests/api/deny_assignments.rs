//! Deny assignments declared by the fixture: they override role grants (Owner included) for the
//! actions they cover, spare excluded principals, and the list/get APIs return them.

use serde_json::{json, Value};

use mimic_testkit::fixture::{identity_id, GROUP, OPERATOR_OBJECT_ID, OWNER, SUBSCRIPTION};
use mimic_testkit::TestArm;

const DA_VERSION: &str = "2022-04-01";
/// Denies group writes in mimic-rg to everyone but the operator.
const GROUP_DENY: &str = "5f1d2c3b-0000-4000-8000-000000000001";
/// Denies identity writes in the subscription to the operator.
const OPERATOR_DENY: &str = "5f1d2c3b-0000-4000-8000-000000000002";

fn deny_assignments() -> Value {
    json!([
        {
            "id": GROUP_DENY,
            "denyAssignmentName": "mimic-rg is frozen",
            "description": "No group writes",
            "scope": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"),
            "permissions": [{"actions": ["Microsoft.Resources/subscriptions/resourceGroups/write"]}],
            "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
            "excludePrincipals": [{"id": OPERATOR_OBJECT_ID, "type": "ServicePrincipal"}]
        },
        {
            "id": OPERATOR_DENY,
            "denyAssignmentName": "no identities for the operator",
            "scope": format!("/subscriptions/{SUBSCRIPTION}"),
            "permissions": [{"actions": ["Microsoft.ManagedIdentity/userAssignedIdentities/write"]}],
            "principals": [{"id": OPERATOR_OBJECT_ID, "type": "ServicePrincipal"}]
        }
    ])
}

async fn spawn() -> TestArm {
    TestArm::spawn_with(|arm| {
        arm.fixture.as_mut().unwrap()["denyAssignments"] = deny_assignments();
    })
    .await
}

fn list_path(scope: &str, query: &str) -> String {
    format!(
        "{scope}/providers/Microsoft.Authorization/denyAssignments?api-version={DA_VERSION}{query}"
    )
}

fn names(reply: &mimic_testkit::Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut names: Vec<String> = reply.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_fixture_deny_assignment_overrides_the_operators_owner_grant_for_its_actions_only() {
    let app = spawn().await;
    let operator = app.operator_token().await;
    let identity = format!("{}?api-version=2025-05-31-preview", identity_id("denied"));

    let refused = app
        .arm
        .request(
            "PUT",
            &identity,
            Some(&operator),
            Some(json!({"location": "eastus"})),
        )
        .await;

    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.code(), "DenyAssignmentAuthorizationFailed");
    assert!(
        refused.message().contains(&format!(
            "however, the access is denied because of the deny assignment with name 'no identities for the operator' and Id '{OPERATOR_DENY}' at scope '/subscriptions/{SUBSCRIPTION}'"
        )),
        "{}",
        refused.message()
    );
    assert_eq!(
        app.arm.get(&identity, Some(&operator)).await.status,
        404,
        "nothing was created"
    );
    // Other actions stay granted: the operator (excluded from the group deny) writes the group.
    let group = app
        .put_group(&operator, GROUP, json!({"location": "eastus"}))
        .await;
    assert_eq!(group.status, 200, "{}", group.text);
}

#[tokio::test]
async fn a_deny_assignment_for_everyone_refuses_an_owner_and_spares_the_excluded_principal() {
    let app = spawn().await;
    let operator = app.operator_token().await;
    let (owner, owner_token) = app.new_principal("second-owner").await;
    app.grant(&app.subscription(), OWNER, &owner.object_id)
        .await;
    let tagged = json!({"location": "eastus", "tags": {"changed": "yes"}});

    let refused = app.put_group(&owner_token, GROUP, tagged.clone()).await;

    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.code(), "DenyAssignmentAuthorizationFailed");
    let group_path = format!("{}?api-version=2024-11-01", app.group(GROUP));
    let unchanged = app.arm.get(&group_path, Some(&owner_token)).await;
    assert_eq!(unchanged.status, 200, "reads are not denied");
    assert!(
        unchanged.body["tags"].get("changed").is_none(),
        "{}",
        unchanged.text
    );
    // Another group is outside the deny assignment's scope.
    let other = app
        .put_group(&owner_token, "other-rg", json!({"location": "eastus"}))
        .await;
    assert_eq!(other.status, 201, "{}", other.text);
    // The operator is excluded.
    let excluded = app.put_group(&operator, GROUP, tagged).await;
    assert_eq!(excluded.status, 200, "{}", excluded.text);
}

#[tokio::test]
async fn list_and_get_return_the_fixture_deny_assignments_in_arm_shape() {
    let app = spawn().await;
    let operator = app.operator_token().await;
    let subscription = app.subscription();
    let group = app.group(GROUP);

    assert_eq!(
        names(
            &app.arm
                .get(&list_path(&subscription, ""), Some(&operator))
                .await
        ),
        [GROUP_DENY, OPERATOR_DENY]
    );
    assert_eq!(
        names(
            &app.arm
                .get(
                    &list_path(&subscription, "&$filter=atScope()"),
                    Some(&operator)
                )
                .await
        ),
        [OPERATOR_DENY]
    );
    assert_eq!(
        names(
            &app.arm
                .get(&list_path(&group, "&$filter=atScope()"), Some(&operator))
                .await
        ),
        [GROUP_DENY, OPERATOR_DENY]
    );
    let by_principal = format!("&$filter=principalId%20eq%20'{OPERATOR_OBJECT_ID}'");
    assert_eq!(
        names(
            &app.arm
                .get(&list_path(&subscription, &by_principal), Some(&operator))
                .await
        ),
        [GROUP_DENY, OPERATOR_DENY],
        "Everyone names the operator too"
    );

    let get = format!(
        "{group}/providers/Microsoft.Authorization/denyAssignments/{GROUP_DENY}?api-version={DA_VERSION}"
    );
    let reply = app.arm.get(&get, Some(&operator)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["id"],
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.Authorization/denyAssignments/{GROUP_DENY}")
    );
    assert_eq!(
        reply.body["type"],
        "Microsoft.Authorization/denyAssignments"
    );
    let properties = &reply.body["properties"];
    assert_eq!(properties["denyAssignmentName"], "mimic-rg is frozen");
    assert_eq!(properties["description"], "No group writes");
    assert_eq!(
        properties["permissions"][0]["actions"][0],
        "Microsoft.Resources/subscriptions/resourceGroups/write"
    );
    assert_eq!(properties["permissions"][0]["notActions"], json!([]));
    assert_eq!(
        properties["principals"][0]["id"],
        "00000000-0000-0000-0000-000000000000"
    );
    assert_eq!(properties["excludePrincipals"][0]["id"], OPERATOR_OBJECT_ID);
    assert_eq!(properties["doNotApplyToChildScopes"], false);
    assert_eq!(properties["isSystemProtected"], true);

    let by_guid = format!(
        "/providers/Microsoft.Authorization/denyAssignments/{GROUP_DENY}?api-version={DA_VERSION}"
    );
    assert_eq!(
        app.arm.get(&by_guid, Some(&operator)).await.body,
        reply.body
    );

    let elsewhere = format!(
        "{subscription}/providers/Microsoft.Authorization/denyAssignments/{GROUP_DENY}?api-version={DA_VERSION}"
    );
    let missing = app.arm.get(&elsewhere, Some(&operator)).await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(missing.code(), "DenyAssignmentNotFound");
}

#[tokio::test]
async fn list_is_empty_without_fixture_deny_assignments() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;

    let reply = app
        .arm
        .get(&list_path(&app.subscription(), ""), Some(&operator))
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body, json!({"value": []}));
}

#[tokio::test]
async fn a_deny_assignment_refusal_is_recorded_with_the_deny_assignment_and_the_grant_it_overrode()
{
    let app = spawn().await;
    let operator = app.operator_token().await;
    let identity = format!("{}?api-version=2025-05-31-preview", identity_id("denied"));

    let refused = app
        .arm
        .request(
            "PUT",
            &identity,
            Some(&operator),
            Some(json!({"location": "eastus"})),
        )
        .await;

    assert_eq!(refused.code(), "DenyAssignmentAuthorizationFailed");
    let path = format!("/internal/authz/decisions?principal={OPERATOR_OBJECT_ID}&decision=denied");
    let reply = app.arm.internal("GET", &path, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let record = &reply.body["value"][0];
    assert_eq!(
        record["action"],
        "Microsoft.ManagedIdentity/userAssignedIdentities/write"
    );
    assert_eq!(
        record["denyAssignment"]["name"],
        "no identities for the operator"
    );
    assert_eq!(
        record["denyAssignment"]["id"],
        format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/denyAssignments/{OPERATOR_DENY}")
    );
    assert_eq!(record["roleAssignment"]["roleName"], "Owner");
    let reason = record["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "deny assignment 'no identities for the operator' ({OPERATOR_DENY}) at /subscriptions/{SUBSCRIPTION} refuses it, although role assignment "
        )),
        "{reason}"
    );
}
