//! Microsoft Graph `groups`: security groups, their members (users, service principals, nested
//! groups) and owners, the membership reads and actions on every principal, and the internal API
//! ARM reads a principal's groups from.

use serde_json::{json, Value};

use crate::helpers::{assert_graph_error, ids, Graph};
use mimic_testkit::fixture::{ADMIN_ID, OPERATOR_OBJECT_ID};

const UNKNOWN: &str = "0badc0de-0000-4000-8000-000000000000";

fn not_found(id: &str) -> String {
    format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present.")
}

async fn member_ids(graph: &Graph, path: &str) -> Vec<String> {
    let mut ids = ids(&graph.all_pages(path).await.0);
    ids.sort();
    ids
}

async fn internal_groups(graph: &Graph, id: &str) -> mimic_testkit::Reply {
    graph
        .app
        .aad
        .internal("GET", &format!("/internal/principals/{id}/groups"), None)
        .await
}

fn sorted(mut ids: Vec<&str>) -> Vec<String> {
    ids.sort();
    ids.into_iter().map(str::to_string).collect()
}

#[tokio::test]
async fn create_group_returns_201_with_graphs_security_group_shape() {
    let graph = Graph::spawn().await;

    let reply = graph
        .post(
            "/groups",
            json!({"displayName": "devs", "mailNickname": "devs", "mailEnabled": false,
            "securityEnabled": true, "description": "Developers"}),
        )
        .await;

    assert_eq!(reply.status, 201, "{}", reply.body);
    let group = &reply.body;
    let id = group["id"].as_str().unwrap();
    assert_eq!(
        group["@odata.context"],
        format!("{}/v1.0/$metadata#groups/$entity", graph.app.aad.base)
    );
    assert_eq!(
        (
            group["displayName"].as_str(),
            group["mailNickname"].as_str(),
            group["description"].as_str()
        ),
        (Some("devs"), Some("devs"), Some("Developers"))
    );
    assert_eq!(
        (
            group["securityEnabled"].as_bool(),
            group["mailEnabled"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(
        (group["groupTypes"].clone(), group["mail"].clone()),
        (json!([]), Value::Null)
    );
    assert!(group["securityIdentifier"]
        .as_str()
        .unwrap()
        .starts_with("S-1-12-1-"));
    let read = graph.get(&format!("/groups/{id}")).await;
    let mut want = group.clone();
    want.as_object_mut().unwrap().remove("@odata.context");
    let mut got = read.body.clone();
    got.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(got, want);
}

#[tokio::test]
async fn create_group_refuses_what_is_not_a_security_group_and_changes_nothing() {
    let graph = Graph::spawn().await;
    let body = |mail: bool, security: bool| json!({"displayName": "g", "mailNickname": "g", "mailEnabled": mail, "securityEnabled": security});
    let mail_enabled = "The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset and the security-enablement property is set.";
    let cases = [
        (body(true, true), mail_enabled),
        (body(false, false), mail_enabled),
        (
            json!({"displayName": "g", "mailEnabled": false, "securityEnabled": true}),
            "A value is required for property 'mailNickname' of resource 'Group'.",
        ),
        (
            json!({"displayName": "g", "mailNickname": "a b", "mailEnabled": false, "securityEnabled": true}),
            "Invalid value specified for property 'mailNickname' of resource 'Group'.",
        ),
    ];
    for (body, message) in cases {
        let reply = graph.post("/groups", body.clone()).await;

        assert_graph_error(&reply, 400, "Request_BadRequest", message);
    }
    assert_eq!(graph.get("/groups").await.body["value"], json!([]));
}

#[tokio::test]
async fn list_groups_filters_as_az_asks_and_pages() {
    let graph = Graph::spawn().await;
    let devs = graph.create_group("devs").await;
    let ops = graph.create_group("ops").await;
    let devops = graph.create_group("devops").await;
    let cases = [
        (
            "displayName eq 'DEVS' and mailNickname eq 'devs'".to_string(),
            vec![devs.as_str()],
        ),
        (
            "startswith(displayName,'dev')".to_string(),
            vec![devs.as_str(), devops.as_str()],
        ),
        (format!("id eq '{ops}'"), vec![ops.as_str()]),
        ("displayName eq 'nobody'".to_string(), vec![]),
    ];
    for (filter, want) in cases {
        let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();

        let reply = graph.get(&format!("/groups?$filter={encoded}")).await;

        assert_eq!(reply.status, 200, "{filter}: {}", reply.body);
        let mut got: Vec<&str> = reply.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap())
            .collect();
        got.sort();
        assert_eq!(got, sorted(want), "{filter}");
    }
    let (items, pages) = graph.all_pages("/groups?$top=2").await;
    assert_eq!((items.len(), pages), (3, 2));
    assert_graph_error(
        &graph.get("/groups?$filter=visibility%20eq%20'Private'").await,
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'visibility' of resource 'Group'.",
    );
}

#[tokio::test]
async fn update_and_delete_group() {
    let graph = Graph::spawn().await;
    let id = graph.create_group("old").await;

    let patched = graph
        .patch(
            &format!("/groups/{id}"),
            json!({"displayName": "new", "description": "d"}),
        )
        .await;

    assert_eq!(patched.status, 204, "{}", patched.text);
    let group = graph.get(&format!("/groups/{id}")).await.body;
    assert_eq!(
        (group["displayName"].as_str(), group["description"].as_str()),
        (Some("new"), Some("d"))
    );
    let refused = graph
        .patch(
            &format!("/groups/{id}"),
            json!({"displayName": "x", "mailEnabled": true}),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        graph.get(&format!("/groups/{id}")).await.body["displayName"],
        "new"
    );
    assert_eq!(graph.delete(&format!("/groups/{id}")).await.status, 204);
    assert_graph_error(
        &graph.get(&format!("/groups/{id}")).await,
        404,
        "Request_ResourceNotFound",
        &not_found(&id),
    );
    assert_graph_error(
        &graph.delete(&format!("/groups/{id}")).await,
        404,
        "Request_ResourceNotFound",
        &not_found(&id),
    );
}

#[tokio::test]
async fn members_may_be_users_service_principals_and_groups_and_errors_change_nothing() {
    let graph = Graph::spawn().await;
    let group = graph.create_group("team").await;
    let inner = graph.create_group("inner").await;
    for member in [ADMIN_ID, OPERATOR_OBJECT_ID, inner.as_str()] {
        graph.add_member(&group, member).await;
    }
    let members = format!("/groups/{group}/members");

    let listed = graph.get(&members).await;

    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(
        listed.body["@odata.context"],
        format!("{}/v1.0/$metadata#directoryObjects", graph.app.aad.base)
    );
    let mut types: Vec<(&str, &str)> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap(),
                m["@odata.type"].as_str().unwrap(),
            )
        })
        .collect();
    types.sort();
    let mut want = vec![
        (ADMIN_ID, "#microsoft.graph.user"),
        (OPERATOR_OBJECT_ID, "#microsoft.graph.servicePrincipal"),
        (inner.as_str(), "#microsoft.graph.group"),
    ];
    want.sort();
    assert_eq!(types, want);
    let reference = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    let already = "One or more added object references already exist for the following modified properties: 'members'.";
    let cases = [
        (
            format!("/groups/{group}/members/$ref"),
            reference(ADMIN_ID),
            400,
            "Request_BadRequest",
            already.to_string(),
        ),
        (
            format!("/groups/{group}/members/$ref"),
            reference(UNKNOWN),
            404,
            "Request_ResourceNotFound",
            not_found(UNKNOWN),
        ),
        (
            format!("/groups/{UNKNOWN}/members/$ref"),
            reference(ADMIN_ID),
            404,
            "Request_ResourceNotFound",
            not_found(UNKNOWN),
        ),
        (
            format!("/groups/{group}/members/$ref"),
            json!({"id": ADMIN_ID}),
            400,
            "BadRequest",
            "Invalid URL format specified in payload.".to_string(),
        ),
        (
            format!("/groups/{group}/members/$ref"),
            json!({"@odata.id": ADMIN_ID}),
            400,
            "BadRequest",
            "Invalid URL format specified in payload.".to_string(),
        ),
        (
            format!("/groups/{group}/members/$ref"),
            reference("not-a-guid"),
            400,
            "Request_BadRequest",
            "Invalid object identifier 'not-a-guid'.".to_string(),
        ),
    ];
    for (path, body, status, code, message) in cases {
        let reply = graph.post(&path, body).await;

        assert_graph_error(&reply, status, code, &message);
    }
    assert_eq!(
        member_ids(&graph, &members).await,
        sorted(vec![ADMIN_ID, OPERATOR_OBJECT_ID, &inner])
    );

    let removed = graph
        .delete(&format!("/groups/{group}/members/{ADMIN_ID}/$ref"))
        .await;

    assert_eq!(removed.status, 204, "{}", removed.text);
    assert_eq!(
        member_ids(&graph, &members).await,
        sorted(vec![OPERATOR_OBJECT_ID, &inner])
    );
    assert_graph_error(
        &graph
            .delete(&format!("/groups/{group}/members/{ADMIN_ID}/$ref"))
            .await,
        404,
        "Request_ResourceNotFound",
        &not_found(ADMIN_ID),
    );
}

