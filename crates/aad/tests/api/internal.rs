use mimic_token::SigningKey;
use mimic_web::INTERNAL_KEY_HEADER;
use serde_json::json;

use crate::helpers::{assertion, verify};
use mimic_testkit::fixture::{ARM, OPERATOR_OBJECT_ID};
use mimic_testkit::TestAad;

const VM: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";

#[tokio::test]
async fn create_returns_201_with_graph_names_and_never_secrets() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("vm1").unwrap();
    let body = json!({
        "displayName": "vm1", "servicePrincipalType": "ManagedIdentity",
        "managedIdentityResourceId": VM, "alternativeNames": ["isExplicit=False", VM],
        "keyCredentials": [{"key": key.certificate_pem()}],
        "passwordCredentials": [{"secretText": "hunter2"}],
        "id": "C0FFEE00-0000-4000-8000-000000000001", "appId": "c0ffee00-0000-4000-8000-000000000002",
    });

    let created = app.create_principal(&body).await;
    let fetched = app
        .get_principal("c0ffee00-0000-4000-8000-000000000001")
        .await;

    assert_eq!(created.status, 201, "{}", created.body);
    let want = json!({
        "id": "c0ffee00-0000-4000-8000-000000000001", "appId": "c0ffee00-0000-4000-8000-000000000002",
        "displayName": "vm1", "servicePrincipalType": "ManagedIdentity",
        "servicePrincipalNames": ["c0ffee00-0000-4000-8000-000000000002", VM],
        "alternativeNames": ["isExplicit=False", VM], "managedIdentityResourceId": VM,
    });
    assert_eq!(created.body, want);
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, want);
    let db = std::fs::read(app.dir.path().join("aad.db")).unwrap();
    let wal = std::fs::read(app.dir.path().join("aad.db-wal")).unwrap_or_default();
    for file in [db, wal] {
        assert!(
            !file.windows(7).any(|w| w == b"hunter2"),
            "the secret is stored in clear"
        );
    }
}

#[tokio::test]
async fn create_generates_ids_when_none_are_given() {
    let app = TestAad::spawn().await;

    let reply = app.create_principal(&json!({"displayName": "app"})).await;

    assert_eq!(reply.status, 201, "{}", reply.body);
    for field in ["id", "appId"] {
        assert!(
            uuid::Uuid::parse_str(reply.body[field].as_str().unwrap()).is_ok(),
            "{field}"
        );
    }
    assert_eq!(reply.body["servicePrincipalType"], "Application");
    assert!(reply.body.get("managedIdentityResourceId").is_none());
}

#[tokio::test]
async fn internal_api_without_the_right_key_returns_401_and_changes_nothing() {
    let app = TestAad::spawn().await;
    let url = format!("{}/internal/servicePrincipals", app.aad.base);
    let body = json!({"displayName": "x", "id": "c0ffee00-0000-4000-8000-000000000009"});
    let requests = [
        app.aad.http.post(&url).json(&body),
        app.aad
            .http
            .post(&url)
            .header(INTERNAL_KEY_HEADER, "wrong")
            .json(&body),
        app.aad
            .http
            .post(&url)
            .header(INTERNAL_KEY_HEADER, "")
            .json(&body),
        app.aad.http.get(format!("{url}/{OPERATOR_OBJECT_ID}")),
        app.aad
            .http
            .delete(format!("{url}/{OPERATOR_OBJECT_ID}"))
            .header(INTERNAL_KEY_HEADER, "wrong"),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "Authorization_RequestDenied");
    }
    assert_eq!(
        app.get_principal("c0ffee00-0000-4000-8000-000000000009")
            .await
            .status,
        404
    );
    assert_eq!(app.get_principal(OPERATOR_OBJECT_ID).await.status, 200);
}

#[tokio::test]
async fn create_with_a_taken_id_or_app_id_returns_409() {
    let app = TestAad::spawn().await;
    let first = app.create_principal(&json!({"displayName": "a"})).await;
    let cases = [
        (json!({"displayName": "b", "id": first.body["id"]}), "id"),
        (
            json!({"displayName": "b", "appId": first.body["appId"].as_str().unwrap().to_uppercase()}),
            "appId",
        ),
    ];
    for (body, property) in cases {
        let reply = app.create_principal(&body).await;

        assert_eq!(reply.status, 409, "{property}: {}", reply.body);
        assert_eq!(reply.code(), "Request_MultipleObjectsWithSameKeyValue");
        assert!(reply.body["error_description"]
            .as_str()
            .unwrap()
            .contains(&format!("property {property}")));
    }
}

#[tokio::test]
async fn create_with_an_invalid_body_returns_400() {
    let app = TestAad::spawn().await;
    let cases = [
        json!("not an object"),
        json!({"servicePrincipalType": "Application"}),
        json!({"displayName": "x", "servicePrincipalType": "User"}),
        json!({"displayName": "x", "keyCredentials": [{"key": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}]}),
        json!({"displayName": "x", "appId": "not-a-guid"}),
    ];
    for body in cases {
        let reply = app.create_principal(&body).await;

        assert_eq!(reply.status, 400, "{body}: {}", reply.body);
        assert_eq!(reply.code(), "Request_BadRequest", "{body}");
    }
}

