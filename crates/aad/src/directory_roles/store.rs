//! The SQL of directory roles: role assignments, the default user permissions, one-time seeds.

use anyhow::Context;
use sqlx::SqlitePool;

use super::{DefaultUserRolePermissions, RoleAssignment};
use crate::error::AadError;

/// Directory roles over AAD's SQLite pool.
#[derive(Debug, Clone)]
pub struct DirectoryRoleStore {
    pool: SqlitePool,
}

type AssignmentRow = (String, String, String, String, String);

const COLUMNS: &str = "id, principal_id, role_template_id, directory_scope_id, created_date_time";

/// Which assignments a list returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssignmentFilter {
    All,
    /// `principalId eq '…'`.
    Principal(String),
    /// `roleDefinitionId eq '…'`.
    Role(String),
}

impl DirectoryRoleStore {
    /// A store over `pool` (migrations already applied).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Stores an assignment; `false` when the principal already holds the role.
    pub async fn assign(&self, assignment: &RoleAssignment) -> Result<bool, AadError> {
        let done = sqlx::query(&format!(
            "INSERT OR IGNORE INTO directory_role_assignments ({COLUMNS}) VALUES (?, ?, ?, ?, ?)"
        ))
        .bind(&assignment.id)
        .bind(&assignment.principal_id)
        .bind(&assignment.role_template_id)
        .bind(&assignment.directory_scope_id)
        .bind(&assignment.created_date_time)
        .execute(&self.pool)
        .await
        .context("storing a directory role assignment")?;
        Ok(done.rows_affected() > 0)
    }

    /// The assignments `filter` selects, ordered by id.
    pub async fn assignments(
        &self,
        filter: &AssignmentFilter,
    ) -> Result<Vec<RoleAssignment>, AadError> {
        let (condition, value) = match filter {
            AssignmentFilter::All => ("1 = 1 OR ? IS NULL", None),
            AssignmentFilter::Principal(id) => ("principal_id = ?", Some(id.clone())),
            AssignmentFilter::Role(id) => ("role_template_id = ?", Some(id.clone())),
        };
        let rows: Vec<AssignmentRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM directory_role_assignments WHERE {condition} ORDER BY id"
        ))
        .bind(value)
        .fetch_all(&self.pool)
        .await
        .context("reading directory role assignments")?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// The assignment with this id.
    pub async fn get(&self, id: &str) -> Result<Option<RoleAssignment>, AadError> {
        let row: Option<AssignmentRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM directory_role_assignments WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context("reading a directory role assignment")?;
        Ok(row.map(from_row))
    }

    /// Deletes an assignment; `false` if there is none with this id.
    pub async fn delete(&self, id: &str) -> Result<bool, AadError> {
        let done = sqlx::query("DELETE FROM directory_role_assignments WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await
            .context("deleting a directory role assignment")?;
        Ok(done.rows_affected() > 0)
    }

    /// The template ids of the roles a principal holds.
    pub async fn roles_of(&self, principal_id: &str) -> Result<Vec<String>, AadError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT role_template_id FROM directory_role_assignments WHERE principal_id = ?",
        )
        .bind(principal_id)
        .fetch_all(&self.pool)
        .await
        .context("reading a principal's directory roles")?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The tenant's default user permissions.
    pub async fn default_user_permissions(&self) -> Result<DefaultUserRolePermissions, AadError> {
        let row: Option<(bool, bool)> = sqlx::query_as(
            "SELECT allowed_to_create_apps, allowed_to_create_security_groups \
             FROM default_user_role_permissions WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await
        .context("reading the default user permissions")?;
        Ok(
            row.map_or_else(DefaultUserRolePermissions::default, |(apps, groups)| {
                DefaultUserRolePermissions {
                    allowed_to_create_apps: apps,
                    allowed_to_create_security_groups: groups,
                }
            }),
        )
    }

    /// Replaces the tenant's default user permissions.
    pub async fn set_default_user_permissions(
        &self,
        permissions: DefaultUserRolePermissions,
    ) -> Result<(), AadError> {
        sqlx::query(
            "INSERT INTO default_user_role_permissions \
             (id, allowed_to_create_apps, allowed_to_create_security_groups) VALUES (1, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET allowed_to_create_apps = excluded.allowed_to_create_apps, \
             allowed_to_create_security_groups = excluded.allowed_to_create_security_groups",
        )
        .bind(permissions.allowed_to_create_apps)
        .bind(permissions.allowed_to_create_security_groups)
        .execute(&self.pool)
        .await
        .context("writing the default user permissions")?;
        Ok(())
    }

    /// Records that the seed `name` was applied; `false` if it already had been.
    pub async fn mark_seed(&self, name: &str, now: &str) -> Result<bool, AadError> {
        let done = sqlx::query(
            "INSERT OR IGNORE INTO directory_seeds (name, applied_date_time) VALUES (?, ?)",
        )
        .bind(name)
        .bind(now)
        .execute(&self.pool)
        .await
        .context("recording a directory seed")?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether the seed `name` was applied.
    pub async fn seed_applied(&self, name: &str) -> Result<bool, AadError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM directory_seeds WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .context("reading the directory seeds")?;
        Ok(row.is_some())
    }
}

fn from_row(row: AssignmentRow) -> RoleAssignment {
    let (id, principal_id, role_template_id, directory_scope_id, created_date_time) = row;
    RoleAssignment {
        id,
        principal_id,
        role_template_id,
        directory_scope_id,
        created_date_time,
    }
}
