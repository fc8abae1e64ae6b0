//! The wire shapes of keys (Key Vault 7.5 `keys.json` in azure-rest-api-specs): bundles, items,
//! deleted ones, operation results, and the bodies clients send. Every key a response carries is
//! the public [`JsonWebKey`]; nothing here can hold a private member.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::crypto::{ImportJsonWebKey, JsonWebKey};

/// A key's tags.
pub type Tags = BTreeMap<String, String>;

/// `KeyAttributes` as Key Vault answers them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attributes {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    pub created: i64,
    pub updated: i64,
    pub recoverable_days: i64,
    pub recovery_level: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exportable: Option<bool>,
}

/// `KeyBundle`: the public key, its attributes and tags.
#[derive(Debug, Clone, Serialize)]
pub struct KeyBundle {
    pub key: JsonWebKey,
    pub attributes: Attributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// `KeyItem` (lists): the key's id, attributes and tags, no key material.
#[derive(Debug, Clone, Serialize)]
pub struct KeyItem {
    pub kid: String,
    pub attributes: Attributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// What a deleted key adds to its bundle or item (`DeletedKeyBundle`, `DeletedKeyItem`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted<T> {
    pub recovery_id: String,
    pub deleted_date: i64,
    pub scheduled_purge_date: i64,
    #[serde(flatten)]
    pub inner: T,
}

/// A list page (`KeyListResult`, `DeletedKeyListResult`).
#[derive(Debug, Clone, Serialize)]
pub struct List<T> {
    pub value: Vec<T>,
    #[serde(rename = "nextLink")]
    pub next_link: Option<String>,
}

/// `KeyOperationResult`: sign, encrypt, decrypt, wrapKey and unwrapKey.
#[derive(Debug, Clone, Serialize)]
pub struct KeyOperationResult {
    pub kid: String,
    /// base64url.
    pub value: String,
}

/// `KeyVerifyResult`.
#[derive(Debug, Clone, Serialize)]
pub struct KeyVerifyResult {
    pub value: bool,
}

/// `BackupKeyResult` and `KeyRestoreParameters`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Backup {
    pub value: Option<String>,
}

/// `KeyAttributes` as clients send them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttributesIn {
    pub enabled: Option<bool>,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
    pub exportable: Option<bool>,
}

/// `KeyCreateParameters`.
#[derive(Debug, Clone, Deserialize)]
pub struct CreateParameters {
    pub kty: Option<String>,
    pub key_size: Option<u32>,
    pub public_exponent: Option<u32>,
    pub key_ops: Option<Vec<String>>,
    pub attributes: Option<AttributesIn>,
    pub tags: Option<Tags>,
    pub crv: Option<String>,
    pub release_policy: Option<serde_json::Value>,
}

/// `KeyImportParameters`; `key` holds private members and is never echoed (its `Debug` hides
/// them).
#[derive(Debug, Clone, Deserialize)]
pub struct ImportParameters {
    #[serde(rename = "Hsm", alias = "hsm")]
    pub hsm: Option<bool>,
    pub key: Option<ImportJsonWebKey>,
    pub attributes: Option<AttributesIn>,
    pub tags: Option<Tags>,
    pub release_policy: Option<serde_json::Value>,
}

/// `KeyUpdateParameters`.
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateParameters {
    pub key_ops: Option<Vec<String>>,
    pub attributes: Option<AttributesIn>,
    pub tags: Option<Tags>,
    pub release_policy: Option<serde_json::Value>,
}

/// `KeyOperationsParameters` (encrypt, decrypt, wrapKey, unwrapKey) and `KeySignParameters`.
/// `iv`, `aad` and `tag` belong to the AES algorithms, which a vault does not offer.
#[derive(Debug, Clone, Deserialize)]
pub struct OperationParameters {
    pub alg: Option<String>,
    pub value: Option<String>,
}

/// `KeyVerifyParameters`.
#[derive(Debug, Clone, Deserialize)]
pub struct VerifyParameters {
    pub alg: Option<String>,
    pub digest: Option<String>,
    pub value: Option<String>,
}
