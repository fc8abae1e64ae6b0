//! mimic's OIDC issuers over HTTP. Public, as a cluster's service-account issuer serves them:
//! `GET /issuers/{name}/.well-known/openid-configuration` and its `jwks_uri`,
//! `GET /issuers/{name}/openid/v1/jwks`. Internal (internal key; what `mimic issuer …` and
//! `mimic workload …` call): list, create or import, rotate, delete, and mint a token.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::issuers::IssuerError;
use crate::error::AadError;
use crate::principals::InternalCaller;
use crate::state::AppState;

/// The longest token `mint` signs: a day, as a Kubernetes `expirationSeconds` allows.
pub const MAX_LIFETIME: i64 = 24 * 3600;
/// The audience Entra expects by default in a federated token.
pub const DEFAULT_AUDIENCE: &str = "api://AzureADTokenExchange";

/// `GET /issuers/{name}/.well-known/openid-configuration`.
pub async fn openid_configuration(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    if state.issuers.jwks(&name).is_none() {
        return Err(AadError::RouteNotFound);
    }
    let issuer = state.issuers.local_url(&name);
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/openid/v1/jwks"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })))
}

/// `GET /issuers/{name}/openid/v1/jwks`.
pub async fn jwks(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    let jwks = state.issuers.jwks(&name).ok_or(AadError::RouteNotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "max-age=60"))
        .json(jwks))
}

/// `GET /internal/issuers`.
pub async fn list(_: InternalCaller, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "value": state.issuers.list() }))
}

/// The body of `PUT /internal/issuers/{name}`: empty (or `{}`) for a local issuer; `issuer` and
/// `jwks` to import another's.
#[derive(Debug, Default, Deserialize)]
pub struct PutIssuer {
    issuer: Option<String>,
    jwks: Option<serde_json::Value>,
}

/// `PUT /internal/issuers/{name}`: 201 when created, 200 when it existed (a local issuer is left
/// as it was; an import is replaced).
pub async fn put(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let body: PutIssuer = match body.is_empty() {
        true => PutIssuer::default(),
        false => serde_json::from_slice(&body)
            .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))?,
    };
    let existed = state.issuers.get(&name).is_some();
    match (body.issuer, body.jwks) {
        (None, None) => {
            state.issuers.create_local(&name).await?.map_err(refused)?;
        }
        (Some(issuer), Some(jwks)) => {
            state
                .issuers
                .import(&name, &issuer, jwks)?
                .map_err(refused)?;
        }
        _ => {
            return Err(AadError::InvalidInternalRequest(
                "An import needs both 'issuer' and 'jwks'.".into(),
            ))
        }
    }
    state.issuers.announce().await;
    let view = state
        .issuers
        .list()
        .into_iter()
        .find(|v| v.name == *name)
        .ok_or_else(|| AadError::Internal(anyhow::anyhow!("the issuer vanished")))?;
    Ok(match existed {
        true => HttpResponse::Ok().json(view),
        false => HttpResponse::Created().json(view),
    })
}

/// `POST /internal/issuers/{name}/rotate`: the new `kid`.
pub async fn rotate(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    let kid = state.issuers.rotate(&name).await?.map_err(refused)?;
    state.issuers.announce().await;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "kid": kid })))
}

/// `DELETE /internal/issuers/{name}`.
pub async fn delete(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    match state.issuers.delete(&name)? {
        true => {
            state.issuers.announce().await;
            Ok(HttpResponse::NoContent().finish())
        }
        false => Err(refused(IssuerError::NotFound(name.into_inner()))),
    }
}

/// The body of `POST /internal/issuers/{name}/token`.
#[derive(Debug, Deserialize)]
pub struct MintRequest {
    subject: String,
    audience: Option<String>,
    /// Seconds (default one hour, at most a day).
    lifetime: Option<i64>,
}

/// `POST /internal/issuers/{name}/token`: `{"token", "expiresOn"}`.
pub async fn mint(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let request: MintRequest = serde_json::from_slice(&body)
        .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))?;
    let lifetime = request.lifetime.unwrap_or(3600);
    if !(60..=MAX_LIFETIME).contains(&lifetime) {
        return Err(AadError::InvalidInternalRequest(format!(
            "The lifetime must be between 60 and {MAX_LIFETIME} seconds."
        )));
    }
    if request.subject.is_empty() {
        return Err(AadError::InvalidInternalRequest(
            "The subject must not be empty.".into(),
        ));
    }
    let audience = request.audience.as_deref().unwrap_or(DEFAULT_AUDIENCE);
    let now = state.clock.now();
    let token = state
        .issuers
        .mint(&name, &request.subject, audience, now, lifetime)
        .map_err(refused)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "token": token,
        "issuer": state.issuers.local_url(&name),
        "expiresOn": now + lifetime,
    })))
}

fn refused(error: IssuerError) -> AadError {
    match error {
        IssuerError::NotFound(name) => AadError::ObjectNotFound(name),
        _ => AadError::InvalidInternalRequest(error.to_string()),
    }
}
