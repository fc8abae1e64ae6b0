//! SQL for `systemData` (table `system_data`, keyed by the resource id in lower case).

use std::collections::HashMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::{Author, Record};

const SELECT: &str = "SELECT resource_key, created_by, created_by_type, created_at, \
    last_modified_by, last_modified_by_type, last_modified_at FROM system_data";

fn record_from_row(row: &SqliteRow) -> Result<(String, Record), sqlx::Error> {
    let created_by: Option<String> = row.try_get("created_by")?;
    let created_by_type: Option<String> = row.try_get("created_by_type")?;
    let created_at: Option<i64> = row.try_get("created_at")?;
    let created = match (created_by, created_by_type, created_at) {
        (Some(by), Some(by_type), Some(at)) => Some((Author { by, by_type }, at)),
        _ => None,
    };
    let record = Record {
        created,
        last_modified: (
            Author {
                by: row.try_get("last_modified_by")?,
                by_type: row.try_get("last_modified_by_type")?,
            },
            row.try_get("last_modified_at")?,
        ),
    };
    Ok((row.try_get("resource_key")?, record))
}

/// The record of one resource.
pub async fn get(db: &SqlitePool, resource_id: &str) -> Result<Option<Record>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT} WHERE resource_key = ?"))
        .bind(resource_id.to_lowercase())
        .fetch_optional(db)
        .await?;
    Ok(row
        .as_ref()
        .map(record_from_row)
        .transpose()?
        .map(|(_, record)| record))
}

/// The records of every resource whose id starts with `prefix` (any case), by lower-cased id.
pub async fn under(db: &SqlitePool, prefix: &str) -> Result<HashMap<String, Record>, sqlx::Error> {
    let prefix = prefix.to_lowercase();
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE substr(resource_key, 1, length(?1)) = ?1"
    ))
    .bind(&prefix)
    .fetch_all(db)
    .await?;
    rows.iter().map(record_from_row).collect()
}

/// Records a write by `author` at `at`: a new resource gets both halves; an existing one
/// keeps its creation and gets a new modification. Returns the record as it now stands.
pub async fn record(
    db: &SqlitePool,
    resource_id: &str,
    author: &Author,
    at: i64,
    created: bool,
) -> Result<Record, sqlx::Error> {
    let key = resource_id.to_lowercase();
    let sql = match created {
        true => {
            "INSERT INTO system_data (resource_key, created_by, created_by_type, created_at, \
             last_modified_by, last_modified_by_type, last_modified_at) \
             VALUES (?1, ?2, ?3, ?4, ?2, ?3, ?4) \
             ON CONFLICT (resource_key) DO UPDATE SET created_by = ?2, created_by_type = ?3, \
             created_at = ?4, last_modified_by = ?2, last_modified_by_type = ?3, last_modified_at = ?4"
        }
        false => {
            "INSERT INTO system_data (resource_key, last_modified_by, last_modified_by_type, \
             last_modified_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (resource_key) DO UPDATE SET last_modified_by = ?2, \
             last_modified_by_type = ?3, last_modified_at = ?4"
        }
    };
    let turn = crate::db::write_turn(db).await;
    sqlx::query(sql)
        .bind(&key)
        .bind(&author.by)
        .bind(&author.by_type)
        .bind(at)
        .execute(db)
        .await?;
    // The read back needs no turn: the next writer may go on.
    drop(turn);
    Ok(get(db, &key).await?.unwrap_or(Record {
        created: None,
        last_modified: (author.clone(), at),
    }))
}

/// Forgets a resource and everything under it (its id followed by `/`).
pub async fn forget(db: &SqlitePool, resource_id: &str) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    let key = resource_id.to_lowercase();
    sqlx::query(
        "DELETE FROM system_data WHERE resource_key = ?1 \
         OR substr(resource_key, 1, length(?1) + 1) = ?1 || '/'",
    )
    .bind(&key)
    .execute(db)
    .await?;
    Ok(())
}
