//! Microsoft Graph `users` writes and `directory/deletedItems`: create, read, list (filters,
//! paging, `$count`), update, soft delete, restore and permanent delete — and what each does to
//! password sign-in.

use serde_json::json;

use crate::helpers::{assert_graph_error, ids, Graph};
use mimic_testkit::fixture::{ADMIN_ID, ADMIN_UPN, DOMAIN, TENANT};

const PASSWORD: &str = "Graph-Pass-1!";

fn upn(name: &str) -> String {
    format!("{name}@{DOMAIN}")
}

async fn user_count(graph: &Graph) -> usize {
    graph.all_pages("/users").await.0.len()
}

#[tokio::test]
async fn create_user_returns_201_with_graphs_default_properties_and_the_user_signs_in_at_once() {
    let graph = Graph::spawn().await;

    let created = graph.create_user("ann", PASSWORD, false).await;

    let id = created["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert_eq!(
        created,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#users/$entity", graph.app.aad.base),
            "businessPhones": [], "displayName": "ann", "givenName": null, "jobTitle": null,
            "mail": null, "mobilePhone": null, "officeLocation": null, "preferredLanguage": null,
            "surname": null, "userPrincipalName": upn("ann"), "id": id,
        })
    );
    let token = graph.app.ropc(TENANT, &upn("ann"), PASSWORD).await;
    assert_eq!(token.status, 200, "{}", token.body);
    let claims = crate::helpers::jwt_part(token.token(), 1);
    assert_eq!(
        (claims["oid"].as_str(), claims["upn"].as_str()),
        (Some(id), Some(&*upn("ann")))
    );
}

#[tokio::test]
async fn create_user_refuses_bad_input_with_graphs_errors_and_changes_nothing() {
    let graph = Graph::spawn().await;
    graph.create_user("taken", PASSWORD, false).await;
    let before = user_count(&graph).await;
    let body = |upn: &str, nickname: &str, password: &str| {
        json!({"accountEnabled": true, "displayName": "X", "mailNickname": nickname,
            "userPrincipalName": upn, "passwordProfile": {"password": password}})
    };
    let cases = [
        (body("x@contoso.com", "x", PASSWORD), "Request_BadRequest", "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."),
        (body(&upn("x"), "x", "password1"), "Request_BadRequest", "The specified password does not comply with password complexity requirements. Please provide a different password."),
        (body(&upn("x"), "x", "Sh0rt!"), "Request_BadRequest", "The specified password does not comply with password complexity requirements. Please provide a different password."),
        (body(&upn("TAKEN"), "x", PASSWORD), "Request_BadRequest", "Another object with the same value for property userPrincipalName already exists."),
        (body("no-at-sign", "x", PASSWORD), "Request_BadRequest", "Property userPrincipalName is invalid."),
        (body(&upn("x"), "a b", PASSWORD), "Request_BadRequest", "Invalid value specified for property 'mailNickname' of resource 'User'."),
        (json!({"displayName": "X"}), "Request_BadRequest", "A value is required for property 'accountEnabled' of resource 'User'."),
        (json!({"accountEnabled": "yes"}), "BadRequest", "Cannot convert the literal '\"yes\"' to the expected type 'Edm.Boolean'."),
        (json!({"favouriteColour": "blue"}), "BadRequest", "The property 'favouriteColour' does not exist on type 'microsoft.graph.user'. Make sure to only use property names that are defined by the type or mark the type as open type."),
        (json!("not an object"), "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."),
    ];
    for (body, code, message) in cases {
        let reply = graph.post("/users", body.clone()).await;

        assert_graph_error(&reply, 400, code, message);
    }
    let conflict = graph
        .post("/users", body(&upn("taken"), "t", PASSWORD))
        .await;
    assert_eq!(
        conflict.body["error"]["details"],
        json!([{"code": "ObjectConflict", "target": "userPrincipalName"}])
    );
    assert_eq!(user_count(&graph).await, before);
    assert_eq!(
        graph.app.ropc(TENANT, &upn("x"), PASSWORD).await.aadsts(),
        50034
    );
}

