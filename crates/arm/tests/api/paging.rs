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

/// Creates the groups `names` (each a 201), `concurrency` PUTs in flight at once.
pub async fn put_groups(app: &TestArm, token: &str, names: &[String], concurrency: usize) {
    futures::stream::iter(names)
        .map(|name| async move {
            let reply = app
                .put_group(token, name, json!({"location": "eastus"}))
                .await;
            assert_eq!(reply.status, 201, "{}", reply.text);
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
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
    let groups: Vec<String> = (0..505).map(|index| format!("paged-{index:03}")).collect();
    put_groups(&app, &token, &groups, 16).await;
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

#[tokio::test]
async fn vaults_page_by_500_and_generic_resources_by_their_top() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let body = json!({"location": "eastus", "properties": {
        "tenantId": mimic_testkit::fixture::TENANT, "sku": {"family": "A", "name": "standard"}}});
    futures::stream::iter(0..501)
        .map(|index| {
            let (app, token, body) = (&app, &token, body.clone());
            async move {
                let path = format!(
                    "{}?api-version={}",
                    crate::key_vault_support::vault_id(&format!("kv-paged-{index:03}")),
                    crate::key_vault_support::VERSION
                );
                let reply = app.arm.put(&path, Some(token), body).await;
                assert!(matches!(reply.status, 200 | 201), "{}", reply.text);
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;

    // Vaults_ListBySubscription: 500, then the one left.
    let vaults = pages(
        &app,
        &token,
        &format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/vaults?api-version={}",
            crate::key_vault_support::VERSION
        ),
    )
    .await;
    assert_eq!(
        vaults.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![500, 1]
    );
    let mut listed = names(&vaults);
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), 501);

    // Resources_List: `$top` is the page size; the nextLink keeps the filter and the top.
    let resources = pages(
        &app,
        &token,
        &format!(
            "/subscriptions/{SUBSCRIPTION}/resources?api-version=2021-04-01&$top=200\
             &$filter=resourceType%20eq%20%27Microsoft.KeyVault%2Fvaults%27"
        ),
    )
    .await;
    assert_eq!(
        resources.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![200, 200, 101]
    );
    let mut found = names(&resources);
    found.sort();
    assert_eq!(found, listed);
}

#[tokio::test]
async fn vm_and_nic_lists_take_a_skiptoken_and_refuse_a_forged_one() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    for name in ["pvm-a", "pvm-b", "pvm-c"] {
        app.create_vm(&token, name).await;
    }
    let vms = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines?api-version={}",
        mimic_testkit::fixture::GROUP,
        mimic_testkit::fixture::VM_READ_VERSION
    );
    // Three VMs fit one page: no nextLink. The generic list with `$top=1` pages them one by one,
    // and its nextLink is a token the VM list reads too (both key by id).
    let all = app.arm.get(&vms, Some(&token)).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert!(all.body.get("nextLink").is_none(), "{}", all.text);
    let ours = |pages: &[Vec<Value>]| {
        names(pages)
            .into_iter()
            .filter(|name| name.starts_with("pvm-"))
            .collect::<Vec<_>>()
    };
    let generic = pages(
        &app,
        &token,
        &format!(
            "/subscriptions/{SUBSCRIPTION}/resources?api-version=2021-04-01&$top=1\
             &$filter=resourceType%20eq%20%27Microsoft.Compute%2FvirtualMachines%27"
        ),
    )
    .await;
    assert!(generic.iter().all(|page| page.len() == 1));
    assert_eq!(ours(&generic), ["pvm-a", "pvm-b", "pvm-c"]);
    let first = app
        .arm
        .get(
            &format!(
                "/subscriptions/{SUBSCRIPTION}/resources?api-version=2021-04-01&$top=1\
                 &$filter=resourceType%20eq%20%27Microsoft.Compute%2FvirtualMachines%27"
            ),
            Some(&token),
        )
        .await;
    let link = first.body["nextLink"].as_str().unwrap();
    let skiptoken = link.split("$skiptoken=").nth(1).unwrap();
    let after_first = app
        .arm
        .get(&format!("{vms}&$skiptoken={skiptoken}"), Some(&token))
        .await;
    assert_eq!(after_first.status, 200, "{}", after_first.text);
    assert_eq!(
        after_first.body["value"].as_array().unwrap().len(),
        all.body["value"].as_array().unwrap().len() - 1
    );
    for path in [
        vms.clone(),
        format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Network/networkInterfaces?api-version=2024-05-01"
        ),
    ] {
        let forged = app
            .arm
            .get(&format!("{path}&$skiptoken=not-base64!"), Some(&token))
            .await;
        assert_eq!(forged.status, 400, "{path}: {}", forged.text);
        assert_eq!(forged.body["error"]["code"], "BadRequest", "{}", forged.text);
    }
}

