//! Reality modes: propagation delays (docs/reality-modes.md). Time moves through the shared
//! clock, never by sleeping: a change held back applies once the clock has passed its time.

use serde_json::{json, Value};

use mimic_testkit::fixture::{GROUP, RA_VERSION, READER, SUBSCRIPTION, TENANT};
use mimic_testkit::TestArm;

/// Sets a reality setting on both services (a standalone ARM and AAD each have their own).
async fn set(app: &TestArm, name: &str, value: &str) {
    let path = format!("/internal/settings/{name}");
    for service in [&app.arm, &app.aad] {
        let reply = service
            .internal("PUT", &path, Some(json!({ "value": value })))
            .await;
        assert_eq!(reply.status, 200, "{name}={value}: {}", reply.text);
        assert_eq!(reply.body["value"], value);
    }
}

async fn settled(service: &mimic_testkit::Client) -> Value {
    let reply = service.internal("GET", "/internal/settled", None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body
}

fn assignment_path(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}",
        mimic_testkit::fixture::group_id(GROUP)
    )
}

/// A Reader grant on the fixture group, with `principalType` only when given.
fn reader_for(principal_id: &str, principal_type: Option<&str>) -> Value {
    let mut properties = json!({
        "roleDefinitionId": format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{READER}"),
        "principalId": principal_id,
    });
    if let Some(kind) = principal_type {
        properties["principalType"] = json!(kind);
    }
    json!({ "properties": properties })
}

fn group_read() -> String {
    format!(
        "{}?api-version=2024-11-01",
        mimic_testkit::fixture::group_id(GROUP)
    )
}

