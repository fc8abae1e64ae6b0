//! Federated identity credential writes, written through to AAD.
//!
//! ARM owns the credentials; AAD keeps the copy the token exchange reads, and must never trust a
//! credential ARM does not have. So a PUT commits in ARM first and then pushes the identity's whole
//! set to AAD (a failed push undoes ARM's change and answers an error); a DELETE pushes the set
//! without the credential first and then commits in ARM. A crash in between can only leave AAD
//! trusting less than ARM has, and [`push_all`] (at start, before ARM serves) pushes every
//! identity's set again. Deleting an identity pushes its empty set before the identity goes
//! (`user_assigned_identities::writes::delete_identity`).
//!
//! Azure refuses concurrent credential writes under one identity (409
//! `ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity`) rather than queueing
//! them; mimic does the same with a try-lock per identity, then queues behind the identity's own
//! writes ([`crate::locks`]).

use tokio::sync::OwnedMutexGuard;

use super::model::{self, CredentialDraft, FederatedIdentityCredential};
use super::store;
use crate::aad_client::{AadClient, FederatedCredentialEntry};
use crate::user_assigned_identities::model::UserAssignedIdentity;
use crate::user_assigned_identities::store::{self as identity_store, IdentityKey};
use crate::user_assigned_identities::{identity_lock_key, identity_resource_id};
use crate::{AppState, ArmError};

/// The identity at `key`, or 404 `ResourceNotFound` naming it.
pub async fn find_identity(
    state: &AppState,
    key: &IdentityKey,
) -> Result<UserAssignedIdentity, ArmError> {
    crate::scope::require_resource_group(state, &key.subscription_id, &key.resource_group).await?;
    identity_store::get(&state.db, key)
        .await?
        .ok_or_else(|| ArmError::ResourceNotFound(identity_resource_id(key)))
}

/// Holds the identity's credential writes (409 if another is in flight), then its writes.
async fn hold(
    state: &AppState,
    key: &IdentityKey,
) -> Result<(OwnedMutexGuard<()>, OwnedMutexGuard<()>), ArmError> {
    let identity_id = identity_lock_key(key);
    let credentials = state
        .write_locks
        .try_lock(&format!("{identity_id}/federatedIdentityCredentials"))
        .ok_or_else(|| {
            ArmError::ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity(
                concurrency_id(key),
            )
        })?;
    let identity = state.write_locks.lock(&identity_id).await;
    Ok((credentials, identity))
}

/// The identity's id as Azure's concurrency error writes it: keywords lower-case.
fn concurrency_id(key: &IdentityKey) -> String {
    format!(
        "/subscriptions/{}/resourcegroups/{}/providers/microsoft.managedidentity/userassignedidentities/{}",
        key.subscription_id, key.resource_group, key.name
    )
}

/// What a PUT wrote: the identity, the credential, and whether it is new.
pub struct Written {
    pub identity: UserAssignedIdentity,
    pub credential: FederatedIdentityCredential,
    pub created: bool,
}

