//! The managed-identity endpoints: `GET /metadata/identity/oauth2/token` (Identity_GetToken)
//! and `GET /metadata/identity/info` (Identity_GetInfo).

pub(crate) mod select;
pub(crate) mod tokens;

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
    let vm = state
        .host
        .vm(&state.vm_id)
        .await?
        .ok_or(IdentityError::IdentityNotFound)?;
    let identity = select::identity(&vm.identities, &token_request.selector)?;
    let token = state
        .tokens
        .token_for(identity, vm.arm_id(&state.vm_id), &token_request)
        .await?;
    Ok(HttpResponse::Ok().json(token))
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
