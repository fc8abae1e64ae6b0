//! Identity_GetToken: selection, the success body, and the token cache.

use serde_json::Value;

use mimic_testkit::fixture::{vm_id, ARM_RESOURCE};
use mimic_testkit::imds::{Identity, Issued, World};

fn issued_to(issued: &[Issued]) -> Vec<&str> {
    issued
        .iter()
        .map(|token| token.client_id.as_str())
        .collect()
}

#[tokio::test]
async fn get_token_returns_every_value_as_a_string() {
    let world = World::new().await;
    let system = Identity::system("vm1");
    let vm = world.add_vm("vm1", std::slice::from_ref(&system));
    let imds = world.imds(&vm).await;

    let answer = imds.token("").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type().starts_with("application/json"));
    let body = answer.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "client_id",
            "expires_in",
            "expires_on",
            "ext_expires_in",
            "not_before",
            "resource",
            "token_type"
        ]
    );
    assert!(
        body.as_object().unwrap().values().all(Value::is_string),
        "{body}"
    );
    assert_eq!(body["access_token"], "aad-token-1");
    assert_eq!(body["client_id"], system.client_id.as_str());
    assert_eq!(body["resource"], ARM_RESOURCE);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], "86399");
    assert_eq!(body["ext_expires_in"], body["expires_in"]);
    let now = world.clock.now();
    let expires_on: i64 = body["expires_on"].as_str().unwrap().parse().unwrap();
    let not_before: i64 = body["not_before"].as_str().unwrap().parse().unwrap();
    assert!((expires_on - (now + 86399)).abs() <= 2);
    assert!((not_before - now).abs() <= 2);
}

#[tokio::test]
async fn get_token_passes_the_resource_through_verbatim() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;
    // azure-identity sends ':' and '/' unencoded and no trailing slash; az percent-encodes.
    let cases = [
        (
            "resource=https://management.azure.com",
            "https://management.azure.com",
        ),
        (
            "resource=https%3A%2F%2Fmanagement.core.windows.net%2F",
            "https://management.core.windows.net/",
        ),
        (
            "resource=https://storage.azure.com",
            "https://storage.azure.com",
        ),
    ];

    for (query, resource) in cases {
        let answer = imds
            .get(&format!(
                "/metadata/identity/oauth2/token?api-version=2018-02-01&{query}"
            ))
            .await;
        assert_eq!(answer.status, 200, "{query}: {}", answer.text);
        assert_eq!(answer.json()["resource"], resource, "{query}");
    }
    let resources: Vec<String> = world
        .aad
        .issued()
        .into_iter()
        .map(|token| token.resource)
        .collect();
    assert_eq!(resources, cases.map(|(_, resource)| resource.to_string()));
}

#[tokio::test]
async fn get_token_without_selector_uses_the_system_assigned_identity() {
    let world = World::new().await;
    let system = Identity::system("vm1");
    let vm = world.add_vm(
        "vm1",
        &[Identity::user(1), system.clone(), Identity::user(2)],
    );
    let imds = world.imds(&vm).await;

    let answer = imds.token("").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["client_id"], system.client_id.as_str());
    let issued = world.aad.issued();
    assert_eq!(issued_to(&issued), [system.client_id.as_str()]);
    assert_eq!(issued[0].xms_az_rid, None);
    // IMDS named its own VM, in ARM's canonical case, for AAD to check the identity against.
    assert_eq!(issued[0].vm_id, vm_id("vm1"));
}

#[tokio::test]
async fn get_token_without_selector_uses_the_only_user_assigned_identity() {
    let world = World::new().await;
    let user = Identity::user(1);
    let vm = world.add_vm("vm1", std::slice::from_ref(&user));
    let imds = world.imds(&vm).await;

    let answer = imds.token("").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["client_id"], user.client_id.as_str());
    // IMDS told AAD which VM asked, in ARM's canonical case, and AAD named it in the token.
    assert_eq!(
        world.aad.issued()[0].xms_az_rid.as_deref(),
        Some(vm_id("vm1").as_str())
    );
}

