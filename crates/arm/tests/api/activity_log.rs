//! The activity log (`Microsoft.Insights/eventtypes/management/values`): every write recorded as
//! a Started and a Succeeded/Failed event, `$filter`, `$select`, paging, retention and RBAC.

use serde_json::{json, Value};

use mimic_testkit::fixture::{
    GROUP_VERSION, OPERATOR_APP_ID, OPERATOR_OBJECT_ID, RA_VERSION, READER, SUBSCRIPTION, TENANT,
};
use mimic_testkit::{Reply, TestArm};

/// The activity log's URL with `filter` (URL-encoded here) and extra query.
fn values(filter: &str, extra: &str) -> String {
    let filter: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01&$filter={filter}{extra}"
    )
}

async fn events(app: &TestArm, token: &str, filter: &str) -> Vec<Value> {
    let reply = app.arm.get(&values(filter, ""), Some(token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["value"].as_array().unwrap().clone()
}

fn group_filter(group: &str) -> String {
    format!("eventTimestamp ge '2000-01-01T00:00:00Z' and resourceGroupName eq '{group}'")
}

#[tokio::test]
async fn a_write_is_recorded_as_started_and_succeeded_events_in_azure_shape() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!(
        "/subscriptions/{SUBSCRIPTION}/resourcegroups/Activity-RG?api-version={GROUP_VERSION}"
    );
    let headers = [
        ("Authorization", &*format!("Bearer {token}")),
        ("Content-Type", "application/json"),
        (
            "x-ms-correlation-request-id",
            "c0ffee00-0000-4000-8000-000000000001",
        ),
        ("x-ms-client-request-id", "client-1"),
    ];
    let created = app
        .arm
        .raw("PUT", &path, &headers, r#"{"location":"eastus"}"#)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let listed = events(&app, &token, &group_filter("activity-rg")).await;

    assert_eq!(listed.len(), 2, "{listed:#?}");
    let (end, start) = (&listed[0], &listed[1]);
    assert_eq!(
        start["status"],
        json!({"value": "Started", "localizedValue": "Started"})
    );
    assert_eq!(start["eventName"]["value"], "BeginRequest");
    assert_eq!(end["status"]["value"], "Succeeded");
    assert_eq!(end["eventName"]["value"], "EndRequest");
    assert_eq!(
        end["subStatus"],
        json!({"value": "Created", "localizedValue": "Created (HTTP Status Code: 201)"})
    );
    assert_eq!(end["properties"]["statusCode"], "Created");
    let group = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/Activity-RG");
    let action = "Microsoft.Resources/subscriptions/resourceGroups/write";
    for event in [start, end] {
        assert_eq!(
            event["authorization"],
            json!({"action": action, "scope": group})
        );
        assert_eq!(
            event["operationName"],
            json!({"value": action, "localizedValue": action})
        );
        assert_eq!(event["resourceId"], group);
        assert_eq!(event["resourceGroupName"], "Activity-RG");
        assert_eq!(
            event["resourceProviderName"]["value"],
            "Microsoft.Resources"
        );
        assert_eq!(
            event["resourceType"]["value"],
            "Microsoft.Resources/subscriptions/resourceGroups"
        );
        assert_eq!(event["category"]["value"], "Administrative");
        assert_eq!(event["level"], "Informational");
        assert_eq!(event["caller"], OPERATOR_OBJECT_ID);
        assert_eq!(
            event["correlationId"],
            "c0ffee00-0000-4000-8000-000000000001"
        );
        assert_eq!(event["operationId"], start["operationId"]);
        assert_eq!(event["subscriptionId"], SUBSCRIPTION);
        assert_eq!(event["tenantId"], TENANT);
        assert_eq!(event["httpRequest"]["method"], "PUT");
        assert_eq!(event["httpRequest"]["clientRequestId"], "client-1");
        assert_eq!(event["httpRequest"]["clientIpAddress"], "127.0.0.1");
        assert_eq!(event["claims"]["appid"], OPERATOR_APP_ID);
        assert_eq!(
            event["claims"]["http://schemas.microsoft.com/identity/claims/objectidentifier"],
            OPERATOR_OBJECT_ID
        );
        let id = event["id"].as_str().unwrap();
        let event_data_id = event["eventDataId"].as_str().unwrap();
        assert!(
            id.starts_with(&format!("{group}/events/{event_data_id}/ticks/")),
            "{id}"
        );
        assert!(event["eventTimestamp"].as_str().unwrap().ends_with('Z'));
    }
    assert_ne!(start["eventDataId"], end["eventDataId"]);
}

#[tokio::test]
async fn a_refused_write_is_recorded_as_failed_with_the_error() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, stranger) = app.new_principal("no-roles").await;
    let refused = app
        .put_group(&stranger, "denied-rg", json!({"location": "eastus"}))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let bad = app
        .put_group(&token, "bad-rg", json!({"location": 7}))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);

    let by_caller = format!("caller eq '{}'", principal.object_id);
    let listed = events(&app, &token, &by_caller).await;
    assert_eq!(listed.len(), 2, "{listed:#?}");
    let end = &listed[0];
    assert_eq!(end["status"]["value"], "Failed");
    assert_eq!(end["level"], "Error");
    assert_eq!(end["subStatus"]["value"], "Forbidden");
    let message: Value =
        serde_json::from_str(end["properties"]["statusMessage"].as_str().unwrap()).unwrap();
    assert_eq!(message["error"]["code"], "AuthorizationFailed");

    let listed = events(&app, &token, &group_filter("bad-rg")).await;
    assert_eq!(listed[0]["subStatus"]["value"], "BadRequest", "{listed:#?}");
    assert_eq!(listed[0]["status"]["value"], "Failed");
}

