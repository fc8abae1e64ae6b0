//! SQL for secrets (`key_vault_secrets`, one row per version) and their soft deletion
//! (`key_vault_deleted_objects` with kind `secret`). Names are matched case-insensitively
//! (`name_key`), as Key Vault does.

use sqlx::sqlite::SqliteRow;

pub use crate::key_vaults::data_plane::deleted::Deletion;
use crate::key_vaults::data_plane::deleted::{self, Object};

const OBJECT: Object = Object::Secret;
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool};

use super::model::Tags;

/// One stored version.
#[derive(Debug, Clone)]
pub struct Version {
    pub name: String,
    pub version: String,
    pub value: String,
    pub content_type: Option<String>,
    pub tags: Tags,
    pub enabled: bool,
    pub nbf: Option<i64>,
    pub exp: Option<i64>,
    pub created: i64,
    pub updated: i64,
}

const SELECT: &str = "SELECT name, version, value, content_type, tags, enabled, nbf, exp, \
    created, updated FROM key_vault_secrets";

fn decode<E: std::error::Error + Send + Sync + 'static>(error: E) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

fn from_row(row: &SqliteRow) -> Result<Version, sqlx::Error> {
    let tags: String = row.try_get("tags")?;
    Ok(Version {
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        value: row.try_get("value")?,
        content_type: row.try_get("content_type")?,
        tags: serde_json::from_str(&tags).map_err(decode)?,
        enabled: row.try_get("enabled")?,
        nbf: row.try_get("nbf")?,
        exp: row.try_get("exp")?,
        created: row.try_get("created")?,
        updated: row.try_get("updated")?,
    })
}

/// Every version of `name` (deleted or not), oldest first.
pub async fn versions<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    db: E,
    vault: i64,
    name: &str,
) -> Result<Vec<Version>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE vault_id = ? AND name_key = ? ORDER BY id"
    ))
    .bind(vault)
    .bind(name.to_lowercase())
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The latest version of every live (not deleted) secret, by name.
pub async fn latest_live(db: &SqlitePool, vault: i64) -> Result<Vec<Version>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE id IN (SELECT MAX(id) FROM key_vault_secrets s WHERE s.vault_id = ?1 \
         AND NOT EXISTS (SELECT 1 FROM key_vault_deleted_objects d WHERE d.vault_id = ?1 \
         AND d.kind = 'secret' AND d.name_key = s.name_key) GROUP BY name_key) ORDER BY name_key"
    ))
    .bind(vault)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Adds a version.
pub async fn insert(
    tx: &mut SqliteConnection,
    vault: i64,
    version: &Version,
) -> Result<(), sqlx::Error> {
    let tags = serde_json::to_string(&version.tags).map_err(decode)?;
    sqlx::query(
        "INSERT INTO key_vault_secrets (vault_id, name_key, name, version, value, content_type, \
         tags, enabled, nbf, exp, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(vault)
    .bind(version.name.to_lowercase())
    .bind(&version.name)
    .bind(&version.version)
    .bind(&version.value)
    .bind(&version.content_type)
    .bind(tags)
    .bind(version.enabled)
    .bind(version.nbf)
    .bind(version.exp)
    .bind(version.created)
    .bind(version.updated)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Replaces a version's attributes, content type and tags.
pub async fn update(
    tx: &mut SqliteConnection,
    vault: i64,
    version: &Version,
) -> Result<(), sqlx::Error> {
    let tags = serde_json::to_string(&version.tags).map_err(decode)?;
    sqlx::query(
        "UPDATE key_vault_secrets SET content_type = ?, tags = ?, enabled = ?, nbf = ?, exp = ?, \
         updated = ? WHERE vault_id = ? AND name_key = ? AND version = ?",
    )
    .bind(&version.content_type)
    .bind(tags)
    .bind(version.enabled)
    .bind(version.nbf)
    .bind(version.exp)
    .bind(version.updated)
    .bind(vault)
    .bind(version.name.to_lowercase())
    .bind(&version.version)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The soft deletion of `name` in the vault, if it is deleted ([`deleted::find`]).
pub async fn deletion<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    db: E,
    vault: i64,
    name: &str,
) -> Result<Option<Deletion>, sqlx::Error> {
    deleted::find(db, vault, OBJECT, name).await
}

/// The deleted names of the vault, oldest deletion first.
pub async fn deletions(db: &SqlitePool, vault: i64) -> Result<Vec<Deletion>, sqlx::Error> {
    deleted::list(db, vault, OBJECT).await
}

/// Marks `deletion.name` deleted.
pub async fn mark_deleted(
    tx: &mut SqliteConnection,
    vault: i64,
    deletion: &Deletion,
) -> Result<(), sqlx::Error> {
    deleted::mark(tx, vault, OBJECT, deletion).await
}

/// Brings a deleted `name` back.
pub async fn unmark_deleted(
    tx: &mut SqliteConnection,
    vault: i64,
    name: &str,
) -> Result<(), sqlx::Error> {
    deleted::unmark(tx, vault, OBJECT, name).await
}

/// Removes `name` for good: its deletion and every version.
pub async fn purge(tx: &mut SqliteConnection, vault: i64, name: &str) -> Result<(), sqlx::Error> {
    deleted::purge(tx, vault, OBJECT, name).await
}
