//! All SQL of deleted applications and service principals: moving an object's rows aside, back,
//! or away for good, in one transaction each.

use anyhow::Context;
use sqlx::SqlitePool;

use super::{Shelf, APPLICATION as APPLICATION_TYPE, SERVICE_PRINCIPAL as SERVICE_PRINCIPAL_TYPE};
use crate::error::AadError;
use crate::groups::store::bump_generation;

type Tx = mimic_web::sqlite::WriteTx;

/// One table whose rows go aside with a deleted object.
#[derive(Debug)]
pub struct Part {
    /// The live table (its copy is `deleted_{table}`).
    pub table: &'static str,
    /// Selects the object's rows; every `?` is bound to the object's id.
    pub rows: &'static str,
    /// Which of them may come back on restore (their other end still exists).
    pub back: &'static str,
    /// A link made again meanwhile stays once (`INSERT OR IGNORE`).
    pub links: bool,
}

const fn part(table: &'static str, rows: &'static str) -> Part {
    Part {
        table,
        rows,
        back: "1",
        links: false,
    }
}

/// An application: the row first (its children reference it).
pub const APPLICATION: &[Part] = &[
    part("applications", "id = ? COLLATE NOCASE"),
    part(
        "application_identifier_uris",
        "application_id = ? COLLATE NOCASE",
    ),
    part(
        "application_password_credentials",
        "application_id = ? COLLATE NOCASE",
    ),
    part(
        "application_key_credentials",
        "application_id = ? COLLATE NOCASE",
    ),
    part("application_owners", "application_id = ? COLLATE NOCASE"),
    part(
        "federated_identity_credentials",
        "application_id = ? COLLATE NOCASE",
    ),
];

/// A service principal: its row, credentials, the app-role assignments it holds and those granted
/// on its app roles, its group memberships and ownerships, its directory roles.
pub const SERVICE_PRINCIPAL: &[Part] = &[
    part("service_principals", "id = ? COLLATE NOCASE"),
    part("password_credentials", "principal_id = ? COLLATE NOCASE"),
    part("key_credentials", "principal_id = ? COLLATE NOCASE"),
    Part {
        table: "app_role_assignments",
        rows: "principal_id = ? COLLATE NOCASE OR resource_id = ? COLLATE NOCASE",
        back: "resource_id IN (SELECT id FROM service_principals)",
        links: true,
    },
    Part {
        table: "group_members",
        rows: "member_id = ? COLLATE NOCASE",
        back: "group_id IN (SELECT id FROM groups)",
        links: true,
    },
    Part {
        table: "group_owners",
        rows: "owner_id = ? COLLATE NOCASE",
        back: "group_id IN (SELECT id FROM groups)",
        links: true,
    },
    DIRECTORY_ROLES,
];

/// A user (soft-deleted in place): only its directory roles go aside.
pub const USER: &[Part] = &[DIRECTORY_ROLES];

const DIRECTORY_ROLES: Part = Part {
    table: "directory_role_assignments",
    rows: "principal_id = ? COLLATE NOCASE",
    back: "1",
    links: true,
};

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restore {
    Restored,
    /// No such deleted object (of this kind).
    NotFound,
    /// A unique property of the object was taken meanwhile (`identifierUris`, `appId`).
    Conflict {
        property: &'static str,
        value: String,
    },
    /// A service principal whose application is itself deleted (restore the application first).
    ApplicationDeleted(String),
}

/// Deleted applications and service principals, over AAD's SQLite pool.
#[derive(Debug, Clone)]
pub struct DeletedObjects {
    pool: SqlitePool,
}

impl DeletedObjects {
    /// A store over `pool` (migrations already applied).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Moves a live application and its service principal (if it has one) to deleted items at
    /// `now`; the ids moved, application first. `None` if there is no such live application.
    pub async fn delete_application(
        &self,
        id: &str,
        now: &str,
    ) -> Result<Option<Vec<String>>, AadError> {
        let mut tx = begin(&self.pool).await?;
        let app_id: Option<(String,)> =
            sqlx::query_as("SELECT app_id FROM applications WHERE id = ?")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .context("reading an application")?;
        let Some((app_id,)) = app_id else {
            return Ok(None);
        };
        let principal: Option<(String,)> =
            sqlx::query_as("SELECT id FROM service_principals WHERE app_id = ?")
                .bind(&app_id)
                .fetch_optional(&mut *tx)
                .await
                .context("reading the application's service principal")?;
        let mut moved = vec![id.to_string()];
        set_aside(&mut tx, APPLICATION, id).await?;
        record(&mut tx, id, APPLICATION_TYPE, now).await?;
        if let Some((principal_id,)) = principal {
            set_aside(&mut tx, SERVICE_PRINCIPAL, &principal_id).await?;
            record(&mut tx, &principal_id, SERVICE_PRINCIPAL_TYPE, now).await?;
            bump_generation(&mut tx).await?;
            moved.push(principal_id);
        }
        tx.commit()
            .await
            .context("committing an application deletion")?;
        crate::groups::membership_changed();
        Ok(Some(moved))
    }

