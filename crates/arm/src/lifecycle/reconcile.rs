//! Crash safety across the two stores. A managed identity's principal lives in AAD and its
//! resource in ARM; no transaction spans both. So every write orders them such that a crash can
//! only ever leave an AAD principal that no ARM resource owns — created before ARM's commit that
//! never came, or left over after ARM's commit removed its owner — and never an ARM resource
//! without its principal. At start, before ARM serves anything, [`orphans`] deletes those
//! principals: after any SIGKILL, a restart leaves no orphan and no duplicate display name.
//!
//! Federated identity credentials follow the same rule the other way round: AAD must never trust
//! one ARM does not have, so writes leave AAD holding at most ARM's set, and at start
//! [`federated_credentials`] pushes every identity's set to AAD, which converges any crash window.

use std::collections::HashSet;

use crate::aad_client::AadClient;
use crate::AppState;

/// Deletes every managed-identity principal in AAD that no identity in `arm.db` owns; returns how
/// many. AAD unreachable (a standalone ARM started first) is logged and skipped: the next start
/// catches up, and orphans cannot sign in anyway (AAD asks ARM before it issues their tokens).
pub async fn orphans(state: &AppState) -> usize {
    match try_orphans(state).await {
        Ok(deleted) => {
            if deleted > 0 {
                tracing::warn!(
                    deleted,
                    "deleted managed-identity principals no resource owns (left by a crash)"
                );
            }
            deleted
        }
        Err(error) => {
            tracing::warn!(
                error = format!("{error:#}"),
                "could not reconcile managed-identity principals with AAD; will retry at next start"
            );
            0
        }
    }
}

async fn try_orphans(state: &AppState) -> anyhow::Result<usize> {
    let owned: HashSet<String> =
        crate::virtual_machines::store::credential_principal_ids(&state.db)
            .await?
            .into_iter()
            .map(|id| id.to_ascii_lowercase())
            .collect();
    let aad = AadClient::new(state);
    let mut deleted = 0;
    for id in aad.managed_identity_ids().await? {
        if owned.contains(&id.to_ascii_lowercase()) {
            continue;
        }
        aad.delete_service_principal(&id).await?;
        tracing::info!(%id, "deleted an orphaned managed-identity principal");
        deleted += 1;
    }
    Ok(deleted)
}

/// Pushes every user-assigned identity's federated identity credentials to AAD, replacing AAD's
/// copy ([`crate::federated_identity_credentials::writes::push_all`]); returns how many
/// identities were pushed. Failures are logged and retried at the next start.
pub async fn federated_credentials(state: &AppState) -> usize {
    crate::federated_identity_credentials::writes::push_all(state).await
}