/// The `pages` of a list as ids (`key`), in order.
fn keys(pages: &[Vec<Value>], key: &str) -> Vec<String> {
    pages
        .iter()
        .flatten()
        .map(|item| item[key].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn subscriptions_page_by_50_with_a_partial_count_as_arm_does() {
    // 60 more subscriptions, the operator a Reader of each: 61 in all.
    let extra: Vec<String> = (0..60)
        .map(|n| format!("5ab5c000-0000-4000-8000-{n:012}"))
        .collect();
    let seeded = extra.clone();
    let app = TestArm::spawn_with(move |arm| {
        let fixture = arm.fixture.as_mut().unwrap();
        for (n, id) in seeded.iter().enumerate() {
            fixture["subscriptions"].as_array_mut().unwrap().push(
                json!({"subscriptionId": id, "displayName": format!("paged-{n}"), "tenantId": mimic_testkit::fixture::TENANT}),
            );
            fixture["roleAssignments"].as_array_mut().unwrap().push(json!({
                "name": format!("5ab5ca00-0000-4000-8000-{n:012}"),
                "scope": format!("/subscriptions/{id}"),
                "roleDefinitionId": mimic_testkit::fixture::READER,
                "principalId": mimic_testkit::fixture::OPERATOR_OBJECT_ID,
                "principalType": "ServicePrincipal",
            }));
        }
    })
    .await;
    let token = app.operator_token().await;
    let path = "/subscriptions?api-version=2022-12-01";

    let first = app.arm.get(path, Some(&token)).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["value"].as_array().unwrap().len(), 50);
    assert_eq!(first.body["count"], json!({"type": "Partial", "value": 50}));
    let all = pages(&app, &token, path).await;
    assert_eq!(
        all.iter().map(Vec::len).collect::<Vec<_>>(),
        [50, 11],
        "ARM's 50 a page"
    );
    let mut listed = keys(&all, "subscriptionId");
    let mut expected = extra;
    expected.push(SUBSCRIPTION.to_string());
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected, "every subscription once");

    // A list that fits one page is whole: its count is the total.
    let other = TestArm::spawn().await;
    let reply = other
        .arm
        .get(path, Some(&other.operator_token().await))
        .await;
    assert_eq!(reply.body["count"], json!({"type": "Total", "value": 1}));
    assert!(reply.body.get("nextLink").is_none(), "{}", reply.text);
}

#[tokio::test]
async fn deny_assignments_page_by_500() {
    let app = TestArm::spawn_with(|arm| {
        let denies: Vec<Value> = (0..501)
            .map(|n| {
                json!({
                    "id": format!("d0000000-0000-4000-8000-{n:012}"),
                    "denyAssignmentName": format!("deny {n}"),
                    "scope": format!("/subscriptions/{SUBSCRIPTION}"),
                    "permissions": [{"actions": ["Microsoft.Network/*/write"]}],
                    "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
                })
            })
            .collect();
        arm.fixture.as_mut().unwrap()["denyAssignments"] = Value::Array(denies);
    })
    .await;
    let token = app.operator_token().await;
    let all = pages(
        &app,
        &token,
        &format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/denyAssignments?api-version={RA_VERSION}"),
    )
    .await;
    assert_eq!(all.iter().map(Vec::len).collect::<Vec<_>>(), [500, 1]);
    let mut listed = names(&all);
    listed.dedup();
    assert_eq!(listed.len(), 501, "every deny assignment once");
}

