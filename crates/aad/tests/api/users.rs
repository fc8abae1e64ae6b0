//! Users: the internal API and how Graph reads them.

use serde_json::{json, Value};

use mimic_testkit::fixture::*;
use mimic_testkit::TestAad;

async fn graph_get(app: &TestAad, path: &str) -> Value {
    let scope = format!("{}//.default", app.aad.base);
    let token = app.operator_token(&scope).await.token().to_string();
    let response = app
        .aad
        .http
        .get(format!("{}/v1.0{path}", app.aad.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn create_user_returns_201_without_the_password_and_409_for_a_taken_upn() {
    let app = TestAad::spawn().await;
    let body = json!({"userPrincipalName": "bob@mimic.onmicrosoft.com", "displayName": "Bob",
        "passwordProfile": {"password": "Bob-Pass-1!"}});

    let created = app.create_user(&body).await;
    let again = app.create_user(&body).await;

    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["userPrincipalName"],
        "bob@mimic.onmicrosoft.com"
    );
    assert!(!created.body.to_string().contains("Bob-Pass-1!"));
    assert_eq!(again.status, 409);
    assert_eq!(
        again.body["error"],
        "Request_MultipleObjectsWithSameKeyValue"
    );
}

#[tokio::test]
async fn create_user_without_the_internal_key_returns_401() {
    let app = TestAad::spawn().await;
    let response = app
        .aad
        .http
        .post(format!("{}/internal/users", app.aad.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn graph_users_filter_by_upn_and_get_by_id() {
    let app = TestAad::spawn().await;

    let filtered = graph_get(
        &app,
        "/users?$filter=userPrincipalName%20eq%20%27ADMIN@mimic.onmicrosoft.com%27",
    )
    .await;
    let none = graph_get(&app, "/users?$filter=userPrincipalName%20eq%20%27x@y.z%27").await;
    let one = graph_get(&app, &format!("/users/{ADMIN_ID}")).await;
    let by_upn = graph_get(&app, &format!("/users/{ADMIN_UPN}")).await;

    assert_eq!(filtered["value"][0]["id"], ADMIN_ID);
    assert_eq!(none["value"], json!([]));
    assert_eq!(one["displayName"], "Mimic Admin");
    assert_eq!(by_upn["id"], ADMIN_ID);
}

#[tokio::test]
async fn get_by_ids_returns_users_with_their_odata_type() {
    let app = TestAad::spawn().await;
    let scope = format!("{}//.default", app.aad.base);
    let token = app.operator_token(&scope).await.token().to_string();

    let reply: Value = app
        .aad
        .http
        .post(format!("{}/v1.0/directoryObjects/getByIds", app.aad.base))
        .bearer_auth(token)
        .json(
            &json!({"ids": [ADMIN_ID, OPERATOR_OBJECT_ID], "types": ["user", "servicePrincipal"]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(reply["value"][0]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(reply["value"][0]["userPrincipalName"], ADMIN_UPN);
    assert_eq!(
        reply["value"][1]["@odata.type"],
        "#microsoft.graph.servicePrincipal"
    );
}

#[tokio::test]
async fn get_user_on_the_internal_api_returns_200_or_404() {
    let app = TestAad::spawn().await;
    let get = |id: String| {
        app.aad
            .http
            .get(format!("{}/internal/users/{id}", app.aad.base))
            .header(mimic_web::INTERNAL_KEY_HEADER, app.internal_key.expose())
            .send()
    };

    let found = get(ADMIN_ID.to_string()).await.unwrap();
    let missing = get(uuid::Uuid::new_v4().to_string()).await.unwrap();

    assert_eq!(found.status(), 200);
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn graph_me_with_a_user_token_returns_the_signed_in_user() {
    let app = TestAad::spawn().await;
    let first = app.ropc("organizations", ADMIN_UPN, ADMIN_PASSWORD).await;
    let scope = format!("{}//.default", app.aad.base);
    let graph = app
        .token_v2(&[
            ("client_id", AZURE_CLI),
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                first.body["refresh_token"].as_str().unwrap(),
            ),
            ("scope", &scope),
        ])
        .await;

    let me: Value = app
        .aad
        .http
        .get(format!("{}/v1.0/me", app.aad.base))
        .bearer_auth(graph.token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(me["userPrincipalName"], ADMIN_UPN, "{me}");
}
