//! Bearer-token authentication: the 401 codes, messages and challenge ARM sends.

use base64::Engine;
use mimic_testkit::fixture::{OPERATOR_APP_ID, OPERATOR_SECRET, TENANT};
use mimic_testkit::TestArm;

const PATH: &str = "/subscriptions?api-version=2022-12-01";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn list_subscriptions_without_authorization_returns_401_authentication_failed() {
    let app = TestArm::spawn().await;
    let reply = app.arm.request("GET", PATH, None, None).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.code(), "AuthenticationFailed");
    assert_eq!(
        reply.message(),
        "Authentication failed. The 'Authorization' header is missing."
    );
    let challenge = reply.headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with(&format!(
            "Bearer authorization_uri=\"{}/{TENANT}\", error=\"invalid_token\", error_description=\"",
            app.aad.base
        )),
        "{challenge}"
    );
}

#[tokio::test]
async fn list_subscriptions_with_a_non_bearer_header_returns_401_authentication_failed() {
    let app = TestArm::spawn().await;
    for header in ["Basic dXNlcjpwYXNz", "Bearer", "token"] {
        let reply = app
            .arm
            .raw("GET", PATH, &[("Authorization", header)], "")
            .await;
        assert_eq!(reply.status, 401, "{header}");
        assert_eq!(reply.code(), "AuthenticationFailed", "{header}");
        assert_eq!(
            reply.message(),
            "Authentication failed. The 'Authorization' header is not in a valid format."
        );
    }
}

#[tokio::test]
async fn list_subscriptions_with_a_bad_token_returns_401_invalid_authentication_token() {
    let app = TestArm::spawn().await;
    let claims = serde_json::to_vec(&app.operator_claims()).unwrap();
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&claims)
    );
    let hs256 = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(&claims),
        b64(b"signature")
    );
    let genuine = app.mint(&app.operator_claims());
    let mut parts: Vec<String> = genuine.split('.').map(str::to_string).collect();
    let mut forged_claims = app.operator_claims();
    forged_claims.oid = uuid::Uuid::new_v4().to_string();
    parts[1] = b64(&serde_json::to_vec(&forged_claims).unwrap());
    let forged = parts.join(".");
    let other_key = mimic_token::SigningKey::generate("someone else").unwrap();
    let foreign = other_key.sign(&app.operator_claims()).unwrap();
    let cases = [
        ("garbage", "not-a-jwt".to_string()),
        ("alg none", none),
        ("HS256", hs256),
        ("forged signature", forged),
        ("unknown key", foreign),
    ];
    for (case, token) in cases {
        let reply = app.arm.request("GET", PATH, Some(&token), None).await;
        assert_eq!(reply.status, 401, "{case}: {}", reply.text);
        assert_eq!(reply.code(), "InvalidAuthenticationToken", "{case}");
        assert!(reply.headers.contains_key("www-authenticate"), "{case}");
    }
}

#[tokio::test]
async fn list_subscriptions_with_a_wrong_audience_returns_401_invalid_authentication_token_audience(
) {
    let app = TestArm::spawn().await;
    let mut claims = app.operator_claims();
    claims.aud = "https://graph.microsoft.com".into();
    let reply = app
        .arm
        .request("GET", PATH, Some(&app.mint(&claims)), None)
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.code(), "InvalidAuthenticationTokenAudience");
    assert_eq!(
        reply.message(),
        "The access token has been obtained for wrong audience or resource 'https://graph.microsoft.com'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'."
    );
}

#[tokio::test]
async fn list_subscriptions_accepts_each_arm_audience() {
    let app = TestArm::spawn().await;
    for audience in [
        "https://management.core.windows.net/",
        "https://management.core.windows.net",
        "https://management.azure.com/",
        "https://management.azure.com",
    ] {
        let mut claims = app.operator_claims();
        claims.aud = audience.into();
        let reply = app
            .arm
            .request("GET", PATH, Some(&app.mint(&claims)), None)
            .await;
        assert_eq!(reply.status, 200, "{audience}: {}", reply.text);
    }
}

