//! All SQL of federated identity credentials (`federated_identity_credentials`). A deleted
//! application's wait in `deleted_federated_identity_credentials` ([`crate::deleted_objects`]);
//! a managed identity's go with its service principal (cascade).

use anyhow::Context;
use sqlx::SqlitePool;

use super::{ClaimsMatchingExpression, FederatedCredential, FicOwner};
use crate::error::AadError;

/// Federated identity credentials over AAD's SQLite pool.
#[derive(Debug, Clone)]
pub struct FederationStore {
    pool: SqlitePool,
}

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteConflict {
    /// Another credential of the owner has the same issuer and subject: its name.
    IssuerAndSubject(String),
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
);

const COLUMNS: &str = "id, name, issuer, subject, audiences, description, \
                       claims_matching_expression, created_date_time";

impl FicOwner {
    fn column(&self) -> &'static str {
        match self {
            Self::Application(_) => "application_id",
            Self::ServicePrincipal(_) => "service_principal_id",
        }
    }

    fn id(&self) -> &str {
        match self {
            Self::Application(id) | Self::ServicePrincipal(id) => id,
        }
    }
}

impl FederationStore {
    /// A store over `pool` (migrations already applied).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// The owner's credentials, oldest first.
    pub async fn list(&self, owner: &FicOwner) -> Result<Vec<FederatedCredential>, AadError> {
        self.select(owner, "1", None).await
    }

    /// Every managed-identity principal's credentials, by principal id (oldest first within
    /// each); principals without any are absent.
    pub async fn all_of_service_principals(
        &self,
    ) -> Result<std::collections::BTreeMap<String, Vec<FederatedCredential>>, AadError> {
        let sql = format!(
            "SELECT service_principal_id, {COLUMNS} FROM federated_identity_credentials \
             WHERE service_principal_id IS NOT NULL ORDER BY created_date_time, rowid"
        );
        let rows = sqlx::query_as::<
            _,
            (
                String,
                String,
                String,
                String,
                Option<String>,
                String,
                Option<String>,
                Option<String>,
                String,
            ),
        >(&sql)
        .fetch_all(&self.pool)
        .await
        .context("reading federated identity credentials")?;
        let mut all: std::collections::BTreeMap<String, Vec<FederatedCredential>> =
            Default::default();
        for (principal, id, name, issuer, subject, audiences, description, expression, created) in
            rows
        {
            let row = (
                id,
                name,
                issuer,
                subject,
                audiences,
                description,
                expression,
                created,
            );
            all.entry(principal).or_default().push(from_row(row)?);
        }
        Ok(all)
    }

    /// The owner's credential named `name` (any case).
    pub async fn by_name(
        &self,
        owner: &FicOwner,
        name: &str,
    ) -> Result<Option<FederatedCredential>, AadError> {
        Ok(self.select(owner, "name = ?", Some(name)).await?.pop())
    }

    /// The owner's credential with Graph id `id`.
    pub async fn by_id(
        &self,
        owner: &FicOwner,
        id: &str,
    ) -> Result<Option<FederatedCredential>, AadError> {
        Ok(self.select(owner, "id = ?", Some(id)).await?.pop())
    }

    /// The owner's credentials that trust `issuer` (compared exactly, as Entra does).
    pub async fn for_issuer(
        &self,
        owner: &FicOwner,
        issuer: &str,
    ) -> Result<Vec<FederatedCredential>, AadError> {
        self.select(owner, "issuer = ?", Some(issuer)).await
    }

