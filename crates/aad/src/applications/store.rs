//! All SQL of applications: the application, its identifier URIs (unique across the tenant), its
//! credentials and its owners. Deleting one (with its service principal, as Entra does) is
//! [`crate::deleted_objects`]'s: reads here see live applications, or deleted ones through
//! [`ApplicationStore::deleted`].

use anyhow::Context;
use sqlx::SqlitePool;

use super::model::{Application, ApplicationProperties, KeyMetadata, PasswordMetadata};
use crate::credentials::{Certificate, PasswordHash};
use crate::deleted_objects::Shelf;
use crate::error::AadError;

/// Applications over AAD's SQLite pool.
#[derive(Debug, Clone)]
pub struct ApplicationStore {
    pool: SqlitePool,
}

type ApplicationRow = (String, String, String, String, String);
type PasswordRow = (String, Option<String>, Option<String>, String, String);

const COLUMNS: &str = "id, app_id, display_name, created_date_time, properties";

/// Which applications a Graph `$filter` selects; strings compare ignoring ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationFilter {
    All,
    Nothing,
    Id(String),
    AppId(String),
    DisplayName(String),
    DisplayNameStartsWith(String),
    /// `identifierUris/any(x:x eq '…')`.
    IdentifierUri(String),
}

impl ApplicationFilter {
    fn condition(&self) -> (&'static str, Vec<String>) {
        match self {
            Self::All => ("1", vec![]),
            Self::Nothing => ("0", vec![]),
            Self::Id(id) => ("id = ? COLLATE NOCASE", vec![id.clone()]),
            Self::AppId(app_id) => ("app_id = ? COLLATE NOCASE", vec![app_id.clone()]),
            Self::DisplayName(name) => ("display_name = ? COLLATE NOCASE", vec![name.clone()]),
            Self::DisplayNameStartsWith(prefix) => (
                "display_name LIKE ? ESCAPE '\\'",
                vec![format!(
                    "{}%",
                    crate::principals::store::escape_like(prefix)
                )],
            ),
            Self::IdentifierUri(uri) => (
                "id IN (SELECT application_id FROM application_identifier_uris WHERE uri = ?)",
                vec![uri.clone()],
            ),
        }
    }
}

/// A password credential to add: its metadata and the hash of its secret.
#[derive(Debug, Clone)]
pub struct NewPassword {
    pub metadata: PasswordMetadata,
    pub hash: PasswordHash,
}

/// A certificate to store with its metadata.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub metadata: KeyMetadata,
    pub certificate: Certificate,
}

impl ApplicationStore {
    /// A store over `pool` (migrations already applied).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Stores a new application with its certificates and owners; `ServicePrincipalConflict`
    /// (Graph's "Another object with the same value…") when an identifier URI is taken.
    pub async fn create(
        &self,
        application: &Application,
        keys: &[NewKey],
        owners: &[String],
    ) -> Result<(), AadError> {
        let mut tx = begin(&self.pool).await?;
        sqlx::query(&format!(
            "INSERT INTO applications ({COLUMNS}) VALUES (?, ?, ?, ?, ?)"
        ))
        .bind(&application.id)
        .bind(&application.app_id)
        .bind(&application.display_name)
        .bind(&application.created_date_time)
        .bind(properties_json(&application.properties)?)
        .execute(&mut *tx)
        .await
        .context("storing an application")?;
        insert_uris(&mut tx, &application.id, &application.identifier_uris).await?;
        insert_keys(&mut tx, &application.id, keys).await?;
        for owner in owners {
            sqlx::query("INSERT INTO application_owners (application_id, owner_id) VALUES (?, ?)")
                .bind(&application.id)
                .bind(owner)
                .execute(&mut *tx)
                .await
                .context("storing an owner")?;
        }
        tx.commit().await.context("committing an application")?;
        Ok(())
    }

