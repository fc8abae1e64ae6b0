//! Token checks for the AAD tests: verifying what AAD issues with an independent JWT library, and
//! building the client assertions IMDS sends.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mimic_testkit::fixture::TENANT;
use mimic_token::{AccessTokenClaims, ClientAssertionClaims, Jwks, SigningKey};
use serde_json::json;

/// Verifies `token` with `jsonwebtoken` against the JWKS (RS256, issuer, exact audience).
pub fn verify(
    token: &str,
    jwks: &Jwks,
    audience: &str,
) -> Result<AccessTokenClaims, jsonwebtoken::errors::Error> {
    let kid = jsonwebtoken::decode_header(token)?.kid.unwrap_or_default();
    let jwk = jwks
        .keys
        .iter()
        .find(|k| k.kid == kid)
        .expect("the token's kid is in the JWKS");
    let key = DecodingKey::from_rsa_components(&jwk.n, &jwk.e)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[format!("https://sts.windows.net/{TENANT}/")]);
    jsonwebtoken::decode::<AccessTokenClaims>(token, &key, &validation).map(|data| data.claims)
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