    /// Replaces the owner's whole set with `credentials` in one transaction: a credential whose
    /// name (any case) the owner already has keeps its id and creation time; the others are new.
    /// (ARM owns a managed identity's set and writes it through whole: docs/internal-apis.md.)
    pub async fn replace(
        &self,
        owner: &FicOwner,
        credentials: &[FederatedCredential],
    ) -> Result<(), AadError> {
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let sql = format!(
            "SELECT name, id, created_date_time FROM federated_identity_credentials WHERE {} = ?",
            owner.column()
        );
        let kept: Vec<(String, String, String)> = sqlx::query_as(&sql)
            .bind(owner.id())
            .fetch_all(&mut *tx)
            .await
            .context("reading the credentials to replace")?;
        let sql = format!(
            "DELETE FROM federated_identity_credentials WHERE {} = ?",
            owner.column()
        );
        sqlx::query(&sql)
            .bind(owner.id())
            .execute(&mut *tx)
            .await
            .context("deleting the replaced credentials")?;
        for credential in credentials {
            let previous = kept
                .iter()
                .find(|(name, _, _)| name.eq_ignore_ascii_case(&credential.name));
            let (id, created) = match previous {
                Some((_, id, created)) => (id.as_str(), created.as_str()),
                None => (
                    credential.id.as_str(),
                    credential.created_date_time.as_str(),
                ),
            };
            let audiences =
                serde_json::to_string(&credential.audiences).context("encoding audiences")?;
            let expression = credential
                .claims_matching_expression
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .context("encoding claimsMatchingExpression")?;
            let sql = format!(
                "INSERT INTO federated_identity_credentials ({}, {COLUMNS}) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                owner.column()
            );
            sqlx::query(&sql)
                .bind(owner.id())
                .bind(id)
                .bind(&credential.name)
                .bind(&credential.issuer)
                .bind(&credential.subject)
                .bind(&audiences)
                .bind(&credential.description)
                .bind(&expression)
                .bind(created)
                .execute(&mut *tx)
                .await
                .context("storing a replacing credential")?;
        }
        tx.commit()
            .await
            .context("committing the replaced credentials")?;
        Ok(())
    }

    /// Deletes the owner's credential named `name`; `false` if there was none.
    pub async fn delete_by_name(&self, owner: &FicOwner, name: &str) -> Result<bool, AadError> {
        self.delete_where(owner, "name = ?", name).await
    }

    /// Deletes the owner's credential with Graph id `id`; `false` if there was none.
    pub async fn delete_by_id(&self, owner: &FicOwner, id: &str) -> Result<bool, AadError> {
        self.delete_where(owner, "id = ?", id).await
    }

    async fn delete_where(
        &self,
        owner: &FicOwner,
        condition: &str,
        value: &str,
    ) -> Result<bool, AadError> {
        let sql = format!(
            "DELETE FROM federated_identity_credentials WHERE {} = ? AND {condition}",
            owner.column()
        );
        let done = sqlx::query(&sql)
            .bind(owner.id())
            .bind(value)
            .execute(&self.pool)
            .await
            .context("deleting a federated identity credential")?;
        Ok(done.rows_affected() > 0)
    }

    async fn select(
        &self,
        owner: &FicOwner,
        condition: &str,
        value: Option<&str>,
    ) -> Result<Vec<FederatedCredential>, AadError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM federated_identity_credentials \
             WHERE {} = ? AND {condition} ORDER BY created_date_time, rowid",
            owner.column()
        );
        let mut query = sqlx::query_as::<_, Row>(&sql).bind(owner.id());
        if let Some(value) = value {
            query = query.bind(value);
        }
        let rows = query
            .fetch_all(&self.pool)
            .await
            .context("reading federated identity credentials")?;
        rows.into_iter().map(from_row).collect()
    }
}

fn from_row(row: Row) -> Result<FederatedCredential, AadError> {
    let (id, name, issuer, subject, audiences, description, expression, created_date_time) = row;
    let audiences: Vec<String> =
        serde_json::from_str(&audiences).context("decoding stored audiences")?;
    let claims_matching_expression: Option<ClaimsMatchingExpression> = expression
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .context("decoding a stored claimsMatchingExpression")?;
    Ok(FederatedCredential {
        id,
        name,
        issuer,
        subject,
        audiences,
        description,
        claims_matching_expression,
        created_date_time,
    })
}

/// Why [`FederationStore::create`] refused a new credential; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateRefusal {
    /// The owner is gone (deleted while the request ran).
    OwnerNotFound,
    /// The owner already has a credential of this name (any case).
    Name,
    /// Another credential of the owner has the same issuer and subject: its name.
    IssuerAndSubject(String),
    /// The owner already has `limit` credentials.
    Limit,
}

impl FicOwner {
    fn table(&self) -> &'static str {
        match self {
            Self::Application(_) => "applications",
            Self::ServicePrincipal(_) => "service_principals",
        }
    }
}

