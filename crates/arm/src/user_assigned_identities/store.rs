//! SQL for user-assigned identities.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::model::UserAssignedIdentity;
use crate::virtual_machines::store::Saved;
use mimic_azure::Tags;

/// Where an identity lives and what it is called (names as the client spelled them).
#[derive(Debug, Clone)]
pub struct IdentityKey {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
}

const SELECT_IDENTITY: &str = "SELECT u.id, u.subscription_id, u.resource_group, u.name, \
    u.location, u.tags, u.isolation_scope, u.created_time, u.changed_time, \
    c.principal_id, c.client_id, c.tenant_id \
    FROM user_assigned_identities u JOIN identity_credentials c ON c.principal_id = u.principal_id";

fn identity_from_row(row: &SqliteRow) -> Result<UserAssignedIdentity, sqlx::Error> {
    let tags: String = row.try_get("tags")?;
    Ok(UserAssignedIdentity {
        key: row.try_get("id")?,
        subscription_id: row.try_get("subscription_id")?,
        resource_group: row.try_get("resource_group")?,
        name: row.try_get("name")?,
        location: row.try_get("location")?,
        tags: serde_json::from_str(&tags).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        tenant_id: row.try_get("tenant_id")?,
        principal_id: row.try_get("principal_id")?,
        client_id: row.try_get("client_id")?,
        isolation_scope: row.try_get("isolation_scope")?,
        created_time: row.try_get("created_time")?,
        changed_time: row.try_get("changed_time")?,
    })
}

/// One identity.
pub async fn get(
    db: &SqlitePool,
    key: &IdentityKey,
) -> Result<Option<UserAssignedIdentity>, sqlx::Error> {
    let sql = format!(
        "{SELECT_IDENTITY} WHERE u.subscription_key = ? AND u.group_key = ? AND u.name_key = ?"
    );
    let row = sqlx::query(&sql)
        .bind(key.subscription_id.to_lowercase())
        .bind(key.resource_group.to_lowercase())
        .bind(key.name.to_lowercase())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(identity_from_row).transpose()
}

/// The identities of a group, or of a subscription when `resource_group` is `None`.
pub async fn list(
    db: &SqlitePool,
    subscription_id: &str,
    resource_group: Option<&str>,
) -> Result<Vec<UserAssignedIdentity>, sqlx::Error> {
    let sql = format!(
        "{SELECT_IDENTITY} WHERE u.subscription_key = ?1 AND (?2 IS NULL OR u.group_key = ?2) \
         ORDER BY u.group_key, u.name_key"
    );
    let rows = sqlx::query(&sql)
        .bind(subscription_id.to_lowercase())
        .bind(resource_group.map(str::to_lowercase))
        .fetch_all(db)
        .await?;
    rows.iter().map(identity_from_row).collect()
}

/// Everything an identity write stores.
#[derive(Debug, Clone)]
pub struct IdentityRecord<'a> {
    pub subscription_id: &'a str,
    pub resource_group: &'a str,
    pub name: &'a str,
    pub location: &'a str,
    pub tags: &'a Tags,
    pub isolation_scope: &'a str,
    pub principal_id: &'a str,
    pub created_time: i64,
    pub changed_time: i64,
}

/// Inserts an identity; `Conflict` when one with the same name appeared meanwhile.
pub async fn insert(
    conn: &mut SqliteConnection,
    record: &IdentityRecord<'_>,
) -> Result<Saved, sqlx::Error> {
    let tags = serde_json::to_string(record.tags).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let result = sqlx::query(
        "INSERT INTO user_assigned_identities (subscription_key, group_key, name_key, \
         subscription_id, resource_group, name, location, tags, isolation_scope, principal_id, \
         created_time, changed_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (subscription_key, group_key, name_key) DO NOTHING",
    )
    .bind(record.subscription_id.to_lowercase())
    .bind(record.resource_group.to_lowercase())
    .bind(record.name.to_lowercase())
    .bind(record.subscription_id)
    .bind(record.resource_group)
    .bind(record.name)
    .bind(record.location)
    .bind(tags)
    .bind(record.isolation_scope)
    .bind(record.principal_id)
    .bind(record.created_time)
    .bind(record.changed_time)
    .execute(conn)
    .await?;
    Ok(if result.rows_affected() == 0 {
        Saved::Conflict
    } else {
        Saved::Done
    })
}

/// Updates the mutable fields (tags, isolation scope) of an identity.
pub async fn update(
    db: &SqlitePool,
    key: i64,
    tags: &Tags,
    isolation_scope: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    let tags = serde_json::to_string(tags).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "UPDATE user_assigned_identities SET tags = ?, isolation_scope = ?, changed_time = ? \
         WHERE id = ?",
    )
    .bind(tags)
    .bind(isolation_scope)
    .bind(now)
    .bind(key)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes an identity and detaches it from every VM; returns whether it existed.
pub async fn delete(conn: &mut SqliteConnection, key: i64) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM virtual_machine_identities WHERE identity = ?")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    let result = sqlx::query("DELETE FROM user_assigned_identities WHERE id = ?")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected() > 0)
}