#[tokio::test]
async fn members_page_with_next_links() {
    let graph = Graph::spawn().await;
    let group = graph.create_group("many").await;
    let mut want = Vec::new();
    for index in 0..5 {
        let principal = graph
            .app
            .create_principal(&json!({"displayName": format!("sp{index}")}))
            .await;
        let id = principal.body["id"].as_str().unwrap().to_string();
        graph.add_member(&group, &id).await;
        want.push(id);
    }
    want.sort();

    let (items, pages) = graph
        .all_pages(&format!("/groups/{group}/members?$top=2"))
        .await;

    assert_eq!((ids(&items), pages), (want, 3));
}

#[tokio::test]
async fn owners_are_added_listed_and_removed() {
    let graph = Graph::spawn().await;
    let group = graph.create_group("owned").await;
    let path = format!("/groups/{group}/owners/$ref");
    let reference = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});

    assert_eq!(graph.post(&path, reference(ADMIN_ID)).await.status, 204);
    let again = graph.post(&path, reference(ADMIN_ID)).await;

    assert_graph_error(&again, 400, "Request_BadRequest", "One or more added object references already exist for the following modified properties: 'owners'.");
    assert_eq!(
        member_ids(&graph, &format!("/groups/{group}/owners")).await,
        vec![ADMIN_ID.to_string()]
    );
    assert!(
        member_ids(&graph, &format!("/groups/{group}/members"))
            .await
            .is_empty(),
        "owners are not members"
    );
    assert_eq!(
        graph
            .delete(&format!("/groups/{group}/owners/{ADMIN_ID}/$ref"))
            .await
            .status,
        204
    );
    assert!(member_ids(&graph, &format!("/groups/{group}/owners"))
        .await
        .is_empty());
}

