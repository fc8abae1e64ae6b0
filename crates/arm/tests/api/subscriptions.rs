//! Subscriptions, tenants and locations.

use serde_json::json;

use mimic_testkit::fixture::{GROUP, READER, SUBSCRIPTION, TENANT};
use mimic_testkit::TestArm;

#[tokio::test]
async fn list_subscriptions_as_owner_returns_the_fixture_subscription_in_azure_shape() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .arm
        .get("/subscriptions?api-version=2022-12-01", Some(&token))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.body["value"],
        json!([{
            "id": format!("/subscriptions/{SUBSCRIPTION}"),
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "subscriptionId": SUBSCRIPTION,
            "tenantId": TENANT,
            "displayName": "mimic-subscription",
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off"
            }
        }])
    );
    assert_eq!(reply.body["count"], json!({"type": "Total", "value": 1}));
}

#[tokio::test]
async fn list_subscriptions_without_assignments_returns_an_empty_list() {
    let app = TestArm::spawn().await;
    let (_, token) = app.new_principal("nobody").await;
    let reply = app
        .arm
        .get("/subscriptions?api-version=2022-12-01", Some(&token))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["value"], json!([]));
}

#[tokio::test]
async fn list_subscriptions_with_a_group_assignment_shows_the_subscription() {
    let app = TestArm::spawn().await;
    let (principal, token) = app.new_principal("group-reader").await;
    app.grant(&app.group(GROUP), READER, &principal.object_id)
        .await;
    let reply = app
        .arm
        .get("/subscriptions?api-version=2022-12-01", Some(&token))
        .await;
    assert_eq!(reply.body["value"][0]["subscriptionId"], SUBSCRIPTION);
}

#[tokio::test]
async fn get_subscription_returns_it_or_404_subscription_not_found() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!(
        "/subscriptions/{}?api-version=2022-12-01",
        SUBSCRIPTION.to_uppercase()
    );
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["id"], format!("/subscriptions/{SUBSCRIPTION}"));
    let unknown = "00000000-1111-4222-8333-444444444444";
    let reply = app
        .arm
        .get(
            &format!("/subscriptions/{unknown}?api-version=2022-12-01"),
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "SubscriptionNotFound");
    assert_eq!(
        reply.message(),
        format!("The subscription '{unknown}' could not be found.")
    );
}

#[tokio::test]
async fn get_subscription_with_a_malformed_id_returns_400_invalid_subscription_id() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .arm
        .get(
            "/subscriptions/not-a-guid/resourcegroups?api-version=2024-11-01",
            Some(&token),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "InvalidSubscriptionId");
    assert_eq!(
        reply.message(),
        "The provided subscription identifier 'not-a-guid' is malformed or invalid."
    );
}

#[tokio::test]
async fn list_tenants_returns_the_home_tenant() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app
        .arm
        .get("/tenants?api-version=2022-12-01", Some(&token))
        .await;
    assert_eq!(reply.status, 200);
    let tenant = &reply.body["value"][0];
    assert_eq!(tenant["id"], format!("/tenants/{TENANT}"));
    assert_eq!(tenant["tenantId"], TENANT);
    assert_eq!(tenant["tenantCategory"], "Home");
}

#[tokio::test]
async fn list_locations_returns_regions_with_subscription_ids() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let path = format!("{}/locations?api-version=2022-12-01", app.subscription());
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 200);
    let eastus = reply.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|location| location["name"] == "eastus")
        .unwrap()
        .clone();
    assert_eq!(
        eastus["id"],
        format!("/subscriptions/{SUBSCRIPTION}/locations/eastus")
    );
    assert_eq!(eastus["displayName"], "East US");
}

#[tokio::test]
async fn metadata_endpoints_needs_no_token_and_names_aad() {
    let app = TestArm::spawn().await;
    let reply = app
        .arm
        .request(
            "GET",
            "/metadata/endpoints?api-version=2022-09-01",
            None,
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["authentication"]["loginEndpoint"], app.aad.base);
    assert_eq!(
        reply.body["authentication"]["audiences"][0],
        "https://management.core.windows.net/"
    );
    assert_eq!(reply.body["resourceManager"], format!("{}/", app.arm.base));
    assert_eq!(
        reply.body["authentication"]["audiences"][2],
        format!("{}/", app.arm.base)
    );
    assert!(reply.body["suffixes"].is_object());
}
