//! The managed-identity lifecycle (seeds 003/004, docs/internal-apis.md): every write that
//! creates or removes a managed identity also creates or deletes its service principal in AAD.
//!
//! - Enabling a VM's system-assigned identity mints a new principal (a new principal id every
//!   time it is enabled). It has no key: AAD issues its tokens to the IMDS host over the internal
//!   API after asking ARM that the identity is on the VM. Disabling it, or deleting the VM,
//!   deletes that principal.
//! - Creating a user-assigned identity mints its principal the same way; deleting the identity
//!   deletes the principal and detaches the identity from every VM.
//!
//! Ordering: a principal is created in AAD before the SQLite commit that records it, and deleted
//! from AAD only after the commit that removes it; nothing is acknowledged before the commit. If
//! AAD fails on create, the DB is left unchanged; if the commit fails, principals this write
//! created are deleted again (best effort). A crash at any point can therefore only leave an AAD
//! principal no resource owns, which [`reconcile`] deletes at the next start. Writes of one
//! resource queue behind a per-resource lock ([`crate::locks`]); a version column still detects a
//! write that got in some other way, and the write is retried.
//!
//! The writes themselves live with their resource types (`virtual_machines::writes`,
//! `user_assigned_identities::writes`); this module holds what both share: the principals in AAD,
//! the VM notifications to the IMDS host, and the cleanup of what a deleted identity leaves behind.
//!
//! Entry points for the rest of the crate:
//! - `crate::lifecycle::canonical_id(state, resource_id)` — the canonical id of a VM or
//!   user-assigned identity, if it exists (`crate::resources::find_canonical` and
//!   `crate::scope::resource_exists` build on it for role assignments and definitions at resource
//!   scope);
//! - `crate::lifecycle::delete_group_contents(state, subscription_id, group)` — called by
//!   resource-group DELETE before the group itself is deleted.

use std::time::Duration;

use crate::aad_client::{AadClient, IdentityKind, NewManagedIdentityPrincipal};
use crate::user_assigned_identities::store::{self as identity_store, IdentityKey};
use crate::virtual_machines::store::{self as vm_store, IdentityCredential};
use crate::{AppState, ArmError, VmEvent};

pub mod reconcile;

/// How often a write is retried when another write to the same resource got in first.
pub(crate) const MAX_ATTEMPTS: usize = 5;

// ---------------------------------------------------------------- principals

pub(crate) async fn create_principal(
    state: &AppState,
    kind: IdentityKind,
    display_name: &str,
    resource_id: &str,
    tenant_id: &str,
) -> Result<IdentityCredential, ArmError> {
    let principal_id = uuid::Uuid::new_v4().to_string();
    let client_id = uuid::Uuid::new_v4().to_string();
    let principal = NewManagedIdentityPrincipal {
        display_name,
        resource_id,
        kind,
        id: &principal_id,
        app_id: &client_id,
    };
    let created = AadClient::new(state)
        .create_service_principal(&principal)
        .await?;
    Ok(IdentityCredential {
        principal_id: created.id,
        client_id: created.app_id,
        tenant_id: tenant_id.to_string(),
    })
}

pub(crate) async fn delete_principal(state: &AppState, principal_id: &str) -> Result<(), ArmError> {
    Ok(AadClient::new(state)
        .delete_service_principal(principal_id)
        .await?)
}

/// Deletes the principal of an identity ARM has just removed (after the commit, never before, so a
/// crash in between leaves an orphan for [`reconcile`] rather than a resource without its
/// principal). Best effort: a failure is logged and the next start collects it.
pub(crate) async fn release_principal(state: &AppState, principal_id: &str) {
    if let Err(error) = delete_principal(state, principal_id).await {
        tracing::warn!(%principal_id, error = %error,
            "could not delete a removed identity's service principal; the next start will");
    }
}

/// Best-effort removal of principals a failed write created.
pub(crate) async fn forget_principal(state: &AppState, created: Option<&IdentityCredential>) {
    let Some(credential) = created else { return };
    if let Err(error) = delete_principal(state, &credential.principal_id).await {
        tracing::warn!(principal_id = %credential.principal_id, error = %error,
            "could not delete the service principal of a failed write");
    }
}

