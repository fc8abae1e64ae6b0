//! Defence in depth and invalid input (issue #10, items 7 and 9): ambiguous credentials, tokens
//! from another tenant, and writes ARM refuses without changing anything.

use serde_json::{json, Value};

use mimic_testkit::fixture::{
    identity_id, vm_id, GROUP, MSI_VERSION, SUBSCRIPTION, TENANT, VM_CONTRIBUTOR,
};
use mimic_testkit::{vm_body, TestArm};

const SUBSCRIPTIONS: &str = "/subscriptions?api-version=2022-12-01";
const OTHER_TENANT: &str = "11111111-2222-4333-8444-555555555555";
const ALL_LOCATIONS: &str =
    "eastus,eastus2,westus,westus2,centralus,northeurope,westeurope,uksouth";

/// The operator's token as if issued by mimic's AAD in another tenant.
fn foreign_token(app: &TestArm) -> String {
    let mut claims = app.operator_claims();
    claims.tid = OTHER_TENANT.into();
    claims.iss = format!("https://sts.windows.net/{OTHER_TENANT}/");
    claims.idp = claims.iss.clone();
    app.mint(&claims)
}

#[tokio::test]
async fn list_subscriptions_with_two_authorization_headers_returns_401_invalid_authentication_token(
) {
    let app = TestArm::spawn().await;
    let valid = format!("Bearer {}", app.operator_token().await);
    let cases = [
        ("valid first", [valid.as_str(), "Bearer not-a-jwt"]),
        ("valid last", ["Bearer not-a-jwt", valid.as_str()]),
        ("both valid", [valid.as_str(), valid.as_str()]),
    ];
    for (case, [first, second]) in cases {
        let headers = [("Authorization", first), ("Authorization", second)];
        let reply = app.arm.raw("GET", SUBSCRIPTIONS, &headers, "").await;
        assert_eq!(reply.status, 401, "{case}: {}", reply.text);
        assert_eq!(reply.code(), "InvalidAuthenticationToken", "{case}");
        let challenge = reply.headers["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with(&format!(
                "Bearer authorization_uri=\"{}/{TENANT}\", error=\"invalid_token\"",
                app.aad.base
            )),
            "{case}: {challenge}"
        );
    }
    let single = app
        .arm
        .raw("GET", SUBSCRIPTIONS, &[("Authorization", &valid)], "")
        .await;
    assert_eq!(single.status, 200, "one header: {}", single.text);
}

#[tokio::test]
async fn create_group_with_two_authorization_headers_creates_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let valid = format!("Bearer {token}");
    let path = format!("{}?api-version=2024-11-01", app.group("twice"));
    let headers = [
        ("Authorization", valid.as_str()),
        ("Authorization", "Bearer not-a-jwt"),
        ("Content-Type", "application/json"),
    ];

    let reply = app
        .arm
        .raw("PUT", &path, &headers, r#"{"location":"eastus"}"#)
        .await;

    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
}

#[tokio::test]
async fn list_subscriptions_with_another_tenants_token_lists_none_of_this_tenant() {
    let app = TestArm::spawn().await;
    let home = app
        .arm
        .get(SUBSCRIPTIONS, Some(&app.operator_token().await))
        .await;
    let foreign = app.arm.get(SUBSCRIPTIONS, Some(&foreign_token(&app))).await;

    assert_eq!(home.status, 200, "{}", home.text);
    assert_eq!(home.body["value"][0]["subscriptionId"], SUBSCRIPTION);
    assert_eq!(foreign.status, 200, "{}", foreign.text);
    assert_eq!(foreign.body["value"], json!([]), "{}", foreign.text);
    assert_eq!(foreign.body["count"]["value"], 0);
}

#[tokio::test]
async fn list_tenants_with_another_tenants_token_lists_no_tenant() {
    let app = TestArm::spawn().await;
    let path = "/tenants?api-version=2022-12-01";
    let home = app.arm.get(path, Some(&app.operator_token().await)).await;
    let foreign = app.arm.get(path, Some(&foreign_token(&app))).await;

    assert_eq!(home.body["value"][0]["tenantId"], TENANT, "{}", home.text);
    assert_eq!(foreign.status, 200, "{}", foreign.text);
    assert_eq!(foreign.body["value"], json!([]), "{}", foreign.text);
}