#[tokio::test]
async fn get_token_with_a_selector_picks_that_identity_case_insensitively() {
    let world = World::new().await;
    let (system, one, two) = (
        Identity::system("vm1"),
        Identity::user(1),
        Identity::user(2),
    );
    let vm = world.add_vm("vm1", &[system.clone(), one.clone(), two.clone()]);
    let imds = world.imds(&vm).await;
    let cases = [
        (format!("&client_id={}", two.client_id.to_uppercase()), &two),
        (format!("&client_id={}", system.client_id), &system),
        (format!("&object_id={}", one.principal_id), &one),
        (
            format!("&object_id={}", two.principal_id.to_uppercase()),
            &two,
        ),
        (
            format!(
                "&msi_res_id={}",
                url::form_urlencoded::byte_serialize(one.resource_id.as_bytes())
                    .collect::<String>()
            ),
            &one,
        ),
        (
            format!("&msi_res_id={}", two.resource_id.to_lowercase()),
            &two,
        ),
        (format!("&mi_res_id={}", one.resource_id), &one),
    ];

    for (selector, want) in cases {
        let answer = imds.token(&selector).await;
        assert_eq!(answer.status, 200, "{selector}: {}", answer.text);
        assert_eq!(
            answer.json()["client_id"],
            want.client_id.as_str(),
            "{selector}"
        );
    }
}

#[tokio::test]
async fn get_token_with_several_user_assigned_and_no_selector_returns_400() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::user(1), Identity::user(2)]);
    let imds = world.imds(&vm).await;

    let answer = imds.token("").await;

    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json(),
        serde_json::json!({"error": "invalid_request", "error_description": "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"})
    );
    assert!(world.aad.issued().is_empty());
}

#[tokio::test]
async fn get_token_for_an_identity_of_another_vm_returns_identity_not_found() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1"), Identity::user(1)]);
    world.add_vm("vm2", &[Identity::system("vm2"), Identity::user(2)]);
    let imds = world.imds(&vm).await;
    let other = Identity::user(2);
    let cases = [
        format!("&client_id={}", other.client_id),
        format!("&object_id={}", other.principal_id),
        format!("&msi_res_id={}", other.resource_id),
        format!("&client_id={}", Identity::system("vm2").client_id),
        // The system-assigned identity has no resource id of its own to select it by.
        format!("&msi_res_id={}", vm_id("vm1")),
        "&client_id=".to_string(),
    ];

    for selector in cases {
        let answer = imds.token(&selector).await;
        assert_eq!(answer.status, 400, "{selector}");
        assert_eq!(
            answer.json(),
            serde_json::json!({"error": "invalid_request", "error_description": "Identity not found"}),
            "{selector}"
        );
    }
    assert!(world.aad.issued().is_empty());
}

#[tokio::test]
async fn get_token_twice_asks_aad_once() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    let first = imds.token("").await.json();
    world.clock.advance(100);
    let second = imds.token("").await.json();

    assert_eq!(world.aad.issued().len(), 1);
    assert_eq!(first["access_token"], second["access_token"]);
    assert_eq!(first["expires_on"], second["expires_on"]);
    // expires_in counts down from the cached expiry.
    let first_in: i64 = first["expires_in"].as_str().unwrap().parse().unwrap();
    let second_in: i64 = second["expires_in"].as_str().unwrap().parse().unwrap();
    assert!(
        (first_in - second_in - 100).abs() <= 2,
        "{first_in} then {second_in}"
    );
    assert_eq!(second["ext_expires_in"], second["expires_in"]);
    // ARM was still asked both times: identities are never cached.
    assert_eq!(world.arm.identity_requests(), 2);
}

#[tokio::test]
async fn get_token_caches_per_identity_and_resource() {
    let world = World::new().await;
    let (system, user) = (Identity::system("vm1"), Identity::user(1));
    let vm = world.add_vm("vm1", &[system.clone(), user.clone()]);
    let imds = world.imds(&vm).await;

    imds.token("").await;
    imds.token(&format!("&client_id={}", user.client_id)).await;
    imds.get(
        "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com",
    )
    .await;
    imds.token("").await;
    imds.token(&format!("&client_id={}", user.client_id)).await;

    let issued = world.aad.issued();
    assert_eq!(
        issued_to(&issued),
        [
            system.client_id.as_str(),
            user.client_id.as_str(),
            system.client_id.as_str()
        ]
    );
}

