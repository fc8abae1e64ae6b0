use base64::Engine;

use crate::helpers::verify;
use mimic_testkit::fixture::{
    ARM, ARM_CORE, DOMAIN, OPERATOR_APP_ID, OPERATOR_OBJECT_ID, OPERATOR_SECRET, TENANT,
};
use mimic_testkit::TestAad;

#[tokio::test]
async fn token_v2_with_a_secret_returns_a_verifiable_token_with_every_claim() {
    let app = TestAad::spawn().await;
    let jwks = app.jwks().await;
    let before = app.clock.now();

    let reply = app
        .operator_token("https://management.core.windows.net//.default")
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["access_token", "expires_in", "ext_expires_in", "token_type"]
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"].as_i64(), Some(3599), "a JSON number");
    assert_eq!(body["ext_expires_in"].as_i64(), Some(3599), "a JSON number");
    assert_eq!(reply.headers["cache-control"], "no-store, no-cache");
    assert_eq!(
        reply.headers["content-type"],
        "application/json; charset=utf-8"
    );

    let claims = verify(reply.token(), &jwks, ARM_CORE).unwrap();
    let issuer = format!("https://sts.windows.net/{TENANT}/");
    assert_eq!(claims.aud, ARM_CORE);
    assert_eq!(claims.iss, issuer);
    assert_eq!(claims.idp, issuer);
    assert_eq!(claims.oid, OPERATOR_OBJECT_ID);
    assert_eq!(claims.sub, OPERATOR_OBJECT_ID);
    assert_eq!(claims.tid, TENANT);
    assert_eq!(claims.appid, OPERATOR_APP_ID);
    assert_eq!(claims.appidacr, "1");
    assert_eq!(claims.idtyp.as_deref(), Some("app"));
    assert_eq!(claims.ver, "1.0");
    assert!(claims.iat >= before && claims.iat <= app.clock.now());
    assert_eq!(claims.nbf, claims.iat);
    assert_eq!(claims.exp - claims.iat, 3599);
    assert!(!claims.aio.is_empty() && !claims.rh.is_empty());
    assert_eq!(claims.xms_mirid, None);
    assert_eq!(claims.xms_az_rid, None);
    assert_eq!(claims.xms_cc, None);
}

#[tokio::test]
async fn token_audience_is_the_resource_exactly_with_or_without_trailing_slash() {
    let app = TestAad::spawn().await;
    let jwks = app.jwks().await;
    let cases = [
        (
            "https://management.azure.com/.default",
            ARM,
            "https://management.azure.com/",
        ),
        (
            "https://management.azure.com//.default",
            "https://management.azure.com/",
            ARM,
        ),
        (
            "https://management.core.windows.net//.default",
            ARM_CORE,
            "https://management.core.windows.net",
        ),
    ];
    for (scope, audience, other) in cases {
        let reply = app.operator_token(scope).await;

        assert_eq!(reply.status, 200, "{scope}: {}", reply.body);
        assert_eq!(
            verify(reply.token(), &jwks, audience).unwrap().aud,
            audience,
            "{scope}"
        );
        assert!(
            verify(reply.token(), &jwks, other).is_err(),
            "{scope} must not verify for {other}"
        );
    }
}

#[tokio::test]
async fn token_v1_with_a_secret_echoes_the_resource_and_reports_times_as_numbers() {
    let app = TestAad::spawn().await;
    let jwks = app.jwks().await;

    let reply = app
        .token_v1(&[
            ("grant_type", "client_credentials"),
            ("client_id", OPERATOR_APP_ID),
            ("client_secret", OPERATOR_SECRET),
            ("resource", ARM),
        ])
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["resource"], ARM);
    assert_eq!(reply.body["expires_in"].as_i64(), Some(3599));
    let expires_on = reply.body["expires_on"].as_i64().unwrap();
    let not_before = reply.body["not_before"].as_i64().unwrap();
    assert_eq!(expires_on - not_before, 3599);
    let claims = verify(reply.token(), &jwks, ARM).unwrap();
    assert_eq!(claims.exp, expires_on);
    assert_eq!(claims.nbf, not_before);
    assert!(reply.body.get("refresh_token").is_none() && reply.body.get("scope").is_none());
}

#[tokio::test]
async fn token_uti_is_unique_across_tokens() {
    let app = TestAad::spawn().await;
    let jwks = app.jwks().await;

    let first = app
        .operator_token("https://management.azure.com/.default")
        .await;
    let second = app
        .operator_token("https://management.azure.com/.default")
        .await;

    let first = verify(first.token(), &jwks, ARM).unwrap();
    let second = verify(second.token(), &jwks, ARM).unwrap();
    assert_ne!(first.uti, second.uti);
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&first.uti)
            .unwrap()
            .len(),
        16
    );
}

#[tokio::test]
async fn token_v2_accepts_client_secret_basic_and_the_tenant_domain() {
    let app = TestAad::spawn().await;
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        app.aad.base,
        DOMAIN.to_uppercase()
    );

    let response = app
        .aad
        .http
        .post(url)
        .basic_auth(OPERATOR_APP_ID, Some(OPERATOR_SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://management.azure.com/.default"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn token_v2_with_cp1_claims_and_az_cli_parameters_carries_xms_cc() {
    let app = TestAad::spawn().await;
    let jwks = app.jwks().await;

    let reply = app
        .token_v2(&[
            ("client_id", OPERATOR_APP_ID),
            ("grant_type", "client_credentials"),
            ("client_info", "1"),
            ("client_secret", OPERATOR_SECRET),
            (
                "claims",
                r#"{"access_token": {"xms_cc": {"values": ["CP1"]}}}"#,
            ),
            ("scope", "https://management.core.windows.net//.default"),
        ])
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let claims = verify(reply.token(), &jwks, ARM_CORE).unwrap();
    assert_eq!(claims.xms_cc, Some(vec!["CP1".to_string()]));
}

#[tokio::test]
async fn a_secret_verified_once_still_refuses_a_wrong_one() {
    let app = TestAad::spawn().await;
    let form = |secret: &'static str| {
        [
            ("grant_type", "client_credentials"),
            ("client_id", OPERATOR_APP_ID),
            ("client_secret", secret),
            ("scope", "https://management.azure.com/.default"),
        ]
    };
    // The first request runs PBKDF2 and remembers the match; the next ones take the fast path.
    for _ in 0..3 {
        let reply = app.token_v2(&form(OPERATOR_SECRET)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let wrong = app.token_v2(&form("not-the-operator-secret")).await;
    assert_eq!(wrong.status, 401, "{}", wrong.text);
    assert_eq!(wrong.code(), "invalid_client");
    let again = app.token_v2(&form(OPERATOR_SECRET)).await;
    assert_eq!(again.status, 200, "{}", again.text);
}