#[tokio::test]
async fn update_with_an_identity_value_other_than_empty_or_null_returns_400_and_attaches_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_identity(&token, "id1").await;
    let id1 = identity_id("id1");
    let values = [
        json!(5),
        json!("x"),
        json!(true),
        json!([]),
        json!({"principalId": "x"}),
    ];
    for value in values {
        let identity = json!({"type": "UserAssigned", "userAssignedIdentities": {&id1: value}});

        let reply = app
            .patch_vm(&token, "vm1", json!({"identity": identity}))
            .await;

        assert_eq!(reply.status, 400, "{value}: {}", reply.text);
        assert_eq!(reply.code(), "InvalidRequestContent", "{value}");
        assert!(
            reply.message().contains(&id1),
            "{value}: {}",
            reply.message()
        );
        let vm = app.get_vm(&token, "vm1").await.body;
        assert!(vm.get("identity").is_none(), "{value}: attached: {vm}");
    }
}

#[tokio::test]
async fn update_with_a_malformed_identity_id_returns_400_before_linked_authorization() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    // A VM contributor has no assign permission on anything: a 403 would mean the linked scope
    // was authorized before the id was checked.
    let (contributor, contributor_token) = app.new_principal("vm-contributor").await;
    app.grant(&app.group(GROUP), VM_CONTRIBUTOR, &contributor.object_id)
        .await;
    let relative = identity_id("id1").trim_start_matches('/').to_string();
    for key in ["not-an-id", "/subscriptions/", relative.as_str()] {
        let identity = json!({"type": "UserAssigned", "userAssignedIdentities": {key: {}}});

        let reply = app
            .patch_vm(&contributor_token, "vm1", json!({"identity": identity}))
            .await;

        assert_eq!(reply.status, 400, "{key}: {}", reply.text);
        assert_eq!(reply.code(), "LinkedInvalidPropertyId", "{key}");
        assert_eq!(
            reply.message(),
            format!("Property id '{key}' at path '' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{{subscriptionId}}' or '/providers/{{resourceProviderNamespace}}/'.")
        );
        let vm = app.get_vm(&token, "vm1").await.body;
        assert!(vm.get("identity").is_none(), "{key}: changed: {vm}");
    }
}

#[tokio::test]
async fn create_vm_in_an_unknown_location_returns_400_location_not_available_and_creates_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let mut body = vm_body();
    body["location"] = json!("atlantis");

    let reply = app.put_vm(&token, "vm-atlantis", body).await;

    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.code(), "LocationNotAvailableForResourceType");
    assert_eq!(
        reply.message(),
        format!("The provided location 'atlantis' is not available for resource type 'Microsoft.Compute/virtualMachines'. List of available regions for the resource type is '{ALL_LOCATIONS}'.")
    );
    assert_eq!(app.get_vm(&token, "vm-atlantis").await.status, 404);
}

#[tokio::test]
async fn replace_vm_with_an_unknown_location_returns_400_and_keeps_the_vm() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.create_vm(&token, "vm-kept").await;
    let mut body = vm_body();
    body["location"] = json!("atlantis");
    body["tags"] = json!({"changed": "yes"});

    let reply = app.put_vm(&token, "vm-kept", body).await;

    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.code(), "LocationNotAvailableForResourceType");
    let vm = app.get_vm(&token, "vm-kept").await.body;
    assert_eq!(vm["location"], "eastus");
    assert!(vm.get("tags").is_none(), "tags changed: {vm}");
}

#[tokio::test]
async fn create_vm_accepts_a_location_spelled_as_its_display_name() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let mut body = vm_body();
    body["location"] = json!("East US");

    let reply = app.put_vm(&token, "vm-display", body).await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["location"], "eastus");
}

