//! Compact JWS (RFC 7515) by hand: `base64url(header).base64url(payload).base64url(signature)`,
//! the signature over the first two parts. Verification covers the RSA algorithms mimic meets,
//! RS256 (its own tokens) and PS256 (client assertions), with keys parsed once.

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use crate::VerifyError;

/// The JWS `alg` names of RFC 7518 §3.1 that a header may carry. Any other value (including
/// `none`) makes the token malformed, not merely of a refused algorithm.
const JWS_ALGORITHMS: &[&str] = &[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256",
    "PS384", "PS512", "EdDSA",
];

/// The JOSE header fields mimic reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Header {
    /// The signature algorithm, e.g. `RS256`.
    pub alg: String,
    /// The key id.
    #[serde(default)]
    pub kid: Option<String>,
    /// base64url SHA-1 thumbprint of the signing certificate.
    #[serde(default)]
    pub x5t: Option<String>,
    /// base64url SHA-256 thumbprint of the signing certificate.
    #[serde(default, rename = "x5t#S256")]
    pub x5t_s256: Option<String>,
}

/// An RSA signature algorithm mimic verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256 (MGF1 SHA-256, salt as long as the hash).
    Ps256,
}

impl Algorithm {
    /// The algorithm a header's `alg` names, if mimic verifies it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "PS256" => Some(Self::Ps256),
            _ => None,
        }
    }
    /// The `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
        }
    }
    fn parameters(self) -> &'static RsaParameters {
        match self {
            Self::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Self::Ps256 => &signature::RSA_PSS_2048_8192_SHA256,
        }
    }
}

/// An RSA public key parsed once, for one algorithm.
#[derive(Clone)]
pub struct RsaPublicKey {
    algorithm: Algorithm,
    key: ParsedPublicKey,
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPublicKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl RsaPublicKey {
    /// The key with modulus `n` and exponent `e` (big-endian; leading zero bytes are ignored).
    pub fn from_components(algorithm: Algorithm, n: &[u8], e: &[u8]) -> Option<Self> {
        let components = RsaPublicKeyComponents {
            n: strip_leading_zeros(n),
            e: strip_leading_zeros(e),
        };
        let key = components
            .to_parsed_public_key(algorithm.parameters())
            .ok()?;
        Some(Self { algorithm, key })
    }
    /// The key of a JWK's base64url `n` and `e`.
    pub fn from_jwk(algorithm: Algorithm, n: &str, e: &str) -> Option<Self> {
        let n = URL_SAFE_NO_PAD.decode(n).ok()?;
        let e = URL_SAFE_NO_PAD.decode(e).ok()?;
        Self::from_components(algorithm, &n, &e)
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// A compact JWS split into its parts, its header decoded, nothing verified yet.
#[derive(Debug)]
pub struct Jws<'a> {
    header: Header,
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
}

impl<'a> Jws<'a> {
    /// Splits `token` into three parts and decodes the header.
    pub fn parse(token: &'a str) -> Result<Self, VerifyError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VerifyError::Malformed);
        };
        let header: Header =
            serde_json::from_slice(&decode(header)?).map_err(|_| VerifyError::Malformed)?;
        if !JWS_ALGORITHMS.contains(&header.alg.as_str()) {
            return Err(VerifyError::Malformed);
        }
        let signing_input = &token[..token.len() - signature.len() - 1];
        Ok(Self {
            header,
            signing_input,
            payload,
            signature,
        })
    }

    /// The decoded header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The signing input, the payload and the signature, as they arrived (base64url).
    pub(crate) fn parts(&self) -> (&'a str, &'a str, &'a str) {
        (self.signing_input, self.payload, self.signature)
    }

    /// The payload as JSON, its signature NOT checked: only to choose how to verify it.
    pub fn unverified_claims(&self) -> Result<serde_json::Value, VerifyError> {
        serde_json::from_slice(&decode(self.payload)?).map_err(|_| VerifyError::Malformed)
    }

    /// Checks the signature with `key` (the header must name the key's algorithm), then returns the
    /// payload as JSON. Claims are not checked here.
    pub fn verify(&self, key: &RsaPublicKey) -> Result<serde_json::Value, VerifyError> {
        if self.header.alg != key.algorithm.name() {
            return Err(VerifyError::Algorithm(self.header.alg.clone()));
        }
        let signature = decode(self.signature)?;
        key.key
            .verify_sig(self.signing_input.as_bytes(), &signature)
            .map_err(|_| VerifyError::Signature)?;
        serde_json::from_slice(&decode(self.payload)?).map_err(|_| VerifyError::Malformed)
    }
}

fn decode(part: &str) -> Result<Vec<u8>, VerifyError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| VerifyError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKey;

    fn b64(text: &str) -> String {
        URL_SAFE_NO_PAD.encode(text)
    }

    #[test]
    fn parse_refuses_what_is_not_a_three_part_jws_with_a_known_alg() {
        let header = b64(r#"{"alg":"RS256","kid":"k"}"#);
        let cases = [
            ("two parts", format!("{header}.e30")),
            ("four parts", format!("{header}.e30.AA.AA")),
            ("header not base64url", "*.e30.AA".to_string()),
            ("header not JSON", format!("{}.e30.AA", b64("nope"))),
            ("alg none", format!("{}.e30.", b64(r#"{"alg":"none"}"#))),
            (
                "kid not a string",
                format!("{}.e30.AA", b64(r#"{"alg":"RS256","kid":1}"#)),
            ),
        ];
        for (case, token) in cases {
            assert_eq!(
                Jws::parse(&token).unwrap_err(),
                VerifyError::Malformed,
                "{case}"
            );
        }
        let token = format!("{header}.e30.AA");
        let parsed = Jws::parse(&token).unwrap();
        assert_eq!(parsed.header().kid.as_deref(), Some("k"));
        assert_eq!(parsed.header().alg, "RS256");
    }

    #[test]
    fn verify_checks_the_algorithm_then_the_signature_then_the_payload() {
        let key = SigningKey::generate("t").unwrap();
        let rs256 =
            RsaPublicKey::from_components(Algorithm::Rs256, key.modulus(), key.exponent()).unwrap();
        let ps256 =
            RsaPublicKey::from_components(Algorithm::Ps256, key.modulus(), key.exponent()).unwrap();
        let token = key.sign(&serde_json::json!({"a": 1})).unwrap();
        let jws = Jws::parse(&token).unwrap();

        assert_eq!(jws.verify(&rs256).unwrap()["a"], 1);
        assert_eq!(
            jws.verify(&ps256).unwrap_err(),
            VerifyError::Algorithm("RS256".into())
        );
        let tampered = format!("{}x", &token[..token.len() - 1]);
        assert!(Jws::parse(&tampered).unwrap().verify(&rs256).is_err());
        let (signed, _) = token.rsplit_once('.').unwrap();
        let other = key.sign(&serde_json::json!({"a": 2})).unwrap();
        let (_, other_signature) = other.rsplit_once('.').unwrap();
        let swapped = format!("{signed}.{other_signature}");
        assert_eq!(
            Jws::parse(&swapped).unwrap().verify(&rs256).unwrap_err(),
            VerifyError::Signature
        );
    }
}