/// Creates or replaces a credential.
pub async fn create_or_update(
    state: &AppState,
    key: &IdentityKey,
    name: &str,
    draft: &CredentialDraft,
) -> Result<Written, ArmError> {
    find_identity(state, key).await?;
    let _held = hold(state, key).await?;
    let identity = find_identity(state, key).await?;
    let current = store::list(&state.db, identity.key).await?;
    let previous = current
        .iter()
        .find(|credential| credential.name.eq_ignore_ascii_case(name));
    if previous.is_none() && current.len() >= model::MAX_PER_IDENTITY {
        // Text: mimic's (no recorded Azure answer found).
        return Err(ArmError::BadRequest(format!(
            "The managed identity already has the maximum number of federated identity credentials ({}).",
            model::MAX_PER_IDENTITY
        )));
    }
    let duplicate = current.iter().any(|other| {
        !other.name.eq_ignore_ascii_case(name)
            && draft.subject.is_some()
            && other.draft.issuer == draft.issuer
            && other.draft.subject == draft.subject
    });
    if duplicate {
        return Err(ArmError::BadRequest(
            model::DUPLICATE_ISSUER_AND_SUBJECT.to_string(),
        ));
    }
    if let Some(previous) = previous.filter(|previous| previous.draft == *draft) {
        let credential = previous.clone();
        return Ok(Written {
            identity,
            credential,
            created: false,
        });
    }
    store::upsert(&state.db, identity.key, name, draft, state.clock.now()).await?;
    if let Err(error) = push(state, &identity).await {
        // AAD may not trust what ARM does not answer for: put ARM back as it was.
        if let Err(undo) = store::restore(&state.db, identity.key, name, previous).await {
            tracing::error!(error = %undo, "could not undo a federated identity credential write \
                AAD refused; AAD holds less than ARM until the next start");
        }
        return Err(error
            .context("writing federated identity credentials through to AAD")
            .into());
    }
    let stored = store::list(&state.db, identity.key).await?;
    let credential = stored
        .into_iter()
        .find(|credential| credential.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| anyhow::anyhow!("the credential {name} vanished after its write"))?;
    Ok(Written {
        identity,
        credential,
        created: previous.is_none(),
    })
}

/// Deletes a credential; `false` if the identity had none of that name.
pub async fn delete(state: &AppState, key: &IdentityKey, name: &str) -> Result<bool, ArmError> {
    find_identity(state, key).await?;
    let _held = hold(state, key).await?;
    let identity = find_identity(state, key).await?;
    let current = store::list(&state.db, identity.key).await?;
    if !current
        .iter()
        .any(|credential| credential.name.eq_ignore_ascii_case(name))
    {
        return Ok(false);
    }
    let remaining: Vec<FederatedIdentityCredential> = current
        .into_iter()
        .filter(|credential| !credential.name.eq_ignore_ascii_case(name))
        .collect();
    // AAD stops trusting it before ARM forgets it.
    AadClient::new(state)
        .replace_federated_credentials(&identity.principal_id, &entries(&remaining))
        .await
        .map_err(|error| error.context("removing a federated identity credential from AAD"))?;
    Ok(store::delete(&state.db, identity.key, name).await?)
}

/// Removes every credential of an identity about to be deleted from AAD (before ARM's commit).
pub async fn clear(state: &AppState, identity: &UserAssignedIdentity) -> Result<(), ArmError> {
    if store::list(&state.db, identity.key).await?.is_empty() {
        return Ok(());
    }
    AadClient::new(state)
        .replace_federated_credentials(&identity.principal_id, &[])
        .await
        .map_err(|error| {
            error.context("removing a deleted identity's federated identity credentials from AAD")
        })?;
    Ok(())
}

/// Pushes the identity's whole set to AAD.
async fn push(state: &AppState, identity: &UserAssignedIdentity) -> anyhow::Result<()> {
    let credentials = store::list(&state.db, identity.key).await?;
    AadClient::new(state)
        .replace_federated_credentials(&identity.principal_id, &entries(&credentials))
        .await
}

fn entries(credentials: &[FederatedIdentityCredential]) -> Vec<FederatedCredentialEntry> {
    credentials
        .iter()
        .map(|credential| FederatedCredentialEntry {
            name: credential.name.clone(),
            issuer: credential.draft.issuer.clone(),
            subject: credential.draft.subject.clone(),
            audiences: credential.draft.audiences.clone(),
            claims_matching_expression: credential.draft.claims_matching_expression.clone(),
        })
        .collect()
}

