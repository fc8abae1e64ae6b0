//! `POST /internal/managedIdentities/token`: a managed identity's token, for the IMDS host only
//! (internal key). Managed identities hold no private key anywhere: the IMDS host names the VM,
//! the identity's principal and the resource; AAD asks ARM which identities the VM has *now* and
//! issues the token only if this one is among them (docs/internal-apis.md).
//!
//! Azure does the same inside its own fabric: the managed-identity credential is never handed to
//! the VM, only tokens are.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::client_auth::{AuthMethod, Authenticated};
use super::{mint, no_store, TokenResponseV1};
use crate::error::AadError;
use crate::principals::InternalCaller;
use crate::state::AppState;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedIdentityTokenRequest {
    /// The ARM id of the VM asking (any case).
    pub vm_id: String,
    /// The identity's service principal (object id).
    pub principal_id: String,
    /// The audience, verbatim (v1 `resource`).
    pub resource: String,
}

/// Issues the token, or 400 `invalid_request` "Identity not found" when the identity is not (or
/// no longer) on the VM, or the principal is not a managed identity.
pub async fn issue(
    _: InternalCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let request: ManagedIdentityTokenRequest = serde_json::from_slice(&body)
        .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))?;
    if request.resource.is_empty() {
        return Err(AadError::MissingParameter("resource"));
    }
    let principal = state
        .store
        .get(&request.principal_id)
        .await?
        .filter(|principal| principal.is_managed_identity())
        .ok_or(AadError::ManagedIdentityNotAssigned)?;
    let subject = mimic_web::chaos::Subject {
        vm: Some(&request.vm_id),
        identities: vec![principal.id.as_str(), principal.app_id.as_str()],
        resource: Some(&request.resource),
    };
    crate::chaos::strike(&state, &subject).await?;
    let vm = state
        .arm
        .vm(&request.vm_id)
        .await?
        .ok_or(AadError::ManagedIdentityNotAssigned)?;
    let (_, resource_id) = vm
        .identities
        .iter()
        .find(|(principal_id, _)| principal_id.eq_ignore_ascii_case(&principal.id))
        .ok_or(AadError::ManagedIdentityNotAssigned)?;
    // A user-assigned identity's token names the VM it was asked from (`xms_az_rid`), as Azure's do.
    let user_assigned = !resource_id.eq_ignore_ascii_case(&vm.vm_id);
    let client = Authenticated {
        principal,
        method: AuthMethod::Certificate,
        xms_az_rid: user_assigned.then(|| vm.vm_id.clone()),
    };
    let resource = super::Resource::resolve(&state, &request.resource).await?;
    let roles = resource.roles_of(&state, &client.principal.id).await?;
    let mut issued = mint::mint(
        &state,
        &client,
        &resource.audience,
        roles,
        false,
        state.chaos.token_time(state.clock.now()),
    )?;
    issued.resource = request.resource.clone();
    tracing::info!(app_id = %client.principal.app_id, resource = %request.resource, vm = %vm.vm_id, "managed-identity token issued");
    Ok(no_store().json(TokenResponseV1::from(issued)))
}
