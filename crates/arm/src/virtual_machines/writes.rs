//! VM writes: PUT (create or replace), PATCH and DELETE, with the system-assigned identity's
//! principal and the attached user-assigned identities (wire-contract §5.7).

use anyhow::Context;

use super::conditions::Preconditions;
use super::{vm_resource_id, VM_WRITE_ACTION};
use crate::aad_client::IdentityKind;
use crate::extract::Caller;
use crate::lifecycle::{
    check_same_location, create_principal, forget_principal, forget_scope, notify,
    release_principal, MAX_ATTEMPTS,
};
use crate::user_assigned_identities::model::UserAssignedIdentity;
use crate::user_assigned_identities::store as identity_store;
use crate::user_assigned_identities::{parse_identity_id, ASSIGN_ACTION};
use crate::virtual_machines::model::{
    self as vm_model, DesiredIdentity, IdentityRequest, NameProblem, SystemIdentity, Tags,
    VirtualMachine, VirtualMachineCreateRequest, VirtualMachineProfile,
    VirtualMachineUpdateRequest,
};
use crate::virtual_machines::store::{
    self as vm_store, IdentityCredential, Saved, VmKey, VmRecord,
};
use crate::{AppState, ArmError, VmEvent};

/// A VM write: PUT (create or replace) or PATCH.
#[derive(Debug, Clone)]
pub enum VmChange {
    /// `VirtualMachines_CreateOrUpdate`.
    Replace(Box<VirtualMachineCreateRequest>),
    /// `VirtualMachines_Update`.
    Update(VirtualMachineUpdateRequest),
}

/// What a VM write decided, before identities are resolved.
struct VmDraft {
    location: String,
    tags: Tags,
    profile: VirtualMachineProfile,
    vm_id: String,
    created_time: i64,
    identity: DesiredIdentity,
}

fn invalid_name(problem: NameProblem, name: &str) -> ArmError {
    let (message, target) = match problem {
        NameProblem::ResourceName => (
            format!(
                "The entity name 'vmName' is invalid according to its validation rule: {}.",
                vm_model::VM_NAME_RULE
            ),
            "vmName",
        ),
        NameProblem::LinuxHostName => (
            "Linux host name cannot exceed 64 characters in length or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : ' \" , < > / ?.".to_string(),
            "computerName",
        ),
        NameProblem::WindowsComputerName => (
            "Windows computer name cannot be more than 15 characters long, be entirely numeric, or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : . ' \" , < > / ?.".to_string(),
            "computerName",
        ),
    };
    tracing::debug!(name, ?problem, "rejected VM name");
    ArmError::InvalidParameter {
        message,
        target: target.to_string(),
    }
}

fn desired(
    current: Option<&VirtualMachine>,
    request: Option<&IdentityRequest>,
    replace: bool,
) -> Result<DesiredIdentity, ArmError> {
    let system = current.is_some_and(|vm| vm.system_identity.is_some());
    let users: Vec<String> = current
        .map(|vm| vm.user_identities.iter().map(|u| u.id.clone()).collect())
        .unwrap_or_default();
    let Some(request) = request else {
        return Ok(DesiredIdentity {
            system,
            kept: users,
            added: Vec::new(),
        });
    };
    // A PUT that lists user-assigned identities replaces the set; a PATCH merges into it.
    let base = match replace && request.user_assigned_identities.is_some() {
        true => Vec::new(),
        false => users,
    };
    vm_model::desired_identity(system, &base, request).map_err(|error| match error {
        vm_model::IdentityRequestError::InvalidType(kind) => ArmError::InvalidParameter {
            message: format!(
                "The value '{kind}' of parameter 'identity.type' is not valid. The allowed values are 'SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned' and 'None'."
            ),
            target: "identity.type".to_string(),
        },
        // ARM checks linked resource ids before it authorizes the linked scope, and answers a
        // key that is not a fully qualified id with `LinkedInvalidPropertyId` (seen for
        // identity keys in Azure/azure-cli#25401 and MicrosoftDocs/azure-docs#112377).
        vm_model::IdentityRequestError::InvalidIdentityId(id) => {
            ArmError::LinkedInvalidPropertyId(id)
        }
        // The map's values are `UserAssignedIdentitiesValue` objects whose properties are all
        // read-only, so a request may only send `{}` (or `null` to detach). Another value does
        // not deserialize; Azure answers body-shape errors with `InvalidRequestContent` (e.g.
        // PrefectHQ/prefect-azure#103). Compute's exact wording for this case is unverified.
        vm_model::IdentityRequestError::InvalidIdentityValue(id, value) => {
            ArmError::InvalidRequestContent(format!(
                "Error converting value {value} to type 'UserAssignedIdentitiesValue'. Path 'identity.userAssignedIdentities['{id}']'"
            ))
        }
    })
}