#[tokio::test]
async fn every_setting_is_off_by_default_and_nothing_is_pending() {
    let app = TestArm::spawn().await;
    for service in [&app.arm, &app.aad] {
        let listed = service.internal("GET", "/internal/settings", None).await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        let values: Vec<(&str, &str)> = listed.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|view| {
                (
                    view["name"].as_str().unwrap(),
                    view["value"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            values,
            [
                ("principal-propagation", "off"),
                ("role-assignment-propagation", "off"),
                ("token-cache-realism", "off"),
                ("async-operation-time", "off"),
            ]
        );
        assert_eq!(settled(service).await["settled"], true);
    }
}

#[tokio::test]
async fn the_admin_api_refuses_unknown_settings_bad_values_and_callers_without_the_key() {
    let app = TestArm::spawn().await;
    let unknown = app
        .arm
        .internal(
            "PUT",
            "/internal/settings/nope",
            Some(json!({"value": "1s"})),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    assert_eq!(unknown.code(), "NotFound");
    let bad = app
        .arm
        .internal(
            "PUT",
            "/internal/settings/principal-propagation",
            Some(json!({"value": "soon"})),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.code(), "InvalidRequestContent");
    let aad_bad = app
        .aad
        .internal(
            "PUT",
            "/internal/settings/token-cache-realism",
            Some(json!({"value": "10s"})),
        )
        .await;
    assert_eq!(aad_bad.status, 400, "{}", aad_bad.text);
    for service in [&app.arm, &app.aad] {
        let keyless = service.get("/internal/settled", None).await;
        assert_eq!(keyless.status, 401, "{}", keyless.text);
    }
    // Nothing changed.
    let listed = app.arm.internal("GET", "/internal/settings", None).await;
    assert!(listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|view| view["value"] == "off"));
}

#[tokio::test]
async fn a_new_principal_is_principal_not_found_without_principal_type_until_it_propagates() {
    let app = TestArm::spawn().await;
    set(&app, "principal-propagation", "30s").await;
    let operator = app.operator_token().await;
    let (principal, _) = app.new_principal("propagating").await;

    let without_type = app
        .arm
        .put(
            &assignment_path(&uuid::Uuid::new_v4().to_string()),
            Some(&operator),
            reader_for(&principal.object_id, None),
        )
        .await;
    assert_eq!(without_type.status, 400, "{}", without_type.text);
    assert_eq!(without_type.code(), "PrincipalNotFound");
    assert_eq!(
        without_type.message(),
        format!("Principal {} does not exist in the directory {TENANT}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype", principal.object_id)
    );
    let pending = settled(&app.aad).await;
    assert_eq!(pending["settled"], false);
    assert_eq!(pending["pending"][0]["kind"], "principal");
    assert_eq!(pending["pending"][0]["id"], principal.object_id.as_str());
    // Counted on the wall clock too: at most 30 s left, and consistent with `appliesAt`.
    let left = pending["pending"][0]["appliesIn"].as_i64().unwrap();
    assert!((1..=30).contains(&left), "{pending}");
    assert_eq!(
        pending["pending"][0]["appliesAt"].as_i64().unwrap() - pending["now"].as_i64().unwrap(),
        left
    );

    // With principalType ServicePrincipal ARM does not wait for the directory.
    let typed_path = assignment_path(&uuid::Uuid::new_v4().to_string());
    let typed = app
        .arm
        .put(
            &typed_path,
            Some(&operator),
            reader_for(&principal.object_id, Some("ServicePrincipal")),
        )
        .await;
    assert_eq!(typed.status, 201, "{}", typed.text);
    let removed = app.arm.delete(&typed_path, Some(&operator)).await;
    assert_eq!(removed.status, 200, "{}", removed.text);

    app.clock.advance(30);
    assert_eq!(settled(&app.aad).await["settled"], true);
    let later = app
        .arm
        .put(
            &assignment_path(&uuid::Uuid::new_v4().to_string()),
            Some(&operator),
            reader_for(&principal.object_id, None),
        )
        .await;
    assert_eq!(later.status, 201, "{}", later.text);
}

#[tokio::test]
async fn a_new_grant_applies_to_decisions_after_the_delay_while_reads_show_it_at_once() {
    let app = TestArm::spawn().await;
    set(&app, "role-assignment-propagation", "1m").await;
    let operator = app.operator_token().await;
    let (principal, token) = app.new_principal("waiting-for-reader").await;
    let name = uuid::Uuid::new_v4().to_string();
    let created = app
        .arm
        .put(
            &assignment_path(&name),
            Some(&operator),
            reader_for(&principal.object_id, Some("ServicePrincipal")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let read = app.arm.get(&assignment_path(&name), Some(&operator)).await;
    assert_eq!(read.status, 200, "the assignment itself reads at once");
    let refused = app.arm.get(&group_read(), Some(&token)).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(refused.code(), "AuthorizationFailed");
    let pending = settled(&app.arm).await;
    assert_eq!(pending["settled"], false);
    assert_eq!(pending["pending"][0]["kind"], "roleAssignmentCreated");
    assert!(pending["pending"][0]["id"]
        .as_str()
        .unwrap()
        .ends_with(&name));
    // Counted on the wall clock too: at most 60 s left. Moved to 5 s before (a margin for the
    // wall clock between two requests), the grant still does not apply; past it, it does.
    let left = pending["pending"][0]["appliesIn"].as_i64().unwrap();
    assert!((6..=60).contains(&left), "{pending}");

    app.clock.advance(left - 5);
    assert_eq!(app.arm.get(&group_read(), Some(&token)).await.status, 403);
    app.clock.advance(5);
    let allowed = app.arm.get(&group_read(), Some(&token)).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text);
    assert_eq!(settled(&app.arm).await["settled"], true);

    // A deletion keeps granting until it applies.
    let deleted = app
        .arm
        .delete(&assignment_path(&name), Some(&operator))
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let gone = app.arm.get(&assignment_path(&name), Some(&operator)).await;
    assert_eq!(gone.status, 404, "the deletion reads at once");
    assert_eq!(app.arm.get(&group_read(), Some(&token)).await.status, 200);
    assert_eq!(
        settled(&app.arm).await["pending"][0]["kind"],
        "roleAssignmentDeleted"
    );
    app.clock.advance(60);
    assert_eq!(app.arm.get(&group_read(), Some(&token)).await.status, 403);
}

#[tokio::test]
async fn changing_a_delay_re_times_what_it_holds_back_and_off_applies_it_at_once() {
    let app = TestArm::spawn().await;
    set(&app, "role-assignment-propagation", "1h").await;
    let operator = app.operator_token().await;
    let (principal, token) = app.new_principal("released").await;
    let created = app
        .arm
        .put(
            &assignment_path(&uuid::Uuid::new_v4().to_string()),
            Some(&operator),
            reader_for(&principal.object_id, Some("ServicePrincipal")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(app.arm.get(&group_read(), Some(&token)).await.status, 403);

    // A shorter delay re-times what is held back: it applies that long after the write.
    set(&app, "role-assignment-propagation", "10s").await;
    let pending = settled(&app.arm).await;
    assert!(
        pending["pending"][0]["appliesIn"].as_i64().unwrap() <= 10,
        "{pending}"
    );
    // Off applies it at once.
    set(&app, "role-assignment-propagation", "off").await;

    assert_eq!(settled(&app.arm).await["settled"], true);
    assert_eq!(app.arm.get(&group_read(), Some(&token)).await.status, 200);
}

#[tokio::test]
async fn a_grant_made_and_removed_within_the_delay_never_applies() {
    let app = TestArm::spawn().await;
    set(&app, "role-assignment-propagation", "1m").await;
    let operator = app.operator_token().await;
    let (principal, token) = app.new_principal("never-granted").await;
    let name = uuid::Uuid::new_v4().to_string();
    let body = reader_for(&principal.object_id, Some("ServicePrincipal"));
    let created = app
        .arm
        .put(&assignment_path(&name), Some(&operator), body)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let deleted = app
        .arm
        .delete(&assignment_path(&name), Some(&operator))
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(settled(&app.arm).await["settled"], true);
    app.clock.advance(60);
    assert_eq!(app.arm.get(&group_read(), Some(&token)).await.status, 403);
}

async fn graph_token(app: &TestArm) -> String {
    let scope = format!("{}/.default", app.aad.url(""));
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", mimic_testkit::fixture::OPERATOR_APP_ID),
        ("client_secret", mimic_testkit::fixture::OPERATOR_SECRET),
        ("scope", scope.as_str()),
    ];
    let reply = app
        .aad
        .form(&format!("/{TENANT}/oauth2/v2.0/token"), &form)
        .await;
    assert_eq!(reply.status, 200, "graph token: {}", reply.text);
    reply.body["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn graph_reads_by_id_do_not_find_a_new_principal_until_it_propagates() {
    let app = TestArm::spawn().await;
    set(&app, "principal-propagation", "20s").await;
    let graph = graph_token(&app).await;
    let (principal, _) = app.new_principal("not-yet-in-graph").await;
    let by_id = format!("/v1.0/servicePrincipals/{}", principal.object_id);
    let get_by_ids = json!({"ids": [principal.object_id], "types": ["servicePrincipal"]});

    let hidden = app.aad.get(&by_id, Some(&graph)).await;
    assert_eq!(hidden.status, 404, "{}", hidden.text);
    assert_eq!(hidden.code(), "Request_ResourceNotFound");
    let listed = app
        .aad
        .post(
            "/v1.0/directoryObjects/getByIds",
            Some(&graph),
            Some(get_by_ids.clone()),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["value"], json!([]));

    app.clock.advance(20);
    let found = app.aad.get(&by_id, Some(&graph)).await;
    assert_eq!(found.status, 200, "{}", found.text);
    let listed = app
        .aad
        .post(
            "/v1.0/directoryObjects/getByIds",
            Some(&graph),
            Some(get_by_ids),
        )
        .await;
    assert_eq!(listed.body["value"][0]["id"], principal.object_id.as_str());
}
