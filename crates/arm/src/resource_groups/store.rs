//! SQL for resource groups.

use sqlx::SqlitePool;

use super::model::{ResourceGroup, Tags};

/// What an upsert did.
#[derive(Debug, PartialEq)]
pub enum Upserted {
    /// A new group was stored.
    Created(ResourceGroup),
    /// An existing group was updated.
    Updated(ResourceGroup),
}

struct Row {
    subscription_id: String,
    name: String,
    location: String,
    managed_by: Option<String>,
    tags: Option<String>,
    created_time: i64,
    changed_time: i64,
}
mimic_web::sqlite_from_row!(Row {
    subscription_id,
    name,
    location,
    managed_by,
    tags,
    created_time,
    changed_time
});

impl From<Row> for ResourceGroup {
    fn from(row: Row) -> Self {
        Self {
            subscription_id: row.subscription_id,
            name: row.name,
            location: row.location,
            managed_by: row.managed_by,
            tags: row.tags.and_then(|tags| serde_json::from_str(&tags).ok()),
            created_time: row.created_time,
            changed_time: row.changed_time,
        }
    }
}

const SELECT: &str = "SELECT s.subscription_id, g.name, g.location, g.managed_by, g.tags, \
    g.created_time, g.changed_time FROM resource_groups g \
    JOIN subscriptions s ON s.subscription_key = g.subscription_key";

fn tags_json(tags: &Option<Tags>) -> Option<String> {
    tags.as_ref()
        .map(|tags| serde_json::to_string(tags).unwrap_or_else(|_| "{}".to_string()))
}

/// The group with this name (case-insensitive) in a subscription.
pub async fn find(
    db: &SqlitePool,
    subscription_id: &str,
    name: &str,
) -> sqlx::Result<Option<ResourceGroup>> {
    let sql = format!("{SELECT} WHERE g.subscription_key = ? AND g.name_key = ?");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(subscription_id.to_lowercase())
        .bind(name.to_lowercase())
        .fetch_optional(db)
        .await?;
    Ok(row.map(Into::into))
}

/// Every group of a subscription, by name.
pub async fn list(db: &SqlitePool, subscription_id: &str) -> sqlx::Result<Vec<ResourceGroup>> {
    let sql = format!("{SELECT} WHERE g.subscription_key = ? ORDER BY g.name_key");
    let rows: Vec<Row> = sqlx::query_as(&sql)
        .bind(subscription_id.to_lowercase())
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Creates the group, or updates `managedBy` and tags of the existing one (keeping its name's
/// casing and location). The caller checks the location beforehand.
pub async fn upsert(db: &SqlitePool, group: &ResourceGroup) -> sqlx::Result<Upserted> {
    let mut tx = crate::db::begin_write(db).await?;
    let key = (
        group.subscription_id.to_lowercase(),
        group.name.to_lowercase(),
    );
    let existed: Option<i64> = sqlx::query_scalar(
        "SELECT created_time FROM resource_groups WHERE subscription_key = ? AND name_key = ?",
    )
    .bind(&key.0)
    .bind(&key.1)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO resource_groups (subscription_key, name_key, name, location, managed_by, tags,
           created_time, changed_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (subscription_key, name_key) DO UPDATE SET managed_by = excluded.managed_by,
           tags = excluded.tags, changed_time = excluded.changed_time",
    )
    .bind(&key.0)
    .bind(&key.1)
    .bind(&group.name)
    .bind(&group.location)
    .bind(&group.managed_by)
    .bind(tags_json(&group.tags))
    .bind(group.created_time)
    .bind(group.changed_time)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    crate::rbac::index::changed();
    let stored = find(db, &group.subscription_id, &group.name)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    Ok(match existed {
        Some(_) => Upserted::Updated(stored),
        None => Upserted::Created(stored),
    })
}

/// Replaces tags and `managedBy` of an existing group.
pub async fn update(db: &SqlitePool, group: &ResourceGroup) -> sqlx::Result<()> {
    let _turn = crate::db::write_turn(db).await;
    sqlx::query(
        "UPDATE resource_groups SET managed_by = ?, tags = ?, changed_time = ?
         WHERE subscription_key = ? AND name_key = ?",
    )
    .bind(&group.managed_by)
    .bind(tags_json(&group.tags))
    .bind(group.changed_time)
    .bind(group.subscription_id.to_lowercase())
    .bind(group.name.to_lowercase())
    .execute(db)
    .await?;
    crate::rbac::index::changed();
    Ok(())
}

/// Deletes the group row; whether it existed.
pub async fn delete(db: &SqlitePool, subscription_id: &str, name: &str) -> sqlx::Result<bool> {
    let _turn = crate::db::write_turn(db).await;
    let result =
        sqlx::query("DELETE FROM resource_groups WHERE subscription_key = ? AND name_key = ?")
            .bind(subscription_id.to_lowercase())
            .bind(name.to_lowercase())
            .execute(db)
            .await?;
    crate::rbac::index::changed();
    Ok(result.rows_affected() > 0)
}
