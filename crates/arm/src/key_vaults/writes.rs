//! Key vault writes: create/replace (and recover), update, access policies, soft delete, purge.
//!
//! Vault names are global, so every write of a name queues behind one lock per name
//! ([`crate::locks`]): identical concurrent PUTs create one vault and answer 201 then 200.
//!
//! Soft delete keeps the vault's row, its name and the role assignments at its scope (recovering
//! the vault brings it back as it was, its access included); purging it (when the purge's
//! long-running operation ends, `crate::async_operations`), or the end of its retention, removes
//! the row and the role assignments at (or under) its id
//! (`crate::lifecycle::forget_scope`), as Azure removes a resource's assignments with the
//! resource.

use super::model::{
    self, AccessPolicyEntry, AccessPolicyUpdateKind, Vault, VaultCreateRequest, VaultPatchRequest,
};
use super::store::{self, VaultRecord};
use crate::async_operations::{self as lro, AsyncOperation, NewOperation, OperationKind};
use crate::{AppState, ArmError};
use base64::Engine as _;
use mimic_azure::ResourceId;

/// Azure's text for a PUT of a name soft-deleted in the same subscription (Azure/azure-cli#29115).
pub const DELETED_CONFLICT: &str = "A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.";

/// Azure's text for purging a vault under purge protection (Azure/azure-sdk-tools#9329).
pub const PURGE_NOT_ALLOWED: &str = "Operation 'DeletedVaultPurge' is not allowed.";

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

/// Where a vault lives and what it is called (as the client spelled them).
#[derive(Debug, Clone)]
pub struct VaultKey {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
}

impl VaultKey {
    /// The vault's `ResourceId` as the request names it.
    pub fn resource_id(&self) -> ResourceId {
        ResourceId::new(
            &self.subscription_id,
            &self.resource_group,
            "Microsoft.KeyVault",
            "vaults",
            &self.name,
        )
    }

    fn names(&self, vault: &Vault) -> bool {
        vault
            .subscription_id
            .eq_ignore_ascii_case(&self.subscription_id)
            && vault
                .resource_group
                .eq_ignore_ascii_case(&self.resource_group)
    }
}

fn lock_key(name: &str) -> String {
    format!("Microsoft.KeyVault/vaults/{}", name.to_lowercase())
}

/// The live vault at `key`, or 404 `ResourceGroupNotFound` / `ResourceNotFound`.
pub async fn find(state: &AppState, key: &VaultKey) -> Result<Vault, ArmError> {
    crate::scope::require_resource_group(state, &key.subscription_id, &key.resource_group).await?;
    find_live(state, key)
        .await?
        .ok_or_else(|| ArmError::ResourceNotFound(key.resource_id()))
}

async fn find_live(state: &AppState, key: &VaultKey) -> Result<Option<Vault>, ArmError> {
    let vault = store::find_name(&state.db, &key.name).await?;
    Ok(vault.filter(|vault| vault.deleted_time.is_none() && key.names(vault)))
}

/// Creates or replaces a vault (or recovers a soft-deleted one, `createMode: recover`); returns it
/// and whether it is new.
pub async fn create_or_update(
    state: &AppState,
    key: &VaultKey,
    body: &VaultCreateRequest,
    version: &str,
) -> Result<(Vault, bool), ArmError> {
    model::check_name(&key.name)?;
    let location =
        crate::scope::requested_location(body.location.as_deref(), model::RESOURCE_TYPE)?;
    let group =
        crate::scope::require_resource_group(state, &key.subscription_id, &key.resource_group)
            .await?;
    let tenant = crate::scope::require_subscription(state, &key.subscription_id)
        .await?
        .tenant_id;
    let _writing = state.write_locks.lock(&lock_key(&key.name)).await;
    sweep(state).await?;
    let existing = store::find_name(&state.db, &key.name).await?;
    if body.properties.as_ref().is_some_and(|p| p.is_recover()) {
        if let Some(vault) = existing
            .clone()
            .filter(|vault| vault.deleted_time.is_some())
        {
            if being_purged(state, &vault).await? {
                return Err(ArmError::ConflictError(format!(
                    "The deleted vault '{}' is being purged and cannot be recovered.",
                    vault.name
                )));
            }
            return recover(state, key, &location, vault).await;
        }
        if find_live(state, key).await?.is_none() {
            return Err(ArmError::DeletedVaultNotFound {
                name: key.name.clone(),
                location,
            });
        }
    }
    let current = match existing {
        Some(vault) if vault.deleted_time.is_some() => {
            return Err(
                match vault
                    .subscription_id
                    .eq_ignore_ascii_case(&key.subscription_id)
                {
                    true => ArmError::ConflictError(DELETED_CONFLICT.to_string()),
                    false => ArmError::VaultAlreadyExists(key.name.clone()),
                },
            )
        }
        Some(vault) if !key.names(&vault) => {
            return Err(ArmError::VaultAlreadyExists(key.name.clone()))
        }
        other => other,
    };
    let settings = model::settings_of_put(
        body.properties.as_ref(),
        current.as_ref().map(|vault| &vault.settings),
        &tenant,
        version,
    )?;
    let tags = body.tags.clone().unwrap_or_default();
    let now = state.clock.now();
    match current {
        Some(vault) => {
            crate::lifecycle::check_same_location(
                &vault.name,
                &vault.resource_group,
                &vault.location,
                &location,
            )?;
            store::update(&state.db, vault.key, &tags, &settings, now).await?;
            Ok((fetch(state, key).await?, false))
        }
        None => {
            let record = VaultRecord {
                subscription_id: &group.subscription_id,
                resource_group: &group.name,
                name: &key.name,
                location: &location,
                tags: &tags,
                settings: &settings,
                now,
            };
            store::insert(&state.db, &record).await?;
            Ok((fetch(state, key).await?, true))
        }
    }
}

