//! ARM lists page at `mimic_arm::paging::DEFAULT` with a `nextLink` carrying a key-based
//! `$skiptoken`: every item exactly once, even when items are added between pages.

use futures::StreamExt;
use serde_json::{json, Value};

use mimic_testkit::fixture::{GROUP_VERSION, RA_VERSION, SUBSCRIPTION};
use mimic_testkit::TestArm;

/// Follows `nextLink` from `path`; returns every page's `value`, page by page.
async fn pages(app: &TestArm, token: &str, path: &str) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut next = Some(path.to_string());
    while let Some(path) = next {
        let reply = app.arm.get(&path, Some(token)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        pages.push(reply.body["value"].as_array().unwrap().clone());
        next = reply.body["nextLink"]
            .as_str()
            .map(|link| link.strip_prefix(&app.arm.url("")).unwrap().to_string());
    }
    pages
}

fn names(pages: &[Vec<Value>]) -> Vec<String> {
    pages
        .iter()
        .flatten()
        .map(|item| item["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn role_assignments_page_by_500_and_list_each_once_while_others_are_added() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let (principal, _) = app.new_principal("paged").await;
    let roles: Vec<String> = app
        .arm
        .get(
            &format!("/providers/Microsoft.Authorization/roleDefinitions?api-version={RA_VERSION}"),
            Some(&token),
        )
        .await
        .body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|role| role["name"].as_str().unwrap().to_string())
        .collect();
    let subscription = format!("/subscriptions/{SUBSCRIPTION}");
    let created: Vec<String> = futures::stream::iter(roles.iter().take(520))
        .map(|role| {
            let (app, token, scope, principal) = (&app, &token, &subscription, &principal);
            async move {
                let name = uuid::Uuid::new_v4().to_string();
                let reply = app
                    .put_assignment(token, scope, &name, role, &principal.object_id)
                    .await;
                assert_eq!(reply.status, 201, "{}", reply.text);
                name
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let path = format!(
        "{subscription}/providers/Microsoft.Authorization/roleAssignments?api-version={RA_VERSION}&$filter={}",
        url::form_urlencoded::byte_serialize(
            format!("principalId eq '{}'", principal.object_id).as_bytes()
        )
        .collect::<String>()
    );

    let first = app.arm.get(&path, Some(&token)).await;
    assert_eq!(first.body["value"].as_array().unwrap().len(), 500);
    let next = first.body["nextLink"].as_str().unwrap();
    assert!(
        next.contains("api-version=2022-04-01") && next.contains("$filter=principalId"),
        "the nextLink keeps the query: {next}"
    );
    // One more assignment between pages: it may or may not be listed, the others exactly once.
    app.grant(&subscription, &roles[600], &principal.object_id)
        .await;
    let next = next.strip_prefix(&app.arm.url("")).unwrap();
    let rest = pages(&app, &token, next).await;

    let mut listed = names(&[first.body["value"].as_array().unwrap().clone()]);
    listed.extend(names(&rest));
    let distinct: std::collections::HashSet<&String> = listed.iter().collect();
    assert_eq!(distinct.len(), listed.len(), "no assignment twice");
    for name in &created {
        assert!(distinct.contains(name), "{name} is missing");
    }
}

#[tokio::test]
async fn a_list_that_fits_one_page_has_no_next_link_and_a_foreign_token_is_400() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("/subscriptions/{SUBSCRIPTION}/resourcegroups?api-version={GROUP_VERSION}");
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.body.get("nextLink").is_none(), "{}", reply.text);

    let bad = app
        .arm
        .get(&format!("{path}&$skiptoken=%25%25"), Some(&token))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.body["error"]["code"], "BadRequest");
}

#[tokio::test]
async fn resource_groups_page_by_name() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    futures::stream::iter(0..505)
        .map(|index| {
            let (app, token) = (&app, &token);
            async move {
                let reply = app
                    .put_group(
                        token,
                        &format!("paged-{index:03}"),
                        json!({"location": "eastus"}),
                    )
                    .await;
                assert_eq!(reply.status, 201, "{}", reply.text);
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let path = format!("/subscriptions/{SUBSCRIPTION}/resourcegroups?api-version={GROUP_VERSION}");

    let listed = pages(&app, &token, &path).await;

    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].len(), 500);
    let all = names(&listed);
    let paged: Vec<&String> = all
        .iter()
        .filter(|name| name.starts_with("paged-"))
        .collect();
    assert_eq!(paged.len(), 505);
    let mut sorted = all.clone();
    sorted.sort_by_key(|name| name.to_lowercase());
    assert_eq!(all, sorted, "pages are in name order");
}