/// Go-SDK-style clients and Ansible ask AAD for `{resourceManager}/.default`.
#[tokio::test]
async fn list_subscriptions_accepts_arms_own_url_as_audience_with_and_without_slash() {
    let app = TestArm::spawn().await;
    for audience in [app.arm.base.clone(), format!("{}/", app.arm.base)] {
        let mut claims = app.operator_claims();
        claims.aud = audience.clone();
        let reply = app
            .arm
            .request("GET", PATH, Some(&app.mint(&claims)), None)
            .await;
        assert_eq!(reply.status, 200, "{audience}: {}", reply.text);
    }
    // A real AAD token for that scope, as those clients get it.
    let url = format!("{}/{TENANT}/oauth2/v2.0/token", app.aad.base);
    let form = [
        ("grant_type", "client_credentials".to_string()),
        ("client_id", OPERATOR_APP_ID.to_string()),
        ("client_secret", OPERATOR_SECRET.to_string()),
        ("scope", format!("{}/.default", app.arm.base)),
    ];
    let token: serde_json::Value = app
        .aad
        .http
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reply = app
        .arm
        .request("GET", PATH, token["access_token"].as_str(), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    // Another host's URL is still refused.
    let mut claims = app.operator_claims();
    claims.aud = "https://127.0.0.2:8443".into();
    let reply = app
        .arm
        .request("GET", PATH, Some(&app.mint(&claims)), None)
        .await;
    assert_eq!(reply.status, 401, "{}", reply.text);
}

#[tokio::test]
async fn list_subscriptions_with_an_expired_token_returns_401_expired_authentication_token() {
    let app = TestArm::spawn().await;
    let mut claims = app.operator_claims();
    claims.exp = app.clock.now() - 600;
    let reply = app
        .arm
        .request("GET", PATH, Some(&app.mint(&claims)), None)
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.code(), "ExpiredAuthenticationToken");
    let message = reply.message();
    assert!(
        message.starts_with("The access token expiry UTC time '")
            && message.contains("' is earlier than current UTC time '")
            && (message.contains(" AM'") || message.contains(" PM'")),
        "{message}"
    );
}

#[tokio::test]
async fn list_subscriptions_within_the_five_minute_leeway_returns_200() {
    let app = TestArm::spawn().await;
    let mut claims = app.operator_claims();
    claims.exp = app.clock.now() - 60;
    let reply = app
        .arm
        .request("GET", PATH, Some(&app.mint(&claims)), None)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn list_subscriptions_after_the_clock_passes_expiry_returns_401_expired() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    assert_eq!(app.arm.get(PATH, Some(&token)).await.status, 200);
    app.clock.advance(3600 + 301);
    let reply = app.arm.get(PATH, Some(&token)).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.code(), "ExpiredAuthenticationToken");
}

#[tokio::test]
async fn get_subscription_with_another_tenants_token_returns_401_invalid_authentication_token_tenant(
) {
    let app = TestArm::spawn().await;
    let other = "11111111-2222-4333-8444-555555555555";
    let mut claims = app.operator_claims();
    claims.tid = other.into();
    claims.iss = format!("https://sts.windows.net/{other}/");
    let path = format!("{}?api-version=2022-12-01", app.subscription());
    let reply = app
        .arm
        .request("GET", &path, Some(&app.mint(&claims)), None)
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.code(), "InvalidAuthenticationTokenTenant");
    assert!(
        reply.message().starts_with(&format!(
            "The access token is from the wrong issuer 'https://sts.windows.net/{other}/'. It must match the tenant 'https://sts.windows.net/{TENANT}/' associated with this subscription."
        )),
        "{}",
        reply.message()
    );
}

#[tokio::test]
async fn a_token_with_an_issuer_not_matching_its_tenant_returns_401_invalid_authentication_token() {
    let app = TestArm::spawn().await;
    let mut claims = app.operator_claims();
    claims.iss = "https://login.example.com/".into();
    let reply = app
        .arm
        .request("GET", PATH, Some(&app.mint(&claims)), None)
        .await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.code(), "InvalidAuthenticationToken");
}

#[tokio::test]
async fn operator_token_from_aad_is_accepted() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app.arm.get(PATH, Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(mimic_token_claims(&token)["appid"], OPERATOR_APP_ID);
}

fn mimic_token_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn healthz_needs_no_token() {
    let app = TestArm::spawn().await;
    let reply = app.arm.request("GET", "/healthz", None, None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn internal_api_without_the_key_returns_401_in_the_arm_envelope() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let reply = app.arm.get("/internal/vms", Some(&token)).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.code(), "InvalidInternalKey");
    let with_key = app
        .arm
        .raw(
            "GET",
            "/internal/vms",
            &[(mimic_web::INTERNAL_KEY_HEADER, app.internal_key.expose())],
            "",
        )
        .await;
    assert_eq!(with_key.status, 200, "{}", with_key.text);
}