#[tokio::test]
async fn nested_groups_give_transitive_members_and_memberships_everywhere() {
    let graph = Graph::spawn().await;
    let outer = graph.create_group("outer").await;
    let inner = graph.create_group("inner").await;
    let user = graph.create_user("nina", "Nina-Pass-1!", false).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    graph.add_member(&inner, &user).await;
    graph.add_member(&inner, OPERATOR_OBJECT_ID).await;
    graph.add_member(&outer, &inner).await;

    assert_eq!(
        member_ids(&graph, &format!("/groups/{outer}/members")).await,
        vec![inner.clone()]
    );
    assert_eq!(
        member_ids(&graph, &format!("/groups/{outer}/transitiveMembers")).await,
        sorted(vec![&inner, &user, OPERATOR_OBJECT_ID])
    );
    let both = sorted(vec![&inner, &outer]);
    for set in ["users", "servicePrincipals"] {
        let id = if set == "users" {
            user.as_str()
        } else {
            OPERATOR_OBJECT_ID
        };
        assert_eq!(
            member_ids(&graph, &format!("/{set}/{id}/memberOf")).await,
            vec![inner.clone()],
            "{set}"
        );
        assert_eq!(
            member_ids(&graph, &format!("/{set}/{id}/transitiveMemberOf")).await,
            both,
            "{set}"
        );
    }
    assert_eq!(
        member_ids(&graph, &format!("/groups/{inner}/memberOf")).await,
        vec![outer.clone()]
    );
    for path in [
        format!("/users/{user}/getMemberGroups"),
        format!(
            "/users/nina@{}/getMemberObjects",
            mimic_testkit::fixture::DOMAIN
        ),
        format!("/servicePrincipals/{OPERATOR_OBJECT_ID}/getMemberGroups"),
        format!("/directoryObjects/{user}/getMemberGroups"),
    ] {
        let reply = graph
            .post(&path, json!({"securityEnabledOnly": true}))
            .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(
            reply.body["@odata.context"],
            format!(
                "{}/v1.0/$metadata#Collection(Edm.String)",
                graph.app.aad.base
            )
        );
        let mut got: Vec<String> = serde_json::from_value(reply.body["value"].clone()).unwrap();
        got.sort();
        assert_eq!(got, both, "{path}");
    }
    let group_groups = graph
        .post(
            &format!("/groups/{inner}/getMemberGroups"),
            json!({"securityEnabledOnly": false}),
        )
        .await;
    assert_eq!(group_groups.body["value"], json!([outer]));
    let checked = graph
        .post(
            &format!("/directoryObjects/{user}/checkMemberGroups"),
            json!({"groupIds": [outer, UNKNOWN]}),
        )
        .await;
    assert_eq!(checked.body["value"], json!([outer]));
    let admin = graph
        .post(
            &format!("/users/{ADMIN_ID}/checkMemberGroups"),
            json!({"groupIds": [outer]}),
        )
        .await;
    assert_eq!(admin.body["value"], json!([]));
    assert_graph_error(
        &graph
            .get(&format!("/users/{OPERATOR_OBJECT_ID}/memberOf"))
            .await,
        404,
        "Request_ResourceNotFound",
        &not_found(OPERATOR_OBJECT_ID),
    );
}

