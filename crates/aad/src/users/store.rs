//! All SQL for users.

use anyhow::Context;
use sqlx::SqlitePool;

use super::model::{User, UserDraft};
use crate::credentials::PasswordHash;
use crate::error::AadError;

/// The tenant's users, over AAD's SQLite pool.
#[derive(Debug, Clone)]
pub struct UserStore {
    pool: SqlitePool,
}

type UserRow = (String, String, String, String);

const USER_COLUMNS: &str = "id, user_principal_name, display_name, created_date_time";

impl UserStore {
    /// A store over `pool` (migrations already applied).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// How many users exist.
    pub async fn count(&self) -> Result<i64, AadError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .context("counting users")?;
        Ok(count)
    }

    /// Stores a user; `UserConflict` if the id or the user principal name is taken.
    pub async fn create(&self, draft: &UserDraft) -> Result<User, AadError> {
        let user = &draft.user;
        for (property, value) in [
            ("id", &user.id),
            ("userPrincipalName", &user.user_principal_name),
        ] {
            let found = match property {
                "id" => self.get(value).await?,
                _ => self.by_upn(value).await?,
            };
            if found.is_some() {
                return Err(AadError::UserConflict { property });
            }
        }
        sqlx::query(&format!(
            "INSERT INTO users ({USER_COLUMNS}, salt, iterations, hash) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&user.id)
        .bind(&user.user_principal_name)
        .bind(&user.display_name)
        .bind(&user.created_date_time)
        .bind(&draft.password.salt)
        .bind(draft.password.iterations)
        .bind(&draft.password.hash)
        .execute(&self.pool)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => AadError::UserConflict {
                property: "userPrincipalName",
            },
            _ => AadError::Internal(anyhow::Error::new(error).context("storing a user")),
        })?;
        Ok(user.clone())
    }

    /// The user with this object id.
    pub async fn get(&self, id: &str) -> Result<Option<User>, AadError> {
        self.user_where("id", id).await
    }

    /// The user with this user principal name (case-insensitive).
    pub async fn by_upn(&self, upn: &str) -> Result<Option<User>, AadError> {
        self.user_where("user_principal_name", upn).await
    }

    async fn user_where(&self, column: &str, value: &str) -> Result<Option<User>, AadError> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {column} = ?"
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await
        .context("reading a user")?;
        Ok(row.map(user_from_row))
    }

    /// Every user, ordered by id (tenants in mimic have a handful).
    pub async fn all(&self) -> Result<Vec<User>, AadError> {
        let rows: Vec<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))
                .fetch_all(&self.pool)
                .await
                .context("listing users")?;
        Ok(rows.into_iter().map(user_from_row).collect())
    }

    /// The hash of the user's password.
    pub async fn password_hash(&self, id: &str) -> Result<Option<PasswordHash>, AadError> {
        let row: Option<(Vec<u8>, u32, Vec<u8>)> =
            sqlx::query_as("SELECT salt, iterations, hash FROM users WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .context("reading a user's password hash")?;
        Ok(row.map(|(salt, iterations, hash)| PasswordHash {
            salt,
            iterations,
            hash,
        }))
    }
}

fn user_from_row((id, user_principal_name, display_name, created_date_time): UserRow) -> User {
    User {
        id,
        user_principal_name,
        display_name,
        created_date_time,
    }
}
