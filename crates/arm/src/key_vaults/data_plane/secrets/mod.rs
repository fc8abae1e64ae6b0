//! Secrets (Key Vault 7.x): set (a new version each time), get (latest or a version), list, list
//! versions, update a version's attributes, delete (soft: the name waits in `deletedsecrets` for
//! recovery or purge), backup and restore. Each operation's permission is its RBAC data action
//! and its access-policy permission ([`super::access`]); the object's scope is
//! `{vault id}/secrets/{name}`.
//!
//! As in Azure: a disabled version is refused on get (403 `SecretDisabled`) but listed; `exp` and
//! `nbf` are stored and shown, not enforced (Key Vault returns an expired secret's value); a
//! deleted name cannot be set again until it is recovered or purged (409
//! `ObjectIsDeletedButRecoverable`).

pub mod lifecycle;
pub mod model;
pub mod store;

use actix_web::{web, HttpRequest, HttpResponse};

use super::access::{self, Kind, Permission};
use super::{page, KvError, Vault};
use model::{Attributes, Deleted, List, SecretBundle, SecretItem, SetParameters, UpdateParameters};
use store::{Deletion, Version};

const fn secrets(data_action: &'static str, policy: &'static str) -> Permission {
    Permission {
        data_action,
        kind: Kind::Secrets,
        policy,
    }
}

const GET: Permission = secrets("Microsoft.KeyVault/vaults/secrets/getSecret/action", "get");
const SET: Permission = secrets("Microsoft.KeyVault/vaults/secrets/setSecret/action", "set");
const LIST: Permission = secrets(
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    "list",
);
const UPDATE: Permission = secrets("Microsoft.KeyVault/vaults/secrets/update/action", "set");
const DELETE: Permission = secrets("Microsoft.KeyVault/vaults/secrets/delete", "delete");
const RECOVER: Permission = secrets(
    "Microsoft.KeyVault/vaults/secrets/recover/action",
    "recover",
);
const PURGE: Permission = secrets("Microsoft.KeyVault/vaults/secrets/purge/action", "purge");
const BACKUP: Permission = secrets("Microsoft.KeyVault/vaults/secrets/backup/action", "backup");
const RESTORE: Permission = secrets(
    "Microsoft.KeyVault/vaults/secrets/restore/action",
    "restore",
);

/// The largest secret value Key Vault stores (25 KiB).
pub const MAX_VALUE_BYTES: usize = 25 * 1024;

/// Routes of `/secrets` and `/deletedsecrets`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/secrets")
                .get(list)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/secrets/{name}")
                .put(set)
                .get(get_latest)
                .patch(update_latest)
                .delete(lifecycle::delete)
                .post(lifecycle::restore)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/secrets/{name}/")
                .get(get_latest)
                .patch(update_latest)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/secrets/{name}/{tail}")
                .get(get_version)
                .patch(update_version)
                .post(lifecycle::backup_secret)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/deletedsecrets")
                .get(lifecycle::list_deleted)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/deletedsecrets/{name}")
                .get(lifecycle::get_deleted)
                .delete(lifecycle::purge)
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/deletedsecrets/{name}/recover")
                .post(lifecycle::recover)
                .default_service(web::to(method_not_allowed)),
        );
}

async fn method_not_allowed(request: HttpRequest) -> Result<HttpResponse, KvError> {
    super::Vault::authenticate_only(&request).await?;
    Err(KvError::MethodNotAllowed(request.method().to_string()))
}

/// Secret and key names: 1–127 of letters, digits and dashes.
pub fn check_name(name: &str) -> Result<(), KvError> {
    let valid = !name.is_empty()
        && name.len() <= 127
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    match valid {
        true => Ok(()),
        false => Err(KvError::BadParameter(format!(
            "The request URI contains an invalid name: {name}"
        ))),
    }
}

