//! Resource groups: CRUD, HEAD, list, names, and RBAC on them.

use serde_json::json;

use mimic_testkit::fixture::{CONTRIBUTOR, GROUP, READER, SUBSCRIPTION};
use mimic_testkit::TestArm;

const V: &str = "api-version=2024-11-01";

#[tokio::test]
async fn create_or_update_returns_201_for_a_new_group_and_200_for_an_existing_one() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let body = json!({"location": "eastus", "tags": {"team": "blue"}});
    let created = app.put_group(&token, "rg2", body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body,
        json!({
            "id": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg2"),
            "name": "rg2",
            "type": "Microsoft.Resources/resourceGroups",
            "location": "eastus",
            "tags": {"team": "blue"},
            "properties": {"provisioningState": "Succeeded"}
        })
    );
    let again = app.put_group(&token, "RG2", body).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["name"], "rg2", "the first casing is kept");
}

#[tokio::test]
async fn create_or_update_normalizes_the_location() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let created = app
        .put_group(&token, "rg3", json!({"location": "West Europe"}))
        .await;
    assert_eq!(created.body["location"], "westeurope");
}

#[tokio::test]
async fn create_or_update_in_another_location_returns_409() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .put_group(&token, GROUP, json!({"location": "westus"}))
        .await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.code(), "InvalidResourceGroupLocation");
}

#[tokio::test]
async fn create_or_update_without_location_returns_400_location_required() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app.put_group(&token, "rg4", json!({"tags": {}})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "LocationRequired");
    let path = format!("{}?{V}", app.group("rg4"));
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
}

#[tokio::test]
async fn create_or_update_with_a_bad_name_returns_400_and_creates_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    for (name, fragment) in [
        ("bad%21name", "invalid characters: '!'"),
        ("ends.", "cannot end with a period"),
        (&"a".repeat(91) as &str, "1 to 90 characters"),
    ] {
        let reply = app
            .put_group(&token, name, json!({"location": "eastus"}))
            .await;
        assert_eq!(reply.status, 400, "{name}");
        assert_eq!(reply.code(), "InvalidResourceGroup", "{name}");
        assert!(reply.message().contains(fragment), "{}", reply.message());
    }
    let list = app
        .arm
        .get(
            &format!("{}/resourcegroups?{V}", app.subscription()),
            Some(&token),
        )
        .await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn create_or_update_with_malformed_json_returns_400_invalid_request_content() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("{}?{V}", app.group("rg5"));
    let auth = format!("Bearer {token}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    for body in ["{not json", "[1,2]", "{\"location\": 5}"] {
        let reply = app.arm.raw("PUT", &path, &headers, body).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        assert_eq!(reply.code(), "InvalidRequestContent", "{body}");
        assert!(reply
            .message()
            .starts_with("The request content was invalid and could not be deserialized: '"));
    }
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
}

#[tokio::test]
async fn get_returns_the_group_with_its_canonical_id_for_any_path_casing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("/SUBSCRIPTIONS/{SUBSCRIPTION}/ResourceGroups/MIMIC-RG/?{V}");
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["id"],
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg")
    );
    assert_eq!(reply.body["name"], "mimic-rg");
}

#[tokio::test]
async fn get_a_missing_group_returns_404_resource_group_not_found() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .arm
        .get(&format!("{}?{V}", app.group("nope")), Some(&token))
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "ResourceGroupNotFound");
    assert_eq!(reply.message(), "Resource group 'nope' could not be found.");
}

#[tokio::test]
async fn check_existence_returns_204_or_404_without_body() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let exists = app
        .arm
        .request(
            "HEAD",
            &format!("{}?{V}", app.group(GROUP)),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(exists.status, 204);
    let missing = app
        .arm
        .request(
            "HEAD",
            &format!("{}?{V}", app.group("nope")),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    assert!(missing.text.is_empty());
}

#[tokio::test]
async fn update_replaces_tags() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("{}?{V}", app.group(GROUP));
    let reply = app
        .arm
        .request(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"tags": {"env": "test"}})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["tags"], json!({"env": "test"}));
    assert_eq!(
        app.arm.get(&path, Some(&token)).await.body["tags"],
        json!({"env": "test"})
    );
}

#[tokio::test]
async fn list_returns_groups_and_applies_the_tag_filter() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.put_group(
        &token,
        "tagged",
        json!({"location": "eastus", "tags": {"env": "prod"}}),
    )
    .await;
    let all = app
        .arm
        .get(
            &format!("{}/resourcegroups?{V}", app.subscription()),
            Some(&token),
        )
        .await;
    assert_eq!(all.status, 200);
    let names: Vec<&str> = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mimic-rg", "tagged"]);
    let filtered = app
        .arm
        .get(
            &format!(
                "{}/resourcegroups?{V}&$filter=tagName%20eq%20'env'%20and%20tagValue%20eq%20'prod'",
                app.subscription()
            ),
            Some(&token),
        )
        .await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(filtered.body["value"][0]["name"], "tagged");
}