impl FederationStore {
    /// Adds a new credential, in one write transaction with its checks: the owner exists, has
    /// fewer than `limit` credentials, none named alike, and none with the same issuer and subject.
    pub async fn create(
        &self,
        owner: &FicOwner,
        credential: &FederatedCredential,
        limit: i64,
    ) -> Result<Result<(), CreateRefusal>, AadError> {
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let sql = format!("SELECT COUNT(*) FROM {} WHERE id = ?", owner.table());
        let (exists,): (i64,) = sqlx::query_as(&sql)
            .bind(owner.id())
            .fetch_one(&mut *tx)
            .await
            .context("finding the owner of a federated identity credential")?;
        if exists == 0 {
            return Ok(Err(CreateRefusal::OwnerNotFound));
        }
        let sql = format!(
            "SELECT COUNT(*), COALESCE(SUM(name = ?), 0) FROM federated_identity_credentials \
             WHERE {} = ?",
            owner.column()
        );
        let (count, named): (i64, i64) = sqlx::query_as(&sql)
            .bind(&credential.name)
            .bind(owner.id())
            .fetch_one(&mut *tx)
            .await
            .context("counting federated identity credentials")?;
        if named > 0 {
            return Ok(Err(CreateRefusal::Name));
        }
        if let Some(taken) = taken(&mut tx, owner, credential, None).await? {
            return Ok(Err(CreateRefusal::IssuerAndSubject(taken)));
        }
        if count >= limit {
            return Ok(Err(CreateRefusal::Limit));
        }
        let (audiences, expression) = encoded(credential)?;
        let sql = format!(
            "INSERT INTO federated_identity_credentials ({}, {COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            owner.column()
        );
        sqlx::query(&sql)
            .bind(owner.id())
            .bind(&credential.id)
            .bind(&credential.name)
            .bind(&credential.issuer)
            .bind(&credential.subject)
            .bind(&audiences)
            .bind(&credential.description)
            .bind(&expression)
            .bind(&credential.created_date_time)
            .execute(&mut *tx)
            .await
            .context("storing a federated identity credential")?;
        tx.commit()
            .await
            .context("committing a federated identity credential")?;
        Ok(Ok(()))
    }

    /// Rewrites the owner's credential with `credential.id` (its name and creation time stay).
    /// `Ok(Err(..))` when another credential of the owner has the same issuer and subject;
    /// `Ok(Ok(false))` when there is no such credential.
    pub async fn update(
        &self,
        owner: &FicOwner,
        credential: &FederatedCredential,
    ) -> Result<Result<bool, WriteConflict>, AadError> {
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        if let Some(taken) = taken(&mut tx, owner, credential, Some(&credential.id)).await? {
            return Ok(Err(WriteConflict::IssuerAndSubject(taken)));
        }
        let (audiences, expression) = encoded(credential)?;
        let sql = format!(
            "UPDATE federated_identity_credentials SET issuer = ?, subject = ?, audiences = ?, \
             description = ?, claims_matching_expression = ? WHERE {} = ? AND id = ?",
            owner.column()
        );
        let updated = sqlx::query(&sql)
            .bind(&credential.issuer)
            .bind(&credential.subject)
            .bind(&audiences)
            .bind(&credential.description)
            .bind(&expression)
            .bind(owner.id())
            .bind(&credential.id)
            .execute(&mut *tx)
            .await
            .context("updating a federated identity credential")?;
        tx.commit()
            .await
            .context("committing a federated identity credential")?;
        Ok(Ok(updated.rows_affected() > 0))
    }
}

/// The name of another credential of `owner` (not `except_id`) with the credential's issuer and
/// subject (compared exactly), if any.
async fn taken(
    tx: &mut mimic_web::sqlite::WriteTx,
    owner: &FicOwner,
    credential: &FederatedCredential,
    except_id: Option<&str>,
) -> Result<Option<String>, AadError> {
    let Some(subject) = &credential.subject else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT name FROM federated_identity_credentials \
         WHERE {} = ? AND issuer = ? AND subject = ? AND id <> ?",
        owner.column()
    );
    let taken: Option<(String,)> = sqlx::query_as(&sql)
        .bind(owner.id())
        .bind(&credential.issuer)
        .bind(subject)
        .bind(except_id.unwrap_or_default())
        .fetch_optional(&mut **tx)
        .await
        .context("checking issuer and subject")?;
    Ok(taken.map(|(name,)| name))
}

/// `audiences` and `claimsMatchingExpression` as stored (JSON).
fn encoded(credential: &FederatedCredential) -> Result<(String, Option<String>), AadError> {
    let audiences = serde_json::to_string(&credential.audiences).context("encoding audiences")?;
    let expression = credential
        .claims_matching_expression
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .context("encoding claimsMatchingExpression")?;
    Ok((audiences, expression))
}