    /// Replaces what a PATCH may change: display name, properties, identifier URIs and — when
    /// `keys` is given — the set of certificates (`retained` key ids stay, `keys` are added).
    /// `None` when the application no longer exists.
    pub async fn update(
        &self,
        application: &Application,
        keys: Option<(&[String], &[NewKey])>,
    ) -> Result<Option<()>, AadError> {
        let mut tx = begin(&self.pool).await?;
        let done =
            sqlx::query("UPDATE applications SET display_name = ?, properties = ? WHERE id = ?")
                .bind(&application.display_name)
                .bind(properties_json(&application.properties)?)
                .bind(&application.id)
                .execute(&mut *tx)
                .await
                .context("updating an application")?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        sqlx::query("DELETE FROM application_identifier_uris WHERE application_id = ?")
            .bind(&application.id)
            .execute(&mut *tx)
            .await
            .context("clearing identifier URIs")?;
        insert_uris(&mut tx, &application.id, &application.identifier_uris).await?;
        if let Some((retained, added)) = keys {
            let current: Vec<(String,)> = sqlx::query_as(
                "SELECT key_id FROM application_key_credentials WHERE application_id = ?",
            )
            .bind(&application.id)
            .fetch_all(&mut *tx)
            .await
            .context("reading key credentials")?;
            for (key_id,) in current {
                if !retained
                    .iter()
                    .any(|kept| kept.eq_ignore_ascii_case(&key_id))
                {
                    sqlx::query("DELETE FROM application_key_credentials WHERE key_id = ?")
                        .bind(&key_id)
                        .execute(&mut *tx)
                        .await
                        .context("removing a key credential")?;
                }
            }
            insert_keys(&mut tx, &application.id, added).await?;
        }
        tx.commit().await.context("committing an application")?;
        Ok(Some(()))
    }

    /// The application with this object id.
    pub async fn get(&self, id: &str) -> Result<Option<Application>, AadError> {
        Ok(self
            .search(&ApplicationFilter::Id(id.into()), None, 1)
            .await?
            .pop())
    }

    /// The application with this client id.
    pub async fn by_app_id(&self, app_id: &str) -> Result<Option<Application>, AadError> {
        Ok(self
            .search(&ApplicationFilter::AppId(app_id.into()), None, 1)
            .await?
            .pop())
    }

    /// The application a token request's resource names: its app id or one of its identifier URIs.
    pub async fn by_resource(&self, resource: &str) -> Result<Option<Application>, AadError> {
        if let Some(application) = self.by_app_id(resource).await? {
            return Ok(Some(application));
        }
        Ok(self
            .search(&ApplicationFilter::IdentifierUri(resource.into()), None, 1)
            .await?
            .pop())
    }

