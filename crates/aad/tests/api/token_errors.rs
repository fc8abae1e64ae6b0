use mimic_token::SigningKey;
use serde_json::json;

use crate::helpers::{assertion, assertion_claims};
use mimic_testkit::fixture::{ARM, OPERATOR_APP_ID, OPERATOR_OBJECT_ID, OPERATOR_SECRET, TENANT};
use mimic_testkit::{Reply, TestAad};

const VM: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";

/// Status, `error`, AADSTS code, and a fragment of the description.
type Want = (u16, &'static str, i64, &'static str);
/// A form body.
type Form<'a> = Vec<(&'a str, &'a str)>;

fn check(reply: &Reply, want: Want, case: &str) {
    let (status, error, code, fragment) = want;
    assert_eq!(reply.status, status, "{case}: {}", reply.body);
    assert_eq!(reply.code(), error, "{case}");
    assert_eq!(reply.aadsts(), code, "{case}");
    let description = reply.body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{case}: {description}"
    );
    assert!(description.contains(fragment), "{case}: {description}");
    assert!(reply.body.get("access_token").is_none(), "{case}");
    assert!(
        reply.body["error_uri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/error?code={code}")),
        "{case}"
    );
}

async fn assert_nothing_changed(app: &TestAad) {
    assert_eq!(
        app.operator_token("https://management.azure.com/.default")
            .await
            .status,
        200
    );
    assert_eq!(app.get_principal(OPERATOR_OBJECT_ID).await.status, 200);
}

