//! Key Vault's names for key types, curves and algorithms (`JsonWebKeyType`,
//! `JsonWebKeyCurveName`, `JsonWebKeySignatureAlgorithm`, `JsonWebKeyEncryptionAlgorithm`),
//! and which aws-lc-rs primitive each one maps to.

use std::fmt;

use aws_lc_rs::digest;
use aws_lc_rs::rsa::{OaepAlgorithm, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256};
use aws_lc_rs::signature::{self, EcdsaSigningAlgorithm, RsaEncoding, VerificationAlgorithm};
use serde::{Deserialize, Serialize};

use super::CryptoError;

/// RSA key sizes Key Vault creates and imports, in bits.
pub const RSA_KEY_SIZES: [u32; 3] = [2048, 3072, 4096];
/// Key Vault's RSA key size when a create request names none.
pub const DEFAULT_RSA_KEY_SIZE: u32 = 2048;
/// The only RSA public exponent mimic creates (aws-lc's, and Key Vault's default).
pub const RSA_PUBLIC_EXPONENT: u32 = 65537;

/// `JsonWebKeyType`: the key types a Key Vault vault holds (not `oct`, which is Managed HSM's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JsonWebKeyType {
    /// `RSA`.
    #[serde(rename = "RSA")]
    Rsa,
    /// `RSA-HSM`.
    #[serde(rename = "RSA-HSM")]
    RsaHsm,
    /// `EC`.
    #[serde(rename = "EC")]
    Ec,
    /// `EC-HSM`.
    #[serde(rename = "EC-HSM")]
    EcHsm,
}

impl JsonWebKeyType {
    /// Parses Key Vault's `kty`; `oct`/`oct-HSM` are [`CryptoError::UnsupportedKeyType`].
    pub fn parse(value: &str) -> Result<Self, CryptoError> {
        match value {
            "RSA" => Ok(Self::Rsa),
            "RSA-HSM" => Ok(Self::RsaHsm),
            "EC" => Ok(Self::Ec),
            "EC-HSM" => Ok(Self::EcHsm),
            "oct" | "oct-HSM" => Err(CryptoError::UnsupportedKeyType(value.to_owned())),
            _ => Err(CryptoError::InvalidProperty("kty")),
        }
    }

    /// Key Vault's name for the type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rsa => "RSA",
            Self::RsaHsm => "RSA-HSM",
            Self::Ec => "EC",
            Self::EcHsm => "EC-HSM",
        }
    }

    /// Whether the key was created (or imported) as an HSM key.
    pub fn is_hsm(self) -> bool {
        matches!(self, Self::RsaHsm | Self::EcHsm)
    }

    /// Whether this is an RSA type.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Rsa | Self::RsaHsm)
    }

    /// The `key_ops` Key Vault gives a key created without any: all six RSA operations, or
    /// sign/verify for EC.
    pub fn default_key_ops(self) -> &'static [&'static str] {
        if self.is_rsa() {
            &[
                "encrypt",
                "decrypt",
                "sign",
                "verify",
                "wrapKey",
                "unwrapKey",
            ]
        } else {
            &["sign", "verify"]
        }
    }

    pub(super) fn with_hsm(self, hsm: bool) -> Self {
        match (self.is_rsa(), hsm || self.is_hsm()) {
            (true, false) => Self::Rsa,
            (true, true) => Self::RsaHsm,
            (false, false) => Self::Ec,
            (false, true) => Self::EcHsm,
        }
    }

    pub(super) fn code(self) -> u8 {
        match self {
            Self::Rsa => 1,
            Self::RsaHsm => 2,
            Self::Ec => 3,
            Self::EcHsm => 4,
        }
    }

    pub(super) fn from_code(code: u8) -> Option<Self> {
        [Self::Rsa, Self::RsaHsm, Self::Ec, Self::EcHsm]
            .into_iter()
            .find(|kty| kty.code() == code)
    }
}

impl fmt::Display for JsonWebKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `JsonWebKeyCurveName`: the elliptic curves of EC keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JsonWebKeyCurveName {
    /// `P-256` (secp256r1).
    #[serde(rename = "P-256")]
    P256,
    /// `P-384` (secp384r1).
    #[serde(rename = "P-384")]
    P384,
    /// `P-521` (secp521r1).
    #[serde(rename = "P-521")]
    P521,
    /// `P-256K` (secp256k1).
    #[serde(rename = "P-256K")]
    P256K,
}

impl JsonWebKeyCurveName {
    /// Every curve.
    pub const ALL: [Self; 4] = [Self::P256, Self::P384, Self::P521, Self::P256K];