#[tokio::test]
async fn get_user_by_id_or_upn_with_select_and_on_beta() {
    let graph = Graph::spawn().await;
    let id = graph.create_user("bo", PASSWORD, false).await["id"].clone();
    let id = id.as_str().unwrap();

    for key in [id.to_string(), upn("bo"), upn("BO")] {
        let reply = graph.get(&format!("/users/{key}")).await;
        assert_eq!(reply.status, 200, "{key}: {}", reply.body);
        assert_eq!(reply.body["id"], id, "{key}");
    }
    let selected = graph
        .get(&format!(
            "/users/{id}?$select=accountEnabled,mailNickname,createdDateTime,userType"
        ))
        .await;
    assert_eq!(selected.status, 200, "{}", selected.body);
    let created = selected.body["createdDateTime"].clone();
    assert_eq!(
        selected.body,
        json!({
            "@odata.context": format!("{}/v1.0/$metadata#users(accountEnabled,mailNickname,createdDateTime,userType)/$entity", graph.app.aad.base),
            "id": id, "accountEnabled": true, "mailNickname": "bo", "createdDateTime": created, "userType": "Member",
        })
    );
    let beta = graph
        .app
        .aad
        .get(&format!("/beta/users/{}", upn("bo")), Some(&graph.token))
        .await;
    assert_eq!(beta.status, 200, "{}", beta.body);
    assert_eq!(beta.body["id"], id);
}

#[tokio::test]
async fn list_users_pages_past_100_objects_and_counts_in_advanced_queries() {
    let graph = Graph::spawn().await;
    for index in 0..105 {
        let name = format!("pager{index:03}");
        let reply = graph
            .post("/users", json!({"accountEnabled": index % 2 == 0, "displayName": name,
                "mailNickname": name, "userPrincipalName": upn(&name), "passwordProfile": {"password": PASSWORD}}))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }

    let (items, pages) = graph.all_pages("/users").await;

    let mut sorted = ids(&items);
    sorted.sort();
    sorted.dedup();
    assert_eq!(items.len(), 106, "105 new users and the fixture's admin");
    assert_eq!(sorted.len(), 106, "each user once");
    assert_eq!(pages, 2);
    let (selected, _) = graph.all_pages("/users?$top=50&$select=displayName").await;
    assert_eq!(selected.len(), 106);
    assert!(
        selected.iter().all(|u| u.as_object().unwrap().len() == 2),
        "{:?}",
        selected[0]
    );

    let filter = "/users?$filter=startswith(displayName,'pager')%20and%20accountEnabled%20eq%20false&$count=true";
    let counted = graph.get_eventual(filter).await;
    assert_eq!(counted.status, 200, "{}", counted.body);
    assert_eq!(counted.body["@odata.count"], 52);
    assert_eq!(counted.body["value"].as_array().unwrap().len(), 52);
    let uncounted = graph.get(filter).await;
    assert_eq!(uncounted.status, 200, "{}", uncounted.body);
    assert!(
        uncounted.body.get("@odata.count").is_none(),
        "Graph ignores $count without the header"
    );
    let count = graph.get_eventual("/users/$count").await;
    assert_eq!((count.status, count.text.as_str()), (200, "106"));
    assert_graph_error(
        &graph.get("/users/$count").await,
        400,
        "Request_BadRequest",
        "$count is not currently supported.",
    );
}

#[tokio::test]
async fn list_users_filters_by_upn_and_display_name_as_az_asks() {
    let graph = Graph::spawn().await;
    graph.create_user("cy", PASSWORD, false).await;
    let cases = [
        (
            format!("userPrincipalName eq '{}'", upn("CY")),
            vec![upn("cy")],
        ),
        ("startswith(displayName,'c')".to_string(), vec![upn("cy")]),
        (
            format!("userPrincipalName eq '{ADMIN_UPN}' and startswith(displayName,'Mimic')"),
            vec![ADMIN_UPN.to_string()],
        ),
        ("mailNickname eq 'nobody'".to_string(), vec![]),
    ];
    for (filter, want) in cases {
        let encoded: String = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect();

        let reply = graph.get(&format!("/users?$filter={encoded}")).await;

        assert_eq!(reply.status, 200, "{filter}: {}", reply.body);
        let got: Vec<&str> = reply.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userPrincipalName"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "{filter}");
    }
}

#[tokio::test]
async fn update_user_changes_properties_and_a_disabled_user_is_refused_with_aadsts50057() {
    let graph = Graph::spawn().await;
    let id = graph.create_user("di", PASSWORD, false).await["id"].clone();
    let path = format!("/users/{}", id.as_str().unwrap());

    let patched = graph
        .patch(
            &path,
            json!({"displayName": "Di Renamed", "accountEnabled": false, "jobTitle": "tester"}),
        )
        .await;

    assert_eq!((patched.status, patched.text.as_str()), (204, ""));
    let user = graph.get(&path).await.body;
    assert_eq!(
        (user["displayName"].as_str(), user["jobTitle"].as_str()),
        (Some("Di Renamed"), Some("tester"))
    );
    let refused = graph.app.ropc(TENANT, &upn("di"), PASSWORD).await;
    assert_eq!(
        (refused.status, refused.code(), refused.aadsts()),
        (400, "invalid_grant", 50057)
    );
    assert!(
        refused.message().contains("The user account is disabled."),
        "{}",
        refused.body
    );
    let wrong = graph.app.ropc(TENANT, &upn("di"), "Wrong-Pass-1!").await;
    assert_eq!(
        wrong.aadsts(),
        50126,
        "a wrong password says nothing about the account"
    );

    assert_eq!(
        graph
            .patch(&path, json!({"accountEnabled": true}))
            .await
            .status,
        204
    );
    assert_eq!(
        graph.app.ropc(TENANT, &upn("di"), PASSWORD).await.status,
        200
    );
}