#[tokio::test]
async fn get_token_with_bypass_cache_asks_aad_again() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    let first = imds.token("").await.json();
    let bypassed = imds.token("&bypass_cache=true").await.json();
    let after = imds.token("").await.json();

    assert_eq!(world.aad.issued().len(), 2);
    assert_ne!(first["access_token"], bypassed["access_token"]);
    // The fresh token replaced the cached one.
    assert_eq!(after["access_token"], bypassed["access_token"]);
}

#[tokio::test]
async fn get_token_near_expiry_gets_a_fresh_token() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;
    imds.token("").await;

    // 86399 s lifetime: at 301 s left the cached token is still served, at 299 s it is not.
    world.clock.advance(86399 - 302);
    let still_cached = imds.token("").await.json();
    assert_eq!(world.aad.issued().len(), 1);
    world.clock.advance(3);
    let refreshed = imds.token("").await.json();

    assert_eq!(world.aad.issued().len(), 2);
    assert_ne!(still_cached["access_token"], refreshed["access_token"]);
    assert_eq!(refreshed["expires_in"], "86399");
}

#[tokio::test]
async fn get_token_after_the_identity_was_removed_returns_400_despite_the_cache() {
    let world = World::new().await;
    let (system, user) = (Identity::system("vm1"), Identity::user(1));
    let vm = world.add_vm("vm1", &[system.clone(), user.clone()]);
    let imds = world.imds(&vm).await;
    let selector = format!("&client_id={}", user.client_id);
    assert_eq!(imds.token(&selector).await.status, 200);

    world.arm.remove_identity(&vm, &user.client_id);
    let answer = imds.token(&selector).await;

    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error_description"], "Identity not found");
    assert_eq!(
        imds.token("").await.json()["client_id"],
        system.client_id.as_str()
    );
}

#[tokio::test]
async fn get_token_after_the_system_identity_was_disabled_uses_the_only_user_assigned() {
    let world = World::new().await;
    let (system, user) = (Identity::system("vm1"), Identity::user(1));
    let vm = world.add_vm("vm1", &[system.clone(), user.clone()]);
    let imds = world.imds(&vm).await;
    assert_eq!(
        imds.token("").await.json()["client_id"],
        system.client_id.as_str()
    );

    world.arm.remove_identity(&vm, &system.client_id);

    assert_eq!(
        imds.token("").await.json()["client_id"],
        user.client_id.as_str()
    );
}

#[tokio::test]
async fn get_token_accepts_aad_numbers_sent_as_strings() {
    let world = World::new().await;
    world.aad.answer_numbers_as_strings();
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    let answer = imds.token("").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["expires_in"], "86399");
}

#[tokio::test]
async fn get_token_accepts_every_documented_api_version() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    for version in [
        "2018-02-01",
        "2019-08-01",
        "2021-12-13",
        "2023-07-01",
        "2025-04-07",
    ] {
        let answer = imds.get(&format!("/metadata/identity/oauth2/token?api-version={version}&resource=https://management.azure.com")).await;
        assert_eq!(answer.status, 200, "{version}: {}", answer.text);
    }
}

#[tokio::test]
async fn get_info_returns_the_tenant() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let imds = world.imds(&vm).await;

    let answer = imds
        .get("/metadata/identity/info?api-version=2018-02-01")
        .await;

    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        serde_json::json!({"tenantId": mimic_testkit::fixture::TENANT})
    );
}

#[tokio::test]
async fn get_token_with_a_trailing_slash_as_msal_node_sends_it_returns_a_token() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    // msal-node (under @azure/identity 4.x) with AZURE_POD_IDENTITY_AUTHORITY_HOST set.
    let answer = imds
        .get("/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=https://management.azure.com")
        .await;

    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json()["resource"], "https://management.azure.com");
}

#[tokio::test]
async fn get_token_concurrent_misses_for_one_identity_and_resource_ask_aad_once() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = std::sync::Arc::new(world.imds_unlimited(&vm).await);
    // AAD answers slowly, so the requests are all waiting on the same miss.
    world
        .aad
        .answer_after(std::time::Duration::from_millis(300));

    let requests: Vec<_> = (0..20)
        .map(|_| {
            let imds = imds.clone();
            tokio::spawn(async move { imds.token("").await })
        })
        .collect();
    let mut tokens = Vec::new();
    for request in requests {
        let reply = request.await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.text);
        tokens.push(reply.json()["access_token"].clone());
    }

    assert_eq!(world.aad.received(), 1);
    tokens.dedup();
    assert_eq!(tokens.len(), 1);
}
