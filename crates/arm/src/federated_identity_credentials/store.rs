//! SQL for federated identity credentials (`federated_identity_credentials`, keyed by their
//! identity's store key; deleted with the identity by cascade).

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::model::{ClaimsMatchingExpression, CredentialDraft, FederatedIdentityCredential};

const SELECT: &str = "SELECT id, name, issuer, subject, audiences, claims_matching_expression, \
    created_time, changed_time FROM federated_identity_credentials";

fn decode<E: std::error::Error + Send + Sync + 'static>(error: E) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

fn from_row(row: &SqliteRow) -> Result<FederatedIdentityCredential, sqlx::Error> {
    let audiences: String = row.try_get("audiences")?;
    let expression: Option<String> = row.try_get("claims_matching_expression")?;
    let claims_matching_expression: Option<ClaimsMatchingExpression> = expression
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(decode)?;
    Ok(FederatedIdentityCredential {
        key: row.try_get("id")?,
        name: row.try_get("name")?,
        draft: CredentialDraft {
            issuer: row.try_get("issuer")?,
            subject: row.try_get("subject")?,
            audiences: serde_json::from_str(&audiences).map_err(decode)?,
            claims_matching_expression,
        },
        created_time: row.try_get("created_time")?,
        changed_time: row.try_get("changed_time")?,
    })
}

/// The credentials of the identity with store key `identity`, oldest first.
pub async fn list(
    db: &SqlitePool,
    identity: i64,
) -> Result<Vec<FederatedIdentityCredential>, sqlx::Error> {
    let rows = sqlx::query(&format!("{SELECT} WHERE identity = ? ORDER BY id"))
        .bind(identity)
        .fetch_all(db)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Every identity's store key and principal id (for the push at start).
pub async fn identities(db: &SqlitePool) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, principal_id FROM user_assigned_identities ORDER BY id")
        .fetch_all(db)
        .await
}

fn encode<E: std::error::Error + Send + Sync + 'static>(error: E) -> sqlx::Error {
    sqlx::Error::Encode(Box::new(error))
}

/// Creates the credential `name` of `identity`, or replaces the one of that name (any case),
/// keeping its name and creation time.
pub async fn upsert(
    db: &SqlitePool,
    identity: i64,
    name: &str,
    draft: &CredentialDraft,
    now: i64,
) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    let audiences = serde_json::to_string(&draft.audiences).map_err(encode)?;
    let expression = draft
        .claims_matching_expression
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(encode)?;
    sqlx::query(
        "INSERT INTO federated_identity_credentials (identity, name_key, name, issuer, subject, \
         audiences, claims_matching_expression, created_time, changed_time) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (identity, name_key) DO UPDATE SET issuer = excluded.issuer, \
         subject = excluded.subject, audiences = excluded.audiences, \
         claims_matching_expression = excluded.claims_matching_expression, \
         changed_time = excluded.changed_time",
    )
    .bind(identity)
    .bind(name.to_lowercase())
    .bind(name)
    .bind(&draft.issuer)
    .bind(&draft.subject)
    .bind(audiences)
    .bind(expression)
    .bind(now)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// Puts back what a failed write replaced: `previous`, or nothing under `name`.
pub async fn restore(
    db: &SqlitePool,
    identity: i64,
    name: &str,
    previous: Option<&FederatedIdentityCredential>,
) -> Result<(), sqlx::Error> {
    match previous {
        Some(previous) => upsert(db, identity, name, &previous.draft, previous.changed_time).await,
        None => delete(db, identity, name).await.map(|_| ()),
    }
}

/// Deletes the credential `name` (any case) of `identity`; whether it existed.
pub async fn delete(db: &SqlitePool, identity: i64, name: &str) -> Result<bool, sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    let done = sqlx::query(
        "DELETE FROM federated_identity_credentials WHERE identity = ? AND name_key = ?",
    )
    .bind(identity)
    .bind(name.to_lowercase())
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}
