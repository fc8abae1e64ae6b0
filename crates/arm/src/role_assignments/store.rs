//! SQL for role assignments.

use sqlx::{SqliteExecutor, SqlitePool};

use super::model::RoleAssignment;

/// What an insert did.
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The assignment was stored.
    Created,
    /// The same principal already has the same role at the same scope.
    Duplicate,
}

/// What a PUT of an assignment did.
#[derive(Debug, PartialEq)]
pub enum Written {
    /// The name was free: the assignment was stored as given.
    Created(RoleAssignment),
    /// The name held the same grant: its description and condition were updated; the stored
    /// assignment as it now is.
    Updated(RoleAssignment),
    /// The name holds a grant of another principal, role or scope; nothing was written.
    UpdateNotPermitted,
    /// The same principal already has the same role at the same scope under another name;
    /// nothing was written.
    Duplicate,
}

struct Row {
    name: String,
    scope: String,
    role_definition_key: String,
    principal_id: String,
    principal_type: String,
    description: Option<String>,
    condition: Option<String>,
    condition_version: Option<String>,
    created_on: String,
    updated_on: String,
    created_by: Option<String>,
    updated_by: Option<String>,
}
mimic_web::sqlite_from_row!(Row {
    name,
    scope,
    role_definition_key,
    principal_id,
    principal_type,
    description,
    condition,
    condition_version,
    created_on,
    updated_on,
    created_by,
    updated_by
});

impl From<Row> for RoleAssignment {
    fn from(row: Row) -> Self {
        Self {
            name: row.name,
            scope: row.scope,
            role_definition: row.role_definition_key,
            principal_id: row.principal_id,
            principal_type: row.principal_type,
            description: row.description,
            condition: row.condition,
            condition_version: row.condition_version,
            created_on: row.created_on,
            updated_on: row.updated_on,
            created_by: row.created_by,
            updated_by: row.updated_by,
        }
    }
}

const COLUMNS: &str =
    "name, scope, role_definition_key, principal_id, principal_type, description, \
    condition, condition_version, created_on, updated_on, created_by, updated_by";

/// Creates the assignment, or updates the one stored under its name, in one write transaction.
///
/// `BEGIN IMMEDIATE` takes SQLite's write lock before the lookup, so concurrent PUTs of the same
/// name run one after another (waiting up to the busy timeout set in `db.rs`) and each sees the
/// others' writes: the first creates, the rest update. A deferred transaction would fail the
/// lock upgrade with `SQLITE_BUSY` instead of waiting.
pub async fn create_or_update(db: &SqlitePool, wanted: &RoleAssignment) -> sqlx::Result<Written> {
    let mut tx = crate::db::begin_write(db).await?;
    let written = match find(&mut *tx, &wanted.name).await? {
        Some(existing) if !existing.grants_the_same(wanted) => Written::UpdateNotPermitted,
        Some(existing) => {
            let updated = existing.updated_with(wanted);
            update(&mut *tx, &updated).await?;
            Written::Updated(updated)
        }
        None => match insert(&mut *tx, wanted).await? {
            Inserted::Created => Written::Created(wanted.clone()),
            Inserted::Duplicate => Written::Duplicate,
        },
    };
    tx.commit().await?;
    // Only this principal's decisions can change (an assignment never changes principal).
    crate::rbac::index::changed_principal(&wanted.principal_id);
    Ok(written)
}

/// Writes the mutable properties of a stored assignment.
async fn update(db: impl SqliteExecutor<'_>, assignment: &RoleAssignment) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE role_assignments SET description = ?, condition = ?, condition_version = ?,
           updated_on = ?, updated_by = ?
         WHERE name_key = ?",
    )
    .bind(&assignment.description)
    .bind(&assignment.condition)
    .bind(&assignment.condition_version)
    .bind(&assignment.updated_on)
    .bind(&assignment.updated_by)
    .bind(assignment.name.to_lowercase())
    .execute(db)
    .await?;
    Ok(())
}

