//! All SQL for users. Reads of "the user" see live users only; deleted users (in
//! `directory/deletedItems`) are read through [`UserStore::deleted`] and [`UserStore::all_deleted`].

use anyhow::Context;
use sqlx::SqlitePool;

use super::model::{local_part, User, UserDraft};
use crate::credentials::PasswordHash;
use crate::error::AadError;
use crate::groups::store::{bump_generation, forget_principal};

/// The tenant's users, over AAD's SQLite pool.
#[derive(Debug, Clone)]
pub struct UserStore {
    pool: SqlitePool,
}

type UserRow = (
    String,
    String,
    String,
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
    Option<String>,
);

const USER_COLUMNS: &str = "id, user_principal_name, display_name, created_date_time, \
     account_enabled, mail_nickname, given_name, surname, job_title, force_change_password, \
     deleted_date_time";

/// What a Graph `PATCH /users/{id}` changes; `None` leaves a property as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
    pub account_enabled: Option<bool>,
    pub mail_nickname: Option<String>,
    pub given_name: Option<Option<String>>,
    pub surname: Option<Option<String>>,
    pub job_title: Option<Option<String>>,
    /// A new password, and whether it must be changed at the next sign-in.
    pub password: Option<(PasswordHash, bool)>,
    /// `forceChangePasswordNextSignIn` without a new password.
    pub force_change_password: Option<bool>,
}

