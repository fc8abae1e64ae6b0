//! App-role assignments: an app role of a resource service principal granted to a principal
//! (Graph's `appRoleAssignments` / `appRoleAssignedTo`). What a token's `roles` claim needs is
//! [`Store::app_role_ids`], one indexed lookup by (principal, resource).

use anyhow::Context;

use super::store::Store;
use crate::error::AadError;

/// One assignment, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRoleAssignment {
    /// Graph's opaque id.
    pub id: String,
    pub principal_id: String,
    /// `ServicePrincipal` (users and groups come with the directory's users and groups).
    pub principal_type: String,
    pub principal_display_name: String,
    pub resource_id: String,
    pub app_role_id: String,
    /// ISO 8601 UTC.
    pub created_date_time: String,
}

type AssignmentRow = (String, String, String, String, String, String, String);

const COLUMNS: &str = "id, principal_id, principal_type, principal_display_name, resource_id, \
     app_role_id, created_date_time";

impl Store {
    /// Stores an assignment; `false` when the principal already holds this role of the resource.
    pub async fn assign_app_role(&self, assignment: &AppRoleAssignment) -> Result<bool, AadError> {
        let done = sqlx::query(&format!(
            "INSERT OR IGNORE INTO app_role_assignments ({COLUMNS}) \
             SELECT ?, ?, ?, ?, id, ?, ? FROM service_principals WHERE id = ?"
        ))
        .bind(&assignment.id)
        .bind(&assignment.principal_id)
        .bind(&assignment.principal_type)
        .bind(&assignment.principal_display_name)
        .bind(&assignment.app_role_id)
        .bind(&assignment.created_date_time)
        .bind(&assignment.resource_id)
        .execute(self.pool())
        .await
        .context("storing an app-role assignment")?;
        Ok(done.rows_affected() > 0)
    }

    /// The assignments a principal holds (`principal`) or a resource grants (`resource`).
    pub async fn app_role_assignments(
        &self,
        side: AssignmentSide,
        id: &str,
    ) -> Result<Vec<AppRoleAssignment>, AadError> {
        let column = match side {
            AssignmentSide::Principal => "principal_id",
            AssignmentSide::Resource => "resource_id",
        };
        let rows: Vec<AssignmentRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM app_role_assignments WHERE {column} = ? ORDER BY created_date_time, id"
        ))
        .bind(id)
        .fetch_all(self.pool())
        .await
        .context("reading app-role assignments")?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    /// Deletes the assignment with this id on this side; `false` if there is none.
    pub async fn delete_app_role_assignment(
        &self,
        side: AssignmentSide,
        id: &str,
        assignment_id: &str,
    ) -> Result<bool, AadError> {
        let column = match side {
            AssignmentSide::Principal => "principal_id",
            AssignmentSide::Resource => "resource_id",
        };
        let done = sqlx::query(&format!(
            "DELETE FROM app_role_assignments WHERE {column} = ? AND id = ?"
        ))
        .bind(id)
        .bind(assignment_id)
        .execute(self.pool())
        .await
        .context("deleting an app-role assignment")?;
        Ok(done.rows_affected() > 0)
    }

    /// The app roles of `resource_id` granted to `principal_id` (the `roles` claim's source).
    pub async fn app_role_ids(
        &self,
        principal_id: &str,
        resource_id: &str,
    ) -> Result<Vec<String>, AadError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT app_role_id FROM app_role_assignments WHERE principal_id = ? AND resource_id = ?",
        )
        .bind(principal_id)
        .bind(resource_id)
        .fetch_all(self.pool())
        .await
        .context("reading app-role assignments")?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

/// Which end of an assignment a URL addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentSide {
    /// `servicePrincipals/{id}/appRoleAssignments`: `{id}` holds the role.
    Principal,
    /// `servicePrincipals/{id}/appRoleAssignedTo`: `{id}` grants it.
    Resource,
}

fn from_row(row: AssignmentRow) -> AppRoleAssignment {
    let (
        id,
        principal_id,
        principal_type,
        principal_display_name,
        resource_id,
        app_role_id,
        created,
    ) = row;
    AppRoleAssignment {
        id,
        principal_id,
        principal_type,
        principal_display_name,
        resource_id,
        app_role_id,
        created_date_time: created,
    }
}
