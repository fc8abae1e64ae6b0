//! Key Vault's JSON Web Keys: the public one every key response carries and the private one
//! an import request sends; base64url as Key Vault writes and reads it.

use std::fmt;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{JsonWebKeyCurveName, JsonWebKeyType};

/// base64url as Key Vault writes it (no padding) and reads it (padding optional).
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Encodes bytes as base64url without padding, the form of every binary field Key Vault sends.
pub fn base64url_encode(bytes: &[u8]) -> String {
    BASE64URL.encode(bytes)
}

/// Decodes base64url with or without padding; `None` if the text is not base64url.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    BASE64URL.decode(text).ok()
}

/// Key Vault's public JSON Web Key (`JsonWebKey` without private members), as every key
/// response carries it in `key`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonWebKey {
    /// The key version's identifier, `https://{vault}/keys/{name}/{version}`.
    pub kid: String,
    /// The key type, with `-HSM` when the key was created as an HSM key.
    pub kty: JsonWebKeyType,
    /// The operations the key allows.
    pub key_ops: Vec<String>,
    /// RSA modulus, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, base64url.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<JsonWebKeyCurveName>,
    /// EC x coordinate, base64url, fixed length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, base64url, fixed length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// The JSON Web Key of an import request (`KeyImportParameters.key`), private members included.
/// Deserialize only, and its `Debug` hides the private members, so it cannot echo them back.
/// Every member is optional text: [`KeyMaterial::import`](super::KeyMaterial::import) checks them and names what is wrong.
#[derive(Clone, Default, Deserialize)]
pub struct ImportJsonWebKey {
    /// Ignored: Key Vault assigns the identifier.
    pub kid: Option<String>,
    /// `RSA`, `RSA-HSM`, `EC` or `EC-HSM`.
    pub kty: Option<String>,
    /// The operations the key will allow.
    pub key_ops: Option<Vec<String>>,
    /// RSA modulus.
    pub n: Option<String>,
    /// RSA public exponent.
    pub e: Option<String>,
    /// RSA private exponent, or the EC private scalar.
    pub d: Option<String>,
    /// RSA `d mod (p-1)`.
    pub dp: Option<String>,
    /// RSA `d mod (q-1)`.
    pub dq: Option<String>,
    /// RSA `q^-1 mod p`.
    pub qi: Option<String>,
    /// RSA first prime.
    pub p: Option<String>,
    /// RSA second prime.
    pub q: Option<String>,
    /// Symmetric key (`oct`), refused.
    pub k: Option<String>,
    /// A BYOK key blob protected for an HSM, refused.
    pub key_hsm: Option<String>,
    /// EC curve.
    pub crv: Option<String>,
    /// EC x coordinate.
    pub x: Option<String>,
    /// EC y coordinate.
    pub y: Option<String>,
}

impl fmt::Debug for ImportJsonWebKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportJsonWebKey")
            .field("kty", &self.kty)
            .field("crv", &self.crv)
            .field("key_ops", &self.key_ops)
            .finish_non_exhaustive()
    }
}
