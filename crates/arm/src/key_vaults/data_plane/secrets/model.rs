//! The wire shapes of secrets (Key Vault 7.x `secrets.json`): bundles, items, deleted ones, and
//! the bodies clients send.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A secret's tags.
pub type Tags = BTreeMap<String, String>;

/// `SecretAttributes` as Key Vault answers them.
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
}

/// `SecretBundle`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretBundle {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    pub attributes: Attributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// `SecretItem` (lists).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretItem {
    pub id: String,
    pub attributes: Attributes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// What a deleted secret adds to its bundle or item.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deleted<T> {
    pub recovery_id: String,
    pub deleted_date: i64,
    pub scheduled_purge_date: i64,
    #[serde(flatten)]
    pub inner: T,
}

/// A list page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct List<T> {
    pub value: Vec<T>,
    #[serde(rename = "nextLink")]
    pub next_link: Option<String>,
}

/// `SecretAttributes` as clients send them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributesIn {
    pub enabled: Option<bool>,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
}

/// `SecretSetParameters`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetParameters {
    pub value: Option<String>,
    pub tags: Option<Tags>,
    pub content_type: Option<String>,
    #[serde(rename = "attributes")]
    pub attributes: Option<AttributesIn>,
}

/// `SecretUpdateParameters`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateParameters {
    pub content_type: Option<String>,
    pub attributes: Option<AttributesIn>,
    pub tags: Option<Tags>,
}

/// `BackupSecretResult` and `SecretRestoreParameters`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Backup {
    pub value: Option<String>,
}
