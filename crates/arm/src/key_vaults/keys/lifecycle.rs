//! A key's life after creation: delete (soft: the name waits in `deletedkeys` for recovery or
//! purge), the deleted keys, purge, recover, and backup/restore. A backup blob is the key's
//! versions, private material included, sealed by [`backup::seal`] with kind `key`: only this
//! mimic can open it, and a secret's blob does not restore as a key.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::crypto::{base64url_decode, base64url_encode, JsonWebKeyType};
use super::model::{Backup, Deleted, KeyItem, List, Tags};
use super::store::{self, Deletion, Material, Properties, Version};
use super::{bundle, check_name, item, keys, live_versions, not_found, object, page};
use crate::key_vaults::data_plane::access;
use crate::key_vaults::data_plane::access::Permission;
use crate::key_vaults::data_plane::{backup, KvError, Vault};

const GET: Permission = keys("Microsoft.KeyVault/vaults/keys/read", "get");
const LIST: Permission = keys("Microsoft.KeyVault/vaults/keys/read", "list");
const DELETE: Permission = keys("Microsoft.KeyVault/vaults/keys/delete", "delete");
const RECOVER: Permission = keys("Microsoft.KeyVault/vaults/keys/recover/action", "recover");
const PURGE: Permission = keys("Microsoft.KeyVault/vaults/keys/purge/action", "purge");
const BACKUP: Permission = keys("Microsoft.KeyVault/vaults/keys/backup/action", "backup");
const RESTORE: Permission = keys("Microsoft.KeyVault/vaults/keys/restore/action", "restore");

fn deleted_not_found(name: &str) -> KvError {
    KvError::NotFound {
        code: "KeyNotFound",
        message: format!("Deleted Key not found: {name}"),
    }
}

fn deleted<T>(vault: &Vault, deletion: &Deletion, inner: T) -> Deleted<T> {
    Deleted {
        recovery_id: format!("{}/deletedkeys/{}", vault.base_url, deletion.name),
        deleted_date: deletion.deleted_time,
        scheduled_purge_date: deletion.scheduled_purge_time,
        inner,
    }
}