fn not_found(name: &str) -> KvError {
    KvError::NotFound {
        code: "SecretNotFound",
        message: format!(
            "A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        ),
    }
}

fn deleted_not_found(name: &str) -> KvError {
    KvError::NotFound {
        code: "SecretNotFound",
        message: format!("Deleted Secret not found: {name}"),
    }
}

fn object(name: &str) -> String {
    format!("secrets/{name}")
}

/// The vault's recovery level and days, as every attribute block shows them.
pub fn recovery(vault: &Vault) -> (&'static str, i64) {
    let settings = &vault.record.settings;
    match (
        settings.enable_soft_delete,
        settings.enable_purge_protection.unwrap_or(false),
    ) {
        (false, _) => ("Purgeable", 0),
        (true, false) => (
            "Recoverable+Purgeable",
            settings.soft_delete_retention_in_days,
        ),
        (true, true) => ("Recoverable", settings.soft_delete_retention_in_days),
    }
}

fn attributes(vault: &Vault, version: &Version) -> Attributes {
    let (level, days) = recovery(vault);
    Attributes {
        enabled: version.enabled,
        nbf: version.nbf,
        exp: version.exp,
        created: version.created,
        updated: version.updated,
        recoverable_days: days,
        recovery_level: level,
    }
}

fn tags(version: &Version) -> Option<model::Tags> {
    (!version.tags.is_empty()).then(|| version.tags.clone())
}

fn bundle(vault: &Vault, version: &Version, with_value: bool) -> SecretBundle {
    SecretBundle {
        value: with_value.then(|| version.value.clone()),
        id: format!(
            "{}/secrets/{}/{}",
            vault.base_url, version.name, version.version
        ),
        content_type: version.content_type.clone(),
        attributes: attributes(vault, version),
        tags: tags(version),
    }
}

fn item(vault: &Vault, version: &Version, with_version: bool) -> SecretItem {
    let id = match with_version {
        true => format!(
            "{}/secrets/{}/{}",
            vault.base_url, version.name, version.version
        ),
        false => format!("{}/secrets/{}", vault.base_url, version.name),
    };
    SecretItem {
        id,
        attributes: attributes(vault, version),
        tags: tags(version),
        content_type: version.content_type.clone(),
    }
}

fn deleted<T>(vault: &Vault, deletion: &Deletion, inner: T) -> Deleted<T> {
    Deleted {
        recovery_id: format!("{}/deletedsecrets/{}", vault.base_url, deletion.name),
        deleted_date: deletion.deleted_time,
        scheduled_purge_date: deletion.scheduled_purge_time,
        inner,
    }
}

fn now(vault: &Vault) -> i64 {
    vault.state.clock.now()
}

/// The live versions of `name`, or 404 when it has none or is deleted.
async fn live_versions(vault: &Vault, name: &str) -> Result<Vec<Version>, KvError> {
    let db = &vault.state.db;
    if store::deletion(db, vault.record.key, name).await?.is_some() {
        return Err(not_found(name));
    }
    let versions = store::versions(db, vault.record.key, name).await?;
    match versions.is_empty() {
        true => Err(not_found(name)),
        false => Ok(versions),
    }
}

fn check_attributes(attributes: &model::AttributesIn) -> Result<(), KvError> {
    if let (Some(nbf), Some(exp)) = (attributes.nbf, attributes.exp) {
        if nbf > exp {
            return Err(KvError::BadParameter(
                "The 'nbf' attribute must be before the 'exp' attribute.".into(),
            ));
        }
    }
    Ok(())
}

/// `SetSecret`: a new version (200).
async fn set(
    vault: Vault,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    let name = path.into_inner();
    check_name(&name)?;
    access::authorize(&vault, SET, Some(&object(&name))).await?;
    let params: SetParameters = vault.body(&body)?;
    let value = params
        .value
        .ok_or_else(|| KvError::BadParameter("The parameter 'value' is required.".to_string()))?;
    if value.len() > MAX_VALUE_BYTES {
        return Err(KvError::BadParameter(format!(
            "The secret value exceeds the maximum size of {MAX_VALUE_BYTES} bytes."
        )));
    }
    let attributes = params.attributes.unwrap_or_default();
    check_attributes(&attributes)?;
    let now = now(&vault);
    let version = Version {
        name: name.clone(),
        version: uuid::Uuid::new_v4().simple().to_string(),
        value,
        content_type: params.content_type,
        tags: params.tags.unwrap_or_default(),
        enabled: attributes.enabled.unwrap_or(true),
        nbf: attributes.nbf,
        exp: attributes.exp,
        created: now,
        updated: now,
    };
    let mut tx = crate::db::begin_write(&vault.state.db).await?;
    if store::deletion(&mut *tx, vault.record.key, &name)
        .await?
        .is_some()
    {
        return Err(KvError::Conflict {
            message: format!("Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged."),
            inner: Some("ObjectIsDeletedButRecoverable"),
        });
    }
    // The name keeps the case of its first version, as Key Vault's ids do.
    let existing = store::versions(&mut *tx, vault.record.key, &name).await?;
    let version = Version {
        name: existing.first().map_or(name, |first| first.name.clone()),
        ..version
    };
    store::insert(&mut tx, vault.record.key, &version).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &version, true)))
}