#[tokio::test]
async fn update_user_refuses_bad_input_and_changes_nothing() {
    let graph = Graph::spawn().await;
    graph.create_user("ed", PASSWORD, false).await;
    graph.create_user("other", PASSWORD, false).await;
    let path = format!("/users/{}", upn("ed"));
    let before = graph
        .get(&format!(
            "{path}?$select=displayName,accountEnabled,userPrincipalName"
        ))
        .await
        .body;
    let cases = [
        (json!({"displayName": "New", "passwordProfile": {"password": "weak"}}), "The specified password does not comply with password complexity requirements. Please provide a different password."),
        (json!({"displayName": "New", "userPrincipalName": upn("other")}), "Another object with the same value for property userPrincipalName already exists."),
        (json!({"displayName": "New", "userPrincipalName": "ed@elsewhere.example"}), "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."),
        (json!({"accountEnabled": false, "displayName": ""}), "Invalid value specified for property 'displayName' of resource 'User'."),
    ];
    for (body, message) in cases {
        let reply = graph.patch(&path, body.clone()).await;

        assert_graph_error(&reply, 400, "Request_BadRequest", message);
    }
    let after = graph
        .get(&format!(
            "{path}?$select=displayName,accountEnabled,userPrincipalName"
        ))
        .await
        .body;
    assert_eq!(after, before);
    assert_eq!(
        graph.app.ropc(TENANT, &upn("ed"), PASSWORD).await.status,
        200
    );
    let missing = graph
        .patch(
            "/users/0badc0de-0000-4000-8000-000000000000",
            json!({"displayName": "x"}),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_password_to_change_at_next_sign_in_gets_aadsts50055_from_ropc() {
    let graph = Graph::spawn().await;
    graph.create_user("fy", PASSWORD, true).await;

    let refused = graph.app.ropc(TENANT, &upn("fy"), PASSWORD).await;

    assert_eq!(
        (refused.status, refused.code(), refused.aadsts()),
        (400, "user_password_expired", 50055)
    );
    assert_eq!(refused.body["suberror"], "user_password_expired");
    // An administrator's reset without the flag: Graph's default is to force a change again.
    let path = format!("/users/{}", upn("fy"));
    let reset = graph
        .patch(
            &path,
            json!({"passwordProfile": {"password": "Reset-Pass-2!"}}),
        )
        .await;
    assert_eq!(reset.status, 204, "{}", reset.text);
    assert_eq!(
        graph
            .app
            .ropc(TENANT, &upn("fy"), "Reset-Pass-2!")
            .await
            .aadsts(),
        50055
    );
    let reset = graph
        .patch(&path, json!({"passwordProfile": {"password": "Reset-Pass-3!", "forceChangePasswordNextSignIn": false}}))
        .await;
    assert_eq!(reset.status, 204, "{}", reset.text);
    assert_eq!(
        graph
            .app
            .ropc(TENANT, &upn("fy"), "Reset-Pass-2!")
            .await
            .aadsts(),
        50126
    );
    assert_eq!(
        graph
            .app
            .ropc(TENANT, &upn("fy"), "Reset-Pass-3!")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn deleted_users_wait_in_deleted_items_stop_signing_in_and_come_back_on_restore() {
    let graph = Graph::spawn().await;
    let id = graph.create_user("gil", PASSWORD, false).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let deleted = graph.delete(&format!("/users/{}", upn("gil"))).await;

    assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
    assert_eq!(graph.get(&format!("/users/{id}")).await.status, 404);
    assert_eq!(
        graph.app.ropc(TENANT, &upn("gil"), PASSWORD).await.aadsts(),
        50034
    );
    assert_eq!(
        graph
            .app
            .aad
            .internal("GET", &format!("/internal/users/{id}"), None)
            .await
            .status,
        404
    );
    let listed = graph
        .get("/directory/deletedItems/microsoft.graph.user")
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let item = &listed.body["value"][0];
    let renamed = format!("{}{}", id.replace('-', ""), upn("gil"));
    assert_eq!(
        (item["id"].as_str(), item["userPrincipalName"].as_str()),
        (Some(&*id), Some(&*renamed))
    );
    assert_eq!(item["@odata.type"], "#microsoft.graph.user");
    assert!(item["deletedDateTime"].is_string());
    let got = graph.get(&format!("/directory/deletedItems/{id}")).await;
    assert_eq!((got.status, got.body["id"].as_str()), (200, Some(&*id)));

    let restored = graph
        .post(&format!("/directory/deletedItems/{id}/restore"), json!({}))
        .await;

    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(restored.body["userPrincipalName"], upn("gil"));
    assert_eq!(graph.get(&format!("/users/{id}")).await.status, 200);
    assert_eq!(
        graph.app.ropc(TENANT, &upn("gil"), PASSWORD).await.status,
        200
    );
    let empty = graph
        .get("/directory/deletedItems/microsoft.graph.user")
        .await;
    assert_eq!(empty.body["value"], json!([]));
}

#[tokio::test]
async fn restore_refuses_a_name_taken_meanwhile_and_permanent_delete_removes_the_user() {
    let graph = Graph::spawn().await;
    let old = graph.create_user("hal", PASSWORD, false).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(graph.delete(&format!("/users/{old}")).await.status, 204);
    let new = graph.create_user("hal", "Other-Pass-1!", false).await;
    assert_ne!(new["id"], old.as_str());

    let refused = graph
        .post(&format!("/directory/deletedItems/{old}/restore"), json!({}))
        .await;

    assert_graph_error(
        &refused,
        400,
        "Request_BadRequest",
        "Another object with the same value for property userPrincipalName already exists.",
    );
    assert_eq!(
        graph
            .get(&format!("/directory/deletedItems/{old}"))
            .await
            .status,
        200,
        "still deleted"
    );

    let purged = graph
        .delete(&format!("/directory/deletedItems/{old}"))
        .await;

    assert_eq!(purged.status, 204, "{}", purged.text);
    for reply in [
        graph.get(&format!("/directory/deletedItems/{old}")).await,
        graph
            .post(&format!("/directory/deletedItems/{old}/restore"), json!({}))
            .await,
        graph
            .delete(&format!("/directory/deletedItems/{old}"))
            .await,
    ] {
        assert_graph_error(&reply, 404, "Request_ResourceNotFound", &format!("Resource '{old}' does not exist or one of its queried reference-property objects are not present."));
    }
    let live = graph
        .get(&format!(
            "/directory/deletedItems/{}",
            new["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(live.status, 404, "a live user is not a deleted item");
}

#[tokio::test]
async fn fixture_and_internal_api_users_are_graph_users_too() {
    let graph = Graph::spawn().await;
    let internal = graph
        .app
        .create_user(&json!({"userPrincipalName": upn("ivy"), "displayName": "Ivy", "passwordProfile": {"password": "p"}}))
        .await;
    assert_eq!(internal.status, 201, "{}", internal.body);

    let admin = graph
        .get(&format!(
            "/users/{ADMIN_ID}?$select=accountEnabled,mailNickname"
        ))
        .await;
    let ivy = graph.get(&format!("/users/{}", upn("ivy"))).await;

    assert_eq!(
        (
            admin.body["accountEnabled"].as_bool(),
            admin.body["mailNickname"].as_str()
        ),
        (Some(true), Some("admin"))
    );
    assert_eq!(ivy.body["displayName"], "Ivy");
    let deleted = graph.delete(&format!("/users/{}", upn("ivy"))).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        graph.app.ropc(TENANT, &upn("ivy"), "p").await.aadsts(),
        50034
    );
}

#[tokio::test]
async fn writes_to_unknown_users_and_wrong_methods_get_graphs_errors() {
    let graph = Graph::spawn().await;
    let unknown = "0badc0de-0000-4000-8000-000000000000";
    assert_graph_error(
        &graph.delete(&format!("/users/{unknown}")).await,
        404,
        "Request_ResourceNotFound",
        &format!("Resource '{unknown}' does not exist or one of its queried reference-property objects are not present."),
    );
    assert_graph_error(
        &graph
            .app
            .aad
            .request("PUT", "/v1.0/users", Some(&graph.token), Some(json!({})))
            .await,
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request uri.",
    );
}

#[tokio::test]
async fn search_needs_an_advanced_query_and_mimic_then_refuses_it_by_name() {
    let graph = Graph::spawn().await;
    let path = "/users?$search=%22displayName:a%22";

    let plain = graph.get(path).await;
    let advanced = graph.get_eventual(path).await;

    assert_graph_error(
        &plain,
        400,
        "Request_UnsupportedQuery",
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
    assert_graph_error(
        &advanced,
        400,
        "Request_UnsupportedQuery",
        "The query parameter '$search' is not supported.",
    );
}