    /// Moves a live service principal to deleted items at `now`; `None` if there is none.
    pub async fn delete_service_principal(
        &self,
        id: &str,
        now: &str,
    ) -> Result<Option<()>, AadError> {
        let mut tx = begin(&self.pool).await?;
        if set_aside(&mut tx, SERVICE_PRINCIPAL, id).await? == 0 {
            return Ok(None);
        }
        record(&mut tx, id, SERVICE_PRINCIPAL_TYPE, now).await?;
        bump_generation(&mut tx).await?;
        tx.commit()
            .await
            .context("committing a service principal deletion")?;
        crate::groups::membership_changed();
        Ok(Some(()))
    }

    /// When the deleted object `id` of Graph type `object_type` was deleted.
    pub async fn deleted_date_time(
        &self,
        id: &str,
        object_type: &str,
    ) -> Result<Option<String>, AadError> {
        let row: Option<(String,)> = sqlx::query_as(
            "SELECT deleted_date_time FROM deleted_directory_objects WHERE id = ? AND object_type = ?",
        )
        .bind(id)
        .bind(object_type)
        .fetch_optional(&self.pool)
        .await
        .context("reading a deleted object")?;
        Ok(row.map(|(date,)| date))
    }

    /// Brings a deleted application back with its credentials, identifier URIs and owners (not its
    /// service principal).
    pub async fn restore_application(&self, id: &str) -> Result<Restore, AadError> {
        let mut tx = begin(&self.pool).await?;
        if !is_deleted(&mut tx, id, APPLICATION_TYPE).await? {
            return Ok(Restore::NotFound);
        }
        let taken: Option<(String,)> = sqlx::query_as(
            "SELECT d.uri FROM deleted_application_identifier_uris d \
             WHERE d.application_id = ? COLLATE NOCASE \
             AND EXISTS (SELECT 1 FROM application_identifier_uris u WHERE u.uri = d.uri)",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .context("checking identifier URIs")?;
        if let Some((uri,)) = taken {
            return Ok(Restore::Conflict {
                property: "identifierUris",
                value: uri,
            });
        }
        bring_back(&mut tx, APPLICATION, id).await?;
        forget(&mut tx, id).await?;
        tx.commit()
            .await
            .context("committing an application restore")?;
        Ok(Restore::Restored)
    }

    /// Brings a deleted service principal back with its links; refused while its application is
    /// deleted or when another service principal has its app id.
    pub async fn restore_service_principal(&self, id: &str) -> Result<Restore, AadError> {
        let mut tx = begin(&self.pool).await?;
        if !is_deleted(&mut tx, id, SERVICE_PRINCIPAL_TYPE).await? {
            return Ok(Restore::NotFound);
        }
        let (app_id,): (String,) = sqlx::query_as(
            "SELECT app_id FROM deleted_service_principals WHERE id = ? COLLATE NOCASE",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .context("reading a deleted service principal")?;
        if exists(
            &mut tx,
            "SELECT 1 FROM deleted_applications WHERE app_id = ? COLLATE NOCASE",
            &app_id,
        )
        .await?
        {
            return Ok(Restore::ApplicationDeleted(app_id));
        }
        if exists(
            &mut tx,
            "SELECT 1 FROM service_principals WHERE app_id = ?",
            &app_id,
        )
        .await?
        {
            return Ok(Restore::Conflict {
                property: "appId",
                value: app_id,
            });
        }
        bring_back(&mut tx, SERVICE_PRINCIPAL, id).await?;
        forget(&mut tx, id).await?;
        bump_generation(&mut tx).await?;
        tx.commit()
            .await
            .context("committing a service principal restore")?;
        crate::groups::membership_changed();
        Ok(Restore::Restored)
    }

    /// Deletes a deleted application for good, with its deleted service principal (which cannot
    /// come back without it). `None` if there is no such deleted application.
    pub async fn purge_application(&self, id: &str) -> Result<Option<()>, AadError> {
        let mut tx = begin(&self.pool).await?;
        if !is_deleted(&mut tx, id, APPLICATION_TYPE).await? {
            return Ok(None);
        }
        let principals: Vec<(String,)> = sqlx::query_as(
            "SELECT p.id FROM deleted_service_principals p JOIN deleted_applications a \
             ON a.app_id = p.app_id WHERE a.id = ? COLLATE NOCASE",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await
        .context("reading the application's deleted service principal")?;
        for (principal_id,) in principals {
            discard(&mut tx, SERVICE_PRINCIPAL, &principal_id).await?;
            forget(&mut tx, &principal_id).await?;
        }
        discard(&mut tx, APPLICATION, id).await?;
        forget(&mut tx, id).await?;
        tx.commit()
            .await
            .context("committing an application purge")?;
        Ok(Some(()))
    }

    /// Deletes a deleted service principal for good; `None` if there is no such one.
    pub async fn purge_service_principal(&self, id: &str) -> Result<Option<()>, AadError> {
        let mut tx = begin(&self.pool).await?;
        if !is_deleted(&mut tx, id, SERVICE_PRINCIPAL_TYPE).await? {
            return Ok(None);
        }
        discard(&mut tx, SERVICE_PRINCIPAL, id).await?;
        forget(&mut tx, id).await?;
        tx.commit()
            .await
            .context("committing a service principal purge")?;
        Ok(Some(()))
    }
}

/// Copies the object's rows of each part to its `deleted_…` table, then removes them from the
/// live ones (children first). The number of rows of the first part moved.
pub async fn set_aside(tx: &mut Tx, parts: &[Part], id: &str) -> Result<u64, AadError> {
    let mut first = None;
    for part in parts {
        let sql = format!(
            "INSERT INTO {} SELECT * FROM {} WHERE {}",
            Shelf::Deleted.table(part.table),
            part.table,
            part.rows
        );
        let done = bind(&sql, part.rows, id)
            .execute(&mut **tx)
            .await
            .with_context(|| format!("setting aside {}", part.table))?;
        first.get_or_insert(done.rows_affected());
    }
    for part in parts.iter().rev() {
        let sql = format!("DELETE FROM {} WHERE {}", part.table, part.rows);
        bind(&sql, part.rows, id)
            .execute(&mut **tx)
            .await
            .with_context(|| format!("removing {}", part.table))?;
    }
    Ok(first.unwrap_or_default())
}

/// Moves the object's rows back to the live tables (parents first), those whose other end still
/// exists, and empties their `deleted_…` copies.
pub async fn bring_back(tx: &mut Tx, parts: &[Part], id: &str) -> Result<(), AadError> {
    for part in parts {
        let sql = format!(
            "INSERT {} INTO {} SELECT * FROM {} WHERE ({}) AND ({})",
            if part.links { "OR IGNORE" } else { "" },
            part.table,
            Shelf::Deleted.table(part.table),
            part.rows,
            part.back
        );
        bind(&sql, part.rows, id)
            .execute(&mut **tx)
            .await
            .with_context(|| format!("restoring {}", part.table))?;
    }
    discard(tx, parts, id).await
}

/// Removes the object's rows from the `deleted_…` copies.
pub async fn discard(tx: &mut Tx, parts: &[Part], id: &str) -> Result<(), AadError> {
    for part in parts.iter().rev() {
        let sql = format!(
            "DELETE FROM {} WHERE {}",
            Shelf::Deleted.table(part.table),
            part.rows
        );
        bind(&sql, part.rows, id)
            .execute(&mut **tx)
            .await
            .with_context(|| format!("discarding {}", part.table))?;
    }
    Ok(())
}

/// `sql` with the id bound once per `?` of `rows` (the only placeholders in it).
fn bind<'q>(
    sql: &'q str,
    rows: &str,
    id: &'q str,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    let mut query = sqlx::query(sql);
    for _ in 0..rows.matches('?').count() {
        query = query.bind(id);
    }
    query
}

async fn record(tx: &mut Tx, id: &str, object_type: &str, now: &str) -> Result<(), AadError> {
    sqlx::query(
        "INSERT INTO deleted_directory_objects (id, object_type, deleted_date_time) VALUES (?, ?, ?)",
    )
    .bind(id)
    .bind(object_type)
    .bind(now)
    .execute(&mut **tx)
    .await
    .context("recording a deleted object")?;
    Ok(())
}

async fn forget(tx: &mut Tx, id: &str) -> Result<(), AadError> {
    sqlx::query("DELETE FROM deleted_directory_objects WHERE id = ?")
        .bind(id)
        .execute(&mut **tx)
        .await
        .context("forgetting a deleted object")?;
    Ok(())
}

async fn exists(tx: &mut Tx, sql: &str, value: &str) -> Result<bool, AadError> {
    let row: Option<(i64,)> = sqlx::query_as(sql)
        .bind(value)
        .fetch_optional(&mut **tx)
        .await
        .context("checking for a conflicting object")?;
    Ok(row.is_some())
}

async fn is_deleted(tx: &mut Tx, id: &str, object_type: &str) -> Result<bool, AadError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM deleted_directory_objects WHERE id = ? AND object_type = ?")
            .bind(id)
            .bind(object_type)
            .fetch_optional(&mut **tx)
            .await
            .context("reading a deleted object")?;
    Ok(row.is_some())
}

async fn begin(pool: &SqlitePool) -> Result<Tx, AadError> {
    Ok(crate::db::begin_write(pool)
        .await
        .context("starting a transaction")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every live table that has a `deleted_…` copy has the same columns in the same order, so
    /// `INSERT … SELECT *` moves rows both ways.
    #[tokio::test]
    async fn every_deleted_copy_has_its_tables_columns() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(&dir.path().join("aad.db")).await.unwrap();
        for part in APPLICATION.iter().chain(SERVICE_PRINCIPAL) {
            let columns = |table: String| {
                let pool = pool.clone();
                async move {
                    let rows: Vec<(String,)> =
                        sqlx::query_as("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                            .bind(table)
                            .fetch_all(&pool)
                            .await
                            .unwrap();
                    rows
                }
            };
            let live = columns(part.table.to_string()).await;
            let copy = columns(Shelf::Deleted.table(part.table)).await;
            assert!(!live.is_empty(), "{}", part.table);
            assert_eq!(live, copy, "{}", part.table);
        }
    }
}