fn draft_vm(
    state: &AppState,
    key: &VmKey,
    current: Option<&VirtualMachine>,
    change: &VmChange,
) -> Result<VmDraft, ArmError> {
    let now = state.clock.now();
    match (change, current) {
        (VmChange::Replace(body), current) => {
            if current.is_none() {
                vm_model::check_vm_name(&key.name).map_err(|p| invalid_name(p, &key.name))?;
            }
            let location = crate::scope::requested_location(
                body.location.as_deref(),
                vm_model::RESOURCE_TYPE,
            )?;
            if let Some(vm) = current {
                check_same_location(&vm.name, &vm.resource_group, &vm.location, &location)?;
            }
            let requested = body.properties.clone().unwrap_or_default();
            let explicit = requested
                .os_profile
                .as_ref()
                .is_some_and(|os| os.computer_name.is_some());
            let profile = requested.with_defaults(&key.name);
            if let Some(computer_name) = profile.computer_name() {
                vm_model::check_computer_name(computer_name, profile.os_type(), explicit)
                    .map_err(|p| invalid_name(p, &key.name))?;
            }
            Ok(VmDraft {
                location,
                tags: body.tags.clone().unwrap_or_default(),
                profile,
                vm_id: current
                    .map_or_else(|| uuid::Uuid::new_v4().to_string(), |vm| vm.vm_id.clone()),
                created_time: current.map_or(now, |vm| vm.created_time),
                identity: desired(current, body.identity.as_ref(), true)?,
            })
        }
        (VmChange::Update(_), None) => Err(ArmError::ResourceNotFound(vm_resource_id(key))),
        (VmChange::Update(body), Some(vm)) => {
            let mut profile = vm.profile.clone();
            let size = body
                .properties
                .as_ref()
                .and_then(|p| p.hardware_profile.as_ref())
                .and_then(|h| h.vm_size.clone());
            if let Some(size) = size {
                profile
                    .hardware_profile
                    .get_or_insert_with(Default::default)
                    .vm_size = Some(size);
            }
            Ok(VmDraft {
                location: vm.location.clone(),
                tags: body.tags.clone().unwrap_or_else(|| vm.tags.clone()),
                profile,
                vm_id: vm.vm_id.clone(),
                created_time: vm.created_time,
                identity: desired(Some(vm), body.identity.as_ref(), false)?,
            })
        }
    }
}

/// Resolves the identities a VM write keeps and adds, checking the caller may attach the added
/// ones (`LinkedAuthorizationFailed`) and that they exist (`FailedIdentityOperation`).
async fn resolve_user_identities(
    state: &AppState,
    caller: &Caller,
    vm_id: &str,
    identity: &DesiredIdentity,
) -> Result<Vec<UserAssignedIdentity>, ArmError> {
    let mut denied = Vec::new();
    for id in &identity.added {
        let decision = crate::rbac::decide_for(
            state,
            caller,
            crate::role_definitions::model::Plane::Control,
            ASSIGN_ACTION,
            id,
            &crate::rbac::Attributes::none(),
        )
        .await?;
        if decision != crate::rbac::Decision::Allowed {
            denied.push(id.clone());
        }
    }
    if !denied.is_empty() {
        return Err(ArmError::LinkedAuthorizationFailed {
            client: caller.appid.clone(),
            object_id: caller.oid.clone(),
            action: VM_WRITE_ACTION.to_string(),
            scope: vm_id.to_string(),
            linked_action: ASSIGN_ACTION.to_string(),
            linked_scopes: denied.join(","),
        });
    }
    let mut resolved = Vec::new();
    for id in identity.kept.iter().chain(&identity.added) {
        let not_found = || ArmError::FailedIdentityOperation {
            resource_id: vm_id.to_string(),
            identity_id: id.clone(),
        };
        let key = parse_identity_id(id).ok_or_else(not_found)?;
        let found = identity_store::get(&state.db, &key)
            .await?
            .ok_or_else(not_found)?;
        if !resolved
            .iter()
            .any(|r: &UserAssignedIdentity| r.key == found.key)
        {
            resolved.push(found);
        }
    }
    Ok(resolved)
}