/// Pushes every user-assigned identity's set to AAD where AAD's copy differs (empty sets too, so
/// AAD forgets what ARM does not have); returns how many identities were pushed. Run at start
/// before serving, and after a snapshot's restore, so that any crash window converges. AAD's
/// sets are read in one request first, so a start with thousands of identities writes only what
/// differs (if that read fails, every set is pushed, as before). Failures are logged: AAD then
/// holds at most what it held before.
pub async fn push_all(state: &AppState) -> usize {
    let identities = match store::identities(&state.db).await {
        Ok(identities) => identities,
        Err(error) => {
            tracing::warn!(%error, "could not read the identities to push their federated identity credentials");
            return 0;
        }
    };
    let aad = AadClient::new(state);
    let held = match aad.all_federated_credentials().await {
        Ok(held) => Some(held),
        Err(error) => {
            tracing::warn!(
                error = format!("{error:#}"),
                "could not read AAD's federated identity credentials; pushing every identity's"
            );
            None
        }
    };
    let mut pushed = 0;
    for (identity, principal_id) in identities {
        let result = match store::list(&state.db, identity).await {
            Ok(credentials) => {
                let wanted = entries(&credentials);
                let unchanged = held.as_ref().is_some_and(|held| {
                    let have = held.get(&principal_id.to_lowercase());
                    same_set(have.map_or(&[], Vec::as_slice), &wanted)
                });
                if unchanged {
                    continue;
                }
                aad.replace_federated_credentials(&principal_id, &wanted)
                    .await
            }
            Err(error) => Err(error.into()),
        };
        match result {
            Ok(()) => pushed += 1,
            Err(error) => tracing::warn!(%principal_id, error = format!("{error:#}"),
                "could not push an identity's federated identity credentials to AAD; will retry at next start"),
        }
    }
    pushed
}

/// Whether AAD's copy (as its internal API lists it) holds exactly `wanted`, in any order. A
/// field AAD keeps that ARM does not send (a description) makes them differ, and the set is
/// pushed.
fn same_set(held: &[serde_json::Value], wanted: &[FederatedCredentialEntry]) -> bool {
    let by_name = |set: Vec<serde_json::Value>| {
        let mut set: Vec<(String, serde_json::Value)> = set
            .into_iter()
            .map(|entry| {
                let name = entry["name"].as_str().unwrap_or_default().to_lowercase();
                (name, entry)
            })
            .collect();
        set.sort_by(|a, b| a.0.cmp(&b.0));
        set
    };
    let wanted: Vec<serde_json::Value> = wanted
        .iter()
        .filter_map(|entry| serde_json::to_value(entry).ok())
        .collect();
    held.len() == wanted.len() && by_name(held.to_vec()) == by_name(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(name: &str, subject: &str) -> FederatedCredentialEntry {
        FederatedCredentialEntry {
            name: name.to_string(),
            issuer: "https://issuer.example".to_string(),
            subject: Some(subject.to_string()),
            audiences: vec!["api://AzureADTokenExchange".to_string()],
            claims_matching_expression: None,
        }
    }

    fn held(name: &str, subject: &str) -> serde_json::Value {
        json!({"name": name, "issuer": "https://issuer.example", "subject": subject,
            "audiences": ["api://AzureADTokenExchange"]})
    }

    #[test]
    fn a_set_aad_holds_in_any_order_is_not_pushed_and_any_difference_is() {
        let wanted = [entry("a", "one"), entry("b", "two")];
        assert!(same_set(&[held("b", "two"), held("a", "one")], &wanted));
        assert!(same_set(&[], &[]));
        assert!(!same_set(&[held("a", "one")], &wanted), "one missing");
        assert!(!same_set(&[held("a", "one"), held("b", "other")], &wanted));
        assert!(!same_set(
            &[held("a", "one"), held("b", "two"), held("c", "x")],
            &wanted
        ));
        let mut described = held("b", "two");
        described["description"] = json!("only AAD has it");
        assert!(!same_set(&[held("a", "one"), described], &wanted));
        assert!(
            !same_set(&[held("stray", "x")], &[]),
            "a stray credential is cleared"
        );
    }
}