/// Removes the role assignments at (or under) a deleted resource.
pub(crate) async fn forget_scope(state: &AppState, resource_id: &str) -> Result<(), ArmError> {
    crate::role_assignments::store::delete_within(&state.db, resource_id).await?;
    Ok(())
}

// ---------------------------------------------------------------- VM notifications

/// Announces a committed VM change to the IMDS host in this process and waits (≤ 5 s) for its
/// acknowledgement, then to the IMDS processes watching the host API, waiting until each holds it
/// ([`crate::host_watch`]). A missing or slow host is logged, never an error.
pub async fn notify(state: &AppState, event: VmEvent) {
    announce(state, event).await;
    state.watchers.publish().await;
}

async fn announce(state: &AppState, event: VmEvent) {
    let Some(hook) = state.settings.vm_hook.clone() else {
        return;
    };
    let (ack, acknowledged) = tokio::sync::oneshot::channel();
    let delivery = async {
        hook.send((event.clone(), ack)).await.ok()?;
        acknowledged.await.ok()
    };
    match tokio::time::timeout(Duration::from_secs(5), delivery).await {
        Ok(Some(())) => {}
        Ok(None) => tracing::warn!(?event, "the IMDS host dropped a VM notification"),
        Err(_) => tracing::warn!(
            ?event,
            "the IMDS host did not acknowledge a VM notification in 5 s"
        ),
    }
}

pub(crate) fn check_same_location(
    name: &str,
    resource_group: &str,
    existing: &str,
    requested: &str,
) -> Result<(), ArmError> {
    match mimic_azure::normalize_location(existing) == mimic_azure::normalize_location(requested) {
        true => Ok(()),
        false => Err(ArmError::InvalidResourceLocation {
            name: name.to_string(),
            resource_group: resource_group.to_string(),
            existing: existing.to_string(),
            requested: requested.to_string(),
        }),
    }
}

// ---------------------------------------------------------------- groups and lookups

/// Deletes every VM and user-assigned identity in a resource group, with their principals, and
/// soft-deletes its key vaults.
/// Resource-group DELETE calls this before deleting the group itself.
pub async fn delete_group_contents(
    state: &AppState,
    subscription_id: &str,
    group: &str,
) -> Result<(), ArmError> {
    for vm in vm_store::list(&state.db, Some(subscription_id), Some(group)).await? {
        crate::virtual_machines::writes::delete_vm(
            state,
            &crate::virtual_machines::vm_key_of_vm(&vm),
        )
        .await?;
    }
    for identity in identity_store::list(&state.db, subscription_id, Some(group)).await? {
        let key = IdentityKey {
            subscription_id: identity.subscription_id.clone(),
            resource_group: identity.resource_group.clone(),
            name: identity.name.clone(),
        };
        crate::user_assigned_identities::writes::delete_identity(state, &key).await?;
    }
    // Key vaults go to the soft-deleted state, as Azure's do with their group.
    crate::key_vaults::writes::delete_group(state, subscription_id, group).await?;
    Ok(())
}

/// The canonical id of the VM, user-assigned identity or live key vault `resource_id` names (any
/// case), `None` if there is none.
pub async fn canonical_id(state: &AppState, resource_id: &str) -> Result<Option<String>, ArmError> {
    if let Some(vm) = crate::virtual_machines::vm_at_scope(state, resource_id).await? {
        return Ok(Some(vm.id()));
    }
    if let Ok(id) = mimic_azure::ResourceId::parse(resource_id) {
        if let Some(vault) = crate::key_vaults::canonical_id(state, &id).await? {
            return Ok(Some(vault));
        }
    }
    let Some(key) = crate::user_assigned_identities::parse_identity_id(resource_id) else {
        return Ok(None);
    };
    Ok(identity_store::get(&state.db, &key)
        .await?
        .map(|identity| identity.id()))
}
