//! Tokens from AAD and IMDS verify with raw aws-lc-rs (not mimic-token's verifier) against the
//! published keys.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_testkit::{fixture::ARM_SCOPE, TestMimic};
use serde_json::{json, Value};

/// Verifies an RS256 token against the JWKS key its header names and returns its claims, checking
/// `exp` and `nbf` against the system clock with a minute of leeway.
fn verify_with_jwks(jwks: &Value, token: &str) -> Value {
    let part = |index: usize| -> Value {
        let text = URL_SAFE_NO_PAD
            .decode(token.split('.').nth(index).unwrap())
            .unwrap();
        serde_json::from_slice(&text).unwrap()
    };
    let header = part(0);
    assert_eq!(header["alg"], "RS256");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == header["kid"])
        .unwrap();
    for private in ["d", "p", "q", "dp", "dq", "qi"] {
        assert!(
            key.get(private).is_none(),
            "the JWKS must not publish '{private}'"
        );
    }
    let decode = |text: &str| URL_SAFE_NO_PAD.decode(text).unwrap();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    aws_lc_rs::signature::RsaPublicKeyComponents {
        n: decode(key["n"].as_str().unwrap()),
        e: decode(key["e"].as_str().unwrap()),
    }
    .verify(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        signed.as_bytes(),
        &decode(signature),
    )
    .expect("the signature verifies with the published key");
    let claims = part(1);
    let now = mimic_token::Clock::system().now();
    assert!(claims["exp"].as_i64().unwrap() + 60 >= now, "expired");
    assert!(claims["nbf"].as_i64().unwrap() - 60 <= now, "not yet valid");
    claims
}

#[tokio::test]
async fn aad_and_imds_tokens_verify_against_the_published_keys() {
    let mimic = TestMimic::start().await;
    let jwks = mimic.jwks().await;
    let operator = mimic.operator_token().await;
    let claims = verify_with_jwks(&jwks, &operator);
    assert_eq!(claims["appid"], mimic.endpoints.operator.client_id.as_str());
    assert_eq!(claims["oid"], mimic.endpoints.operator.object_id.as_str());
    assert_eq!(
        claims["iss"],
        format!("https://sts.windows.net/{}/", mimic.endpoints.tenant_id)
    );

    mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let reply = mimic
        .imds_token("vm1", "https://storage.azure.com", "")
        .await;
    let token = reply.body["access_token"].as_str().unwrap();
    let claims = verify_with_jwks(&jwks, token);
    assert_eq!(
        claims["aud"], "https://storage.azure.com",
        "aud is the resource exactly as requested"
    );
    assert_eq!(claims["tid"], mimic.endpoints.tenant_id.as_str());
    assert_eq!(claims["ver"], "1.0");
    mimic.stop().await;
}

#[tokio::test]
async fn aad_expires_in_is_a_number_and_each_token_has_its_own_uti() {
    let mimic = TestMimic::start().await;
    let operator = &mimic.endpoints.operator;
    let first = mimic
        .client_credentials(&operator.client_id, &operator.client_secret, ARM_SCOPE)
        .await;
    let second = mimic
        .client_credentials(&operator.client_id, &operator.client_secret, ARM_SCOPE)
        .await;
    assert!(first.body["expires_in"].is_number(), "{}", first.body);
    let uti = |reply: &mimic_testkit::Reply| {
        mimic_testkit::claims(reply.body["access_token"].as_str().unwrap())["uti"].clone()
    };
    assert_ne!(uti(&first), uti(&second));
    mimic.stop().await;
}

#[tokio::test]
async fn mi_token_lifetime_flag_sets_the_lifetime_imds_serves() {
    let mimic = TestMimic::start_with(|args| args.mi_token_lifetime = 3600).await;
    let operator = mimic.operator_token().await;
    mimic
        .patch_vm_identity(&operator, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let reply = mimic
        .imds_token("vm1", "https://management.azure.com/", "")
        .await;
    let expires_in: i64 = reply.body["expires_in"].as_str().unwrap().parse().unwrap();
    assert!(
        (3500..=3600).contains(&expires_in),
        "expires_in {expires_in}"
    );
    let claims = mimic_testkit::claims(reply.body["access_token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    mimic.stop().await;
}

#[tokio::test]
async fn imds_limit_flags_zero_turn_throttling_off() {
    let mimic = TestMimic::start_with(|args| args.imds_limits.imds_metadata_rps = 0).await;
    let url = format!(
        "{}/metadata/instance?api-version=2021-02-01",
        mimic.imds("vm1")
    );
    for attempt in 0..12 {
        let reply = mimic
            .http
            .get(&url)
            .header("Metadata", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "request {attempt} with the limit off");
    }
    mimic.stop().await;
}
