//! All of AAD's SQL: service principals and their credentials.

use anyhow::Context;
use sqlx::SqlitePool;

use super::model::{PrincipalDraft, PrincipalType, ServicePrincipal};
use crate::credentials::{Certificate, PasswordHash};
use crate::deleted_objects::Shelf;
use crate::error::AadError;

/// The directory, over AAD's SQLite pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

type PrincipalRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
);

const PRINCIPAL_COLUMNS: &str = "id, app_id, display_name, service_principal_type, \
     managed_identity_resource_id, alternative_names, created_date_time, properties";

impl Store {
    /// A store over `pool` (migrations already applied).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// The database (snapshots restore it as a whole).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// How many service principals exist.
    pub async fn count(&self) -> Result<i64, AadError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM service_principals")
            .fetch_one(&self.pool)
            .await
            .context("counting service principals")?;
        Ok(count)
    }

    /// How many service principals the tenant made (Microsoft's first-party ones left out).
    pub async fn count_own(&self) -> Result<i64, AadError> {
        let first_party: Vec<String> = crate::first_party::CATALOG
            .iter()
            .map(|entry| entry.app_id.to_string())
            .collect();
        let placeholders = vec!["?"; first_party.len()].join(", ");
        let sql =
            format!("SELECT COUNT(*) FROM service_principals WHERE app_id NOT IN ({placeholders})");
        let mut query = sqlx::query_as::<_, (i64,)>(&sql);
        for app_id in &first_party {
            query = query.bind(app_id);
        }
        let (count,) = query
            .fetch_one(&self.pool)
            .await
            .context("counting service principals")?;
        Ok(count)
    }

    /// Stores a principal with its credentials; `ServicePrincipalConflict` if `id` or `appId` is taken.
    pub async fn create(&self, draft: &PrincipalDraft) -> Result<ServicePrincipal, AadError> {
        let principal = &draft.principal;
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        for (property, column, value) in [
            ("id", "id", &principal.id),
            ("appId", "app_id", &principal.app_id),
        ] {
            let taken: Option<(i64,)> = sqlx::query_as(&format!(
                "SELECT 1 FROM service_principals WHERE {column} = ?"
            ))
            .bind(value)
            .fetch_optional(&mut *tx)
            .await
            .context("checking for a conflicting principal")?;
            if taken.is_some() {
                return Err(AadError::ServicePrincipalConflict {
                    property,
                    value: value.clone(),
                });
            }
        }
        insert_principal(&mut tx, principal).await?;
        for hash in &draft.passwords {
            sqlx::query("INSERT INTO password_credentials (key_id, principal_id, salt, iterations, hash) VALUES (?, ?, ?, ?, ?)")
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(&principal.id)
                .bind(&hash.salt)
                .bind(hash.iterations)
                .bind(&hash.hash)
                .execute(&mut *tx)
                .await
                .context("storing a password credential")?;
        }
        for certificate in &draft.certificates {
            sqlx::query("INSERT INTO key_credentials (key_id, principal_id, certificate_pem, x5t, x5t_s256) VALUES (?, ?, ?, ?, ?)")
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(&principal.id)
                .bind(&certificate.pem)
                .bind(&certificate.x5t)
                .bind(&certificate.x5t_s256)
                .execute(&mut *tx)
                .await
                .context("storing a key credential")?;
        }
        tx.commit().await.context("committing a new principal")?;
        Ok(principal.clone())
    }

    /// Stores a first-party principal (no credentials) unless one with its app id exists;
    /// `true` if it was added.
    pub async fn seed_first_party(
        &self,
        id: &str,
        app_id: &str,
        display_name: &str,
        created_date_time: &str,
    ) -> Result<bool, AadError> {
        let done = sqlx::query(
            "INSERT INTO service_principals (id, app_id, display_name, service_principal_type, created_date_time) \
             SELECT ?, ?, ?, 'Application', ? \
             WHERE NOT EXISTS (SELECT 1 FROM service_principals WHERE app_id = ?)",
        )
        .bind(id)
        .bind(app_id)
        .bind(display_name)
        .bind(created_date_time)
        .bind(app_id)
        .execute(&self.pool)
        .await
        .context("seeding a first-party service principal")?;
        Ok(done.rows_affected() > 0)
    }

    /// The principal with this object id.
    pub async fn get(&self, id: &str) -> Result<Option<ServicePrincipal>, AadError> {
        self.principal_where("id", id).await
    }

    /// The principal with this client id.
    pub async fn by_app_id(&self, app_id: &str) -> Result<Option<ServicePrincipal>, AadError> {
        self.principal_where("app_id", app_id).await
    }

    /// The deleted principal with this object id (in `directory/deletedItems`).
    pub async fn deleted(&self, id: &str) -> Result<Option<ServicePrincipal>, AadError> {
        self.principal_on(Shelf::Deleted, "id = ? COLLATE NOCASE", id)
            .await
    }

    /// Every deleted principal, by id.
    pub async fn all_deleted(&self) -> Result<Vec<ServicePrincipal>, AadError> {
        let rows: Vec<PrincipalRow> = sqlx::query_as(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM deleted_service_principals ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
        .context("reading deleted service principals")?;
        rows.into_iter().map(principal_from_row).collect()
    }

    async fn principal_where(
        &self,
        column: &str,
        value: &str,
    ) -> Result<Option<ServicePrincipal>, AadError> {
        self.principal_on(Shelf::Live, &format!("{column} = ?"), value)
            .await
    }

    async fn principal_on(
        &self,
        shelf: Shelf,
        condition: &str,
        value: &str,
    ) -> Result<Option<ServicePrincipal>, AadError> {
        let row: Option<PrincipalRow> = sqlx::query_as(&format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM {} WHERE {condition}",
            shelf.table("service_principals")
        ))
        .bind(value)
        .fetch_optional(&self.pool)
        .await
        .context("reading a service principal")?;
        row.map(principal_from_row).transpose()
    }

    /// Up to `limit` principals matching `filter` whose id sorts after `after`, ordered by id
    /// (keyset paging for Graph's `$top`/`$skiptoken`). String comparisons ignore ASCII case, as
    /// Graph's `$filter` does.
    pub async fn search(
        &self,
        filter: &PrincipalFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ServicePrincipal>, AadError> {
        let (condition, values) = filter.condition();
        let sql = format!(
            "SELECT {PRINCIPAL_COLUMNS} FROM service_principals \
             WHERE ({condition}) AND id > ? ORDER BY id LIMIT ?"
        );
        let mut query = sqlx::query_as::<_, PrincipalRow>(&sql);
        for value in values {
            query = query.bind(value);
        }
        let rows = query
            .bind(after.unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("searching service principals")?;
        rows.into_iter().map(principal_from_row).collect()
    }

    /// The principals with these object ids (unknown ids are skipped), in no particular order.
    pub async fn by_ids(&self, ids: &[String]) -> Result<Vec<ServicePrincipal>, AadError> {
        let rows: Vec<PrincipalRow> = self
            .fetch_where_in(
                &format!("SELECT {PRINCIPAL_COLUMNS} FROM service_principals WHERE id IN"),
                ids,
            )
            .await
            .context("reading service principals by id")?;
        rows.into_iter().map(principal_from_row).collect()
    }

    /// The key credentials of these principals, as stored (certificates are public material).
    pub async fn key_credentials_of(
        &self,
        principal_ids: &[String],
    ) -> Result<Vec<KeyCredentialRecord>, AadError> {
        self.key_credentials_on(Shelf::Live, principal_ids).await
    }

    /// The key credentials of these principals on `shelf`.
    pub async fn key_credentials_on(
        &self,
        shelf: Shelf,
        principal_ids: &[String],
    ) -> Result<Vec<KeyCredentialRecord>, AadError> {
        let rows: Vec<(String, String, String)> = self
            .fetch_where_in(
                &format!(
                    "SELECT principal_id, key_id, certificate_pem FROM {} WHERE principal_id IN",
                    shelf.table("key_credentials")
                ),
                principal_ids,
            )
            .await
            .context("reading key credentials")?;
        Ok(rows
            .into_iter()
            .map(
                |(principal_id, key_id, certificate_pem)| KeyCredentialRecord {
                    principal_id,
                    key_id,
                    certificate_pem,
                },
            )
            .collect())
    }

    /// The ids of these principals' password credentials (never their hashes).
    pub async fn password_credentials_of(
        &self,
        principal_ids: &[String],
    ) -> Result<Vec<PasswordCredentialRecord>, AadError> {
        self.password_credentials_on(Shelf::Live, principal_ids)
            .await
    }

    /// The password credentials of these principals on `shelf` (never their hashes).
    pub async fn password_credentials_on(
        &self,
        shelf: Shelf,
        principal_ids: &[String],
    ) -> Result<Vec<PasswordCredentialRecord>, AadError> {
        let rows: Vec<PasswordRow> = self
            .fetch_where_in(
                &format!(
                    "SELECT principal_id, key_id, display_name, hint, start_date_time, end_date_time \
                     FROM {} WHERE principal_id IN",
                    shelf.table("password_credentials")
                ),
                principal_ids,
            )
            .await
            .context("reading password credentials")?;
        Ok(rows
            .into_iter()
            .map(|(principal_id, key_id, display_name, hint, start, end)| {
                PasswordCredentialRecord {
                    principal_id,
                    key_id,
                    display_name,
                    hint,
                    start_date_time: start,
                    end_date_time: end,
                }
            })
            .collect())
    }

    /// `{select} (?, ?, …) ORDER BY rowid` with one bound value per entry of `values`.
    async fn fetch_where_in<R>(&self, select: &str, values: &[String]) -> sqlx::Result<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = vec!["?"; values.len()].join(", ");
        let sql = format!("{select} ({placeholders}) ORDER BY rowid");
        let mut query = sqlx::query_as::<_, R>(&sql);
        for value in values {
            query = query.bind(value);
        }
        query.fetch_all(&self.pool).await
    }

    /// Deletes a principal for good (a managed identity's, through the internal API), the app-role
    /// assignments and directory roles it holds and, by cascade, its credentials and the
    /// assignments of its app roles; it leaves every group it was a member or owner of, as in
    /// Entra. `None` if it did not exist.
    pub async fn delete(&self, id: &str) -> Result<Option<()>, AadError> {
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        sqlx::query("DELETE FROM app_role_assignments WHERE principal_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("deleting a principal's app-role assignments")?;
        sqlx::query("DELETE FROM directory_role_assignments WHERE principal_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("deleting a principal's directory-role assignments")?;
        let done = sqlx::query("DELETE FROM service_principals WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("deleting a service principal")?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        crate::groups::store::forget_principal(&mut tx, id).await?;
        tx.commit()
            .await
            .context("committing a service principal deletion")?;
        crate::groups::membership_changed();
        Ok(Some(()))
    }

    /// Writes a principal's display name and properties; `None` if it does not exist.
    pub async fn update(&self, principal: &ServicePrincipal) -> Result<Option<()>, AadError> {
        let done = sqlx::query(
            "UPDATE service_principals SET display_name = ?, properties = ? WHERE id = ?",
        )
        .bind(&principal.display_name)
        .bind(properties_json(&principal.properties)?)
        .bind(&principal.id)
        .execute(&self.pool)
        .await
        .context("updating a service principal")?;
        Ok((done.rows_affected() > 0).then_some(()))
    }

    /// Adds a client secret with Graph's metadata; `None` if the principal does not exist.
    pub async fn add_password(
        &self,
        principal_id: &str,
        new: &crate::applications::store::NewPassword,
    ) -> Result<Option<()>, AadError> {
        let metadata = &new.metadata;
        let done = sqlx::query(
            "INSERT INTO password_credentials (key_id, principal_id, salt, iterations, hash, \
             display_name, hint, start_date_time, end_date_time) \
             SELECT ?, id, ?, ?, ?, ?, ?, ?, ? FROM service_principals WHERE id = ?",
        )
        .bind(&metadata.key_id)
        .bind(&new.hash.salt)
        .bind(new.hash.iterations)
        .bind(&new.hash.hash)
        .bind(&metadata.display_name)
        .bind(&metadata.hint)
        .bind(&metadata.start_date_time)
        .bind(&metadata.end_date_time)
        .bind(principal_id)
        .execute(&self.pool)
        .await
        .context("storing a password credential")?;
        Ok((done.rows_affected() > 0).then_some(()))
    }

    /// Removes a client secret; `false` if the principal has none with this key id.
    pub async fn remove_password(
        &self,
        principal_id: &str,
        key_id: &str,
    ) -> Result<bool, AadError> {
        let done = sqlx::query(
            "DELETE FROM password_credentials WHERE principal_id = ? AND key_id = ? COLLATE NOCASE",
        )
        .bind(principal_id)
        .bind(key_id)
        .execute(&self.pool)
        .await
        .context("removing a password credential")?;
        Ok(done.rows_affected() > 0)
    }

    /// Adds a certificate (`addKey`) with this key id; `None` if the principal does not exist.
    pub async fn add_key(
        &self,
        principal_id: &str,
        key_id: &str,
        certificate: &Certificate,
    ) -> Result<Option<()>, AadError> {
        let done = sqlx::query(
            "INSERT INTO key_credentials (key_id, principal_id, certificate_pem, x5t, x5t_s256) \
             SELECT ?, id, ?, ?, ? FROM service_principals WHERE id = ?",
        )
        .bind(key_id)
        .bind(&certificate.pem)
        .bind(&certificate.x5t)
        .bind(&certificate.x5t_s256)
        .bind(principal_id)
        .execute(&self.pool)
        .await
        .context("storing a key credential")?;
        Ok((done.rows_affected() > 0).then_some(()))
    }

    /// Removes a certificate (`removeKey`); `false` if the principal has none with this key id.
    pub async fn remove_key(&self, principal_id: &str, key_id: &str) -> Result<bool, AadError> {
        let done = sqlx::query(
            "DELETE FROM key_credentials WHERE principal_id = ? AND key_id = ? COLLATE NOCASE",
        )
        .bind(principal_id)
        .bind(key_id)
        .execute(&self.pool)
        .await
        .context("removing a key credential")?;
        Ok(done.rows_affected() > 0)
    }

    /// `(object id, display name)` of every managed-identity principal (ARM's start-up
    /// reconciliation).
    pub async fn managed_identities(&self) -> Result<Vec<(String, String)>, AadError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, display_name FROM service_principals \
             WHERE service_principal_type = 'ManagedIdentity' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .context("listing managed-identity principals")?;
        Ok(rows)
    }

    /// The hashes of a principal's client secrets that are valid at `now` (ISO 8601 UTC; secrets
    /// without dates, the fixture's, never expire).
    pub async fn password_hashes(
        &self,
        principal_id: &str,
        now: &str,
    ) -> Result<Vec<PasswordHash>, AadError> {
        let rows: Vec<(Vec<u8>, u32, Vec<u8>)> = sqlx::query_as(
            "SELECT salt, iterations, hash FROM password_credentials WHERE principal_id = ? \
             AND (start_date_time IS NULL OR start_date_time <= ?) \
             AND (end_date_time IS NULL OR end_date_time > ?)",
        )
        .bind(principal_id)
        .bind(now)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .context("reading password credentials")?;
        Ok(rows.into_iter().map(PasswordHash::from).collect())
    }

    /// The principal's certificate with this `x5t` (SHA-1) or `x5t#S256` thumbprint.
    pub async fn certificate(
        &self,
        principal_id: &str,
        thumbprint: &str,
    ) -> Result<Option<Certificate>, AadError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT certificate_pem, x5t, x5t_s256 FROM key_credentials \
             WHERE principal_id = ? AND (x5t = ? OR x5t_s256 = ?)",
        )
        .bind(principal_id)
        .bind(thumbprint)
        .bind(thumbprint)
        .fetch_optional(&self.pool)
        .await
        .context("reading a key credential")?;
        Ok(row.map(|(pem, x5t, x5t_s256)| Certificate { pem, x5t, x5t_s256 }))
    }
}