#[tokio::test]
async fn role_assignment_events_carry_the_bodies_list_changelogs_reads() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("assignee").await;
    let scope = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg");
    let name = app.grant(&scope, READER, &principal.object_id).await;
    let path = format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}"
    );
    assert_eq!(app.arm.delete(&path, Some(&token)).await.status, 200);

    let filter =
        "resourceProvider eq Microsoft.Authorization and eventTimestamp ge 2000-01-01T00:00:00Z";
    let listed = events(&app, &token, filter).await;

    assert_eq!(listed.len(), 4, "{listed:#?}");
    let id = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}");
    assert!(listed
        .iter()
        .all(|event| event["resourceId"] == id.as_str()));
    let (delete_end, put_start) = (&listed[0], &listed[3]);
    let request: Value =
        serde_json::from_str(put_start["properties"]["requestbody"].as_str().unwrap()).unwrap();
    assert_eq!(request["properties"]["principalId"], principal.object_id);
    assert_eq!(put_start["httpRequest"]["method"], "PUT");
    assert_eq!(listed[2]["authorization"]["scope"], id);
    let response: Value =
        serde_json::from_str(delete_end["properties"]["responseBody"].as_str().unwrap()).unwrap();
    assert_eq!(response["properties"]["principalId"], principal.object_id);
    assert_eq!(response["properties"]["scope"], scope);
    assert_eq!(
        delete_end["operationName"]["value"],
        "Microsoft.Authorization/roleAssignments/delete"
    );
}

#[tokio::test]
async fn filters_select_and_paging_follow_the_spec() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    // 110 writes are 220 events: more than one page of 200.
    let names: Vec<String> = (0..110).map(|index| format!("page-rg-{index}")).collect();
    crate::paging::put_groups(&app, &token, &names, 8).await;

    let first = app
        .arm
        .get(
            &values(
                "eventTimestamp ge '2000-01-01T00:00:00Z'",
                "&$select=eventDataId, status",
            ),
            Some(&token),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["value"].as_array().unwrap().len(), 200);
    assert_eq!(
        first.body["value"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["eventDataId", "status"]
    );
    let next = first.body["nextLink"].as_str().unwrap();
    let next = next.strip_prefix(&app.arm.url("")).unwrap();
    assert!(next.contains("$skiptoken="), "{next}");
    let second = app.arm.get(next, Some(&token)).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.body["value"].as_array().unwrap().len(), 20);
    assert!(second.body.get("nextLink").is_none(), "{}", second.text);
    let mut ids: Vec<&Value> = first.body["value"].as_array().unwrap().iter().collect();
    ids.extend(second.body["value"].as_array().unwrap());
    let distinct: std::collections::HashSet<String> = ids
        .iter()
        .map(|event| event["eventDataId"].to_string())
        .collect();
    assert_eq!(distinct.len(), 220, "every event once");

    let resource = format!("/subscriptions/{SUBSCRIPTION}/resourcegroups/PAGE-RG-7");
    let by_resource = events(&app, &token, &format!("resourceUri eq '{resource}'")).await;
    assert_eq!(by_resource.len(), 2, "resourceUri compares without case");
    let by_status = events(
        &app,
        &token,
        "status eq 'Started' and resourceGroupName eq 'page-rg-7'",
    )
    .await;
    assert_eq!(by_status.len(), 1);
    let correlation = by_status[0]["correlationId"].as_str().unwrap().to_string();
    let by_correlation = events(&app, &token, &format!("correlationId eq '{correlation}'")).await;
    assert_eq!(by_correlation.len(), 2);
    let future = events(&app, &token, "eventTimestamp ge '2999-01-01T00:00:00Z'").await;
    assert!(future.is_empty());
}

#[tokio::test]
async fn a_filter_outside_the_grammar_is_400_and_reads_need_the_action() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply: Reply = app
        .arm
        .get(&values("level eq 'Error'", ""), Some(&token))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.body["error"]["code"], "BadRequest");

    let (principal, stranger) = app.new_principal("reader").await;
    let denied = app
        .arm
        .get(&values("caller eq 'x'", ""), Some(&stranger))
        .await;
    assert_eq!(denied.status, 403, "{}", denied.text);
    app.grant(
        &format!("/subscriptions/{SUBSCRIPTION}"),
        READER,
        &principal.object_id,
    )
    .await;
    let stranger = app.token(&principal.app_id, &principal.secret).await;
    let allowed = app
        .arm
        .get(&values("caller eq 'x'", ""), Some(&stranger))
        .await;
    assert_eq!(allowed.status, 200, "Reader has */read: {}", allowed.text);
}

#[tokio::test]
async fn events_older_than_90_days_are_gone() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .put_group(&token, "old-rg", json!({"location": "eastus"}))
        .await;
    assert_eq!(reply.status, 201);
    assert_eq!(events(&app, &token, &group_filter("old-rg")).await.len(), 2);

    app.clock.advance(91 * 86_400);
    let token = app.operator_token().await;

    assert!(events(&app, &token, &group_filter("old-rg"))
        .await
        .is_empty());
}
