//! Microsoft Graph's authorization decisions (issue 17 item 4): `GET /internal/graph/decisions`
//! shows each Graph 403 with what the caller held and what would have granted it, and each allowed
//! call with the permission, directory role or default user permission that granted it; Graph's
//! 403 body stays Graph's. Internal key only.

use mimic_aad::first_party::GRAPH_APP_ROLES;
use mimic_testkit::fixture::DOMAIN;
use mimic_web::INTERNAL_KEY_HEADER;
use serde_json::{json, Value};

use crate::graph_applications::{text, Graph};
use crate::graph_permissions::PASSWORD;

const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

/// Graph's 403 body, byte for byte: no explanation in it.
const DENIED_BODY: &str = "Insufficient privileges to complete the operation.";

impl Graph {
    /// `GET /internal/graph/decisions?{query}` with the internal key.
    async fn decisions(&self, query: &str) -> Vec<Value> {
        let reply = self
            .app
            .aad
            .internal("GET", &format!("/internal/graph/decisions?{query}"), None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["value"].as_array().unwrap().clone()
    }
}

/// The id of Microsoft Graph's app role `value`.
fn app_role(value: &str) -> &'static str {
    GRAPH_APP_ROLES
        .iter()
        .find(|role| role.value == value)
        .map(|role| role.id)
        .unwrap()
}

fn assert_graphs_403(reply: &mimic_testkit::Reply) {
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(reply.code(), "Authorization_RequestDenied");
    assert_eq!(reply.message(), DENIED_BODY);
    assert!(
        !reply.body.to_string().contains("ReadWrite"),
        "the 403 body carries no explanation: {}",
        reply.body
    );
}

#[tokio::test]
async fn an_app_creating_an_application_is_recorded_with_the_permissions_that_would_grant_it() {
    let graph = Graph::spawn().await;
    let (app_id, principal, secret) = graph.role_less_app("explain-app").await;
    let token = graph.app_graph_token(&app_id, &secret).await;

    let refused = graph
        .call(
            "POST",
            "/v1.0/applications",
            &token,
            Some(json!({"displayName": "refused"})),
        )
        .await;

    assert_graphs_403(&refused);
    let denied = graph
        .decisions(&format!("principal={app_id}&decision=denied"))
        .await;
    assert_eq!(denied.len(), 1, "{denied:#?}");
    let record = &denied[0];
    assert_eq!(record["caller"]["oid"], principal.as_str());
    assert_eq!(record["caller"]["appid"], app_id.as_str());
    assert_eq!(record["caller"]["name"], "explain-app");
    assert_eq!(record["plane"], "graph");
    assert_eq!(record["authorization"], "graph");
    assert_eq!(record["action"], "Create application");
    assert_eq!(record["method"], "POST");
    assert_eq!(record["scope"], "/v1.0/applications");
    assert_eq!(
        record["permissionsThatGrant"],
        json!(["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"])
    );
    assert_eq!(
        record["directoryRolesThatGrant"],
        json!([
            "Application Developer",
            "Application Administrator",
            "Cloud Application Administrator",
            "Global Administrator"
        ])
    );
    assert!(record.get("permissionsHeld").is_none(), "{record}");
    assert_eq!(
        record["reason"],
        "the token carries no application permission (no `roles` claim); it holds no directory role; \
         one of the application permissions Application.ReadWrite.OwnedBy, Application.ReadWrite.All \
         or directory roles Application Developer, Application Administrator, Cloud Application Administrator, \
         Global Administrator would grant it"
    );

    graph
        .grant_graph_role(&principal, app_role("Application.ReadWrite.All"))
        .await;
    let token = graph.app_graph_token(&app_id, &secret).await;
    let created = graph
        .call(
            "POST",
            "/v1.0/applications",
            &token,
            Some(json!({"displayName": "made"})),
        )
        .await;

    assert_eq!(created.status, 201, "{}", created.body);
    let allowed = graph
        .decisions("principal=explain-app&decision=allowed")
        .await;
    assert_eq!(allowed.len(), 1, "{allowed:#?}");
    assert_eq!(allowed[0]["action"], "Create application");
    assert_eq!(
        allowed[0]["reason"],
        "application permission Application.ReadWrite.All in the token's roles grants it"
    );
    assert!(allowed[0].get("permissionsThatGrant").is_none());
    let newest = graph
        .decisions(&format!("principal={app_id}&limit=1"))
        .await;
    assert_eq!(newest, allowed, "newest first");
}

#[tokio::test]
async fn an_app_with_the_wrong_permission_is_told_what_it_holds() {
    let graph = Graph::spawn().await;
    let (app_id, principal, secret) = graph.role_less_app("user-reader").await;
    graph
        .grant_graph_role(&principal, app_role("User.ReadWrite.All"))
        .await;
    let token = graph.app_graph_token(&app_id, &secret).await;

    let users = graph.call("GET", "/v1.0/users", &token, None).await;
    let groups = graph.call("GET", "/v1.0/groups", &token, None).await;

    assert_eq!(users.status, 200, "{}", users.body);
    assert_graphs_403(&groups);
    let recorded = graph.decisions(&format!("principal={principal}")).await;
    assert_eq!(recorded.len(), 2, "{recorded:#?}");
    assert_eq!(recorded[0]["action"], "List groups");
    assert_eq!(recorded[0]["decision"], "denied");
    assert_eq!(
        recorded[0]["permissionsHeld"],
        json!(["User.ReadWrite.All"])
    );
    assert_eq!(
        recorded[0]["directoryRolesThatGrant"],
        json!(["Directory Readers"])
    );
    let reason = recorded[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("the token's roles hold User.ReadWrite.All; it holds no directory role; one of the application permissions GroupMember.Read.All"),
        "{reason}"
    );
    assert_eq!(recorded[1]["action"], "List users");
    assert_eq!(
        recorded[1]["reason"],
        "application permission User.ReadWrite.All in the token's roles (which includes User.Read.All) grants it"
    );
}

