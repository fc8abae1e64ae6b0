//! User-assigned identity writes: PUT, PATCH and DELETE, with the identity's principal.

use super::identity_resource_id;
use crate::aad_client::IdentityKind;
use crate::lifecycle::{
    check_same_location, create_principal, forget_principal, forget_scope, notify,
    release_principal, MAX_ATTEMPTS,
};
use crate::user_assigned_identities::model::{
    self as identity_model, IdentityCreateRequest, IdentityUpdateRequest, UserAssignedIdentity,
};
use crate::user_assigned_identities::store::{self as identity_store, IdentityKey, IdentityRecord};
use crate::virtual_machines::store::{self as vm_store, IdentityCredential, Saved};
use crate::{AppState, ArmError, VmEvent};

/// Creates or replaces a user-assigned identity; returns it and whether it is new.
pub async fn write_identity(
    state: &AppState,
    key: &IdentityKey,
    body: &IdentityCreateRequest,
) -> Result<(UserAssignedIdentity, bool), ArmError> {
    if !identity_model::is_valid_name(&key.name) {
        return Err(ArmError::InvalidResourceName {
            name: key.name.clone(),
            max_length: 128,
        });
    }
    let location =
        crate::scope::requested_location(body.location.as_deref(), identity_model::RESOURCE_TYPE)?;
    let isolation = isolation_scope(
        body.properties
            .as_ref()
            .and_then(|p| p.isolation_scope.as_deref()),
    )?;
    let group =
        crate::scope::require_resource_group(state, &key.subscription_id, &key.resource_group)
            .await?;
    let tenant = crate::scope::require_subscription(state, &key.subscription_id)
        .await?
        .tenant_id;
    let tags = body.tags.clone().unwrap_or_default();
    // Writes of one identity queue here: identical concurrent PUTs mint one principal (crate::locks).
    let _writing = state.write_locks.lock(&super::identity_lock_key(key)).await;
    for _ in 0..MAX_ATTEMPTS {
        if let Some(current) = identity_store::get(&state.db, key).await? {
            check_same_location(
                &current.name,
                &current.resource_group,
                &current.location,
                &location,
            )?;
            identity_store::update(&state.db, current.key, &tags, &isolation, state.clock.now())
                .await?;
            return Ok((fetch_identity(state, key).await?, false));
        }
        let id = identity_model::identity_id_of(&group.subscription_id, &group.name, &key.name);
        let kind = IdentityKind::UserAssigned;
        let credential = create_principal(state, kind, &key.name, &id, &tenant).await?;
        let now = state.clock.now();
        let record = IdentityRecord {
            subscription_id: &group.subscription_id,
            resource_group: &group.name,
            name: &key.name,
            location: &location,
            tags: &tags,
            isolation_scope: &isolation,
            principal_id: &credential.principal_id,
            created_time: now,
            changed_time: now,
        };
        match commit_identity(state, &credential, &record).await {
            Ok(Saved::Done) => return Ok((fetch_identity(state, key).await?, true)),
            Ok(Saved::Conflict) => forget_principal(state, Some(&credential)).await,
            Err(error) => {
                forget_principal(state, Some(&credential)).await;
                return Err(error.into());
            }
        }
    }
    Err(anyhow::anyhow!("the identity kept changing while it was being written").into())
}

fn isolation_scope(requested: Option<&str>) -> Result<String, ArmError> {
    identity_model::isolation_scope(requested).ok_or_else(|| ArmError::InvalidParameter {
        message: format!(
            "The value '{}' of property 'isolationScope' is not valid. The allowed values are 'None' and 'Regional'.",
            requested.unwrap_or_default()
        ),
        target: "properties.isolationScope".to_string(),
    })
}

async fn commit_identity(
    state: &AppState,
    credential: &IdentityCredential,
    record: &IdentityRecord<'_>,
) -> Result<Saved, sqlx::Error> {
    let mut tx = crate::db::begin_write(&state.db).await?;
    vm_store::insert_credential(&mut tx, credential, record.created_time).await?;
    if identity_store::insert(&mut tx, record).await? == Saved::Conflict {
        return Ok(Saved::Conflict);
    }
    tx.commit().await?;
    Ok(Saved::Done)
}

async fn fetch_identity(
    state: &AppState,
    key: &IdentityKey,
) -> Result<UserAssignedIdentity, ArmError> {
    identity_store::get(&state.db, key)
        .await?
        .ok_or_else(|| ArmError::ResourceNotFound(identity_resource_id(key)))
}

/// Updates the tags (and isolation scope) of an existing identity.
pub async fn update_identity(
    state: &AppState,
    key: &IdentityKey,
    body: &IdentityUpdateRequest,
) -> Result<UserAssignedIdentity, ArmError> {
    let _writing = state.write_locks.lock(&super::identity_lock_key(key)).await;
    let current = fetch_identity(state, key).await?;
    let requested = body
        .properties
        .as_ref()
        .and_then(|p| p.isolation_scope.as_deref());
    let isolation = match requested {
        Some(_) => isolation_scope(requested)?,
        None => current.isolation_scope.clone(),
    };
    let tags = body.tags.clone().unwrap_or_else(|| current.tags.clone());
    identity_store::update(&state.db, current.key, &tags, &isolation, state.clock.now()).await?;
    fetch_identity(state, key).await
}

/// Deletes an identity, its federated identity credentials and its principal and detaches it from
/// every VM; `false` if it did not exist.
pub async fn delete_identity(state: &AppState, key: &IdentityKey) -> Result<bool, ArmError> {
    let _writing = state.write_locks.lock(&super::identity_lock_key(key)).await;
    let Some(identity) = identity_store::get(&state.db, key).await? else {
        return Ok(false);
    };
    // AAD stops trusting its federated identity credentials before ARM forgets them.
    crate::federated_identity_credentials::writes::clear(state, &identity).await?;
    let vms = vm_store::list_with_identity(&state.db, identity.key).await?;
    let vm_keys: Vec<i64> = vms.iter().map(|vm| vm.key).collect();
    let mut tx = crate::db::begin_write(&state.db).await?;
    vm_store::touch(&mut tx, &vm_keys, state.clock.now()).await?;
    let existed = identity_store::delete(&mut tx, identity.key).await?;
    vm_store::delete_credential(&mut tx, &identity.principal_id).await?;
    tx.commit().await?;
    // Each VM it was attached to has lost it: IMDS stops serving it before this DELETE answers.
    for vm in &vms {
        notify(state, VmEvent::IdentitiesChanged(vm.id())).await;
    }
    release_principal(state, &identity.principal_id).await;
    forget_scope(state, &identity.id()).await?;
    Ok(existed)
}
