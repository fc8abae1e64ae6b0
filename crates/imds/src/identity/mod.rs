//! The managed-identity endpoints: `GET /metadata/identity/oauth2/token` (Identity_GetToken)
//! and `GET /metadata/identity/info` (Identity_GetInfo).

pub(crate) mod current;
pub(crate) mod select;
pub(crate) mod tokens;
pub(crate) mod watch;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::IdentityError;
use crate::extract::ImdsQuery;
use crate::startup::AppState;
use tokens::TokenRequest;

/// Identity_GetToken: a token for one of the VM's current identities.
pub(crate) async fn get_token(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, IdentityError> {
    let query = ImdsQuery::check(&request)?;
    let token_request = TokenRequest::from_query(&query)?;
    if let Some(answer) = crate::chaos::strike(&state, &request, &token_request).await {
        return Ok(answer);
    }
    let token = issue(&state, &token_request).await?;
    Ok(HttpResponse::Ok().json(token))
}

/// A token for the identity the request selects among the VM's current identities (in memory
/// under the IMDS host, else from ARM's host API).
pub(crate) async fn issue(
    state: &AppState,
    request: &TokenRequest,
) -> Result<tokens::TokenResponse, IdentityError> {
    let vm = state
        .identities
        .get(&state.host)
        .await?
        .ok_or(IdentityError::IdentityNotFound)?;
    let identity = match select::identity(&vm.identities, &request.selector) {
        Ok(identity) => identity,
        Err(IdentityError::IdentityNotFound) => {
            return retained(state, request).ok_or(IdentityError::IdentityNotFound)
        }
        Err(other) => return Err(other),
    };
    let token = state
        .tokens
        .token_for(identity, vm.arm_id(&state.vm_id), request)
        .await?;
    // The identity may have been removed while AAD was asked: never answer with its token then
    // (unless `token-cache-realism` keeps serving it, as Azure's IMDS does).
    match state.identities.still_assigned(&identity.principal_id) {
        true => Ok(token),
        false => retained(state, request).ok_or(IdentityError::IdentityNotFound),
    }
}

/// With `token-cache-realism` on (docs/reality-modes.md), the cached token of an identity the VM
/// no longer has, until it expires; off (the default), nothing.
fn retained(state: &AppState, request: &TokenRequest) -> Option<tokens::TokenResponse> {
    state
        .reality
        .is_on(mimic_web::reality::TOKEN_CACHE_REALISM)
        .then(|| state.tokens.retained(request))
        .flatten()
}

/// imds.json `IdentityInfoResponse`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IdentityInfo<'a> {
    tenant_id: &'a str,
}

/// Identity_GetInfo: the tenant the VM's identities live in.
pub(crate) async fn get_info(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, IdentityError> {
    let query = ImdsQuery::check(&request)?;
    query.api_version()?;
    Ok(HttpResponse::Ok().json(IdentityInfo {
        tenant_id: &state.tenant_id,
    }))
}

/// Any method but GET on an identity endpoint.
pub(crate) async fn method_not_allowed() -> Result<HttpResponse, IdentityError> {
    Err(IdentityError::MethodNotAllowed)
}