#[tokio::test]
async fn a_user_is_recorded_with_the_directory_role_that_granted_or_the_ones_that_would() {
    let graph = Graph::spawn().await;
    let user = graph.member("explain-user").await;
    let token = graph
        .user_graph_token(&format!("explain-user@{DOMAIN}"), PASSWORD)
        .await;
    let new_user = |name: &str| {
        json!({"accountEnabled": true, "displayName": name, "mailNickname": name,
               "userPrincipalName": format!("{name}@{DOMAIN}"), "passwordProfile": {"password": PASSWORD}})
    };

    let refused = graph
        .call("POST", "/v1.0/users", &token, Some(new_user("first")))
        .await;
    let registered = graph
        .call(
            "POST",
            "/v1.0/applications",
            &token,
            Some(json!({"displayName": "mine"})),
        )
        .await;

    assert_graphs_403(&refused);
    assert_eq!(registered.status, 201, "{}", registered.body);
    let recorded = graph.decisions("principal=explain-user").await;
    assert_eq!(recorded.len(), 2, "{recorded:#?}");
    assert_eq!(recorded[0]["decision"], "allowed");
    assert_eq!(
        recorded[0]["reason"],
        "Entra's default user permissions let every member user do it (the tenant's allowedToCreateApps is on)"
    );
    let denial = &recorded[1];
    assert_eq!(denial["caller"]["oid"], user.as_str());
    assert_eq!(denial["action"], "Create user");
    assert_eq!(
        denial["reason"],
        "it holds no directory role; one of the directory roles User Administrator, Global Administrator would grant it"
    );
    assert!(denial.get("permissionsThatGrant").is_none(), "{denial}");
    assert_eq!(
        denial["directoryRolesThatGrant"],
        json!(["User Administrator", "Global Administrator"])
    );

    let assigned = graph
        .post(
            "/v1.0/roleManagement/directory/roleAssignments",
            json!({"principalId": user, "roleDefinitionId": USER_ADMINISTRATOR, "directoryScopeId": "/"}),
        )
        .await;
    assert_eq!(assigned.status, 201, "{}", assigned.body);
    let created = graph
        .call("POST", "/v1.0/users", &token, Some(new_user("second")))
        .await;

    assert_eq!(created.status, 201, "{}", created.body);
    let granted = graph.decisions(&format!("principal={user}&limit=1")).await;
    assert_eq!(granted[0]["action"], "Create user");
    assert_eq!(granted[0]["decision"], "allowed");
    assert_eq!(
        granted[0]["reason"],
        "its directory role User Administrator grants it"
    );
}

#[tokio::test]
async fn an_owner_and_a_non_owner_are_recorded_with_the_object() {
    let graph = Graph::spawn().await;
    let owner = graph.member("app-owner").await;
    graph.member("not-owner").await;
    let owner_token = graph
        .user_graph_token(&format!("app-owner@{DOMAIN}"), PASSWORD)
        .await;
    let other_token = graph
        .user_graph_token(&format!("not-owner@{DOMAIN}"), PASSWORD)
        .await;
    let created = graph
        .call(
            "POST",
            "/v1.0/applications",
            &owner_token,
            Some(json!({"displayName": "owned"})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = text(&created.body, "id");
    let path = format!("/v1.0/applications/{id}");

    let patched = graph
        .call(
            "PATCH",
            &path,
            &owner_token,
            Some(json!({"displayName": "renamed"})),
        )
        .await;
    let refused = graph
        .call(
            "PATCH",
            &path,
            &other_token,
            Some(json!({"displayName": "taken"})),
        )
        .await;

    assert_eq!(patched.status, 204, "{}", patched.body);
    assert_graphs_403(&refused);
    let mine = graph.decisions(&format!("principal={owner}&limit=1")).await;
    assert_eq!(mine[0]["object"], id.as_str());
    assert_eq!(mine[0]["method"], "PATCH");
    assert_eq!(mine[0]["scope"], path.as_str());
    assert_eq!(mine[0]["reason"], format!("it owns the application {id}"));
    let theirs = graph.decisions("principal=not-owner&decision=denied").await;
    let reason = theirs[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("it is not an owner of the application {id}")),
        "{reason}"
    );
}

#[tokio::test]
async fn graph_decisions_need_the_internal_key_and_answer_bad_queries_with_400() {
    let graph = Graph::spawn().await;
    let url = format!("{}/internal/graph/decisions", graph.app.aad.base);
    graph.get("/v1.0/users").await;

    let requests = [
        graph.app.aad.http.get(&url),
        graph
            .app
            .aad
            .http
            .get(&url)
            .header(INTERNAL_KEY_HEADER, "wrong"),
        graph.app.aad.http.get(&url).bearer_auth(&graph.token),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "Authorization_RequestDenied");
    }
    let bad = graph
        .app
        .aad
        .internal("GET", "/internal/graph/decisions?limit=many", None)
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(graph.decisions("limit=1").await.len(), 1);
}
