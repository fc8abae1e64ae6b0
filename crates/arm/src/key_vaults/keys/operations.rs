//! The cryptographic operations (`POST /keys/{name}/{version}/{operation}`, the version possibly
//! empty for the latest): sign, verify, encrypt, decrypt, wrapKey, unwrapKey, done by
//! [`super::crypto::KeyMaterial`] with the version's private key, which never leaves mimic.
//!
//! In Key Vault's order after authorization: the version must exist (404 `KeyNotFound`), list the
//! operation in its `key_ops` (403 `KeyOperationForbidden`, "Operation decrypt is not permitted
//! on this key." as quoted in azure-sdk-for-net#11518), and be usable now:
//! - a disabled key refuses the private-key operations sign, decrypt and unwrapKey (403
//!   `KeyDisabled`, "Operation sign is not allowed on a disabled key."; azure-sdk-for-python#45342
//!   records which operations Key Vault refuses), and still does the public-key ones;
//! - outside its `nbf`/`exp` window a key still does decrypt, unwrapKey and verify ("Date-time
//!   controlled operations", learn.microsoft.com about-keys-details) and refuses sign, encrypt and
//!   wrapKey with 403 (mimic's wording and inner codes `KeyExpired`, `KeyNotYetValid`).
//!
//! Then the body: `alg` and `value` (and `digest` for verify), base64url; a bad algorithm, a
//! digest of the wrong length or undecryptable ciphertext is 400 `BadParameter`.

use actix_web::{web, HttpResponse};

use super::crypto::{
    base64url_decode, base64url_encode, CryptoError, JsonWebKeyEncryptionAlgorithm,
    JsonWebKeySignatureAlgorithm, KeyMaterial,
};
use super::model::{KeyOperationResult, KeyVerifyResult, OperationParameters, VerifyParameters};
use super::store::Version;
use super::{check_name, crypto_error, keys, kid, live_versions, material, object, select};
use crate::key_vaults::data_plane::access::{self, Permission};
use crate::key_vaults::data_plane::{KvError, Vault};

/// One of the six operations, by its path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Sign,
    Verify,
    Encrypt,
    Decrypt,
    WrapKey,
    UnwrapKey,
}

impl Operation {
    fn parse(segment: &str) -> Option<Self> {
        match segment.to_ascii_lowercase().as_str() {
            "sign" => Some(Self::Sign),
            "verify" => Some(Self::Verify),
            "encrypt" => Some(Self::Encrypt),
            "decrypt" => Some(Self::Decrypt),
            "wrapkey" => Some(Self::WrapKey),
            "unwrapkey" => Some(Self::UnwrapKey),
            _ => None,
        }
    }

    /// The name in `key_ops`, in messages and in access policies.
    fn name(self) -> &'static str {
        match self {
            Self::Sign => "sign",
            Self::Verify => "verify",
            Self::Encrypt => "encrypt",
            Self::Decrypt => "decrypt",
            Self::WrapKey => "wrapKey",
            Self::UnwrapKey => "unwrapKey",
        }
    }

    fn permission(self) -> Permission {
        match self {
            Self::Sign => keys("Microsoft.KeyVault/vaults/keys/sign/action", "sign"),
            Self::Verify => keys("Microsoft.KeyVault/vaults/keys/verify/action", "verify"),
            Self::Encrypt => keys("Microsoft.KeyVault/vaults/keys/encrypt/action", "encrypt"),
            Self::Decrypt => keys("Microsoft.KeyVault/vaults/keys/decrypt/action", "decrypt"),
            Self::WrapKey => keys("Microsoft.KeyVault/vaults/keys/wrap/action", "wrapKey"),
            Self::UnwrapKey => keys("Microsoft.KeyVault/vaults/keys/unwrap/action", "unwrapKey"),
        }
    }

    /// Whether the operation uses the private key (refused while the key is disabled).
    fn is_private(self) -> bool {
        matches!(self, Self::Sign | Self::Decrypt | Self::UnwrapKey)
    }

    /// Whether the operation is refused outside the key's `nbf`/`exp` window.
    fn is_time_controlled(self) -> bool {
        matches!(self, Self::Sign | Self::Encrypt | Self::WrapKey)
    }
}

/// `sign`, `verify`, `encrypt`, … of the latest version (`/keys/{name}//{operation}`).
pub async fn operate_latest(
    vault: Vault,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    let (name, operation) = path.into_inner();
    run(&vault, &name, "", &operation, &body).await
}

/// `sign`, `verify`, `encrypt`, … of a version (`/keys/{name}/{version}/{operation}`).
pub async fn operate(
    vault: Vault,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    let (name, version, operation) = path.into_inner();
    run(&vault, &name, &version, &operation, &body).await
}