async fn get_one(vault: &Vault, name: &str, version: Option<&str>) -> Result<Version, KvError> {
    check_name(name)?;
    access::authorize(vault, GET, Some(&object(name))).await?;
    let versions = live_versions(vault, name).await?;
    let found = match version {
        None | Some("") => versions.last().cloned(),
        Some(wanted) => versions
            .iter()
            .find(|v| v.version.eq_ignore_ascii_case(wanted))
            .cloned(),
    };
    let found = found.ok_or_else(|| not_found(&format!("{name}/{}", version.unwrap_or(""))))?;
    if !found.enabled {
        return Err(KvError::Forbidden {
            message: "Operation get is not allowed on a disabled secret.".into(),
            inner: "SecretDisabled",
        });
    }
    Ok(found)
}

/// `GetSecret` without a version: the latest.
async fn get_latest(vault: Vault, path: web::Path<String>) -> Result<HttpResponse, KvError> {
    let found = get_one(&vault, &path, None).await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &found, true)))
}

/// `GetSecret` of a version, or `GetSecretVersions` (`/secrets/{name}/versions`).
async fn get_version(
    vault: Vault,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, KvError> {
    let (name, tail) = path.into_inner();
    if tail == "versions" {
        check_name(&name)?;
        access::authorize(&vault, LIST, Some(&object(&name))).await?;
        let versions = live_versions(&vault, &name).await?;
        let items: Vec<SecretItem> = versions.iter().map(|v| item(&vault, v, true)).collect();
        let page = page(items, &request, &vault)?;
        return Ok(HttpResponse::Ok().json(List {
            value: page.items,
            next_link: page.next,
        }));
    }
    let found = get_one(&vault, &name, Some(&tail)).await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &found, true)))
}

/// `GetSecrets`: the latest version of each live secret (values never listed).
async fn list(vault: Vault, request: HttpRequest) -> Result<HttpResponse, KvError> {
    access::authorize(&vault, LIST, None).await?;
    let latest = store::latest_live(&vault.state.db, vault.record.key).await?;
    let items: Vec<SecretItem> = latest.iter().map(|v| item(&vault, v, false)).collect();
    let page = page(items, &request, &vault)?;
    Ok(HttpResponse::Ok().json(List {
        value: page.items,
        next_link: page.next,
    }))
}

async fn update_one(
    vault: &Vault,
    name: &str,
    version: Option<&str>,
    body: &[u8],
) -> Result<Version, KvError> {
    check_name(name)?;
    access::authorize(vault, UPDATE, Some(&object(name))).await?;
    let params: UpdateParameters = vault.body(body)?;
    let attributes = params.attributes.clone().unwrap_or_default();
    check_attributes(&attributes)?;
    let mut tx = crate::db::begin_write(&vault.state.db).await?;
    if store::deletion(&mut *tx, vault.record.key, name)
        .await?
        .is_some()
    {
        return Err(not_found(name));
    }
    let versions = store::versions(&mut *tx, vault.record.key, name).await?;
    let found = match version {
        None | Some("") => versions.last().cloned(),
        Some(wanted) => versions
            .iter()
            .find(|v| v.version.eq_ignore_ascii_case(wanted))
            .cloned(),
    };
    let mut found = found.ok_or_else(|| not_found(&format!("{name}/{}", version.unwrap_or(""))))?;
    if let Some(content_type) = params.content_type {
        found.content_type = Some(content_type);
    }
    if let Some(tags) = params.tags {
        found.tags = tags;
    }
    if let Some(enabled) = attributes.enabled {
        found.enabled = enabled;
    }
    if attributes.nbf.is_some() {
        found.nbf = attributes.nbf;
    }
    if attributes.exp.is_some() {
        found.exp = attributes.exp;
    }
    found.updated = now(vault);
    store::update(&mut tx, vault.record.key, &found).await?;
    tx.commit().await?;
    Ok(found)
}

/// `UpdateSecret` of the latest version (`/secrets/{name}/` or `/secrets/{name}`).
async fn update_latest(
    vault: Vault,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    let found = update_one(&vault, &path, None, &body).await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &found, false)))
}

/// `UpdateSecret` of a version.
async fn update_version(
    vault: Vault,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    let (name, version) = path.into_inner();
    let found = update_one(&vault, &name, Some(&version), &body).await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &found, false)))
}
