//! [`CryptoError`]: what went wrong in a key operation, in Key Vault's words where known.

use super::{
    JsonWebKeyCurveName, JsonWebKeyEncryptionAlgorithm, JsonWebKeySignatureAlgorithm,
    JsonWebKeyType,
};

/// What went wrong in a key operation. [`CryptoError::is_bad_parameter`] sorts the variants into
/// Key Vault's 400 `BadParameter` and internal failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// A request member names no value Key Vault knows. Key Vault's own wording (an SDK issue
    /// quotes `Property  has invalid value` for an empty `alg`).
    #[error("Property {0} has invalid value")]
    InvalidProperty(&'static str),
    /// An RSA size Key Vault does not create or import. Key Vault's wording (quoted in a
    /// MicrosoftDocs issue for the EC sizes).
    #[error("Unsupported key size ({0}). Supported sizes are [2048, 3072, 4096]")]
    UnsupportedKeySize(u32),
    /// A curve Key Vault does not know. mimic's wording.
    #[error("Unsupported curve name ({0}). Supported curves are [P-256, P-384, P-521, P-256K]")]
    UnsupportedCurve(String),
    /// `oct`/`oct-HSM`, Managed HSM's key types. mimic's wording.
    #[error("Key type {0} is not supported by this vault. Symmetric keys are available in Managed HSM only.")]
    UnsupportedKeyType(String),
    /// A public exponent other than 65537. mimic's wording.
    #[error("Unsupported public exponent ({0}). The supported public exponent is 65537")]
    UnsupportedPublicExponent(u32),
    /// `RSNULL` or an AES algorithm. mimic's wording.
    #[error("Algorithm {0} is not supported by this vault.")]
    UnsupportedAlgorithm(String),
    /// An imported key lacks a member its type needs. mimic's wording, in the form of Key
    /// Vault's `JSON Web Key: …` messages.
    #[error("JSON Web Key: {kty} key is missing the '{member}' property.")]
    MissingKeyMember {
        /// `RSA` or `EC`.
        kty: &'static str,
        /// The member's name.
        member: &'static str,
    },
    /// An imported key member that is not base64url or too long. mimic's wording.
    #[error("JSON Web Key: the '{0}' property is not a valid base64url value for this key.")]
    InvalidKeyMember(&'static str),
    /// An imported key whose members do not form one key (n ≠ p·q, bad CRT values, (x, y) not
    /// d·G or off the curve). mimic's wording.
    #[error("JSON Web Key: the {0} key's properties do not form a valid key.")]
    InconsistentKey(&'static str),
    /// A BYOK import (`key_hsm`), which needs an HSM mimic does not have. mimic's wording.
    #[error("JSON Web Key: importing a key protected for an HSM (key_hsm) is not supported.")]
    ByokNotSupported,
    /// A digest whose length does not fit the algorithm. Key Vault's wording (quoted from
    /// Key Vault by users for `value` in sign; mimic says `digest` for verify's member).
    #[error("Invalid length of '{member}': {actual} bytes. {algorithm} requires {expected} bytes, encoded with base64url.")]
    DigestLength {
        /// `value` (sign) or `digest` (verify).
        member: &'static str,
        /// The length the client sent.
        actual: usize,
        /// The algorithm asked for.
        algorithm: JsonWebKeySignatureAlgorithm,
        /// The algorithm's digest length.
        expected: usize,
    },
    /// An ECDSA algorithm on a key of another curve. Key Vault's wording (from a KeySign audit
    /// record), which names the key: [`CryptoError::message_for`] puts the `kid` in.
    #[error("Key and signing algorithm are incompatible. Key uses curve '{curve}', and algorithm '{algorithm}' can only be used with curve '{required}'.")]
    IncompatibleCurve {
        /// The key's curve.
        curve: JsonWebKeyCurveName,
        /// The algorithm asked for.
        algorithm: JsonWebKeySignatureAlgorithm,
        /// The curve the algorithm needs.
        required: JsonWebKeyCurveName,
    },
    /// An algorithm of the other key family: ECDSA on RSA, RSA signing on EC, or encryption on EC.
    /// mimic's wording, after [`CryptoError::IncompatibleCurve`]'s.
    #[error("Key and algorithm are incompatible. Key is of type '{kty}', and algorithm '{algorithm}' can only be used with keys of type '{required}'.")]
    IncompatibleKeyType {
        /// The key's type.
        kty: JsonWebKeyType,
        /// The algorithm asked for.
        algorithm: &'static str,
        /// `RSA` or `EC`.
        required: &'static str,
    },
    /// Plaintext longer than the algorithm can encrypt under this key. mimic's wording.
    #[error("Invalid length of 'value': {actual} bytes. {algorithm} with this key encrypts at most {max} bytes.")]
    PlaintextTooLong {
        /// The length the client sent.
        actual: usize,
        /// The algorithm asked for.
        algorithm: JsonWebKeyEncryptionAlgorithm,
        /// The most the key and algorithm take.
        max: usize,
    },
    /// OAEP decryption failed (wrong key, algorithm or ciphertext). Key Vault's wording (an
    /// azure-sdk-for-net issue quotes the 400 `BadParameter` body).
    #[error("Error occurred while decoding OAEP padding.")]
    OaepDecoding,
    /// RSA1_5 decryption failed. mimic's wording, after the OAEP message.
    #[error("Error occurred while decoding PKCS1 padding.")]
    Pkcs1Decoding,
    /// The stored form is not one [`KeyMaterial::to_stored`](super::KeyMaterial::to_stored) wrote. Internal.
    #[error("stored key material is not valid")]
    StoredKeyInvalid,
    /// aws-lc failed where it should not (generation, serialisation). Internal.
    #[error("cryptographic operation failed: {0}")]
    Internal(&'static str),
}

impl CryptoError {
    /// Whether Key Vault answers this as 400 `BadParameter` (else it is an internal error).
    pub fn is_bad_parameter(&self) -> bool {
        match self {
            Self::InvalidProperty(_)
            | Self::UnsupportedKeySize(_)
            | Self::UnsupportedCurve(_)
            | Self::UnsupportedKeyType(_)
            | Self::UnsupportedPublicExponent(_)
            | Self::UnsupportedAlgorithm(_)
            | Self::MissingKeyMember { .. }
            | Self::InvalidKeyMember(_)
            | Self::InconsistentKey(_)
            | Self::ByokNotSupported
            | Self::DigestLength { .. }
            | Self::IncompatibleCurve { .. }
            | Self::IncompatibleKeyType { .. }
            | Self::PlaintextTooLong { .. }
            | Self::OaepDecoding
            | Self::Pkcs1Decoding => true,
            Self::StoredKeyInvalid | Self::Internal(_) => false,
        }
    }

    /// The message to send for the key version `kid`: Key Vault names the key in its
    /// incompatible-algorithm messages; the others are their `Display`.
    pub fn message_for(&self, kid: &str) -> String {
        match self {
            Self::IncompatibleCurve {
                curve,
                algorithm,
                required,
            } => format!(
                "Key and signing algorithm are incompatible. Key {kid} uses curve '{curve}', and algorithm '{algorithm}' can only be used with curve '{required}'."
            ),
            Self::IncompatibleKeyType {
                kty,
                algorithm,
                required,
            } => format!(
                "Key and algorithm are incompatible. Key {kid} is of type '{kty}', and algorithm '{algorithm}' can only be used with keys of type '{required}'."
            ),
            other => other.to_string(),
        }
    }
}