/// `DeleteKey`: soft delete (the deleted key's bundle), or removal when the vault has no soft
/// delete.
pub async fn delete(vault: Vault, path: web::Path<String>) -> Result<HttpResponse, KvError> {
    let name = path.into_inner();
    check_name(&name)?;
    access::authorize(&vault, DELETE, Some(&object(&name))).await?;
    let mut tx = crate::db::begin_write(&vault.state.db).await?;
    if store::deletion(&mut *tx, vault.record.key, &name)
        .await?
        .is_some()
    {
        return Err(not_found(&name));
    }
    let versions = store::versions(&mut *tx, vault.record.key, &name).await?;
    let latest = versions.last().cloned().ok_or_else(|| not_found(&name))?;
    let now = vault.state.clock.now();
    let days = vault.record.settings.soft_delete_retention_in_days;
    let deletion = Deletion {
        name: latest.name.clone(),
        deleted_time: now,
        scheduled_purge_time: now + days * 86_400,
    };
    if vault.record.settings.enable_soft_delete {
        store::mark_deleted(&mut tx, vault.record.key, &deletion).await?;
    } else {
        store::purge(&mut tx, vault.record.key, &name).await?;
    }
    let body = deleted(&vault, &deletion, bundle(&vault, &latest)?);
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GetDeletedKeys`.
pub async fn list_deleted(vault: Vault, request: HttpRequest) -> Result<HttpResponse, KvError> {
    access::authorize(&vault, LIST, None).await?;
    let db = &vault.state.db;
    let mut items: Vec<Deleted<KeyItem>> = Vec::new();
    for deletion in store::deletions(db, vault.record.key).await? {
        let versions = store::versions(db, vault.record.key, &deletion.name).await?;
        if let Some(latest) = versions.last() {
            let mut item = item(&vault, latest, false);
            item.kid = format!("{}/keys/{}", vault.base_url, deletion.name);
            items.push(deleted(&vault, &deletion, item));
        }
    }
    let page = page(items, &request, &vault)?;
    Ok(HttpResponse::Ok().json(List {
        value: page.items,
        next_link: page.next,
    }))
}

async fn find_deleted(vault: &Vault, name: &str) -> Result<(Deletion, Version), KvError> {
    let db = &vault.state.db;
    let deletion = store::deletion(db, vault.record.key, name)
        .await?
        .ok_or_else(|| deleted_not_found(name))?;
    let latest = store::versions(db, vault.record.key, name)
        .await?
        .pop()
        .ok_or_else(|| deleted_not_found(name))?;
    Ok((deletion, latest))
}

/// `GetDeletedKey`.
pub async fn get_deleted(vault: Vault, path: web::Path<String>) -> Result<HttpResponse, KvError> {
    let name = path.into_inner();
    check_name(&name)?;
    access::authorize(&vault, GET, Some(&object(&name))).await?;
    let (deletion, latest) = find_deleted(&vault, &name).await?;
    Ok(HttpResponse::Ok().json(deleted(&vault, &deletion, bundle(&vault, &latest)?)))
}

/// `PurgeDeletedKey`: 204, or 403 while the vault has purge protection.
pub async fn purge(vault: Vault, path: web::Path<String>) -> Result<HttpResponse, KvError> {
    let name = path.into_inner();
    check_name(&name)?;
    access::authorize(&vault, PURGE, Some(&object(&name))).await?;
    if vault.record.settings.enable_purge_protection == Some(true) {
        return Err(KvError::Forbidden {
            message: format!(
                "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: {}",
                vault.display()
            ),
            inner: "PurgeProtectionEnabled",
        });
    }
    let mut tx = crate::db::begin_write(&vault.state.db).await?;
    if store::deletion(&mut *tx, vault.record.key, &name)
        .await?
        .is_none()
    {
        return Err(deleted_not_found(&name));
    }
    store::purge(&mut tx, vault.record.key, &name).await?;
    tx.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `RecoverDeletedKey`: the latest version's bundle.
pub async fn recover(vault: Vault, path: web::Path<String>) -> Result<HttpResponse, KvError> {
    let name = path.into_inner();
    check_name(&name)?;
    access::authorize(&vault, RECOVER, Some(&object(&name))).await?;
    let mut tx = crate::db::begin_write(&vault.state.db).await?;
    if store::deletion(&mut *tx, vault.record.key, &name)
        .await?
        .is_none()
    {
        return Err(deleted_not_found(&name));
    }
    store::unmark_deleted(&mut tx, vault.record.key, &name).await?;
    let latest = store::versions(&mut *tx, vault.record.key, &name)
        .await?
        .pop()
        .ok_or_else(|| deleted_not_found(&name))?;
    let body = bundle(&vault, &latest)?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(body))
}

/// What a key's backup blob holds (inside the seal).
#[derive(Serialize, Deserialize)]
struct Sealed {
    name: String,
    versions: Vec<SealedVersion>,
}

#[derive(Serialize, Deserialize)]
struct SealedVersion {
    version: String,
    kty: JsonWebKeyType,
    key_ops: Vec<String>,
    /// The stored material, base64url.
    material: String,
    properties: Properties,
    tags: Tags,
    enabled: bool,
    nbf: Option<i64>,
    exp: Option<i64>,
    created: i64,
    updated: i64,
}

/// `BackupKey` (`POST /keys/{name}/backup`).
pub async fn backup(vault: &Vault, name: &str) -> Result<HttpResponse, KvError> {
    check_name(name)?;
    access::authorize(vault, BACKUP, Some(&object(name))).await?;
    let versions = live_versions(vault, name).await?;
    let sealed = Sealed {
        name: versions[0].name.clone(),
        versions: versions
            .into_iter()
            .map(|v| SealedVersion {
                version: v.version,
                kty: v.kty,
                key_ops: v.key_ops,
                material: base64url_encode(&v.material.0),
                properties: v.properties,
                tags: v.tags,
                enabled: v.enabled,
                nbf: v.nbf,
                exp: v.exp,
                created: v.created,
                updated: v.updated,
            })
            .collect(),
    };
    let blob = backup::seal(&vault.state, "key", &sealed)?;
    Ok(HttpResponse::Ok().json(Backup { value: Some(blob) }))
}

/// `RestoreKey` (`POST /keys/restore`): every version back under the blob's name, which must be
/// free (neither live nor deleted) in this vault.
pub async fn restore(
    vault: Vault,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, KvError> {
    if path.as_str() != "restore" {
        return Err(KvError::MethodNotAllowed("POST".into()));
    }
    let params: Backup = vault.body(&body)?;
    let blob = params
        .value
        .ok_or_else(|| KvError::BadParameter("The parameter 'value' is required.".into()))?;
    let sealed: Sealed = backup::open(&vault.state, "key", &blob)?;
    access::authorize(&vault, RESTORE, Some(&object(&sealed.name))).await?;
    let corrupt =
        || KvError::BadParameter("Backup blob contains invalid or corrupt version.".into());
    let mut versions = Vec::new();
    for v in sealed.versions {
        versions.push(Version {
            name: sealed.name.clone(),
            version: v.version,
            kty: v.kty,
            key_ops: v.key_ops,
            material: Material(base64url_decode(&v.material).ok_or_else(corrupt)?),
            properties: v.properties,
            tags: v.tags,
            enabled: v.enabled,
            nbf: v.nbf,
            exp: v.exp,
            created: v.created,
            updated: v.updated,
        });
    }
    let latest = versions.last().cloned().ok_or_else(corrupt)?;
    let mut tx = crate::db::begin_write(&vault.state.db).await?;
    let deleted = store::deletion(&mut *tx, vault.record.key, &sealed.name)
        .await?
        .is_some();
    let exists = !store::versions(&mut *tx, vault.record.key, &sealed.name)
        .await?
        .is_empty();
    if deleted || exists {
        return Err(KvError::Conflict {
            message: format!(
                "There was a conflict restoring the key '{}'. This may happen if the key already exists or is in a deleted state in the vault. Please delete and purge the key and retry.",
                sealed.name
            ),
            inner: None,
        });
    }
    for version in &versions {
        store::insert(&mut tx, vault.record.key, version).await?;
    }
    let body = bundle(&vault, &latest)?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(body))
}