/// Which principals a Graph `$filter` selects; every string comparison ignores ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalFilter {
    /// Every principal.
    All,
    /// None (e.g. `accountEnabled eq false`: every principal is enabled).
    Nothing,
    /// `id eq '…'`.
    Id(String),
    /// `appId eq '…'`.
    AppId(String),
    /// `displayName eq '…'`.
    DisplayName(String),
    /// `startswith(displayName,'…')`.
    DisplayNameStartsWith(String),
    /// `servicePrincipalType eq '…'`.
    Type(PrincipalType),
    /// `servicePrincipalNames/any(c:c eq '…')`: the app id, or a managed identity's ARM id.
    ServicePrincipalName(String),
    /// `alternativeNames/any(c:c eq '…')`.
    AlternativeName(String),
    /// `accountEnabled eq true|false`.
    AccountEnabled(bool),
    /// `tags/any(c:c eq '…')`.
    Tag(String),
}

impl PrincipalFilter {
    /// The SQL condition and the values it binds, in order.
    fn condition(&self) -> (&'static str, Vec<String>) {
        match self {
            Self::All => ("1", vec![]),
            Self::Nothing => ("0", vec![]),
            Self::Id(id) => ("id = ? COLLATE NOCASE", vec![id.clone()]),
            Self::AppId(app_id) => ("app_id = ? COLLATE NOCASE", vec![app_id.clone()]),
            Self::DisplayName(name) => ("display_name = ? COLLATE NOCASE", vec![name.clone()]),
            // LIKE ignores ASCII case in SQLite; the prefix's own wildcards are escaped.
            Self::DisplayNameStartsWith(prefix) => (
                "display_name LIKE ? ESCAPE '\\'",
                vec![format!("{}%", escape_like(prefix))],
            ),
            Self::Type(kind) => ("service_principal_type = ?", vec![kind.as_str().into()]),
            // An application's service principal is also named by its identifier URIs.
            Self::ServicePrincipalName(name) => (
                "app_id = ? COLLATE NOCASE OR managed_identity_resource_id = ? COLLATE NOCASE \
                 OR app_id IN (SELECT a.app_id FROM applications a \
                 JOIN application_identifier_uris u ON u.application_id = a.id WHERE u.uri = ?)",
                vec![name.clone(), name.clone(), name.clone()],
            ),
            Self::AlternativeName(name) => (
                "EXISTS (SELECT 1 FROM json_each(alternative_names) WHERE value = ? COLLATE NOCASE)",
                vec![name.clone()],
            ),
            Self::AccountEnabled(enabled) => (
                "COALESCE(json_extract(properties, '$.accountEnabled'), 1) = CAST(? AS INTEGER)",
                vec![if *enabled { "1" } else { "0" }.into()],
            ),
            Self::Tag(tag) => (
                "EXISTS (SELECT 1 FROM json_each(properties, '$.tags') WHERE value = ? COLLATE NOCASE)",
                vec![tag.clone()],
            ),
        }
    }
}