async fn run(
    vault: &Vault,
    name: &str,
    version: &str,
    operation: &str,
    body: &[u8],
) -> Result<HttpResponse, KvError> {
    let operation = Operation::parse(operation).ok_or_else(|| KvError::NotFound {
        code: "NotFound",
        message: format!("The operation '{operation}' is not served by mimic's Key Vault."),
    })?;
    check_name(name)?;
    access::authorize(vault, operation.permission(), Some(&object(name))).await?;
    let found = select(&live_versions(vault, name).await?, name, Some(version))?;
    usable(vault, &found, operation)?;
    let key = material(vault, &found)?;
    let kid = kid(vault, &found);
    match operation {
        Operation::Verify => {
            let params: VerifyParameters = vault.body(body)?;
            let algorithm = signature_algorithm(params.alg.as_deref(), &kid)?;
            let digest = base64url(params.digest.as_deref(), "digest")?;
            let signature = base64url(params.value.as_deref(), "value")?;
            let value = key
                .verify(algorithm, &digest, &signature)
                .map_err(|error| crypto_error(error, &kid))?;
            Ok(HttpResponse::Ok().json(KeyVerifyResult { value }))
        }
        _ => {
            let params: OperationParameters = vault.body(body)?;
            let value = base64url(params.value.as_deref(), "value")?;
            let result = apply(&key, operation, params.alg.as_deref(), &value, &kid)?;
            Ok(HttpResponse::Ok().json(KeyOperationResult {
                kid,
                value: base64url_encode(&result),
            }))
        }
    }
}

/// Sign, encrypt, decrypt, wrapKey or unwrapKey `value` with `key`.
fn apply(
    key: &KeyMaterial,
    operation: Operation,
    alg: Option<&str>,
    value: &[u8],
    kid: &str,
) -> Result<Vec<u8>, KvError> {
    let bad = |error: CryptoError| crypto_error(error, kid);
    if operation == Operation::Sign {
        return key.sign(signature_algorithm(alg, kid)?, value).map_err(bad);
    }
    let algorithm = JsonWebKeyEncryptionAlgorithm::parse(alg.unwrap_or_default()).map_err(bad)?;
    let result = match operation {
        Operation::Encrypt => key.encrypt(algorithm, value),
        Operation::Decrypt => key.decrypt(algorithm, value),
        Operation::WrapKey => key.wrap_key(algorithm, value),
        Operation::UnwrapKey => key.unwrap_key(algorithm, value),
        Operation::Sign | Operation::Verify => {
            return Err(KvError::Internal(anyhow::anyhow!(
                "not an encryption operation"
            )))
        }
    };
    result.map_err(bad)
}

fn signature_algorithm(
    alg: Option<&str>,
    kid: &str,
) -> Result<JsonWebKeySignatureAlgorithm, KvError> {
    JsonWebKeySignatureAlgorithm::parse(alg.unwrap_or_default())
        .map_err(|error| crypto_error(error, kid))
}

/// A required base64url member of an operation's body.
fn base64url(value: Option<&str>, member: &str) -> Result<Vec<u8>, KvError> {
    let text = value
        .ok_or_else(|| KvError::BadParameter(format!("The parameter '{member}' is required.")))?;
    base64url_decode(text)
        .ok_or_else(|| KvError::BadParameter(format!("Property {member} has invalid value")))
}

/// Whether the version may do `operation` now: listed in its `key_ops`, enabled (for the
/// private-key operations), within its dates (for the time-controlled ones).
fn usable(vault: &Vault, version: &Version, operation: Operation) -> Result<(), KvError> {
    let name = operation.name();
    if !version.key_ops.iter().any(|op| op == name) {
        return Err(KvError::Forbidden {
            message: format!("Operation {name} is not permitted on this key."),
            inner: "KeyOperationForbidden",
        });
    }
    if !version.enabled && operation.is_private() {
        return Err(KvError::Forbidden {
            message: format!("Operation {name} is not allowed on a disabled key."),
            inner: "KeyDisabled",
        });
    }
    if !operation.is_time_controlled() {
        return Ok(());
    }
    let now = vault.state.clock.now();
    if version.exp.is_some_and(|exp| exp <= now) {
        return Err(KvError::Forbidden {
            message: format!("Operation {name} is not allowed on an expired key."),
            inner: "KeyExpired",
        });
    }
    if version.nbf.is_some_and(|nbf| nbf > now) {
        return Err(KvError::Forbidden {
            message: format!("Operation {name} is not allowed on a key that is not yet valid."),
            inner: "KeyNotYetValid",
        });
    }
    Ok(())
}