/// Recovers a soft-deleted vault into the group and location it was deleted from. Text of the
/// refusals: mimic's.
async fn recover(
    state: &AppState,
    key: &VaultKey,
    location: &str,
    vault: Vault,
) -> Result<(Vault, bool), ArmError> {
    if !key.names(&vault) {
        return Err(
            match vault
                .subscription_id
                .eq_ignore_ascii_case(&key.subscription_id)
            {
                true => ArmError::BadRequest(format!(
                    "The deleted vault '{}' belongs to resource group '{}'; recover it there.",
                    vault.name, vault.resource_group
                )),
                false => ArmError::VaultAlreadyExists(key.name.clone()),
            },
        );
    }
    crate::lifecycle::check_same_location(
        &vault.name,
        &vault.resource_group,
        &vault.location,
        location,
    )?;
    store::recover(&state.db, vault.key, state.clock.now()).await?;
    Ok((fetch(state, key).await?, false))
}

async fn fetch(state: &AppState, key: &VaultKey) -> Result<Vault, ArmError> {
    find_live(state, key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the vault {} vanished after its write", key.name).into())
}

/// `Vaults_Update` (PATCH): the named properties and tags replace the current ones.
pub async fn update(
    state: &AppState,
    key: &VaultKey,
    body: &VaultPatchRequest,
) -> Result<Vault, ArmError> {
    find(state, key).await?;
    let _writing = state.write_locks.lock(&lock_key(&key.name)).await;
    let current = find(state, key).await?;
    let settings = model::settings_of_patch(body.properties.as_ref(), &current.settings)?;
    let tags = body.tags.clone().unwrap_or_else(|| current.tags.clone());
    store::update(&state.db, current.key, &tags, &settings, state.clock.now()).await?;
    fetch(state, key).await
}

/// `Vaults_UpdateAccessPolicy`: applies `kind` with the request's policies; returns the vault
/// and the (checked) policies the request named.
pub async fn update_access_policy(
    state: &AppState,
    key: &VaultKey,
    kind: AccessPolicyUpdateKind,
    requested: &[model::AccessPolicyRequest],
) -> Result<(Vault, Vec<AccessPolicyEntry>), ArmError> {
    find(state, key).await?;
    let _writing = state.write_locks.lock(&lock_key(&key.name)).await;
    let current = find(state, key).await?;
    let entries = model::check_policies(requested, &current.settings.tenant_id)?;
    let mut settings = current.settings.clone();
    model::apply_policy_update(&mut settings.access_policies, kind, entries.clone());
    if settings.access_policies.len() > model::MAX_ACCESS_POLICIES {
        return Err(ArmError::BadRequest(format!(
            "The number of access policies exceeds the maximum of {}.",
            model::MAX_ACCESS_POLICIES
        )));
    }
    store::update(
        &state.db,
        current.key,
        &current.tags,
        &settings,
        state.clock.now(),
    )
    .await?;
    Ok((fetch(state, key).await?, entries))
}

/// Soft-deletes a live vault; `false` if there was none.
pub async fn delete(state: &AppState, key: &VaultKey) -> Result<bool, ArmError> {
    let _writing = state.write_locks.lock(&lock_key(&key.name)).await;
    let Some(vault) = find_live(state, key).await? else {
        return Ok(false);
    };
    let now = state.clock.now();
    let purge_time = now + vault.settings.soft_delete_retention_in_days * SECONDS_PER_DAY;
    store::soft_delete(&state.db, vault.key, now, purge_time).await?;
    Ok(true)
}

/// The soft-deleted vault `name` of the subscription in `location`, or 404.
pub async fn find_deleted(
    state: &AppState,
    subscription_id: &str,
    location: &str,
    name: &str,
) -> Result<Vault, ArmError> {
    sweep(state).await?;
    let vault = store::find_name(&state.db, name).await?.filter(|vault| {
        vault.deleted_time.is_some()
            && vault.subscription_id.eq_ignore_ascii_case(subscription_id)
            && mimic_azure::normalize_location(&vault.location)
                == mimic_azure::normalize_location(location)
    });
    vault.ok_or_else(|| ArmError::DeletedVaultNotFound {
        name: name.to_string(),
        location: location.to_string(),
    })
}

/// `Vaults_PurgeDeleted`: starts removing a soft-deleted vault for good (unless purge protection
/// is on) and returns the operation; the vault and its name go when it ends
/// ([`complete_purge`]). A second purge while one runs gets the running one.
pub async fn purge(
    state: &AppState,
    subscription_id: &str,
    location: &str,
    name: &str,
) -> Result<AsyncOperation, ArmError> {
    let _writing = state.write_locks.lock(&lock_key(name)).await;
    let vault = find_deleted(state, subscription_id, location, name).await?;
    if vault.settings.enable_purge_protection == Some(true) {
        return Err(ArmError::InvalidOperation(PURGE_NOT_ALLOWED.to_string()));
    }
    let deleted_id = vault.deleted_id();
    if let Some(running) = lro::pending_of(state, &deleted_id, OperationKind::Delete).await? {
        return Ok(running);
    }
    let new = NewOperation {
        id: operation_id(state.clock.now()),
        resource_type: model::DELETED_TYPE,
        resource_id: &deleted_id,
        subscription_id: &vault.subscription_id,
        location: &vault.location,
        kind: OperationKind::Delete,
    };
    lro::begin(state, new).await
}

/// Ends a purge: removes the soft-deleted vault `deleted_id` names, if it is still soft-deleted.
pub async fn complete_purge(state: &AppState, deleted_id: &str) -> Result<(), ArmError> {
    let name = deleted_id.rsplit('/').next().unwrap_or_default();
    let _writing = state.write_locks.lock(&lock_key(name)).await;
    let vault = store::find_name(&state.db, name).await?.filter(|vault| {
        vault.deleted_time.is_some() && vault.deleted_id().eq_ignore_ascii_case(deleted_id)
    });
    match vault {
        Some(vault) => forget(state, &vault).await,
        None => Ok(()),
    }
}

/// Whether a purge of the soft-deleted `vault` is in progress.
async fn being_purged(state: &AppState, vault: &Vault) -> Result<bool, ArmError> {
    let running = lro::pending_of(state, &vault.deleted_id(), OperationKind::Delete).await?;
    Ok(running.is_some())
}

/// The id of a Key Vault operation in its `Location` URL. Key Vault's read as base64 of
/// `UT|{.NET ticks, 19 digits}|{32 upper-case hex digits}` (e.g.
/// `VVR8MDYzNzU0NDA3MTY0MzE2NTczMnwwNjZENTEwRTA4N0U0MTY5ODc1MDhDRDY3QUJDMzdGOQ`, in a recorded
/// purge's `Location` kept by azure-sdk-for-ios's test suite); mimic writes the same shape with
/// the URL-safe alphabet (what the hex part means is Key Vault's; here it is random).
pub fn operation_id(now: i64) -> String {
    /// .NET ticks (100 ns since 0001-01-01) at the Unix epoch.
    const EPOCH_TICKS: i64 = 621_355_968_000_000_000;
    let ticks = now.saturating_mul(10_000_000).saturating_add(EPOCH_TICKS);
    let unique = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("UT|{ticks:019}|{unique}"))
}

async fn forget(state: &AppState, vault: &Vault) -> Result<(), ArmError> {
    store::purge(&state.db, vault.key).await?;
    crate::lifecycle::forget_scope(state, &vault.id()).await
}

/// Purges the soft-deleted vaults whose retention has ended (Key Vault does this itself).
pub async fn sweep(state: &AppState) -> Result<(), ArmError> {
    for vault in store::expired(&state.db, state.clock.now()).await? {
        forget(state, &vault).await?;
    }
    Ok(())
}

/// Soft-deletes every vault of a resource group (resource-group DELETE).
pub async fn delete_group(
    state: &AppState,
    subscription_id: &str,
    group: &str,
) -> Result<(), ArmError> {
    for vault in store::list(&state.db, subscription_id, Some(group)).await? {
        let key = VaultKey {
            subscription_id: vault.subscription_id.clone(),
            resource_group: vault.resource_group.clone(),
            name: vault.name.clone(),
        };
        delete(state, &key).await?;
    }
    Ok(())
}