#[tokio::test]
async fn delete_removes_the_principal_but_not_the_tokens_it_already_has() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("vm1").unwrap();
    let principal = app.create_managed_identity(&key, VM).await;
    let (id, app_id) = (
        principal["id"].as_str().unwrap(),
        principal["appId"].as_str().unwrap(),
    );
    let jwt = assertion(&key, app_id, &app.token_url_v1(), app.clock.now(), None);
    let before = app.assertion_token(app_id, &jwt, ARM).await;
    assert_eq!(before.status, 200);

    let deleted = app.delete_principal(id).await;

    assert_eq!(deleted.status, 204);
    assert_eq!(deleted.body, serde_json::Value::Null);
    assert_eq!(app.get_principal(id).await.status, 404);
    assert_eq!(app.delete_principal(id).await.status, 404);
    let after = app.assertion_token(app_id, &jwt, ARM).await;
    assert_eq!(after.aadsts(), 700016, "no new tokens: {}", after.body);
    assert!(
        verify(before.token(), &app.jwks().await, ARM).is_ok(),
        "issued tokens stay valid"
    );
}

#[tokio::test]
async fn get_an_unknown_principal_returns_404_in_the_envelope() {
    let app = TestAad::spawn().await;

    let reply = app
        .get_principal("c0ffee00-0000-4000-8000-00000000dead")
        .await;

    assert_eq!(reply.status, 404);
    assert_eq!(reply.code(), "Request_ResourceNotFound");
    assert!(reply.body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("Resource 'c0ffee00-0000-4000-8000-00000000dead' does not exist"));
}

#[tokio::test]
async fn status_counts_principals_managed_identities_and_users() {
    let app = TestAad::spawn().await;
    let status = || async {
        let request = app
            .aad
            .http
            .get(format!("{}/internal/status", app.aad.base))
            .header(INTERNAL_KEY_HEADER, app.internal_key.expose());
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.json::<serde_json::Value>().await.unwrap()
    };
    let before = status().await;
    let key = SigningKey::generate("counted").unwrap();
    app.create_managed_identity(&key, VM).await;

    let after = status().await;

    for (field, added) in [
        ("servicePrincipals", 1),
        ("managedIdentities", 1),
        ("users", 0),
    ] {
        let count = |body: &serde_json::Value| body[field].as_i64().unwrap();
        assert_eq!(count(&after) - count(&before), added, "{field}: {after}");
    }
    assert_eq!(before["managedIdentities"], 0);
}

#[tokio::test]
async fn status_without_the_right_key_returns_401_even_with_a_token() {
    let app = TestAad::spawn().await;
    let token = app.operator_token(&format!("{ARM}/.default")).await;
    let url = format!("{}/internal/status", app.aad.base);
    let requests = [
        app.aad.http.get(&url),
        app.aad.http.get(&url).header(INTERNAL_KEY_HEADER, "wrong"),
        app.aad.http.get(&url).bearer_auth(token.token()),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 401);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "Authorization_RequestDenied");
        assert!(body.get("servicePrincipals").is_none());
    }
}

#[tokio::test]
async fn internal_api_refuses_a_peer_the_settings_do_not_admit_even_with_the_key() {
    // The harness connects from 127.0.0.1, which the default (loopback) admits; `Nobody` shows the
    // peer rule is honoured without a second interface. The decision itself is unit-tested in
    // mimic-web (`InternalPeers::admits`).
    let app = TestAad::spawn_with(|settings| {
        settings.internal_peers = mimic_web::InternalPeers::Nobody;
    })
    .await;
    let key = SigningKey::generate("vm1").unwrap();
    let body = json!({
        "displayName": "vm1", "servicePrincipalType": "ManagedIdentity",
        "managedIdentityResourceId": VM, "keyCredentials": [{"key": key.certificate_pem()}],
        "appId": "c0ffee00-0000-4000-8000-00000000000a",
    });

    let created = app.create_principal(&body).await;
    let status = app
        .aad
        .http
        .get(format!("{}/internal/status", app.aad.base))
        .header(INTERNAL_KEY_HEADER, app.internal_key.expose())
        .send()
        .await
        .unwrap();

    assert_eq!(created.status, 401, "{}", created.body);
    assert_eq!(created.body["error"], "Authorization_RequestDenied");
    assert_eq!(status.status().as_u16(), 401);
    // Nothing was created: the principal cannot get a token.
    let jwt = assertion(
        &key,
        "c0ffee00-0000-4000-8000-00000000000a",
        &app.token_url_v1(),
        app.clock.now(),
        None,
    );
    let token = app
        .assertion_token("c0ffee00-0000-4000-8000-00000000000a", &jwt, ARM)
        .await;
    assert_eq!(token.aadsts(), 700016, "{}", token.body);
    // The public endpoints are not affected by the internal-API rule.
    let operator = app
        .operator_token("https://management.core.windows.net//.default")
        .await;
    assert_eq!(operator.status, 200, "{}", operator.body);
}
