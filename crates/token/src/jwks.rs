//! The JWKS document AAD publishes at `/{tenant}/discovery/v2.0/keys`: public parameters only.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::SigningKey;

/// `{"keys":[…]}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One RSA public key. There is deliberately no field for any private parameter.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Jwk {
    pub kty: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub kid: String,
    pub x5t: String,
    pub n: String,
    pub e: String,
    pub x5c: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

impl Jwk {
    /// The public half of `key`, with the issuer AAD lists beside it.
    pub fn from_key(key: &SigningKey, issuer: Option<String>) -> Self {
        Self {
            kty: "RSA".into(),
            use_: "sig".into(),
            kid: key.kid().into(),
            x5t: key.kid().into(),
            n: URL_SAFE_NO_PAD.encode(key.modulus()),
            e: URL_SAFE_NO_PAD.encode(key.exponent()),
            x5c: vec![key.certificate_base64()],
            issuer,
        }
    }
}
