//! Token checks for the AAD tests: verifying what AAD issues with an independent JWT library, and
//! building the client assertions IMDS sends.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_testkit::fixture::TENANT;
use mimic_token::{AccessTokenClaims, ClientAssertionClaims, Clock, Jwks, SigningKey};
use serde_json::{json, Value};

/// The JSON of one base64url part of a JWT.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// Verifies `token` against the JWKS with raw aws-lc-rs, independently of `mimic_token`'s
/// verifier: RS256 signature by the key its `kid` names, then issuer, exact audience, and `exp`
/// (system clock, one minute of leeway).
pub fn verify(token: &str, jwks: &Jwks, audience: &str) -> Result<AccessTokenClaims, String> {
    let header = jwt_part(token, 0);
    if header["alg"] != "RS256" {
        return Err(format!("alg {}", header["alg"]));
    }
    let jwk = jwks
        .keys
        .iter()
        .find(|k| header["kid"] == k.kid.as_str())
        .expect("the token's kid is in the JWKS");
    let (signed, signature) = token.rsplit_once('.').ok_or("not a JWT")?;
    let decode = |text: &str| URL_SAFE_NO_PAD.decode(text).map_err(|e| e.to_string());
    aws_lc_rs::signature::RsaPublicKeyComponents {
        n: decode(&jwk.n)?,
        e: decode(&jwk.e)?,
    }
    .verify(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        signed.as_bytes(),
        &decode(signature)?,
    )
    .map_err(|_| "the signature does not verify".to_string())?;
    let claims: AccessTokenClaims =
        serde_json::from_value(jwt_part(token, 1)).map_err(|e| e.to_string())?;
    if claims.iss != format!("https://sts.windows.net/{TENANT}/") {
        return Err(format!("iss {}", claims.iss));
    }
    if claims.aud != audience {
        return Err(format!("aud {}", claims.aud));
    }
    if claims.exp + 60 < Clock::system().now() {
        return Err(format!("expired at {}", claims.exp));
    }
    Ok(claims)
}

/// A client assertion signed by `key` (RS256, header `x5t`).
pub fn assertion(
    key: &SigningKey,
    client_id: &str,
    aud: &str,
    now: i64,
    xms_az_rid: Option<&str>,
) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "x5t": key.kid()});
    key.sign_with_header(&header, &assertion_claims(client_id, aud, now, xms_az_rid))
        .unwrap()
}

/// The claims IMDS puts in an assertion.
pub fn assertion_claims(
    client_id: &str,
    aud: &str,
    now: i64,
    xms_az_rid: Option<&str>,
) -> ClientAssertionClaims {
    ClientAssertionClaims {
        aud: aud.into(),
        iss: client_id.into(),
        sub: client_id.into(),
        jti: uuid::Uuid::new_v4().to_string(),
        exp: now + 600,
        nbf: Some(now),
        iat: Some(now),
        xms_az_rid: xms_az_rid.map(str::to_string),
    }
}