/// Creates, replaces or updates a VM with its identities if `conditions` hold; returns the VM and
/// whether it is new. Refused while the VM or its group is being deleted, as Compute and ARM do.
pub async fn write_vm(
    state: &AppState,
    caller: &Caller,
    key: &VmKey,
    change: &VmChange,
    conditions: &Preconditions,
) -> Result<(VirtualMachine, bool), ArmError> {
    let group =
        crate::scope::require_resource_group(state, &key.subscription_id, &key.resource_group)
            .await?;
    let tenant = crate::scope::require_subscription(state, &key.subscription_id)
        .await?
        .tenant_id;
    // Writes of one VM queue here: each sees what the previous one committed (crate::locks).
    let _writing = state.write_locks.lock(&super::vm_lock_key(key)).await;
    refuse_while_deleting(state, &group, key).await?;
    let target = Target {
        key,
        subscription_id: &group.subscription_id,
        resource_group: &group.name,
        tenant_id: &tenant,
    };
    for _ in 0..MAX_ATTEMPTS {
        if let Some(written) = attempt_write(state, caller, &target, change, conditions).await? {
            return Ok(written);
        }
    }
    Err(anyhow::anyhow!("the VM kept changing while it was being written").into())
}

/// `ResourceGroupBeingDeleted` while the group's deletion runs, `OperationNotAllowed` while the
/// VM's does.
async fn refuse_while_deleting(
    state: &AppState,
    group: &crate::resource_groups::model::ResourceGroup,
    key: &VmKey,
) -> Result<(), ArmError> {
    use crate::async_operations::{pending_kind, OperationKind};
    if pending_kind(state, &group.id()).await? == Some(OperationKind::Delete) {
        return Err(ArmError::ResourceGroupBeingDeleted(group.name.clone()));
    }
    let vm_id = vm_model::vm_id_of(&group.subscription_id, &group.name, &key.name);
    if pending_kind(state, &vm_id).await? == Some(OperationKind::Delete) {
        return Err(ArmError::OperationNotAllowed {
            operation: "Update VM",
            vm: key.name.clone(),
        });
    }
    Ok(())
}

/// Where a VM write goes, with the canonical names of its subscription and group.
struct Target<'a> {
    key: &'a VmKey,
    subscription_id: &'a str,
    resource_group: &'a str,
    tenant_id: &'a str,
}

/// What a write does to the system-assigned identity's principal.
struct SystemChange {
    /// A principal this write minted (deleted again if the write does not commit).
    created: Option<IdentityCredential>,
    /// The principal this write removes (its credential goes in the commit; AAD's copy after it).
    removed: Option<SystemIdentity>,
    /// The principal the VM has after the write.
    principal_id: Option<String>,
}

/// Mints the system-assigned principal in AAD before the commit, or marks it for removal after it.
async fn change_system_identity(
    state: &AppState,
    current: Option<&VirtualMachine>,
    wanted: bool,
    name: &str,
    vm_id: &str,
    tenant_id: &str,
) -> Result<SystemChange, ArmError> {
    let existing = current.and_then(|vm| vm.system_identity.clone());
    match (existing, wanted) {
        (None, true) => {
            let kind = IdentityKind::SystemAssigned;
            let credential = create_principal(state, kind, name, vm_id, tenant_id).await?;
            Ok(SystemChange {
                principal_id: Some(credential.principal_id.clone()),
                created: Some(credential),
                removed: None,
            })
        }
        (Some(existing), false) => Ok(SystemChange {
            created: None,
            removed: Some(existing),
            principal_id: None,
        }),
        (existing, _) => Ok(SystemChange {
            created: None,
            removed: None,
            principal_id: existing.map(|s| s.principal_id),
        }),
    }
}