    /// Parses Key Vault's `crv`.
    pub fn parse(value: &str) -> Result<Self, CryptoError> {
        Self::ALL
            .into_iter()
            .find(|curve| curve.as_str() == value)
            .ok_or_else(|| CryptoError::UnsupportedCurve(value.to_owned()))
    }

    /// Key Vault's name for the curve.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::P521 => "P-521",
            Self::P256K => "P-256K",
        }
    }

    /// The length in bytes of a coordinate (and of the private scalar) on this curve.
    pub fn coordinate_len(self) -> usize {
        match self {
            Self::P256 | Self::P256K => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// The one signature algorithm Key Vault allows on this curve.
    pub fn signature_algorithm(self) -> JsonWebKeySignatureAlgorithm {
        match self {
            Self::P256 => JsonWebKeySignatureAlgorithm::Es256,
            Self::P384 => JsonWebKeySignatureAlgorithm::Es384,
            Self::P521 => JsonWebKeySignatureAlgorithm::Es512,
            Self::P256K => JsonWebKeySignatureAlgorithm::Es256K,
        }
    }

    pub(super) fn signing(self) -> &'static EcdsaSigningAlgorithm {
        match self {
            Self::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            Self::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
            Self::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
            Self::P256K => &signature::ECDSA_P256K1_SHA256_FIXED_SIGNING,
        }
    }

    pub(super) fn verification(self) -> &'static dyn VerificationAlgorithm {
        match self {
            Self::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            Self::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            Self::P521 => &signature::ECDSA_P521_SHA512_FIXED,
            Self::P256K => &signature::ECDSA_P256K1_SHA256_FIXED,
        }
    }

    pub(super) fn code(self) -> u8 {
        match self {
            Self::P256 => 1,
            Self::P384 => 2,
            Self::P521 => 3,
            Self::P256K => 4,
        }
    }

    pub(super) fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|curve| curve.code() == code)
    }
}

impl fmt::Display for JsonWebKeyCurveName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `JsonWebKeySignatureAlgorithm`, without `RSNULL` (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JsonWebKeySignatureAlgorithm {
    /// `RS256`: RSASSA-PKCS1-v1_5 with SHA-256.
    #[serde(rename = "RS256")]
    Rs256,
    /// `RS384`: RSASSA-PKCS1-v1_5 with SHA-384.
    #[serde(rename = "RS384")]
    Rs384,
    /// `RS512`: RSASSA-PKCS1-v1_5 with SHA-512.
    #[serde(rename = "RS512")]
    Rs512,
    /// `PS256`: RSASSA-PSS with SHA-256 and MGF1 with SHA-256.
    #[serde(rename = "PS256")]
    Ps256,
    /// `PS384`: RSASSA-PSS with SHA-384 and MGF1 with SHA-384.
    #[serde(rename = "PS384")]
    Ps384,
    /// `PS512`: RSASSA-PSS with SHA-512 and MGF1 with SHA-512.
    #[serde(rename = "PS512")]
    Ps512,
    /// `ES256`: ECDSA on P-256 with SHA-256.
    #[serde(rename = "ES256")]
    Es256,
    /// `ES384`: ECDSA on P-384 with SHA-384.
    #[serde(rename = "ES384")]
    Es384,
    /// `ES512`: ECDSA on P-521 with SHA-512.
    #[serde(rename = "ES512")]
    Es512,
    /// `ES256K`: ECDSA on P-256K with SHA-256.
    #[serde(rename = "ES256K")]
    Es256K,
}

impl JsonWebKeySignatureAlgorithm {
    /// Every algorithm mimic signs with.
    pub const ALL: [Self; 10] = [
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::Es256,
        Self::Es384,
        Self::Es512,
        Self::Es256K,
    ];

    /// Parses Key Vault's `alg`; `RSNULL` is [`CryptoError::UnsupportedAlgorithm`].
    pub fn parse(value: &str) -> Result<Self, CryptoError> {
        if value == "RSNULL" {
            return Err(CryptoError::UnsupportedAlgorithm(value.to_owned()));
        }
        Self::ALL
            .into_iter()
            .find(|algorithm| algorithm.as_str() == value)
            .ok_or(CryptoError::InvalidProperty("alg"))
    }

    /// Key Vault's name for the algorithm.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
            Self::Es256K => "ES256K",
        }
    }

    /// The digest the client computes (and sends) for this algorithm.
    pub fn digest_algorithm(self) -> &'static digest::Algorithm {
        match self {
            Self::Rs256 | Self::Ps256 | Self::Es256 | Self::Es256K => &digest::SHA256,
            Self::Rs384 | Self::Ps384 | Self::Es384 => &digest::SHA384,
            Self::Rs512 | Self::Ps512 | Self::Es512 => &digest::SHA512,
        }
    }

    /// The curve an ECDSA algorithm requires; `None` for the RSA algorithms.
    pub fn curve(self) -> Option<JsonWebKeyCurveName> {
        match self {
            Self::Es256 => Some(JsonWebKeyCurveName::P256),
            Self::Es384 => Some(JsonWebKeyCurveName::P384),
            Self::Es512 => Some(JsonWebKeyCurveName::P521),
            Self::Es256K => Some(JsonWebKeyCurveName::P256K),
            _ => None,
        }
    }

    pub(super) fn rsa_signing(self) -> Option<&'static dyn RsaEncoding> {
        match self {
            Self::Rs256 => Some(&signature::RSA_PKCS1_SHA256),
            Self::Rs384 => Some(&signature::RSA_PKCS1_SHA384),
            Self::Rs512 => Some(&signature::RSA_PKCS1_SHA512),
            Self::Ps256 => Some(&signature::RSA_PSS_SHA256),
            Self::Ps384 => Some(&signature::RSA_PSS_SHA384),
            Self::Ps512 => Some(&signature::RSA_PSS_SHA512),
            Self::Es256 | Self::Es384 | Self::Es512 | Self::Es256K => None,
        }
    }

    pub(super) fn rsa_verification(self) -> Option<&'static dyn VerificationAlgorithm> {
        match self {
            Self::Rs256 => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
            Self::Rs384 => Some(&signature::RSA_PKCS1_2048_8192_SHA384),
            Self::Rs512 => Some(&signature::RSA_PKCS1_2048_8192_SHA512),
            Self::Ps256 => Some(&signature::RSA_PSS_2048_8192_SHA256),
            Self::Ps384 => Some(&signature::RSA_PSS_2048_8192_SHA384),
            Self::Ps512 => Some(&signature::RSA_PSS_2048_8192_SHA512),
            Self::Es256 | Self::Es384 | Self::Es512 | Self::Es256K => None,
        }
    }
}