#[tokio::test]
async fn token_rejects_each_bad_request_with_aads_error() {
    let app = TestAad::spawn().await;
    let v2 = |extra: &[(&'static str, &'static str)]| {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", OPERATOR_APP_ID),
            ("client_secret", OPERATOR_SECRET),
        ];
        form.extend_from_slice(extra);
        form
    };
    let cases: Vec<(&str, Form, Want)> = vec![
        ("bad secret", vec![("grant_type", "client_credentials"), ("client_id", OPERATOR_APP_ID), ("client_secret", "wrong"), ("scope", "https://management.azure.com/.default")],
            (401, "invalid_client", 7000215, "for a secret added to app '0f1e2d3c-4b5a-4968-8776-655443322110'")),
        ("unknown client", vec![("grant_type", "client_credentials"), ("client_id", "11111111-2222-3333-4444-555555555555"), ("client_secret", "x"), ("scope", "https://management.azure.com/.default")],
            (400, "unauthorized_client", 700016, "Application with identifier '11111111-2222-3333-4444-555555555555' was not found in the directory 'mimic'")),
        ("no credential", vec![("grant_type", "client_credentials"), ("client_id", OPERATOR_APP_ID), ("scope", "https://management.azure.com/.default")],
            (401, "invalid_client", 7000218, "'client_assertion' or 'client_secret'")),
        ("no grant_type", vec![("client_id", OPERATOR_APP_ID), ("client_secret", OPERATOR_SECRET), ("scope", "https://management.azure.com/.default")],
            (400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")),
        ("device code grant", vec![("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", OPERATOR_APP_ID), ("scope", "https://management.azure.com/.default")],
            (400, "unsupported_grant_type", 70003, "device_code")),
        ("scope without /.default", v2(&[("scope", "https://graph.microsoft.com/User.Read")]),
            (400, "invalid_scope", 1002012, "Client credential flows must have a scope value with /.default")),
        ("two scopes", v2(&[("scope", "https://management.azure.com/.default https://storage.azure.com/.default")]),
            (400, "invalid_scope", 70011, "'scope' is not valid")),
        ("no scope", v2(&[]), (400, "invalid_request", 90014, "'scope'")),
        ("resource on v2", v2(&[("resource", ARM)]), (400, "invalid_request", 901002, "'resource'")),
        ("duplicate parameter", v2(&[("scope", "a/.default"), ("scope", "b/.default")]), (400, "invalid_request", 9000411, "'scope' is duplicated")),
    ];
    for (case, form, want) in cases {
        let reply = app.token_v2(&form).await;
        check(&reply, want, case);
    }
    assert_nothing_changed(&app).await;
}

#[tokio::test]
async fn token_rejects_unknown_tenants_missing_resource_and_unreadable_bodies() {
    let app = TestAad::spawn().await;
    let secret = [
        ("grant_type", "client_credentials"),
        ("client_id", OPERATOR_APP_ID),
        ("client_secret", OPERATOR_SECRET),
        ("resource", ARM),
    ];
    let cases: Vec<(&str, String, Form, Want)> = vec![
        (
            "unknown tenant",
            format!("{}/other.onmicrosoft.com/oauth2/token", app.aad.base),
            secret.to_vec(),
            (
                400,
                "invalid_request",
                90002,
                "Tenant 'other.onmicrosoft.com' not found",
            ),
        ),
        (
            "common",
            format!("{}/common/oauth2/v2.0/token", app.aad.base),
            secret.to_vec(),
            (400, "invalid_request", 9001023, "/common or /consumers"),
        ),
        (
            "v1 without resource",
            app.token_url_v1(),
            secret[..3].to_vec(),
            (400, "invalid_request", 900144, "'resource'"),
        ),
    ];
    for (case, url, form, want) in cases {
        let request = app.aad.http.post(&url).form(&form);
        check(&app.aad.send(request).await, want, case);
    }
    for (case, body, content_type) in [
        (
            "json body",
            r#"{"grant_type":"client_credentials"}"#.as_bytes(),
            "application/json",
        ),
        (
            "binary body",
            &[0xff, 0xfe, 0x00, 0x26][..],
            "application/x-www-form-urlencoded",
        ),
    ] {
        let request = app
            .aad
            .http
            .post(app.token_url_v2())
            .header("content-type", content_type)
            .body(body.to_vec());
        let reply = app.aad.send(request).await;
        check(
            &reply,
            (400, "invalid_request", 900144, "'grant_type'"),
            case,
        );
    }
    assert_nothing_changed(&app).await;
}

#[tokio::test]
async fn token_rejects_each_bad_assertion_with_aads_error() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("vm1").unwrap();
    let other = SigningKey::generate("other").unwrap();
    let principal = app.create_managed_identity(&key, VM).await;
    let id = principal["appId"].as_str().unwrap().to_string();
    let (now, aud) = (app.clock.now(), app.token_url_v1());
    let forged = other
        .sign_with_header(
            &json!({"alg": "RS256", "x5t": key.kid()}),
            &assertion_claims(&id, &aud, now, None),
        )
        .unwrap();
    let mut expired = assertion_claims(&id, &aud, now - 2000, None);
    expired.nbf = None;
    let mut wrong_subject = assertion_claims(&id, &aud, now, None);
    wrong_subject.sub = "someone-else".into();
    let signed = |claims| {
        key.sign_with_header(&json!({"alg": "RS256", "x5t": key.kid()}), &claims)
            .unwrap()
    };
    let cases: Vec<(&str, String, Want)> = vec![
        (
            "signed by another key",
            forged,
            (
                401,
                "invalid_client",
                700027,
                "The provided signature value did not match",
            ),
        ),
        (
            "unregistered key",
            assertion(&other, &id, &aud, now, None),
            (401, "invalid_client", 700027, "The key was not found."),
        ),
        (
            "wrong audience",
            assertion(&key, &id, "https://x/other-tenant/oauth2/token", now, None),
            (401, "invalid_client", 700023, "does not match Realm issuer"),
        ),
        (
            "expired",
            signed(expired),
            (
                401,
                "invalid_client",
                700024,
                "not within its valid time range",
            ),
        ),
        (
            "issuer is not the client",
            assertion(&key, OPERATOR_APP_ID, &aud, now, None),
            (401, "invalid_client", 700021, "doesn't match 'client_id'"),
        ),
        (
            "subject is not the issuer",
            signed(wrong_subject),
            (401, "invalid_client", 50048, "Subject mismatches Issuer"),
        ),
        (
            "not a JWT",
            "not.a.jwt".into(),
            (401, "invalid_client", 50027, "invalid or malformed"),
        ),
        (
            "no thumbprint",
            key.sign_with_header(
                &json!({"alg": "RS256"}),
                &assertion_claims(&id, &aud, now, None),
            )
            .unwrap(),
            (401, "invalid_client", 50027, "No certificate thumbprint"),
        ),
    ];
    for (case, jwt, want) in cases {
        check(&app.assertion_token(&id, &jwt, ARM).await, want, case);
    }
    let good = assertion(&key, &id, &aud, now, None);
    assert_eq!(app.assertion_token(&id, &good, ARM).await.status, 200);
    assert_nothing_changed(&app).await;
}

#[tokio::test]
async fn token_rejects_an_assertion_once_the_clock_passes_its_expiry() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("vm1").unwrap();
    let id = app.create_managed_identity(&key, VM).await["appId"]
        .as_str()
        .unwrap()
        .to_string();
    let jwt = assertion(
        &key,
        &id,
        &format!("https://127.0.0.1/{TENANT}/oauth2/token"),
        app.clock.now(),
        None,
    );
    assert_eq!(app.assertion_token(&id, &jwt, ARM).await.status, 200);

    app.clock.advance(600 + 301);

    assert_eq!(app.assertion_token(&id, &jwt, ARM).await.aadsts(), 700024);
}

#[tokio::test]
async fn token_error_echoes_the_client_request_id_as_correlation_id() {
    let app = TestAad::spawn().await;
    let correlation = uuid::Uuid::new_v4().to_string();

    let response = app
        .aad
        .http
        .post(app.token_url_v2())
        .header("client-request-id", &correlation)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["cache-control"], "no-store, no-cache");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["correlation_id"], correlation);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains(&format!("Correlation ID: {correlation}")));
}
