//! The `groups` and `wids` claims of users' access tokens (issue 14 item 4): what the resource's
//! `groupMembershipClaims` asks for, nested groups included, and Entra's overage claim past 200
//! groups pointing at a Graph endpoint that answers the full list.

use serde_json::{json, Value};

use crate::helpers::{jwt_part, Graph};
use mimic_testkit::fixture::{ADMIN_ID, ADMIN_PASSWORD, ADMIN_UPN, TENANT};

const PASSWORD: &str = "Claims-Pass-1!";
const DEFAULT_MEMBER_ROLE: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";
const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// The access token's claims for `username` signing in through az's client with `scope`.
async fn user_claims(graph: &Graph, username: &str, password: &str, scope: &str) -> Value {
    let reply = graph
        .app
        .ropc_scope(TENANT, username, password, scope)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    jwt_part(reply.body["access_token"].as_str().unwrap(), 1)
}

fn sorted(values: &Value) -> Vec<String> {
    let mut list: Vec<String> = values
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {values}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    list.sort();
    list
}

async fn user(graph: &Graph, name: &str) -> (String, String) {
    let created = graph.create_user(name, PASSWORD, false).await;
    (
        created["id"].as_str().unwrap().to_string(),
        created["userPrincipalName"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn arm_tokens_carry_every_group_of_the_user_nested_ones_too_and_the_directory_roles() {
    let graph = Graph::spawn().await;
    let (id, upn) = user(&graph, "grouped").await;
    let (_, loner) = user(&graph, "loner").await;
    let outer = graph.create_group("outer").await;
    let inner = graph.create_group("inner").await;
    let unrelated = graph.create_group("unrelated").await;
    graph.add_member(&outer, &inner).await;
    graph.add_member(&inner, &id).await;
    let arm = "https://management.core.windows.net//.default";

    let claims = user_claims(&graph, &upn, PASSWORD, arm).await;

    let mut expected = vec![outer.clone(), inner.clone()];
    expected.sort();
    assert_eq!(sorted(&claims["groups"]), expected, "{claims}");
    assert!(!sorted(&claims["groups"]).contains(&unrelated));
    assert_eq!(claims["wids"], json!([DEFAULT_MEMBER_ROLE]), "{claims}");
    assert!(claims.get("_claim_names").is_none(), "{claims}");
    // No groups: no `groups` claim (Entra emits a claim only when it has a value).
    let lonely = user_claims(&graph, &loner, PASSWORD, arm).await;
    assert!(lonely.get("groups").is_none(), "{lonely}");
    assert_eq!(lonely["wids"], json!([DEFAULT_MEMBER_ROLE]));
    // The fixture admin holds Global Administrator.
    let admin = user_claims(&graph, ADMIN_UPN, ADMIN_PASSWORD, arm).await;
    assert_eq!(admin["oid"], ADMIN_ID);
    assert_eq!(
        admin["wids"],
        json!([DEFAULT_MEMBER_ROLE, GLOBAL_ADMINISTRATOR]),
        "{admin}"
    );

    // Membership is read at sign-in: out of the inner group, the next token has neither.
    let removed = graph
        .delete(&format!("/groups/{inner}/members/{id}/$ref"))
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let after = user_claims(&graph, &upn, PASSWORD, arm).await;
    assert!(after.get("groups").is_none(), "{after}");
}

#[tokio::test]
async fn graph_tokens_carry_wids_and_no_groups() {
    let graph = Graph::spawn().await;
    let (id, upn) = user(&graph, "reader").await;
    let group = graph.create_group("some-group").await;
    graph.add_member(&group, &id).await;

    let claims = user_claims(&graph, &upn, PASSWORD, "openid profile").await;

    assert_eq!(
        claims["aud"],
        format!("{}/", graph.app.aad.base),
        "{claims}"
    );
    assert_eq!(claims["wids"], json!([DEFAULT_MEMBER_ROLE]), "{claims}");
    assert!(claims.get("groups").is_none(), "{claims}");
}

#[tokio::test]
async fn an_applications_group_membership_claims_decide_what_its_tokens_carry() {
    let graph = Graph::spawn().await;
    let (id, upn) = user(&graph, "api-user").await;
    let group = graph.create_group("api-readers").await;
    graph.add_member(&group, &id).await;
    let uri = "api://claims-api";
    let app = graph
        .post(
            "/applications",
            json!({"displayName": "claims-api", "identifierUris": [uri]}),
        )
        .await;
    assert_eq!(app.status, 201, "{}", app.text);
    let app_id = app.body["id"].as_str().unwrap().to_string();
    let scope = format!("{uri}/.default");

    let none = user_claims(&graph, &upn, PASSWORD, &scope).await;
    assert!(
        none.get("groups").is_none() && none.get("wids").is_none(),
        "{none}"
    );

    for (setting, groups, wids) in [
        ("SecurityGroup", Some(vec![group.clone()]), true),
        ("All", Some(vec![group.clone()]), true),
        ("DirectoryRole", None, true),
        ("ApplicationGroup", None, false),
        ("None", None, false),
    ] {
        let patched = graph
            .patch(
                &format!("/applications/{app_id}"),
                json!({"groupMembershipClaims": setting}),
            )
            .await;
        assert_eq!(patched.status, 204, "{setting}: {}", patched.text);
        let claims = user_claims(&graph, &upn, PASSWORD, &scope).await;
        match &groups {
            Some(groups) => assert_eq!(&sorted(&claims["groups"]), groups, "{setting}: {claims}"),
            None => assert!(claims.get("groups").is_none(), "{setting}: {claims}"),
        }
        assert_eq!(claims.get("wids").is_some(), wids, "{setting}: {claims}");
    }
}

#[tokio::test]
async fn past_two_hundred_groups_the_token_points_at_graphs_list_instead() {
    let graph = Graph::spawn().await;
    let (id, upn) = user(&graph, "joiner").await;
    // The user is in one group, which is in 200 others: 201 groups, transitively.
    let base = graph.create_group("base").await;
    graph.add_member(&base, &id).await;
    let mut outers = Vec::new();
    for n in 0..200 {
        let outer = graph.create_group(&format!("outer-{n}")).await;
        graph.add_member(&outer, &base).await;
        outers.push(outer);
    }
    let arm = "https://management.core.windows.net//.default";

    let claims = user_claims(&graph, &upn, PASSWORD, arm).await;

    assert!(claims.get("groups").is_none(), "{claims}");
    assert_eq!(claims["_claim_names"], json!({"groups": "src1"}));
    let endpoint = claims["_claim_sources"]["src1"]["endpoint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        endpoint,
        format!(
            "{}/v1.0/users/{id}/getMemberObjects",
            graph.app.aad.base.trim_end_matches('/')
        )
    );
    assert_eq!(claims["wids"], json!([DEFAULT_MEMBER_ROLE]));
    // The endpoint answers the whole list to a caller allowed to read it.
    let listed = graph
        .app
        .aad
        .post(
            endpoint.strip_prefix(&graph.app.aad.base).unwrap(),
            Some(&graph.token),
            Some(json!({"securityEnabledOnly": false})),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 201);

    // At exactly 200 the groups are in the token again.
    let out = graph
        .delete(&format!("/groups/{}/members/{base}/$ref", outers[0]))
        .await;
    assert_eq!(out.status, 204, "{}", out.text);
    let at_limit = user_claims(&graph, &upn, PASSWORD, arm).await;
    assert_eq!(at_limit["groups"].as_array().unwrap().len(), 200);
    assert!(at_limit.get("_claim_names").is_none());
}