/// One optimistic attempt; `None` when another write to the VM got in first.
async fn attempt_write(
    state: &AppState,
    caller: &Caller,
    target: &Target<'_>,
    change: &VmChange,
    conditions: &Preconditions,
) -> Result<Option<(VirtualMachine, bool)>, ArmError> {
    let current = vm_store::get(&state.db, target.key).await?;
    let resource_id = vm_model::vm_id_of(
        target.subscription_id,
        target.resource_group,
        &target.key.name,
    );
    conditions.check(current.as_ref(), &resource_id)?;
    let draft = draft_vm(state, target.key, current.as_ref(), change)?;
    let name = current
        .as_ref()
        .map_or(target.key.name.as_str(), |vm| vm.name.as_str());
    let vm_id = vm_model::vm_id_of(target.subscription_id, target.resource_group, name);
    let users = resolve_user_identities(state, caller, &vm_id, &draft.identity).await?;
    let wanted = draft.identity.system;
    let system = change_system_identity(
        state,
        current.as_ref(),
        wanted,
        name,
        &vm_id,
        target.tenant_id,
    )
    .await?;
    let user_keys: Vec<i64> = users.iter().map(|u| u.key).collect();
    let record = VmRecord {
        subscription_id: target.subscription_id,
        resource_group: target.resource_group,
        name,
        location: &draft.location,
        vm_id: &draft.vm_id,
        tags: &draft.tags,
        profile: &draft.profile,
        system_principal_id: system.principal_id.as_deref(),
        user_identities: &user_keys,
        created_time: draft.created_time,
        changed_time: state.clock.now(),
    };
    let saved = commit_vm(state, current.as_ref(), &record, &system).await;
    match saved {
        Ok(Saved::Done) => {}
        Ok(Saved::Conflict) => {
            forget_principal(state, system.created.as_ref()).await;
            return Ok(None);
        }
        Err(error) => {
            forget_principal(state, system.created.as_ref()).await;
            return Err(error.into());
        }
    }
    let vm = vm_store::get(&state.db, target.key)
        .await?
        .context("the VM vanished right after it was written")?;
    match &current {
        None => notify(state, VmEvent::Created(vm.id())).await,
        Some(before) if principals(before) != principals(&vm) => {
            notify(state, VmEvent::IdentitiesChanged(vm.id())).await;
        }
        Some(_) => {}
    }
    if let Some(removed) = &system.removed {
        release_principal(state, &removed.principal_id).await;
    }
    Ok(Some((vm, current.is_none())))
}

/// The principals of a VM's identities, sorted: what IMDS selects from.
fn principals(vm: &VirtualMachine) -> Vec<&str> {
    let system = vm.system_identity.iter().map(|s| s.principal_id.as_str());
    let users = vm.user_identities.iter().map(|u| u.principal_id.as_str());
    let mut principals: Vec<&str> = system.chain(users).collect();
    principals.sort_unstable();
    principals
}

async fn commit_vm(
    state: &AppState,
    current: Option<&VirtualMachine>,
    record: &VmRecord<'_>,
    system: &SystemChange,
) -> Result<Saved, sqlx::Error> {
    let mut tx = crate::db::begin_write(&state.db).await?;
    if let Some(credential) = &system.created {
        vm_store::insert_credential(&mut tx, credential, state.clock.now()).await?;
    }
    let saved = match current {
        Some(vm) => vm_store::update(&mut tx, vm.key, vm.version, record).await?,
        None => vm_store::insert(&mut tx, record).await?,
    };
    if saved == Saved::Conflict {
        return Ok(Saved::Conflict);
    }
    if let Some(removed) = &system.removed {
        vm_store::delete_credential(&mut tx, &removed.principal_id).await?;
    }
    tx.commit().await?;
    Ok(Saved::Done)
}

/// Deletes a VM and its system-assigned principal; returns the VM's id, `None` if it did not exist.
pub async fn delete_vm(state: &AppState, key: &VmKey) -> Result<Option<String>, ArmError> {
    let _writing = state.write_locks.lock(&super::vm_lock_key(key)).await;
    for _ in 0..MAX_ATTEMPTS {
        let Some(vm) = vm_store::get(&state.db, key).await? else {
            return Ok(None);
        };
        let mut tx = crate::db::begin_write(&state.db).await?;
        if vm_store::delete(&mut tx, vm.key, vm.version).await? == Saved::Conflict {
            continue;
        }
        if let Some(system) = &vm.system_identity {
            vm_store::delete_credential(&mut tx, &system.principal_id).await?;
        }
        tx.commit().await?;
        if let Some(system) = &vm.system_identity {
            release_principal(state, &system.principal_id).await;
        }
        forget_scope(state, &vm.id()).await?;
        notify(state, VmEvent::Deleted(vm.id())).await;
        return Ok(Some(vm.id()));
    }
    Err(anyhow::anyhow!("the VM kept changing while it was being deleted").into())
}