#[tokio::test]
async fn create_identity_in_an_unknown_location_returns_400_and_creates_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let reply = app
        .put_identity(&token, "id-atlantis", json!({"location": "atlantis"}))
        .await;

    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.code(), "LocationNotAvailableForResourceType");
    assert_eq!(
        reply.message(),
        format!("The provided location 'atlantis' is not available for resource type 'Microsoft.ManagedIdentity/userAssignedIdentities'. List of available regions for the resource type is '{ALL_LOCATIONS}'.")
    );
    let path = format!("{}?api-version={MSI_VERSION}", identity_id("id-atlantis"));
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
}

#[tokio::test]
async fn create_group_in_an_unknown_location_returns_400_location_not_available_for_resource_group()
{
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let reply = app
        .put_group(&token, "rg-atlantis", json!({"location": "atlantis"}))
        .await;
    let display_name = app
        .put_group(&token, "rg-west", json!({"location": "West Europe"}))
        .await;

    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.code(), "LocationNotAvailableForResourceGroup");
    assert_eq!(
        reply.message(),
        format!("The provided location 'atlantis' is not available for resource group. List of available regions is '{ALL_LOCATIONS}'.")
    );
    let path = format!("{}?api-version=2024-11-01", app.group("rg-atlantis"));
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 404);
    assert_eq!(display_name.status, 201, "{}", display_name.text);
    assert_eq!(display_name.body["location"], "westeurope");
}

#[tokio::test]
async fn create_group_with_a_non_json_content_type_returns_415_and_creates_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let bearer = format!("Bearer {token}");
    let path = format!("{}?api-version=2024-11-01", app.group("rg-plain"));
    let body = r#"{"location":"eastus"}"#;
    for content_type in ["text/plain", "application/xml", "text/plain; charset=utf-8"] {
        let headers = [
            ("Authorization", bearer.as_str()),
            ("Content-Type", content_type),
        ];

        let reply = app.arm.raw("PUT", &path, &headers, body).await;

        assert_eq!(reply.status, 415, "{content_type}: {}", reply.text);
        assert_eq!(reply.code(), "UnsupportedMediaType", "{content_type}");
        assert_eq!(
            reply.message(),
            format!("The content media type '{content_type}' is not supported. Only 'application/json' is supported.")
        );
        assert_eq!(
            app.arm.get(&path, Some(&token)).await.status,
            404,
            "{content_type}"
        );
    }
}

#[tokio::test]
async fn update_vm_with_a_text_plain_body_returns_415_and_changes_nothing() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let bearer = format!("Bearer {token}");
    let path = format!("{}?api-version=2024-11-01", vm_id("vm1"));
    let headers = [
        ("Authorization", bearer.as_str()),
        ("Content-Type", "text/plain"),
    ];

    let reply = app
        .arm
        .raw("PATCH", &path, &headers, r#"{"tags":{"changed":"yes"}}"#)
        .await;

    assert_eq!(reply.status, 415, "{}", reply.text);
    let vm = app.get_vm(&token, "vm1").await.body;
    assert!(vm.get("tags").is_none(), "tags changed: {vm}");
}

#[tokio::test]
async fn create_group_accepts_json_with_parameters_and_an_absent_content_type() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let bearer = format!("Bearer {token}");
    let cases: [(&str, Option<&str>); 3] = [
        ("rg-json", Some("application/json")),
        ("rg-charset", Some("application/json; charset=utf-8")),
        ("rg-absent", None),
    ];
    for (name, content_type) in cases {
        let path = format!("{}?api-version=2024-11-01", app.group(name));
        let mut headers = vec![("Authorization", bearer.as_str())];
        if let Some(content_type) = content_type {
            headers.push(("Content-Type", content_type));
        }

        let reply = app
            .arm
            .raw("PUT", &path, &headers, r#"{"location":"eastus"}"#)
            .await;

        assert_eq!(reply.status, 201, "{content_type:?}: {}", reply.text);
        let stored: Value = app.arm.get(&path, Some(&token)).await.body;
        assert_eq!(stored["location"], "eastus", "{content_type:?}");
    }
}