    /// Up to `limit` applications matching `filter` whose id sorts after `after`, by id.
    pub async fn search(
        &self,
        filter: &ApplicationFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Application>, AadError> {
        self.search_on(Shelf::Live, filter, after, limit).await
    }

    /// The deleted application with this object id (in `directory/deletedItems`).
    pub async fn deleted(&self, id: &str) -> Result<Option<Application>, AadError> {
        Ok(self
            .search_on(Shelf::Deleted, &ApplicationFilter::Id(id.into()), None, 1)
            .await?
            .pop())
    }

    /// Every deleted application, by id.
    pub async fn all_deleted(&self) -> Result<Vec<Application>, AadError> {
        self.search_on(Shelf::Deleted, &ApplicationFilter::All, None, u32::MAX)
            .await
    }

    async fn search_on(
        &self,
        shelf: Shelf,
        filter: &ApplicationFilter,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Application>, AadError> {
        let (condition, values) = filter.condition();
        let sql = format!(
            "SELECT {COLUMNS} FROM {} WHERE ({condition}) AND id > ? ORDER BY id LIMIT ?",
            shelf.table("applications")
        );
        let mut query = sqlx::query_as::<_, ApplicationRow>(&sql);
        for value in values {
            query = query.bind(value);
        }
        let rows = query
            .bind(after.unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .context("searching applications")?;
        let uris_sql = format!(
            "SELECT uri FROM {} WHERE application_id = ? ORDER BY position",
            shelf.table("application_identifier_uris")
        );
        let mut applications = Vec::with_capacity(rows.len());
        for row in rows {
            let uris: Vec<(String,)> = sqlx::query_as(&uris_sql)
                .bind(&row.0)
                .fetch_all(&self.pool)
                .await
                .context("reading identifier URIs")?;
            applications.push(from_row(row, uris.into_iter().map(|(uri,)| uri).collect())?);
        }
        Ok(applications)
    }

    /// The metadata of an application's password credentials.
    pub async fn passwords(&self, id: &str) -> Result<Vec<PasswordMetadata>, AadError> {
        self.passwords_on(Shelf::Live, id).await
    }

    /// The metadata of the password credentials of an application on `shelf`.
    pub async fn passwords_on(
        &self,
        shelf: Shelf,
        id: &str,
    ) -> Result<Vec<PasswordMetadata>, AadError> {
        let sql = format!(
            "SELECT key_id, display_name, hint, start_date_time, end_date_time \
             FROM {} WHERE application_id = ? ORDER BY rowid",
            shelf.table("application_password_credentials")
        );
        let rows: Vec<PasswordRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .context("reading password credentials")?;
        Ok(rows
            .into_iter()
            .map(
                |(key_id, display_name, hint, start, end)| PasswordMetadata {
                    key_id,
                    display_name,
                    hint,
                    start_date_time: start,
                    end_date_time: end,
                },
            )
            .collect())
    }

    /// An application's certificates with their metadata.
    pub async fn keys(&self, id: &str) -> Result<Vec<KeyMetadata>, AadError> {
        self.keys_on(Shelf::Live, id).await
    }

    /// The certificates of an application on `shelf`, with their metadata.
    pub async fn keys_on(&self, shelf: Shelf, id: &str) -> Result<Vec<KeyMetadata>, AadError> {
        let sql = format!(
            "SELECT key_id, display_name, start_date_time, end_date_time, certificate_pem \
             FROM {} WHERE application_id = ? ORDER BY rowid",
            shelf.table("application_key_credentials")
        );
        let rows: Vec<(String, Option<String>, String, String, String)> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .context("reading key credentials")?;
        Ok(rows
            .into_iter()
            .map(|(key_id, display_name, start, end, pem)| KeyMetadata {
                key_id,
                display_name,
                start_date_time: start,
                end_date_time: end,
                certificate_pem: pem,
            })
            .collect())
    }

    /// Adds a password credential; `None` if the application does not exist.
    pub async fn add_password(&self, id: &str, new: &NewPassword) -> Result<Option<()>, AadError> {
        let metadata = &new.metadata;
        let result = sqlx::query(
            "INSERT INTO application_password_credentials (key_id, application_id, display_name, \
             hint, start_date_time, end_date_time, salt, iterations, hash) \
             SELECT ?, id, ?, ?, ?, ?, ?, ?, ? FROM applications WHERE id = ?",
        )
        .bind(&metadata.key_id)
        .bind(&metadata.display_name)
        .bind(&metadata.hint)
        .bind(&metadata.start_date_time)
        .bind(&metadata.end_date_time)
        .bind(&new.hash.salt)
        .bind(new.hash.iterations)
        .bind(&new.hash.hash)
        .bind(id)
        .execute(&self.pool)
        .await
        .context("storing a password credential")?;
        Ok((result.rows_affected() > 0).then_some(()))
    }

    /// Removes a password credential; `false` if the application has none with this key id.
    pub async fn remove_password(&self, id: &str, key_id: &str) -> Result<bool, AadError> {
        let result = sqlx::query(
            "DELETE FROM application_password_credentials WHERE application_id = ? AND key_id = ? COLLATE NOCASE",
        )
        .bind(id)
        .bind(key_id)
        .execute(&self.pool)
        .await
        .context("removing a password credential")?;
        Ok(result.rows_affected() > 0)
    }

    /// Adds a certificate (`addKey`); `None` if the application does not exist.
    pub async fn add_key(&self, id: &str, key: &NewKey) -> Result<Option<()>, AadError> {
        let mut tx = begin(&self.pool).await?;
        let exists: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM applications WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .context("reading an application")?;
        if exists.is_none() {
            return Ok(None);
        }
        insert_keys(&mut tx, id, std::slice::from_ref(key)).await?;
        tx.commit().await.context("committing a key credential")?;
        Ok(Some(()))
    }

    /// Removes a certificate (`removeKey`); `false` if the application has none with this key id.
    pub async fn remove_key(&self, id: &str, key_id: &str) -> Result<bool, AadError> {
        let result = sqlx::query(
            "DELETE FROM application_key_credentials WHERE application_id = ? AND key_id = ? COLLATE NOCASE",
        )
        .bind(id)
        .bind(key_id)
        .execute(&self.pool)
        .await
        .context("removing a key credential")?;
        Ok(result.rows_affected() > 0)
    }

    /// The hashes of the client secrets of the application with client id `app_id` that have
    /// not expired at `now` (ISO 8601 UTC).
    pub async fn password_hashes(
        &self,
        app_id: &str,
        now: &str,
    ) -> Result<Vec<PasswordHash>, AadError> {
        let rows: Vec<(Vec<u8>, u32, Vec<u8>)> = sqlx::query_as(
            "SELECT c.salt, c.iterations, c.hash FROM application_password_credentials c \
             JOIN applications a ON a.id = c.application_id \
             WHERE a.app_id = ? AND c.start_date_time <= ? AND c.end_date_time > ?",
        )
        .bind(app_id)
        .bind(now)
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .context("reading an application's password credentials")?;
        Ok(rows.into_iter().map(PasswordHash::from).collect())
    }

    /// The certificate with this `x5t` or `x5t#S256` of the application with client id `app_id`.
    pub async fn certificate(
        &self,
        app_id: &str,
        thumbprint: &str,
    ) -> Result<Option<Certificate>, AadError> {
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT c.certificate_pem, c.x5t, c.x5t_s256 FROM application_key_credentials c \
             JOIN applications a ON a.id = c.application_id \
             WHERE a.app_id = ? AND (c.x5t = ? OR c.x5t_s256 = ?)",
        )
        .bind(app_id)
        .bind(thumbprint)
        .bind(thumbprint)
        .fetch_optional(&self.pool)
        .await
        .context("reading an application's key credential")?;
        Ok(row.map(|(pem, x5t, x5t_s256)| Certificate { pem, x5t, x5t_s256 }))
    }

    /// The object ids of an application's owners, in the order they were added.
    pub async fn owners(&self, id: &str) -> Result<Vec<String>, AadError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT owner_id FROM application_owners WHERE application_id = ? ORDER BY rowid",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .context("reading owners")?;
        Ok(rows.into_iter().map(|(owner,)| owner).collect())
    }

    /// Adds an owner; `false` if it already is one.
    pub async fn add_owner(&self, id: &str, owner_id: &str) -> Result<bool, AadError> {
        let result = sqlx::query(
            "INSERT OR IGNORE INTO application_owners (application_id, owner_id) VALUES (?, ?)",
        )
        .bind(id)
        .bind(owner_id)
        .execute(&self.pool)
        .await
        .context("adding an owner")?;
        Ok(result.rows_affected() > 0)
    }

    /// Removes an owner; `false` if it was not one.
    pub async fn remove_owner(&self, id: &str, owner_id: &str) -> Result<bool, AadError> {
        let result =
            sqlx::query("DELETE FROM application_owners WHERE application_id = ? AND owner_id = ?")
                .bind(id)
                .bind(owner_id)
                .execute(&self.pool)
                .await
                .context("removing an owner")?;
        Ok(result.rows_affected() > 0)
    }
}

async fn begin(pool: &SqlitePool) -> Result<mimic_web::sqlite::WriteTx, AadError> {
    Ok(crate::db::begin_write(pool)
        .await
        .context("starting a transaction")?)
}

fn properties_json(properties: &ApplicationProperties) -> Result<String, AadError> {
    Ok(serde_json::to_string(properties).context("serialising application properties")?)
}

async fn insert_uris(
    tx: &mut mimic_web::sqlite::WriteTx,
    application_id: &str,
    uris: &[String],
) -> Result<(), AadError> {
    for (position, uri) in uris.iter().enumerate() {
        sqlx::query(
            "INSERT INTO application_identifier_uris (uri, application_id, position) VALUES (?, ?, ?)",
        )
        .bind(uri)
        .bind(application_id)
        .bind(position as i64)
        .execute(&mut **tx)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                AadError::ServicePrincipalConflict {
                    property: "identifierUris",
                    value: uri.clone(),
                }
            }
            _ => AadError::Internal(anyhow::Error::new(error).context("storing an identifier URI")),
        })?;
    }
    Ok(())
}