#[tokio::test]
async fn get_by_ids_and_directory_objects_know_groups() {
    let graph = Graph::spawn().await;
    let group = graph.create_group("known").await;

    let by_ids = graph
        .post(
            "/directoryObjects/getByIds",
            json!({"ids": [group, ADMIN_ID], "types": ["group"]}),
        )
        .await;
    let object = graph.get(&format!("/directoryObjects/{group}")).await;

    assert_eq!(by_ids.status, 200, "{}", by_ids.body);
    assert_eq!(
        ids(by_ids.body["value"].as_array().unwrap()),
        vec![group.clone()]
    );
    assert_eq!(
        by_ids.body["value"][0]["@odata.type"],
        "#microsoft.graph.group"
    );
    assert_eq!(
        (object.status, object.body["displayName"].as_str()),
        (200, Some("known"))
    );
    assert_eq!(object.body["@odata.type"], "#microsoft.graph.group");
}

#[tokio::test]
async fn deleting_a_principal_removes_its_memberships_and_restoring_a_user_brings_them_back() {
    let graph = Graph::spawn().await;
    let group = graph.create_group("crew").await;
    let parent = graph.create_group("parent").await;
    let user = graph.create_user("olly", "Olly-Pass-1!", false).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let principal = graph
        .app
        .create_principal(&json!({"displayName": "temp"}))
        .await;
    let principal = principal.body["id"].as_str().unwrap().to_string();
    for member in [&user, &principal] {
        graph.add_member(&group, member).await;
    }
    graph.add_member(&parent, &group).await;
    let members = format!("/groups/{group}/members");

    assert_eq!(graph.delete(&format!("/users/{user}")).await.status, 204);
    assert_eq!(graph.app.delete_principal(&principal).await.status, 204);

    assert!(member_ids(&graph, &members).await.is_empty());
    assert_eq!(
        internal_groups(&graph, &user).await.status,
        404,
        "a deleted user has no groups"
    );
    let restored = graph
        .post(
            &format!("/directory/deletedItems/{user}/restore"),
            json!({}),
        )
        .await;
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(
        member_ids(&graph, &members).await,
        vec![user.clone()],
        "Entra restores memberships"
    );
    assert_eq!(graph.delete(&format!("/groups/{group}")).await.status, 204);
    assert!(member_ids(&graph, &format!("/groups/{parent}/members"))
        .await
        .is_empty());
    assert_eq!(
        internal_groups(&graph, &user).await.body["groups"],
        json!([])
    );
}

