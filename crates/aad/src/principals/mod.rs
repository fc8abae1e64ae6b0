//! The internal API ARM uses to manage the directory (see `docs/internal-apis.md`):
//! `POST/GET/DELETE /internal/servicePrincipals[/{id}]`, guarded by `x-mimic-internal-key`.
//! Deleting a principal deletes its credentials; tokens already issued stay valid until they
//! expire, as in Azure, but no new ones are issued.

pub mod assignments;
pub mod model;
pub mod store;

use std::future::{ready, Ready};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse};

use crate::error::AadError;
use crate::state::AppState;
use model::{NewServicePrincipal, ServicePrincipalView};

/// A request from a peer the settings admit (loopback unless `--internal-api-on-network`) that
/// carries the internal key: the one place AAD decides who reaches `/internal/*`. A refused peer
/// gets the same 401 as a wrong key.
#[derive(Debug, Clone, Copy)]
pub struct InternalCaller;

impl FromRequest for InternalCaller {
    type Error = AadError;
    type Future = Ready<Result<Self, AadError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let allowed = request
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| {
                mimic_web::internal_request_allowed(
                    &state.internal_key,
                    state.internal_peers,
                    request,
                )
            });
        ready(if allowed {
            Ok(Self)
        } else {
            Err(AadError::InternalKeyInvalid)
        })
    }
}

/// Every request whose decoded, normalised, case-folded path is internal (`/INTERNAL/…`,
/// `/%69nternal/…`, `/x/../internal/…`, ...) needs the internal key from an allowed peer, whatever
/// route it would reach: 401 otherwise, as ARM's gate does. The handlers check again
/// ([`InternalCaller`]).
pub async fn internal_gate<B: actix_web::body::MessageBody>(
    request: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::EitherBody<B>>, actix_web::Error> {
    let refused = mimic_web::internal::is_internal_path(request.path())
        && !request
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| {
                mimic_web::internal_request_allowed(
                    &state.internal_key,
                    state.internal_peers,
                    request.request(),
                )
            });
    match refused {
        // `from_error` keeps the error on the response, so the envelope renders it in context.
        true => Ok(request
            .into_response(HttpResponse::from_error(AadError::InternalKeyInvalid))
            .map_into_right_body()),
        false => Ok(next.call(request).await?.map_into_left_body()),
    }
}

/// `POST /internal/servicePrincipals` → 201 with the stored principal.
pub async fn create(
    _: InternalCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let request: NewServicePrincipal = serde_json::from_slice(&body)
        .map_err(|e| AadError::InvalidServicePrincipal(e.to_string()))?;
    let draft = request.into_draft(iso_timestamp(state.clock.now()))?;
    let principal = state.store.create(&draft).await?;
    state
        .reality
        .principal_created(&principal.id, state.clock.now());
    tracing::info!(id = %principal.id, app_id = %principal.app_id, "service principal created");
    Ok(HttpResponse::Created().json(ServicePrincipalView::from(principal)))
}

/// `GET /internal/servicePrincipals?servicePrincipalType=ManagedIdentity` →
/// `{"value":[{"id","displayName"}]}`: the managed identities, for ARM to reconcile against its
/// own state at start.
pub async fn list_managed_identities(
    _: InternalCaller,
    state: web::Data<AppState>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, AadError> {
    match query.get("servicePrincipalType").map(String::as_str) {
        Some("ManagedIdentity") => {}
        other => {
            return Err(AadError::InvalidInternalRequest(format!(
                "servicePrincipalType must be ManagedIdentity, not {other:?}"
            )))
        }
    }
    let value: Vec<serde_json::Value> = state
        .store
        .managed_identities()
        .await?
        .into_iter()
        .map(|(id, name)| serde_json::json!({ "id": id, "displayName": name }))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "value": value })))
}

/// `GET /internal/status` → `{"servicePrincipals","managedIdentities","users"}`, each a count:
/// what the directory holds (Microsoft's first-party principals left out), for `mimic status`.
pub async fn status(
    _: InternalCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AadError> {
    let managed_identities = state.store.managed_identities().await?.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "servicePrincipals": state.store.count_own().await?,
        "managedIdentities": managed_identities,
        "users": state.users.count().await?,
    })))
}

/// `GET /internal/servicePrincipals/{id}`.
pub async fn get(
    _: InternalCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    let id = id.into_inner();
    match state.store.get(&id).await? {
        Some(principal) => Ok(HttpResponse::Ok().json(ServicePrincipalView::from(principal))),
        None => Err(AadError::ServicePrincipalNotFound(id)),
    }
}

/// `DELETE /internal/servicePrincipals/{id}` → 204, or 404 if unknown.
pub async fn delete(
    _: InternalCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    let id = id.into_inner();
    match state.store.delete(&id).await? {
        Some(()) => {
            tracing::info!(%id, "service principal deleted");
            Ok(HttpResponse::NoContent().finish())
        }
        None => Err(AadError::ServicePrincipalNotFound(id)),
    }
}

/// `2026-11-23T13:00:00Z`, Graph's `createdDateTime` format.
pub fn iso_timestamp(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