async fn insert_keys(
    tx: &mut mimic_web::sqlite::WriteTx,
    application_id: &str,
    keys: &[NewKey],
) -> Result<(), AadError> {
    for key in keys {
        let metadata = &key.metadata;
        sqlx::query(
            "INSERT INTO application_key_credentials (key_id, application_id, display_name, \
             start_date_time, end_date_time, certificate_pem, x5t, x5t_s256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&metadata.key_id)
        .bind(application_id)
        .bind(&metadata.display_name)
        .bind(&metadata.start_date_time)
        .bind(&metadata.end_date_time)
        .bind(&key.certificate.pem)
        .bind(&key.certificate.x5t)
        .bind(&key.certificate.x5t_s256)
        .execute(&mut **tx)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                AadError::ServicePrincipalConflict {
                    property: "keyCredentials",
                    value: metadata.key_id.clone(),
                }
            }
            _ => AadError::Internal(anyhow::Error::new(error).context("storing a key credential")),
        })?;
    }
    Ok(())
}

fn from_row(row: ApplicationRow, identifier_uris: Vec<String>) -> Result<Application, AadError> {
    let (id, app_id, display_name, created_date_time, properties) = row;
    Ok(Application {
        properties: serde_json::from_str(&properties).context("reading application properties")?,
        id,
        app_id,
        display_name,
        created_date_time,
        identifier_uris,
    })
}