/// Stores a new assignment (its name must be unused). The caller calls
/// [`crate::rbac::index::changed`] once it is committed.
pub async fn insert(
    db: impl SqliteExecutor<'_>,
    assignment: &RoleAssignment,
) -> sqlx::Result<Inserted> {
    let result = sqlx::query(
        "INSERT INTO role_assignments (name_key, name, scope_key, scope, role_definition_key,
           principal_id, principal_type, description, condition, condition_version, created_on,
           updated_on, created_by, updated_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(assignment.name.to_lowercase())
    .bind(&assignment.name)
    .bind(assignment.scope_key())
    .bind(&assignment.scope)
    .bind(assignment.role_definition.to_lowercase())
    .bind(assignment.principal_id.to_lowercase())
    .bind(&assignment.principal_type)
    .bind(&assignment.description)
    .bind(&assignment.condition)
    .bind(&assignment.condition_version)
    .bind(&assignment.created_on)
    .bind(&assignment.updated_on)
    .bind(&assignment.created_by)
    .bind(&assignment.updated_by)
    .execute(db)
    .await;
    match result {
        Ok(_) => Ok(Inserted::Created),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(Inserted::Duplicate),
        Err(error) => Err(error),
    }
}

/// The assignment with this name (case-insensitive), wherever its scope.
pub async fn find(db: impl SqliteExecutor<'_>, name: &str) -> sqlx::Result<Option<RoleAssignment>> {
    let sql = format!("SELECT {COLUMNS} FROM role_assignments WHERE name_key = ?");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(name.to_lowercase())
        .fetch_optional(db)
        .await?;
    Ok(row.map(Into::into))
}

/// Deletes the assignment with this name; whether it existed.
pub async fn delete(db: &SqlitePool, name: &str) -> sqlx::Result<bool> {
    let deleted: Option<(String,)> =
        sqlx::query_as("DELETE FROM role_assignments WHERE name_key = ? RETURNING principal_id")
            .bind(name.to_lowercase())
            .fetch_optional(db)
            .await?;
    if let Some((principal_id,)) = &deleted {
        crate::rbac::index::changed_principal(principal_id);
    }
    Ok(deleted.is_some())
}

/// Every assignment, oldest first.
pub async fn list(db: &SqlitePool) -> sqlx::Result<Vec<RoleAssignment>> {
    let sql = format!("SELECT {COLUMNS} FROM role_assignments ORDER BY created_on, name_key");
    let rows: Vec<Row> = sqlx::query_as(&sql).fetch_all(db).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Every assignment of one principal.
pub async fn list_for_principal(
    db: &SqlitePool,
    principal_id: &str,
) -> sqlx::Result<Vec<RoleAssignment>> {
    // Sorted here, in place: SQLite's ORDER BY would buffer every row once more in its sorter
    // (a principal with thousands of assignments made that a peak of megabytes per load).
    let sql = format!("SELECT {COLUMNS} FROM role_assignments WHERE principal_id = ?");
    let mut rows: Vec<Row> = sqlx::query_as(&sql)
        .bind(principal_id.to_lowercase())
        .fetch_all(db)
        .await?;
    let name_key = |row: &Row| {
        row.name
            .bytes()
            .map(|b| b.to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    rows.sort_by_cached_key(|row| (row.created_on.clone(), name_key(row)));
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Deletes every assignment whose scope is `scope` or lies under it; how many were deleted.
pub async fn delete_within(db: &SqlitePool, scope: &str) -> sqlx::Result<u64> {
    let _turn = crate::db::write_turn(db).await;
    let key = scope.trim_end_matches('/').to_lowercase();
    let result = sqlx::query(
        "DELETE FROM role_assignments WHERE scope_key = ?1 OR substr(scope_key, 1, length(?1) + 1) = ?1 || '/'",
    )
    .bind(key)
    .execute(db)
    .await?;
    crate::rbac::index::changed();
    Ok(result.rows_affected())
}