impl fmt::Display for JsonWebKeySignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `JsonWebKeyEncryptionAlgorithm`, the RSA ones (the AES ones are Managed HSM's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JsonWebKeyEncryptionAlgorithm {
    /// `RSA-OAEP`: OAEP with SHA-1 and MGF1 with SHA-1 (RFC 3447's defaults).
    #[serde(rename = "RSA-OAEP")]
    RsaOaep,
    /// `RSA-OAEP-256`: OAEP with SHA-256 and MGF1 with SHA-256.
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
    /// `RSA1_5`: RSAES-PKCS1-v1_5.
    #[serde(rename = "RSA1_5")]
    #[allow(non_camel_case_types)]
    Rsa1_5,
}

impl JsonWebKeyEncryptionAlgorithm {
    /// Parses Key Vault's `alg`; the AES names are [`CryptoError::UnsupportedAlgorithm`].
    pub fn parse(value: &str) -> Result<Self, CryptoError> {
        const AES: [&str; 12] = [
            "A128GCM",
            "A192GCM",
            "A256GCM",
            "A128KW",
            "A192KW",
            "A256KW",
            "A128CBC",
            "A192CBC",
            "A256CBC",
            "A128CBCPAD",
            "A192CBCPAD",
            "A256CBCPAD",
        ];
        match value {
            "RSA-OAEP" => Ok(Self::RsaOaep),
            "RSA-OAEP-256" => Ok(Self::RsaOaep256),
            "RSA1_5" => Ok(Self::Rsa1_5),
            _ if AES.contains(&value) => Err(CryptoError::UnsupportedAlgorithm(value.to_owned())),
            _ => Err(CryptoError::InvalidProperty("alg")),
        }
    }

    /// Key Vault's name for the algorithm.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaOaep => "RSA-OAEP",
            Self::RsaOaep256 => "RSA-OAEP-256",
            Self::Rsa1_5 => "RSA1_5",
        }
    }

    pub(super) fn oaep(self) -> Option<&'static OaepAlgorithm> {
        match self {
            Self::RsaOaep => Some(&OAEP_SHA1_MGF1SHA1),
            Self::RsaOaep256 => Some(&OAEP_SHA256_MGF1SHA256),
            Self::Rsa1_5 => None,
        }
    }
}

impl fmt::Display for JsonWebKeyEncryptionAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
