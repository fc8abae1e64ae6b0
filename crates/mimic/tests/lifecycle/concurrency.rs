//! Concurrent writes as Terraform (10 at once) and worse (50 at once) send them: never a 5xx,
//! identical PUTs are idempotent, and each resource ends with exactly one principal.

use futures::future::join_all;
use mimic_testkit::TestMimic;
use serde_json::json;

const IDENTITY_VERSION: &str = "2024-11-30";

/// Statuses of `count` PUTs of identities named by `name(i)`, all sent at once.
async fn put_identities(
    mimic: &TestMimic,
    token: &str,
    count: usize,
    name: impl Fn(usize) -> String,
) -> Vec<u16> {
    let requests = (0..count).map(|index| {
        let path = format!(
            "{}?api-version={IDENTITY_VERSION}",
            mimic.identity_id(&name(index))
        );
        async move {
            mimic
                .arm
                .request(
                    "PUT",
                    &path,
                    Some(token),
                    Some(json!({"location": "eastus"})),
                )
                .await
                .status
        }
    });
    join_all(requests).await
}

fn server_errors(statuses: &[u16]) -> usize {
    statuses.iter().filter(|status| **status >= 500).count()
}

#[tokio::test]
async fn fifty_concurrent_creates_of_distinct_identities_all_succeed() {
    let mimic = TestMimic::start().await;
    let token = mimic.operator_token().await;

    let statuses = put_identities(&mimic, &token, 50, |index| format!("tf-{index}")).await;

    assert_eq!(server_errors(&statuses), 0, "{statuses:?}");
    assert!(statuses.iter().all(|status| *status == 201), "{statuses:?}");
    let listed = mimic
        .arm.request(
            "GET",
            &format!(
                "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={IDENTITY_VERSION}",
                mimic.group()
            ),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 50);
    for index in [0, 17, 49] {
        assert_eq!(
            mimic.principals_named(&format!("tf-{index}")).await.len(),
            1
        );
    }
}

#[tokio::test]
async fn fifty_identical_identity_puts_make_one_identity_and_one_principal() {
    let mimic = TestMimic::start().await;
    let token = mimic.operator_token().await;

    let statuses = put_identities(&mimic, &token, 50, |_| "same".to_string()).await;

    assert_eq!(server_errors(&statuses), 0, "{statuses:?}");
    assert!(!statuses.contains(&409), "{statuses:?}");
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        49,
        "{statuses:?}"
    );
    let identity = mimic
        .arm
        .request(
            "GET",
            &format!(
                "{}?api-version={IDENTITY_VERSION}",
                mimic.identity_id("same")
            ),
            Some(&token),
            None,
        )
        .await;
    let principals = mimic.principals_named("same").await;
    assert_eq!(principals.len(), 1, "{principals:?}");
    assert_eq!(
        identity.body["properties"]["principalId"],
        principals[0].as_str()
    );
}

#[tokio::test]
async fn fifty_concurrent_system_assigned_enables_leave_one_principal() {
    let mimic = TestMimic::start().await;
    let token = mimic.operator_token().await;

    let requests = (0..50).map(|_| {
        let token = token.clone();
        let mimic = &mimic;
        async move {
            mimic
                .patch_vm_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
                .await
        }
    });
    let replies = join_all(requests).await;

    let statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    assert_eq!(server_errors(&statuses), 0, "{statuses:?}");
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");
    let first = replies[0].body["identity"]["principalId"].clone();
    assert!(
        replies
            .iter()
            .all(|reply| reply.body["identity"]["principalId"] == first),
        "every answer names the one principal"
    );
    let principals = mimic.principals_named("vm1").await;
    assert_eq!(principals.len(), 1, "{principals:?}");
    assert_eq!(first, principals[0].as_str());
}
