//! Soft-deleted names of a vault's secrets and keys (`key_vault_deleted_objects`): a name is
//! deleted while it has a row here; its versions stay, hidden, in the object's own table until
//! it is recovered (the row goes) or purged (the row and the versions go). One implementation for
//! both kinds; `secrets::store` and `keys::store` name their kind.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool};

/// The kinds of vault objects with soft deletion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// Secrets (`key_vault_secrets`).
    Secret,
    /// Keys (`key_vault_keys`).
    Key,
}

impl Object {
    fn kind(self) -> &'static str {
        match self {
            Object::Secret => "secret",
            Object::Key => "key",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Object::Secret => "key_vault_secrets",
            Object::Key => "key_vault_keys",
        }
    }
}

/// A soft-deleted name.
#[derive(Debug, Clone)]
pub struct Deletion {
    pub name: String,
    pub deleted_time: i64,
    pub scheduled_purge_time: i64,
}

fn from_row(row: &SqliteRow) -> Result<Deletion, sqlx::Error> {
    Ok(Deletion {
        name: row.try_get("name")?,
        deleted_time: row.try_get("deleted_time")?,
        scheduled_purge_time: row.try_get("scheduled_purge_time")?,
    })
}

/// The soft deletion of `name` in the vault, if it is deleted.
pub async fn find<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    db: E,
    vault: i64,
    object: Object,
    name: &str,
) -> Result<Option<Deletion>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT name, deleted_time, scheduled_purge_time FROM key_vault_deleted_objects \
         WHERE vault_id = ? AND kind = ? AND name_key = ?",
    )
    .bind(vault)
    .bind(object.kind())
    .bind(name.to_lowercase())
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The deleted names of the vault, oldest deletion first.
pub async fn list(
    db: &SqlitePool,
    vault: i64,
    object: Object,
) -> Result<Vec<Deletion>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT name, deleted_time, scheduled_purge_time FROM key_vault_deleted_objects \
         WHERE vault_id = ? AND kind = ? ORDER BY deleted_time, name_key",
    )
    .bind(vault)
    .bind(object.kind())
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Marks `deletion.name` deleted.
pub async fn mark(
    tx: &mut SqliteConnection,
    vault: i64,
    object: Object,
    deletion: &Deletion,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO key_vault_deleted_objects (vault_id, kind, name_key, name, deleted_time, \
         scheduled_purge_time) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(vault)
    .bind(object.kind())
    .bind(deletion.name.to_lowercase())
    .bind(&deletion.name)
    .bind(deletion.deleted_time)
    .bind(deletion.scheduled_purge_time)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Brings a deleted `name` back.
pub async fn unmark(
    tx: &mut SqliteConnection,
    vault: i64,
    object: Object,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM key_vault_deleted_objects WHERE vault_id = ? AND kind = ? AND name_key = ?",
    )
    .bind(vault)
    .bind(object.kind())
    .bind(name.to_lowercase())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Removes `name` for good: its deletion and every version.
pub async fn purge(
    tx: &mut SqliteConnection,
    vault: i64,
    object: Object,
    name: &str,
) -> Result<(), sqlx::Error> {
    unmark(tx, vault, object, name).await?;
    sqlx::query(&format!(
        "DELETE FROM {} WHERE vault_id = ? AND name_key = ?",
        object.table()
    ))
    .bind(vault)
    .bind(name.to_lowercase())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
