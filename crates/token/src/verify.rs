//! Verification of access tokens against a JWKS, with errors fine enough for ARM's 401 codes.

use std::collections::HashMap;

use serde::de::DeserializeOwned;

use crate::jwt::{Algorithm, Jws, RsaPublicKey};
use crate::Jwks;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token's algorithm '{0}' is not RS256")]
    Algorithm(String),
    #[error("no key with kid '{0}'")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    Signature,
    #[error("the token expired at {exp}")]
    Expired { exp: i64 },
    #[error("the token is not valid before {nbf}")]
    NotYetValid { nbf: i64 },
    #[error("the audience '{0}' is not accepted")]
    Audience(String),
    #[error("the issuer '{0}' is not accepted")]
    Issuer(String),
}

/// What a verifier demands beyond the signature.
#[derive(Debug, Clone)]
pub struct Expectations {
    /// Accepted issuers, compared exactly.
    pub issuers: Vec<String>,
    /// Accepted audiences, compared exactly.
    pub audiences: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway: i64,
}

/// RS256 keys by kid, built from a JWKS document and parsed once.
#[derive(Clone, Default)]
pub struct Verifier {
    keys: HashMap<String, RsaPublicKey>,
}

impl Verifier {
    /// Builds a verifier from the RSA keys of a JWKS document.
    pub fn from_jwks(jwks: &Jwks) -> Self {
        let keys = jwks
            .keys
            .iter()
            .filter(|key| key.kty == "RSA")
            .filter_map(|key| {
                Some((
                    key.kid.clone(),
                    RsaPublicKey::from_jwk(Algorithm::Rs256, &key.n, &key.e)?,
                ))
            })
            .collect();
        Self { keys }
    }

    /// Whether a key with this kid is known.
    pub fn knows(&self, kid: &str) -> bool {
        self.keys.contains_key(kid)
    }

    /// The kid in a token's header, if it has one.
    pub fn kid_of(token: &str) -> Result<Option<String>, VerifyError> {
        Ok(Jws::parse(token)?.header().kid.clone())
    }

    /// Checks signature (RS256 only), then time, issuer and audience, in that order.
    pub fn verify<C: DeserializeOwned>(
        &self,
        token: &str,
        expect: &Expectations,
        now: i64,
    ) -> Result<C, VerifyError> {
        let jws = Jws::parse(token)?;
        let header = jws.header();
        if Algorithm::from_name(&header.alg) != Some(Algorithm::Rs256) {
            return Err(VerifyError::Algorithm(header.alg.clone()));
        }
        let kid = header.kid.clone().unwrap_or_default();
        let key = self.keys.get(&kid).ok_or(VerifyError::UnknownKey(kid))?;
        let claims = jws.verify(key)?;
        check_claims(&claims, expect, now)?;
        serde_json::from_value(claims).map_err(|_| VerifyError::Malformed)
    }
}

fn check_claims(
    claims: &serde_json::Value,
    expect: &Expectations,
    now: i64,
) -> Result<(), VerifyError> {
    let exp = claims["exp"].as_i64().ok_or(VerifyError::Malformed)?;
    if now > exp + expect.leeway {
        return Err(VerifyError::Expired { exp });
    }
    if let Some(nbf) = claims["nbf"].as_i64() {
        if now + expect.leeway < nbf {
            return Err(VerifyError::NotYetValid { nbf });
        }
    }
    let issuer = claims["iss"].as_str().unwrap_or_default();
    if !expect.issuers.iter().any(|accepted| accepted == issuer) {
        return Err(VerifyError::Issuer(issuer.to_string()));
    }
    let audience = claims["aud"].as_str().unwrap_or_default();
    if !expect.audiences.iter().any(|accepted| accepted == audience) {
        return Err(VerifyError::Audience(audience.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Jwk, SigningKey};
    use base64::Engine;

    fn setup() -> (SigningKey, Verifier, Expectations) {
        let key = SigningKey::generate("t").unwrap();
        let verifier = Verifier::from_jwks(&Jwks {
            keys: vec![Jwk::from_key(&key, None)],
        });
        let expect = Expectations {
            issuers: vec!["iss".into()],
            audiences: vec!["aud".into()],
            leeway: 300,
        };
        (key, verifier, expect)
    }

    #[test]
    fn verify_rejects_each_bad_token_with_its_reason() {
        let (key, verifier, expect) = setup();
        let good = serde_json::json!({"iss": "iss", "aud": "aud", "exp": 1000, "nbf": 0});
        let cases = [
            (
                serde_json::json!({"iss": "iss", "aud": "aud", "exp": 1000}),
                1301,
                VerifyError::Expired { exp: 1000 },
            ),
            (
                serde_json::json!({"iss": "x", "aud": "aud", "exp": 1000}),
                10,
                VerifyError::Issuer("x".into()),
            ),
            (
                serde_json::json!({"iss": "iss", "aud": "y", "exp": 1000}),
                10,
                VerifyError::Audience("y".into()),
            ),
            (
                serde_json::json!({"iss": "iss", "aud": "aud", "exp": 9000, "nbf": 5000}),
                10,
                VerifyError::NotYetValid { nbf: 5000 },
            ),
        ];
        for (claims, now, want) in cases {
            let token = key.sign(&claims).unwrap();
            assert_eq!(
                verifier
                    .verify::<serde_json::Value>(&token, &expect, now)
                    .unwrap_err(),
                want,
                "{claims}"
            );
        }
        let token = key.sign(&good).unwrap();
        assert!(verifier
            .verify::<serde_json::Value>(&token, &expect, 10)
            .is_ok());
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"iss":"iss","aud":"aud","exp":99999}"#);
        parts[1] = &forged;
        assert_eq!(
            verifier
                .verify::<serde_json::Value>(&parts.join("."), &expect, 10)
                .unwrap_err(),
            VerifyError::Signature
        );
    }

    #[test]
    fn verify_rejects_alg_none() {
        let (_, verifier, expect) = setup();
        let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let token = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(r#"{"iss":"iss","aud":"aud","exp":99999}"#)
        );
        assert!(verifier
            .verify::<serde_json::Value>(&token, &expect, 10)
            .is_err());
    }
}
