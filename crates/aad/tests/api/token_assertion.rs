use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_token::SigningKey;
use serde_json::json;

use crate::helpers::{assertion, assertion_claims, verify};
use mimic_testkit::fixture::{ARM, ARM_CORE, DOMAIN, JWT_BEARER, TENANT};
use mimic_testkit::TestAad;

const VM: &str = "/subscriptions/9b2c4d6e-8f0a-4b1c-a3d5-e7f9a1b3c5d7/resourceGroups/mimic-rg/providers/Microsoft.Compute/virtualMachines/vm1";
const UAMI: &str = "/subscriptions/9b2c4d6e-8f0a-4b1c-a3d5-e7f9a1b3c5d7/resourceGroups/mimic-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1";

#[tokio::test]
async fn token_v1_with_a_managed_identity_assertion_carries_mirid_and_az_rid() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("id1").unwrap();
    let principal = app.create_managed_identity(&key, UAMI).await;
    let app_id = principal["appId"].as_str().unwrap();
    let jwt = assertion(&key, app_id, &app.token_url_v1(), app.clock.now(), Some(VM));

    let reply = app.assertion_token(app_id, &jwt, ARM_CORE).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["expires_in"].as_i64(), Some(86399));
    assert_eq!(reply.body["resource"], ARM_CORE);
    let claims = verify(reply.token(), &app.jwks().await, ARM_CORE).unwrap();
    assert_eq!(claims.appid, app_id);
    assert_eq!(claims.appidacr, "2");
    assert_eq!(claims.oid, principal["id"].as_str().unwrap());
    assert_eq!(claims.sub, claims.oid);
    assert_eq!(claims.tid, TENANT);
    assert_eq!(claims.xms_mirid.as_deref(), Some(UAMI));
    assert_eq!(claims.xms_az_rid.as_deref(), Some(VM));
    assert_eq!(claims.exp - claims.iat, 86399);
}

#[tokio::test]
async fn token_with_a_system_assigned_assertion_has_no_az_rid() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("vm1").unwrap();
    let principal = app.create_managed_identity(&key, VM).await;
    let app_id = principal["appId"].as_str().unwrap();
    let jwt = assertion(&key, app_id, &app.token_url_v1(), app.clock.now(), None);

    let reply = app.assertion_token(app_id, &jwt, ARM).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let claims = verify(reply.token(), &app.jwks().await, ARM).unwrap();
    assert_eq!(claims.xms_mirid.as_deref(), Some(VM));
    assert_eq!(claims.xms_az_rid, None);
}

#[tokio::test]
async fn token_v2_accepts_a_ps256_assertion_selected_by_x5t_s256_and_aimed_at_any_host() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("app-cert").unwrap();
    let reply = app
        .create_principal(
            &json!({"displayName": "app", "keyCredentials": [{"key": key.certificate_base64()}]}),
        )
        .await;
    let app_id = reply.body["appId"].as_str().unwrap().to_string();
    let der = base64::engine::general_purpose::STANDARD
        .decode(key.certificate_base64())
        .unwrap();
    let x5t_s256 =
        URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der));
    let header = json!({"alg": "PS256", "typ": "JWT", "x5t#S256": x5t_s256});
    let aud = format!("https://login.example.test/{DOMAIN}/oauth2/v2.0/token");
    let claims = assertion_claims(&app_id, &aud, app.clock.now(), Some(VM));
    let jwt = ps256(&key, &header, &claims);

    let reply = app
        .token_v2(&[
            ("grant_type", "client_credentials"),
            ("client_id", &app_id),
            ("scope", "https://management.azure.com/.default"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &jwt),
        ])
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["expires_in"].as_i64(),
        Some(3599),
        "an application, not a managed identity"
    );
    let claims = verify(reply.token(), &app.jwks().await, ARM).unwrap();
    assert_eq!(claims.appidacr, "2");
    assert_eq!(claims.xms_mirid, None);
    assert_eq!(
        claims.xms_az_rid, None,
        "only managed identities get xms_az_rid"
    );
}

#[tokio::test]
async fn token_with_an_assertion_but_no_client_id_takes_the_assertion_issuer() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("vm1").unwrap();
    let principal = app.create_managed_identity(&key, VM).await;
    let app_id = principal["appId"].as_str().unwrap();
    let jwt = assertion(&key, app_id, &app.token_url_v1(), app.clock.now(), None);

    let reply = app
        .token_v1(&[
            ("grant_type", "client_credentials"),
            ("resource", ARM),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &jwt),
        ])
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn token_v2_accepts_an_assertion_with_fractional_numeric_dates_as_msal_python_signs_it() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("app-cert").unwrap();
    let reply = app
        .create_principal(
            &json!({"displayName": "app", "keyCredentials": [{"key": key.certificate_base64()}]}),
        )
        .await;
    let app_id = reply.body["appId"].as_str().unwrap().to_string();
    // msal's JwtAssertionCreator: `exp = time.time() + 600`, `iat = time.time()` (floats), no nbf.
    let now = app.clock.now() as f64 + 0.5;
    let claims = json!({"aud": app.token_url_v2(), "iss": app_id, "sub": app_id,
                        "exp": now + 600.0, "iat": now, "jti": uuid::Uuid::new_v4().to_string()});
    let jwt = key
        .sign_with_header(
            &json!({"alg": "RS256", "typ": "JWT", "x5t": key.kid()}),
            &claims,
        )
        .unwrap();

    let reply = app
        .token_v2(&[
            ("grant_type", "client_credentials"),
            ("client_id", &app_id),
            ("scope", "https://management.azure.com/.default"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &jwt),
        ])
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let claims = verify(reply.token(), &app.jwks().await, ARM).unwrap();
    assert_eq!(claims.appid, app_id);
    assert_eq!(claims.appidacr, "2");
}

#[tokio::test]
async fn token_rejects_an_expired_assertion_with_fractional_numeric_dates() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("vm1").unwrap();
    let app_id = app.create_managed_identity(&key, VM).await["appId"]
        .as_str()
        .unwrap()
        .to_string();
    let now = app.clock.now() as f64;
    let claims = json!({"aud": app.token_url_v1(), "iss": app_id, "sub": app_id,
                        "exp": now - 1000.25, "iat": now - 1600.25, "jti": "j"});
    let jwt = key
        .sign_with_header(&json!({"alg": "RS256", "x5t": key.kid()}), &claims)
        .unwrap();

    let reply = app.assertion_token(&app_id, &jwt, ARM).await;

    assert_eq!(reply.aadsts(), 700024, "{}", reply.body);
}

/// A PS256 JWT signed with raw aws-lc-rs (mimic-token signs RS256 only).
fn ps256(key: &SigningKey, header: &serde_json::Value, claims: &impl serde::Serialize) -> String {
    let der = base64::engine::general_purpose::STANDARD
        .decode(
            key.private_key_pem()
                .lines()
                .filter(|line| !line.starts_with("-----"))
                .collect::<String>(),
        )
        .unwrap();
    let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der).unwrap();
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    );
    let mut signature = vec![0; pair.public_modulus_len()];
    pair.sign(
        &aws_lc_rs::signature::RSA_PSS_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        signed.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}