#[tokio::test]
async fn internal_principal_groups_are_transitive_with_a_generation_to_cache_under() {
    let graph = Graph::spawn().await;
    let outer = graph.create_group("outer").await;
    let inner = graph.create_group("inner").await;
    graph.add_member(&inner, ADMIN_ID).await;
    let before = internal_groups(&graph, ADMIN_ID).await;
    graph.add_member(&outer, &inner).await;

    let reply = internal_groups(&graph, ADMIN_ID).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["principalId"], ADMIN_ID);
    assert_eq!(reply.body["principalType"], "User");
    assert_eq!(reply.body["groups"], json!(sorted(vec![&inner, &outer])));
    let generation = reply.body["generation"].as_i64().unwrap();
    assert!(generation > before.body["generation"].as_i64().unwrap());
    assert_eq!(reply.header("etag"), format!("\"{generation}\""));
    let sp = internal_groups(&graph, OPERATOR_OBJECT_ID).await;
    assert_eq!(
        (sp.body["principalType"].as_str(), sp.body["groups"].clone()),
        (Some("ServicePrincipal"), json!([]))
    );
    let group = internal_groups(&graph, &inner).await;
    assert_eq!(
        (
            group.body["principalType"].as_str(),
            group.body["groups"].clone()
        ),
        (Some("Group"), json!([outer]))
    );
    let key = graph.app.internal_key.expose().to_string();
    let path = format!("/internal/principals/{ADMIN_ID}/groups");
    let etag = format!("\"{generation}\"");
    let unchanged = graph
        .app
        .aad
        .raw(
            "GET",
            &path,
            &[("x-mimic-internal-key", &key), ("If-None-Match", &etag)],
            "",
        )
        .await;
    assert_eq!(unchanged.status, 304);
    let stale = graph
        .app
        .aad
        .raw(
            "GET",
            &path,
            &[("x-mimic-internal-key", &key), ("If-None-Match", "\"1\"")],
            "",
        )
        .await;
    assert_eq!(stale.status, 200);
    let without_key = graph.app.aad.raw("GET", &path, &[], "").await;
    assert_eq!(without_key.status, 401);
    let unknown = internal_groups(&graph, UNKNOWN).await;
    assert_eq!(
        (unknown.status, unknown.body["error"].as_str()),
        (404, Some("Request_ResourceNotFound"))
    );
}

#[tokio::test]
async fn internal_principal_names_the_kind_of_any_directory_object() {
    let graph = Graph::spawn().await;
    let group = graph
        .post(
            "/groups",
            json!({"displayName": "kinds", "mailNickname": "kinds", "mailEnabled": false,
                "securityEnabled": true}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.text);
    let group_id = group.body["id"].as_str().unwrap().to_string();
    for (id, kind) in [
        (OPERATOR_OBJECT_ID, "ServicePrincipal"),
        (ADMIN_ID, "User"),
        (group_id.as_str(), "Group"),
    ] {
        let found = graph
            .app
            .aad
            .internal("GET", &format!("/internal/principals/{id}"), None)
            .await;
        assert_eq!(found.status, 200, "{}", found.text);
        assert_eq!(
            (
                found.body["principalId"].as_str(),
                found.body["principalType"].as_str()
            ),
            (Some(id), Some(kind))
        );
    }
    let unknown = graph
        .app
        .aad
        .internal("GET", &format!("/internal/principals/{UNKNOWN}"), None)
        .await;
    assert_eq!(unknown.status, 404);
    let path = format!("/internal/principals/{ADMIN_ID}");
    let without_key = graph.app.aad.raw("GET", &path, &[], "").await;
    assert_eq!(without_key.status, 401);
}