/// Each list mimic serves small resumes after the item its token names (the key ARM pages it by)
/// and refuses a token it did not issue; the lists Azure never pages ignore the parameter.
#[tokio::test]
async fn every_other_list_takes_a_skiptoken_and_the_unpaged_ones_stay_whole() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    // Two deleted vaults for the deleted-vault list.
    for name in ["kv-paged-a", "kv-paged-b"] {
        let path = format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{name}?api-version=2023-07-01", mimic_testkit::fixture::GROUP);
        let body = json!({"location": "eastus", "properties": {"tenantId": mimic_testkit::fixture::TENANT, "sku": {"family": "A", "name": "standard"}}});
        let created = app
            .arm
            .request("PUT", &path, Some(&token), Some(body))
            .await;
        assert!(
            created.status == 200 || created.status == 201,
            "{}",
            created.text
        );
        let deleted = app.arm.request("DELETE", &path, Some(&token), None).await;
        assert_eq!(deleted.status, 200, "{}", deleted.text);
    }
    let paged = [
        ("/tenants?api-version=2022-12-01".to_string(), "tenantId"),
        (format!("/subscriptions/{SUBSCRIPTION}/providers?api-version=2024-11-01"), "namespace"),
        ("/providers/Microsoft.Authorization/providerOperations?api-version=2022-04-01".to_string(), "name"),
        ("/providers/Microsoft.ManagedIdentity/operations?api-version=2023-01-31".to_string(), "name"),
        ("/providers/Microsoft.KeyVault/operations?api-version=2023-07-01".to_string(), "name"),
        (format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.KeyVault/deletedVaults?api-version=2023-07-01"), "id"),
    ];
    for (path, key) in &paged {
        let whole = app.arm.get(path, Some(&token)).await;
        assert_eq!(whole.status, 200, "{path}: {}", whole.text);
        let mut all = keys(&[whole.body["value"].as_array().unwrap().clone()], key);
        assert!(!all.is_empty(), "{path}: {}", whole.text);
        all.sort_by_key(|item| item.to_lowercase());
        let after = &all[0];
        let token_of = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            after.to_lowercase(),
        );
        let rest = app
            .arm
            .get(&format!("{path}&$skiptoken={token_of}"), Some(&token))
            .await;
        assert_eq!(rest.status, 200, "{path}: {}", rest.text);
        let rest = keys(&[rest.body["value"].as_array().unwrap().clone()], key);
        assert_eq!(rest, all[1..], "{path}: everything after {after}");

        let forged = app
            .arm
            .get(&format!("{path}&$skiptoken=%25%25"), Some(&token))
            .await;
        assert_eq!(forged.status, 400, "{path}: {}", forged.text);
        assert_eq!(forged.body["error"]["code"], "BadRequest", "{path}");
    }
    // The permissions list pages in its own order (broadest scope first).
    let permissions = format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01");
    let forged = app
        .arm
        .get(&format!("{permissions}&$skiptoken=%25%25"), Some(&token))
        .await;
    assert_eq!(forged.status, 400, "{}", forged.text);

    // Never paged in Azure: every built-in role in one answer, and Compute's operations.
    let roles = app
        .arm
        .get(
            &format!("/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions?api-version={RA_VERSION}"),
            Some(&token),
        )
        .await;
    assert!(
        roles.body["value"].as_array().unwrap().len() >= 928,
        "{}",
        roles.text
    );
    assert!(roles.body.get("nextLink").is_none());
    let compute = app
        .arm
        .get(
            "/providers/Microsoft.Compute/operations?api-version=2024-11-01&$skiptoken=%25%25",
            Some(&token),
        )
        .await;
    assert_eq!(compute.status, 200, "{}", compute.text);
    assert!(compute.body.get("nextLink").is_none());
}