/// `value` with LIKE's wildcards and escape character escaped (`ESCAPE '\\'`).
pub fn escape_like(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A key credential as stored: which principal, its key id, its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCredentialRecord {
    /// The owning principal's object id.
    pub principal_id: String,
    /// Graph's `keyId`.
    pub key_id: String,
    /// The certificate as PEM (public).
    pub certificate_pem: String,
}

/// A password credential's metadata (its hash never leaves the store this way). Secrets the
/// fixture or the internal API added have no dates, display name or hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordCredentialRecord {
    /// The owning principal's object id.
    pub principal_id: String,
    /// Graph's `keyId`.
    pub key_id: String,
    pub display_name: Option<String>,
    pub hint: Option<String>,
    pub start_date_time: Option<String>,
    pub end_date_time: Option<String>,
}

type PasswordRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn properties_json(
    properties: &super::model::ServicePrincipalProperties,
) -> Result<String, AadError> {
    Ok(serde_json::to_string(properties).context("serialising service principal properties")?)
}

async fn insert_principal(
    tx: &mut mimic_web::sqlite::WriteTx,
    principal: &ServicePrincipal,
) -> Result<(), AadError> {
    let alternative_names = serde_json::to_string(&principal.alternative_names)
        .context("serialising alternative names")?;
    sqlx::query(&format!(
        "INSERT INTO service_principals ({PRINCIPAL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&principal.id)
    .bind(&principal.app_id)
    .bind(&principal.display_name)
    .bind(principal.principal_type.as_str())
    .bind(&principal.managed_identity_resource_id)
    .bind(alternative_names)
    .bind(&principal.created_date_time)
    .bind(properties_json(&principal.properties)?)
    .execute(&mut **tx)
    .await
    .map_err(|error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            AadError::ServicePrincipalConflict {
                property: "id",
                value: principal.id.clone(),
            }
        }
        _ => AadError::Internal(anyhow::Error::new(error).context("storing a service principal")),
    })?;
    Ok(())
}

fn principal_from_row(row: PrincipalRow) -> Result<ServicePrincipal, AadError> {
    let (id, app_id, display_name, kind, resource_id, alternative_names, created, properties) = row;
    Ok(ServicePrincipal {
        properties: serde_json::from_str(&properties)
            .context("reading service principal properties")?,
        principal_type: PrincipalType::parse(&kind)
            .with_context(|| format!("unknown servicePrincipalType '{kind}' in aad.db"))?,
        alternative_names: serde_json::from_str(&alternative_names)
            .context("reading alternative names")?,
        id,
        app_id,
        display_name,
        managed_identity_resource_id: resource_id,
        created_date_time: created,
    })
}
