//! SQL for custom role definitions (built-ins live in the embedded catalogue).

use anyhow::Context;
use sqlx::{SqliteExecutor, SqlitePool};

use super::model::{RoleDefinition, RoleType};

/// What a PUT of a custom role did.
#[derive(Debug, PartialEq)]
pub enum Written {
    /// The GUID was free: the role was stored as given.
    Created(RoleDefinition),
    /// The GUID held a custom role: it now has the new properties (creation stamp kept).
    Updated(RoleDefinition),
    /// Another custom role has the same roleName; nothing was written.
    DuplicateName,
}

/// What a DELETE of a custom role did.
#[derive(Debug, PartialEq)]
pub enum Deleted {
    /// The role was removed; it as it was.
    Deleted(Box<RoleDefinition>),
    /// No custom role has this GUID.
    NotFound,
    /// Role assignments still use the role; nothing was removed.
    HasAssignments,
}

const COLUMNS: &str = "name, role_name, description, assignable_scopes, permissions, created_on, \
                       updated_on, created_by, updated_by";

struct Row {
    name: String,
    role_name: String,
    description: String,
    assignable_scopes: String,
    permissions: String,
    created_on: String,
    updated_on: String,
    created_by: Option<String>,
    updated_by: Option<String>,
}
mimic_web::sqlite_from_row!(Row {
    name,
    role_name,
    description,
    assignable_scopes,
    permissions,
    created_on,
    updated_on,
    created_by,
    updated_by
});

impl TryFrom<Row> for RoleDefinition {
    type Error = anyhow::Error;

    fn try_from(row: Row) -> anyhow::Result<Self> {
        Ok(Self {
            assignable_scopes: serde_json::from_str(&row.assignable_scopes)
                .context("reading a custom role's assignable scopes")?,
            permissions: serde_json::from_str(&row.permissions)
                .context("reading a custom role's permissions")?,
            name: row.name,
            role_name: row.role_name,
            role_type: RoleType::CustomRole,
            description: row.description,
            created_on: Some(row.created_on),
            updated_on: Some(row.updated_on),
            created_by: row.created_by,
            updated_by: row.updated_by,
        })
    }
}

/// The custom role with this GUID (case-insensitive).
pub async fn find(
    db: impl SqliteExecutor<'_>,
    guid: &str,
) -> anyhow::Result<Option<RoleDefinition>> {
    let sql = format!("SELECT {COLUMNS} FROM role_definitions WHERE name_key = ?");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(guid.to_lowercase())
        .fetch_optional(db)
        .await?;
    row.map(TryInto::try_into).transpose()
}

/// Every custom role, by roleName.
pub async fn list(db: &SqlitePool) -> anyhow::Result<Vec<RoleDefinition>> {
    let sql = format!("SELECT {COLUMNS} FROM role_definitions ORDER BY role_name_key");
    let rows: Vec<Row> = sqlx::query_as(&sql).fetch_all(db).await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Creates or replaces the custom role `wanted.name` in one write transaction; an update keeps
/// the stored creation stamp.
pub async fn create_or_update(db: &SqlitePool, wanted: &RoleDefinition) -> anyhow::Result<Written> {
    let mut tx = crate::db::begin_write(db).await?;
    let existing = find(&mut *tx, &wanted.name).await?;
    let stored = match &existing {
        Some(existing) => RoleDefinition {
            name: existing.name.clone(),
            created_on: existing.created_on.clone(),
            created_by: existing.created_by.clone(),
            ..wanted.clone()
        },
        None => wanted.clone(),
    };
    let result = sqlx::query(
        "INSERT INTO role_definitions (name_key, name, role_name_key, role_name, description,
           assignable_scopes, permissions, created_on, updated_on, created_by, updated_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name_key) DO UPDATE SET role_name_key = excluded.role_name_key,
           role_name = excluded.role_name, description = excluded.description,
           assignable_scopes = excluded.assignable_scopes, permissions = excluded.permissions,
           updated_on = excluded.updated_on, updated_by = excluded.updated_by",
    )
    .bind(stored.name.to_lowercase())
    .bind(&stored.name)
    .bind(stored.role_name.to_lowercase())
    .bind(&stored.role_name)
    .bind(&stored.description)
    .bind(serde_json::to_string(&stored.assignable_scopes)?)
    .bind(serde_json::to_string(&stored.permissions)?)
    .bind(&stored.created_on)
    .bind(&stored.updated_on)
    .bind(&stored.created_by)
    .bind(&stored.updated_by)
    .execute(&mut *tx)
    .await;
    match result {
        Ok(_) => {}
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Ok(Written::DuplicateName)
        }
        Err(error) => return Err(error.into()),
    }
    tx.commit().await?;
    crate::rbac::index::changed();
    Ok(match existing {
        Some(_) => Written::Updated(stored),
        None => Written::Created(stored),
    })
}

/// Deletes the custom role with this GUID unless a role assignment still uses it; the check and
/// the delete share one write transaction, so no assignment can slip in between.
pub async fn delete(db: &SqlitePool, guid: &str) -> anyhow::Result<Deleted> {
    let mut tx = crate::db::begin_write(db).await?;
    let Some(existing) = find(&mut *tx, guid).await? else {
        return Ok(Deleted::NotFound);
    };
    let (assignments,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM role_assignments WHERE role_definition_key = ?")
            .bind(guid.to_lowercase())
            .fetch_one(&mut *tx)
            .await?;
    if assignments > 0 {
        return Ok(Deleted::HasAssignments);
    }
    sqlx::query("DELETE FROM role_definitions WHERE name_key = ?")
        .bind(guid.to_lowercase())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    crate::rbac::index::changed();
    Ok(Deleted::Deleted(Box::new(existing)))
}
