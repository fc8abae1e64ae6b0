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
//! Entry points for the rest of the crate:
//! - `crate::lifecycle::resource_exists(state, resource_id)` — whether a VM or user-assigned
//!   identity exists; `crate::resources::find_canonical(state, &ResourceId)` gives its canonical
//!   id (role assignments and definitions at resource scope use it);
//! - `crate::lifecycle::delete_group_contents(state, subscription_id, group)` — called by
//!   resource-group DELETE before the group itself is deleted.

use std::time::Duration;

use mimic_azure::ResourceId;

use crate::aad_client::{AadClient, IdentityKind, NewManagedIdentityPrincipal};
use crate::user_assigned_identities::model as identity_model;
use crate::user_assigned_identities::store::{self as identity_store, IdentityKey};
use crate::virtual_machines::model::{self as vm_model, VirtualMachine};
use crate::virtual_machines::store::{self as vm_store, IdentityCredential, VmKey};
use crate::{AppState, ArmError, VmEvent};

mod identity_writes;
pub mod reconcile;
mod vm_writes;

pub use identity_writes::{delete_identity, update_identity, write_identity};
pub use vm_writes::{delete_vm, write_vm, VmChange};

/// How often a write is retried when another write to the same resource got in first.
const MAX_ATTEMPTS: usize = 5;
/// The action that attaching a user-assigned identity needs on that identity.
pub const ASSIGN_ACTION: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";
/// The action a VM PUT or PATCH needs on the VM.
pub const VM_WRITE_ACTION: &str = "Microsoft.Compute/virtualMachines/write";

// ---------------------------------------------------------------- time and location

/// Compute's timestamp format, e.g. `2024-05-01T12:00:00.0000000+00:00`.
pub fn compute_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S.0000000+00:00")
        .to_string()
}

/// ARM's timestamp format, e.g. `2024-05-01T12:00:00.0000000Z`.
pub fn arm_time(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S.0000000Z")
        .to_string()
}

/// ARM's normalised location name: `East US` → `eastus`.
pub fn normalize_location(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

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

/// Drops what AAD and RBAC still hold for a deleted principal: role assignments naming it.
pub(crate) async fn forget_assignments(
    state: &AppState,
    principal_id: &str,
) -> Result<(), ArmError> {
    crate::role_assignments::store::delete_for_principal(&state.db, principal_id).await?;
    Ok(())
}

/// Removes the role assignments at (or under) a deleted resource.
pub(crate) async fn forget_scope(state: &AppState, resource_id: &str) -> Result<(), ArmError> {
    crate::role_assignments::store::delete_within(&state.db, resource_id).await?;
    Ok(())
}

// ---------------------------------------------------------------- VM notifications

/// Announces a committed VM creation or deletion to the IMDS host and waits (≤ 5 s) for its
/// acknowledgement. A missing or slow host is logged, never an error.
pub async fn notify(state: &AppState, event: VmEvent) {
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
    match normalize_location(existing) == normalize_location(requested) {
        true => Ok(()),
        false => Err(ArmError::InvalidResourceLocation {
            name: name.to_string(),
            resource_group: resource_group.to_string(),
            existing: existing.to_string(),
            requested: requested.to_string(),
        }),
    }
}

/// The `ResourceId` of a VM key.
pub fn vm_resource_id(key: &VmKey) -> ResourceId {
    ResourceId::new(
        &key.subscription_id,
        &key.resource_group,
        "Microsoft.Compute",
        "virtualMachines",
        &key.name,
    )
}

/// The `ResourceId` of an identity key.
/// The write-lock key of a VM ([`crate::locks`]).
pub(crate) fn vm_lock_key(key: &VmKey) -> String {
    vm_resource_id(key).to_string()
}

/// The write-lock key of a user-assigned identity ([`crate::locks`]).
pub(crate) fn identity_lock_key(key: &IdentityKey) -> String {
    identity_resource_id(key).to_string()
}

pub fn identity_resource_id(key: &IdentityKey) -> ResourceId {
    ResourceId::new(
        &key.subscription_id,
        &key.resource_group,
        "Microsoft.ManagedIdentity",
        "userAssignedIdentities",
        &key.name,
    )
}

/// Parses a user-assigned identity id (any case) into its key.
pub fn parse_identity_id(id: &str) -> Option<IdentityKey> {
    let resource = ResourceId::parse(id).ok()?;
    let is_identity = resource
        .resource_type()
        .to_string()
        .eq_ignore_ascii_case(identity_model::RESOURCE_TYPE);
    is_identity.then(|| IdentityKey {
        subscription_id: resource.subscription_id().to_string(),
        resource_group: resource.resource_group().to_string(),
        name: resource.name().to_string(),
    })
}

// ---------------------------------------------------------------- groups and lookups

/// Deletes every VM and user-assigned identity in a resource group, with their principals.
/// Resource-group DELETE calls this before deleting the group itself.
pub async fn delete_group_contents(
    state: &AppState,
    subscription_id: &str,
    group: &str,
) -> Result<(), ArmError> {
    for vm in vm_store::list(&state.db, Some(subscription_id), Some(group)).await? {
        delete_vm(state, &vm_key_of_vm(&vm)).await?;
    }
    for identity in identity_store::list(&state.db, subscription_id, Some(group)).await? {
        let key = IdentityKey {
            subscription_id: identity.subscription_id.clone(),
            resource_group: identity.resource_group.clone(),
            name: identity.name.clone(),
        };
        delete_identity(state, &key).await?;
    }
    Ok(())
}

/// Whether `resource_id` names an existing VM or user-assigned identity (any case).
pub async fn resource_exists(state: &AppState, resource_id: &str) -> Result<bool, ArmError> {
    Ok(canonical_id(state, resource_id).await?.is_some())
}

/// The canonical id of the VM or user-assigned identity `resource_id` names (any case), `None`
/// if there is none.
pub async fn canonical_id(state: &AppState, resource_id: &str) -> Result<Option<String>, ArmError> {
    if let Some(vm) = vm_at_scope(state, resource_id).await? {
        return Ok(Some(vm.id()));
    }
    let Some(key) = parse_identity_id(resource_id) else {
        return Ok(None);
    };
    Ok(identity_store::get(&state.db, &key)
        .await?
        .map(|identity| identity.id()))
}

/// The key of a VM resource id.
pub fn vm_key_of(resource: &ResourceId) -> VmKey {
    VmKey {
        subscription_id: resource.subscription_id().to_string(),
        resource_group: resource.resource_group().to_string(),
        name: resource.name().to_string(),
    }
}

/// The key of a stored VM.
pub fn vm_key_of_vm(vm: &VirtualMachine) -> VmKey {
    VmKey {
        subscription_id: vm.subscription_id.clone(),
        resource_group: vm.resource_group.clone(),
        name: vm.name.clone(),
    }
}

/// The resource a scope names, if it is a VM: for `{scope}/providers/Microsoft.ManagedIdentity/identities/default`.
pub async fn vm_at_scope(
    state: &AppState,
    scope: &str,
) -> Result<Option<VirtualMachine>, ArmError> {
    let Ok(resource) = ResourceId::parse(scope) else {
        return Ok(None);
    };
    let is_vm = resource.segments().len() == 1
        && resource
            .resource_type()
            .to_string()
            .eq_ignore_ascii_case(vm_model::RESOURCE_TYPE);
    if !is_vm {
        return Ok(None);
    }
    Ok(vm_store::get(&state.db, &vm_key_of(&resource)).await?)
}
