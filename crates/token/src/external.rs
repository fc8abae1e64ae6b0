//! Keys of other OIDC issuers (workload identity federation): a JWKS entry of any kind an issuer
//! publishes — RSA (RS256, RS384, RS512, PS256) or EC (ES256 on P-256, ES384 on P-384) — and the
//! check of a JWS signed with it. mimic's own tokens stay on [`crate::RsaPublicKey`].

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents, VerificationAlgorithm};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::{Jws, VerifyError};

/// One public key from an issuer's JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalKey {
    kid: Option<String>,
    material: Material,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Material {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { curve: Curve, point: Vec<u8> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

impl ExternalKey {
    /// The key of one JWK object, if it is an RSA or P-256/P-384 EC public key meant for
    /// signatures (`use` absent or `sig`).
    pub fn from_jwk(jwk: &serde_json::Value) -> Option<Self> {
        if jwk["use"].as_str().is_some_and(|u| u != "sig") {
            return None;
        }
        let field = |name: &str| -> Option<Vec<u8>> {
            URL_SAFE_NO_PAD
                .decode(jwk[name].as_str()?.trim_end_matches('='))
                .ok()
        };
        let material = match jwk["kty"].as_str()? {
            "RSA" => Material::Rsa {
                n: field("n")?,
                e: field("e")?,
            },
            "EC" => {
                let (curve, size) = match jwk["crv"].as_str()? {
                    "P-256" => (Curve::P256, 32),
                    "P-384" => (Curve::P384, 48),
                    _ => return None,
                };
                let (x, y) = (field("x")?, field("y")?);
                if x.len() != size || y.len() != size {
                    return None;
                }
                let mut point = Vec::with_capacity(1 + 2 * size);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Material::Ec { curve, point }
            }
            _ => return None,
        };
        Some(Self {
            kid: jwk["kid"].as_str().map(str::to_string),
            material,
        })
    }

    /// Every usable key of a JWKS document (`{"keys":[…]}`); others are skipped.
    pub fn all_of(jwks: &serde_json::Value) -> Vec<Self> {
        jwks["keys"]
            .as_array()
            .map(|keys| keys.iter().filter_map(Self::from_jwk).collect())
            .unwrap_or_default()
    }

    /// The key's `kid`, if it has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Checks `jws`'s signature with this key under the algorithm its header names (which must
    /// suit the key), then returns the payload as JSON. Claims are not checked.
    pub fn verify(&self, jws: &Jws<'_>) -> Result<serde_json::Value, VerifyError> {
        let alg = jws.header().alg.as_str();
        let algorithm: &'static dyn VerificationAlgorithm = match (&self.material, alg) {
            (Material::Rsa { .. }, "RS256") => &signature::RSA_PKCS1_2048_8192_SHA256,
            (Material::Rsa { .. }, "RS384") => &signature::RSA_PKCS1_2048_8192_SHA384,
            (Material::Rsa { .. }, "RS512") => &signature::RSA_PKCS1_2048_8192_SHA512,
            (Material::Rsa { .. }, "PS256") => &signature::RSA_PSS_2048_8192_SHA256,
            (
                Material::Ec {
                    curve: Curve::P256, ..
                },
                "ES256",
            ) => &signature::ECDSA_P256_SHA256_FIXED,
            (
                Material::Ec {
                    curve: Curve::P384, ..
                },
                "ES384",
            ) => &signature::ECDSA_P384_SHA384_FIXED,
            _ => return Err(VerifyError::Algorithm(alg.to_string())),
        };
        let key = match &self.material {
            Material::Rsa { n, e } => {
                let parameters = match alg {
                    "RS384" => &signature::RSA_PKCS1_2048_8192_SHA384,
                    "RS512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                    "PS256" => &signature::RSA_PSS_2048_8192_SHA256,
                    _ => &signature::RSA_PKCS1_2048_8192_SHA256,
                };
                RsaPublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                }
                .to_parsed_public_key(parameters)
                .map_err(|_| VerifyError::Signature)?
            }
            Material::Ec { point, .. } => {
                ParsedPublicKey::new(algorithm, point).map_err(|_| VerifyError::Signature)?
            }
        };
        let (signing_input, payload, signature) = jws.parts();
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| VerifyError::Malformed)?;
        key.verify_sig(signing_input.as_bytes(), &signature)
            .map_err(|_| VerifyError::Signature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| VerifyError::Malformed)?;
        serde_json::from_slice(&payload).map_err(|_| VerifyError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Jwk, SigningKey};
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn an_rsa_jwk_verifies_what_its_key_signed_and_nothing_else() {
        let key = SigningKey::generate("external").unwrap();
        let jwk = serde_json::to_value(Jwk::from_key(&key, None)).unwrap();
        let external = ExternalKey::from_jwk(&jwk).unwrap();
        assert_eq!(external.kid(), Some(key.kid()));
        let token = key.sign(&serde_json::json!({"sub": "s"})).unwrap();
        let claims = external.verify(&Jws::parse(&token).unwrap()).unwrap();
        assert_eq!(claims["sub"], "s");

        let other = SigningKey::generate("other").unwrap();
        let forged = other.sign(&serde_json::json!({"sub": "s"})).unwrap();
        assert_eq!(
            external.verify(&Jws::parse(&forged).unwrap()),
            Err(VerifyError::Signature)
        );
    }

    #[test]
    fn an_es256_jwk_verifies_a_p256_signature_and_refuses_other_algorithms() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let point = pair.public_key().as_ref();
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "ec1",
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        });
        let external = ExternalKey::from_jwk(&jwk).unwrap();
        let input = format!(
            "{}.{}",
            b64(br#"{"alg":"ES256","kid":"ec1"}"#),
            b64(br#"{"sub":"pod"}"#)
        );
        let signature = pair.sign(&rng, input.as_bytes()).unwrap();
        let token = format!("{input}.{}", b64(signature.as_ref()));
        let claims = external.verify(&Jws::parse(&token).unwrap()).unwrap();
        assert_eq!(claims["sub"], "pod");

        let wrong_alg = format!(
            "{}.{}.{}",
            b64(br#"{"alg":"RS256","kid":"ec1"}"#),
            b64(br#"{"sub":"pod"}"#),
            b64(signature.as_ref())
        );
        assert_eq!(
            external.verify(&Jws::parse(&wrong_alg).unwrap()),
            Err(VerifyError::Algorithm("RS256".into()))
        );
    }

    #[test]
    fn keys_not_for_signatures_or_of_unknown_kinds_are_skipped() {
        let jwks = serde_json::json!({"keys": [
            {"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
            {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
            {"kty": "RSA", "kid": "k", "n": "AQAB", "e": "AQAB"},
        ]});
        let keys = ExternalKey::all_of(&jwks);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid(), Some("k"));
    }
}
