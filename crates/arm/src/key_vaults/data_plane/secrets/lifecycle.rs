//! Secrets' lifecycle beyond their versions: delete (soft), the deleted secrets (list, get, purge,
//! recover) and backup/restore (blobs sealed by [`super::super::backup`]).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{self, Backup, List};
use super::store::{self, Deletion, Version};
use super::{
    bundle, check_name, deleted, deleted_not_found, item, live_versions, not_found, now, object,
    BACKUP, DELETE, LIST, PURGE, RECOVER, RESTORE,
};
use crate::key_vaults::data_plane::access;
use crate::key_vaults::data_plane::{backup, page, KvError, Vault};

/// `DeleteSecret`: soft delete (the deleted secret's bundle, without its value), or removal when
/// the vault has no soft delete.
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
    let now = now(&vault);
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
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(deleted(&vault, &deletion, bundle(&vault, &latest, false))))
}

/// `GetDeletedSecrets`.
pub async fn list_deleted(vault: Vault, request: HttpRequest) -> Result<HttpResponse, KvError> {
    access::authorize(&vault, LIST, None).await?;
    let db = &vault.state.db;
    let mut items = Vec::new();
    for deletion in store::deletions(db, vault.record.key).await? {
        let versions = store::versions(db, vault.record.key, &deletion.name).await?;
        if let Some(latest) = versions.last() {
            let mut item = item(&vault, latest, false);
            item.id = format!("{}/secrets/{}", vault.base_url, deletion.name);
            items.push(deleted(&vault, &deletion, item));
        }
    }
    let page = page(items, &request, &vault)?;
    Ok(HttpResponse::Ok().json(List {
        value: page.items,
        next_link: page.next,
    }))
}

pub async fn find_deleted(vault: &Vault, name: &str) -> Result<(Deletion, Version), KvError> {
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

/// `GetDeletedSecret`.
pub async fn get_deleted(vault: Vault, path: web::Path<String>) -> Result<HttpResponse, KvError> {
    let name = path.into_inner();
    check_name(&name)?;
    access::authorize(&vault, LIST, Some(&object(&name))).await?;
    let (deletion, latest) = find_deleted(&vault, &name).await?;
    Ok(HttpResponse::Ok().json(deleted(&vault, &deletion, bundle(&vault, &latest, false))))
}

/// `PurgeDeletedSecret`: 204, or 403 while the vault has purge protection.
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

/// `RecoverDeletedSecret`: the latest version's bundle, without its value.
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
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &latest, false)))
}

/// What a secret's backup blob holds.
#[derive(Serialize, Deserialize)]
struct Sealed {
    name: String,
    versions: Vec<SealedVersion>,
}

#[derive(Serialize, Deserialize)]
struct SealedVersion {
    version: String,
    value: String,
    content_type: Option<String>,
    tags: model::Tags,
    enabled: bool,
    nbf: Option<i64>,
    exp: Option<i64>,
    created: i64,
    updated: i64,
}

/// `BackupSecret` (`POST /secrets/{name}/backup`).
pub async fn backup_secret(
    vault: Vault,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, KvError> {
    let (name, tail) = path.into_inner();
    if tail != "backup" {
        return Err(KvError::MethodNotAllowed("POST".into()));
    }
    check_name(&name)?;
    access::authorize(&vault, BACKUP, Some(&object(&name))).await?;
    let versions = live_versions(&vault, &name).await?;
    let sealed = Sealed {
        name: versions[0].name.clone(),
        versions: versions
            .into_iter()
            .map(|v| SealedVersion {
                version: v.version,
                value: v.value,
                content_type: v.content_type,
                tags: v.tags,
                enabled: v.enabled,
                nbf: v.nbf,
                exp: v.exp,
                created: v.created,
                updated: v.updated,
            })
            .collect(),
    };
    let blob = backup::seal(&vault.state, "secret", &sealed)?;
    Ok(HttpResponse::Ok().json(Backup { value: Some(blob) }))
}

/// `RestoreSecret` (`POST /secrets/restore`): every version back under the blob's name, which
/// must be free (neither live nor deleted) in this vault.
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
    let sealed: Sealed = backup::open(&vault.state, "secret", &blob)?;
    access::authorize(&vault, RESTORE, Some(&object(&sealed.name))).await?;
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
                "There was a conflict restoring the secret '{}'. This may happen if the secret already exists or is in a deleted state in the vault. Please delete and purge the secret and retry.",
                sealed.name
            ),
            inner: None,
        });
    }
    let mut latest = None;
    for v in sealed.versions {
        let version = Version {
            name: sealed.name.clone(),
            version: v.version,
            value: v.value,
            content_type: v.content_type,
            tags: v.tags,
            enabled: v.enabled,
            nbf: v.nbf,
            exp: v.exp,
            created: v.created,
            updated: v.updated,
        };
        store::insert(&mut tx, vault.record.key, &version).await?;
        latest = Some(version);
    }
    let latest = latest.ok_or_else(|| {
        KvError::BadParameter("Backup blob contains invalid or corrupt version.".into())
    })?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(bundle(&vault, &latest, false)))
}