#[tokio::test]
async fn delete_removes_the_group_and_the_role_assignments_under_it() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.put_group(&token, "doomed", json!({"location": "eastus"}))
        .await;
    let (principal, _) = app.new_principal("doomed-reader").await;
    let name = app
        .grant(&app.group("doomed"), READER, &principal.object_id)
        .await;
    let path = format!("{}?{V}", app.group("doomed"));
    let deleted = app.arm.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(deleted.status, 202, "{}", deleted.text);
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
    let assignments = app
        .arm
        .get(
            &format!(
                "{}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
                app.subscription()
            ),
            Some(&token),
        )
        .await;
    assert!(!assignments.text.contains(&name), "{}", assignments.text);
    let again = app.arm.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(again.status, 404);
    assert_eq!(again.code(), "ResourceGroupNotFound");
}

#[tokio::test]
async fn get_without_access_returns_403_then_200_after_a_reader_grant_then_403_after_revoke() {
    let app = TestArm::spawn().await;
    let (principal, token) = app.new_principal("reader").await;
    let path = format!("{}?{V}", app.group(GROUP));
    let denied = app.arm.get(&path, Some(&token)).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.code(), "AuthorizationFailed");
    assert_eq!(
        denied.message(),
        format!(
            "The client '{}' with object id '{}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourceGroups/read' over scope '/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
            principal.app_id, principal.object_id
        )
    );
    let name = app
        .grant(&app.group(GROUP), READER, &principal.object_id)
        .await;
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 200);
    let write = app
        .put_group(&token, GROUP, json!({"location": "eastus"}))
        .await;
    assert_eq!(write.status, 403, "Reader cannot write");
    let operator = app.operator_token().await;
    let revoke = format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01",
        app.group(GROUP)
    );
    assert_eq!(
        app.arm
            .request("DELETE", &revoke, Some(&operator), None)
            .await
            .status,
        200
    );
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 403);
}

#[tokio::test]
async fn a_subscription_assignment_is_inherited_by_its_groups() {
    let app = TestArm::spawn().await;
    let (principal, token) = app.new_principal("contributor").await;
    app.grant(&app.subscription(), CONTRIBUTOR, &principal.object_id)
        .await;
    assert_eq!(
        app.arm
            .get(&format!("{}?{V}", app.group(GROUP)), Some(&token))
            .await
            .status,
        200
    );
    let created = app
        .put_group(&token, "mine", json!({"location": "eastus"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
}

#[tokio::test]
async fn a_group_assignment_does_not_reach_a_sibling_group() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    app.put_group(&operator, "sibling", json!({"location": "eastus"}))
        .await;
    let (principal, token) = app.new_principal("narrow").await;
    app.grant(&app.group(GROUP), READER, &principal.object_id)
        .await;
    assert_eq!(
        app.arm
            .get(&format!("{}?{V}", app.group("sibling")), Some(&token))
            .await
            .status,
        403
    );
    let list = app
        .arm
        .get(
            &format!("{}/resourcegroups?{V}", app.subscription()),
            Some(&token),
        )
        .await;
    assert_eq!(list.status, 200);
    let names: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [GROUP]);
}

#[tokio::test]
async fn get_a_missing_group_without_access_returns_403_not_404() {
    let app = TestArm::spawn().await;
    let (_, token) = app.new_principal("outsider").await;
    let reply = app
        .arm
        .get(&format!("{}?{V}", app.group("nope")), Some(&token))
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.code(), "AuthorizationFailed");
}

/// ARM answers group reads from memory (the authorization index): every write is seen by the
/// next read, including a create after a 404 and a delete after a 200.
#[tokio::test]
async fn reads_follow_every_write_of_a_group() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("{}?{V}", app.group("comes-and-goes"));
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
    let created = app
        .put_group(&token, "comes-and-goes", json!({"location": "eastus"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 200);
    let tagged = app
        .put_group(
            &token,
            "comes-and-goes",
            json!({"location": "eastus", "tags": {"round": "2"}}),
        )
        .await;
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    assert_eq!(
        app.arm.get(&path, Some(&token)).await.body["tags"],
        json!({"round": "2"})
    );
    let deleted = app.arm.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(deleted.status, 202, "{}", deleted.text);
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
}
