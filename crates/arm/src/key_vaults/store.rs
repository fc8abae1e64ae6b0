//! SQL for key vaults (`key_vaults`): live vaults have no `deleted_time`; soft-deleted ones keep
//! their row, and their name, until they are purged.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::model::{Vault, VaultSettings};
use mimic_azure::Tags;

const SELECT: &str = "SELECT id, subscription_id, resource_group, name, location, tags, \
    properties, created_time, changed_time, deleted_time, scheduled_purge_time FROM key_vaults";

fn decode<E: std::error::Error + Send + Sync + 'static>(error: E) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

fn encode<E: std::error::Error + Send + Sync + 'static>(error: E) -> sqlx::Error {
    sqlx::Error::Encode(Box::new(error))
}

fn from_row(row: &SqliteRow) -> Result<Vault, sqlx::Error> {
    let tags: String = row.try_get("tags")?;
    let properties: String = row.try_get("properties")?;
    Ok(Vault {
        key: row.try_get("id")?,
        subscription_id: row.try_get("subscription_id")?,
        resource_group: row.try_get("resource_group")?,
        name: row.try_get("name")?,
        location: row.try_get("location")?,
        tags: serde_json::from_str(&tags).map_err(decode)?,
        settings: serde_json::from_str(&properties).map_err(decode)?,
        created_time: row.try_get("created_time")?,
        changed_time: row.try_get("changed_time")?,
        deleted_time: row.try_get("deleted_time")?,
        scheduled_purge_time: row.try_get("scheduled_purge_time")?,
    })
}

/// The vault (live or soft-deleted) that holds `name` anywhere (names are global).
pub async fn find_name(db: &SqlitePool, name: &str) -> Result<Option<Vault>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT} WHERE name_key = ?"))
        .bind(name.to_lowercase())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The live vaults of a group, or of a subscription when `resource_group` is `None`.
pub async fn list(
    db: &SqlitePool,
    subscription_id: &str,
    resource_group: Option<&str>,
) -> Result<Vec<Vault>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE deleted_time IS NULL AND subscription_key = ?1 \
         AND (?2 IS NULL OR group_key = ?2) ORDER BY group_key, name_key"
    );
    let rows = sqlx::query(&sql)
        .bind(subscription_id.to_lowercase())
        .bind(resource_group.map(str::to_lowercase))
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// The names of every live vault, of every subscription (names are global), lower-cased and
/// sorted: the `{name}.vault.azure.net` hosts of the sandbox.
pub async fn live_names(db: &SqlitePool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name_key FROM key_vaults WHERE deleted_time IS NULL ORDER BY name_key",
    )
    .fetch_all(db)
    .await
}

/// The soft-deleted vaults of a subscription, oldest deletion first.
pub async fn list_deleted(
    db: &SqlitePool,
    subscription_id: &str,
) -> Result<Vec<Vault>, sqlx::Error> {
    let sql = format!(
        "{SELECT} WHERE deleted_time IS NOT NULL AND subscription_key = ? \
         ORDER BY deleted_time, name_key"
    );
    let rows = sqlx::query(&sql)
        .bind(subscription_id.to_lowercase())
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Soft-deleted vaults whose retention ended before `now`.
pub async fn expired(db: &SqlitePool, now: i64) -> Result<Vec<Vault>, sqlx::Error> {
    let sql = format!("{SELECT} WHERE deleted_time IS NOT NULL AND scheduled_purge_time <= ?");
    let rows = sqlx::query(&sql).bind(now).fetch_all(db).await?;
    rows.iter().map(from_row).collect()
}

/// Everything a vault write stores.
#[derive(Debug, Clone)]
pub struct VaultRecord<'a> {
    pub subscription_id: &'a str,
    pub resource_group: &'a str,
    pub name: &'a str,
    pub location: &'a str,
    pub tags: &'a Tags,
    pub settings: &'a VaultSettings,
    pub now: i64,
}

/// Inserts a new live vault. The caller holds the name's write lock and has checked that the
/// name is free.
pub async fn insert(db: &SqlitePool, record: &VaultRecord<'_>) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    let tags = serde_json::to_string(record.tags).map_err(encode)?;
    let properties = serde_json::to_string(record.settings).map_err(encode)?;
    sqlx::query(
        "INSERT INTO key_vaults (name_key, subscription_key, group_key, subscription_id, \
         resource_group, name, location, tags, properties, created_time, changed_time) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(record.name.to_lowercase())
    .bind(record.subscription_id.to_lowercase())
    .bind(record.resource_group.to_lowercase())
    .bind(record.subscription_id)
    .bind(record.resource_group)
    .bind(record.name)
    .bind(record.location)
    .bind(tags)
    .bind(properties)
    .bind(record.now)
    .bind(record.now)
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces the tags and settings of a vault.
pub async fn update(
    db: &SqlitePool,
    key: i64,
    tags: &Tags,
    settings: &VaultSettings,
    now: i64,
) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    let tags = serde_json::to_string(tags).map_err(encode)?;
    let properties = serde_json::to_string(settings).map_err(encode)?;
    sqlx::query("UPDATE key_vaults SET tags = ?, properties = ?, changed_time = ? WHERE id = ?")
        .bind(tags)
        .bind(properties)
        .bind(now)
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}

/// Soft-deletes a live vault: it keeps its name until `purge_time`.
pub async fn soft_delete(
    db: &SqlitePool,
    key: i64,
    now: i64,
    purge_time: i64,
) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    sqlx::query(
        "UPDATE key_vaults SET deleted_time = ?, scheduled_purge_time = ? \
         WHERE id = ? AND deleted_time IS NULL",
    )
    .bind(now)
    .bind(purge_time)
    .bind(key)
    .execute(db)
    .await?;
    Ok(())
}

/// Brings a soft-deleted vault back to life, as it was when it was deleted.
pub async fn recover(db: &SqlitePool, key: i64, now: i64) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    sqlx::query(
        "UPDATE key_vaults SET deleted_time = NULL, scheduled_purge_time = NULL, \
         changed_time = ? WHERE id = ?",
    )
    .bind(now)
    .bind(key)
    .execute(db)
    .await?;
    Ok(())
}

/// Removes a vault for good; whether it existed.
pub async fn purge(db: &SqlitePool, key: i64) -> Result<bool, sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    let done = sqlx::query("DELETE FROM key_vaults WHERE id = ?")
        .bind(key)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