impl UserStore {
    /// A store over `pool` (migrations already applied).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// How many live users exist.
    pub async fn count(&self) -> Result<i64, AadError> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM users WHERE deleted_date_time IS NULL")
                .fetch_one(&self.pool)
                .await
                .context("counting users")?;
        Ok(count)
    }

    /// How many users exist, deleted ones included (the fixture creates its users only into an
    /// empty table).
    pub async fn total(&self) -> Result<i64, AadError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .context("counting users")?;
        Ok(count)
    }

    /// Stores a user; `UserConflict` if the id or the user principal name is taken (a deleted
    /// user's id stays taken until it is permanently deleted).
    pub async fn create(&self, draft: &UserDraft) -> Result<User, AadError> {
        let user = &draft.user;
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        for (property, column, value) in [
            ("id", "id", &user.id),
            (
                "userPrincipalName",
                "user_principal_name",
                &user.user_principal_name,
            ),
        ] {
            let taken: Option<(i64,)> =
                sqlx::query_as(&format!("SELECT 1 FROM users WHERE {column} = ?"))
                    .bind(value)
                    .fetch_optional(&mut *tx)
                    .await
                    .context("checking for a conflicting user")?;
            if taken.is_some() {
                return Err(AadError::UserConflict { property });
            }
        }
        sqlx::query(&format!(
            "INSERT INTO users ({USER_COLUMNS}, salt, iterations, hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&user.id)
        .bind(&user.user_principal_name)
        .bind(&user.display_name)
        .bind(&user.created_date_time)
        .bind(user.account_enabled)
        .bind(&user.mail_nickname)
        .bind(&user.given_name)
        .bind(&user.surname)
        .bind(&user.job_title)
        .bind(user.force_change_password)
        .bind(&user.deleted_date_time)
        .bind(&draft.password.salt)
        .bind(draft.password.iterations)
        .bind(&draft.password.hash)
        .execute(&mut *tx)
        .await
        .map_err(|error| conflict_or(error, "userPrincipalName", "storing a user"))?;
        tx.commit().await.context("committing a new user")?;
        Ok(user.clone())
    }

    /// The live user with this object id.
    pub async fn get(&self, id: &str) -> Result<Option<User>, AadError> {
        self.user_where("id = ? AND deleted_date_time IS NULL", id)
            .await
    }

    /// The live user with this user principal name (case-insensitive).
    pub async fn by_upn(&self, upn: &str) -> Result<Option<User>, AadError> {
        self.user_where("user_principal_name = ? AND deleted_date_time IS NULL", upn)
            .await
    }

    /// The deleted user with this object id.
    pub async fn deleted(&self, id: &str) -> Result<Option<User>, AadError> {
        self.user_where("id = ? AND deleted_date_time IS NOT NULL", id)
            .await
    }

    async fn user_where(&self, condition: &str, value: &str) -> Result<Option<User>, AadError> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {condition}"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await
        .context("reading a user")?;
        Ok(row.map(user_from_row))
    }

    /// Every live user, ordered by id.
    pub async fn all(&self) -> Result<Vec<User>, AadError> {
        self.all_where("deleted_date_time IS NULL").await
    }

    /// Every deleted user, ordered by id.
    pub async fn all_deleted(&self) -> Result<Vec<User>, AadError> {
        self.all_where("deleted_date_time IS NOT NULL").await
    }

    async fn all_where(&self, condition: &str) -> Result<Vec<User>, AadError> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {condition} ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
        .context("listing users")?;
        Ok(rows.into_iter().map(user_from_row).collect())
    }

    /// The hash of a live user's password.
    pub async fn password_hash(&self, id: &str) -> Result<Option<PasswordHash>, AadError> {
        let row: Option<(Vec<u8>, u32, Vec<u8>)> = sqlx::query_as(
            "SELECT salt, iterations, hash FROM users WHERE id = ? AND deleted_date_time IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context("reading a user's password hash")?;
        Ok(row.map(PasswordHash::from))
    }

    /// Applies `changes` to a live user, all or nothing; the user as it now is, `None` if there
    /// is no such user, `UserConflict` if the new user principal name is taken.
    pub async fn update(&self, id: &str, changes: &UserChanges) -> Result<Option<User>, AadError> {
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let exists: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM users WHERE id = ? AND deleted_date_time IS NULL")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .context("reading a user")?;
        if exists.is_none() {
            return Ok(None);
        }
        if let Some(upn) = &changes.user_principal_name {
            let taken: Option<(i64,)> =
                sqlx::query_as("SELECT 1 FROM users WHERE user_principal_name = ? AND id <> ?")
                    .bind(upn)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .context("checking for a conflicting user")?;
            if taken.is_some() {
                return Err(AadError::UserConflict {
                    property: "userPrincipalName",
                });
            }
        }
        apply_changes(&mut tx, id, changes).await?;
        tx.commit().await.context("committing a user update")?;
        self.get(id).await
    }

    /// Replaces a user's password (the hash) and clears `forceChangePasswordNextSignIn`: the
    /// user chose it at the sign-in page.
    pub async fn change_password(&self, id: &str, hash: &PasswordHash) -> Result<(), AadError> {
        sqlx::query(
            "UPDATE users SET salt = ?, iterations = ?, hash = ?, force_change_password = 0 \
             WHERE id = ? AND deleted_date_time IS NULL",
        )
        .bind(&hash.salt)
        .bind(hash.iterations)
        .bind(&hash.hash)
        .bind(id)
        .execute(&self.pool)
        .await
        .context("changing a user's password")?;
        Ok(())
    }

    /// Moves a live user to `directory/deletedItems` at `now`: its user principal name becomes
    /// `{id without dashes}{upn}`, as Entra renames it. `None` if there is no such live user.
    pub async fn soft_delete(&self, id: &str, now: &str) -> Result<Option<User>, AadError> {
        let Some(user) = self.get(id).await? else {
            return Ok(None);
        };
        let renamed = format!("{}{}", user.id.replace('-', ""), user.user_principal_name);
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let done = sqlx::query(
            "UPDATE users SET deleted_date_time = ?, deleted_user_principal_name = user_principal_name, \
             user_principal_name = ?, mail_nickname = ? WHERE id = ? AND deleted_date_time IS NULL",
        )
        .bind(now)
        .bind(&renamed)
        .bind(&user.mail_nickname)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|error| conflict_or(error, "userPrincipalName", "deleting a user"))?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        // A deleted user holds no directory role; a restore gives them back.
        crate::deleted_objects::store::set_aside(&mut tx, crate::deleted_objects::store::USER, id)
            .await?;
        bump_generation(&mut tx).await?;
        tx.commit().await.context("committing a user deletion")?;
        crate::groups::membership_changed();
        self.deleted(id).await
    }

    /// Restores a deleted user with its original user principal name (and so its memberships);
    /// `None` if there is no such deleted user, `UserConflict` if the name was taken meanwhile.
    pub async fn restore(&self, id: &str) -> Result<Option<User>, AadError> {
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let original: Option<(Option<String>, String)> = sqlx::query_as(
            "SELECT deleted_user_principal_name, user_principal_name FROM users \
             WHERE id = ? AND deleted_date_time IS NOT NULL",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .context("reading a deleted user")?;
        let Some((original, renamed)) = original else {
            return Ok(None);
        };
        let upn = original.unwrap_or(renamed);
        let taken: Option<(i64,)> =
            sqlx::query_as("SELECT 1 FROM users WHERE user_principal_name = ? AND id <> ?")
                .bind(&upn)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .context("checking for a conflicting user")?;
        if taken.is_some() {
            return Err(AadError::UserConflict {
                property: "userPrincipalName",
            });
        }
        sqlx::query(
            "UPDATE users SET deleted_date_time = NULL, deleted_user_principal_name = NULL, \
             user_principal_name = ? WHERE id = ?",
        )
        .bind(&upn)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(|error| conflict_or(error, "userPrincipalName", "restoring a user"))?;
        crate::deleted_objects::store::bring_back(&mut tx, crate::deleted_objects::store::USER, id)
            .await?;
        bump_generation(&mut tx).await?;
        tx.commit().await.context("committing a user restore")?;
        crate::groups::membership_changed();
        self.get(id).await
    }

    /// Permanently deletes a deleted user, with its memberships and ownerships. `None` if there
    /// is no such deleted user.
    pub async fn purge(&self, id: &str) -> Result<Option<()>, AadError> {
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let done = sqlx::query("DELETE FROM users WHERE id = ? AND deleted_date_time IS NOT NULL")
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("purging a user")?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        forget_principal(&mut tx, id).await?;
        crate::deleted_objects::store::discard(&mut tx, crate::deleted_objects::store::USER, id)
            .await?;
        sqlx::query("DELETE FROM directory_role_assignments WHERE principal_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("deleting a user's directory-role assignments")?;
        tx.commit().await.context("committing a user purge")?;
        crate::groups::membership_changed();
        Ok(Some(()))
    }
}

async fn apply_changes(
    tx: &mut mimic_web::sqlite::WriteTx,
    id: &str,
    changes: &UserChanges,
) -> Result<(), AadError> {
    // One statement: COALESCE keeps what is not given; the CASEs let a nullable property be
    // cleared (`Some(None)`) as well as set.
    sqlx::query(
        "UPDATE users SET user_principal_name = COALESCE(?, user_principal_name), \
         display_name = COALESCE(?, display_name), mail_nickname = COALESCE(?, mail_nickname), \
         given_name = CASE WHEN ? THEN ? ELSE given_name END, \
         surname = CASE WHEN ? THEN ? ELSE surname END, \
         job_title = CASE WHEN ? THEN ? ELSE job_title END, \
         account_enabled = COALESCE(?, account_enabled), \
         force_change_password = COALESCE(?, force_change_password) WHERE id = ?",
    )
    .bind(&changes.user_principal_name)
    .bind(&changes.display_name)
    .bind(&changes.mail_nickname)
    .bind(changes.given_name.is_some())
    .bind(changes.given_name.clone().flatten())
    .bind(changes.surname.is_some())
    .bind(changes.surname.clone().flatten())
    .bind(changes.job_title.is_some())
    .bind(changes.job_title.clone().flatten())
    .bind(changes.account_enabled)
    .bind(changes.force_change_password)
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(|error| conflict_or(error, "userPrincipalName", "updating a user"))?;
    if let Some((hash, force)) = &changes.password {
        sqlx::query(
            "UPDATE users SET salt = ?, iterations = ?, hash = ?, force_change_password = ? WHERE id = ?",
        )
        .bind(&hash.salt)
        .bind(hash.iterations)
        .bind(&hash.hash)
        .bind(force)
        .bind(id)
        .execute(&mut **tx)
        .await
        .context("resetting a user's password")?;
    }
    Ok(())
}

fn conflict_or(error: sqlx::Error, property: &'static str, doing: &'static str) -> AadError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            AadError::UserConflict { property }
        }
        _ => AadError::Internal(anyhow::Error::new(error).context(doing)),
    }
}

fn user_from_row(row: UserRow) -> User {
    let (
        id,
        user_principal_name,
        display_name,
        created_date_time,
        account_enabled,
        mail_nickname,
        given_name,
        surname,
        job_title,
        force_change_password,
        deleted_date_time,
    ) = row;
    User {
        mail_nickname: mail_nickname.unwrap_or_else(|| local_part(&user_principal_name).into()),
        id,
        user_principal_name,
        display_name,
        created_date_time,
        account_enabled,
        given_name,
        surname,
        job_title,
        force_change_password,
        deleted_date_time,
    }
}
