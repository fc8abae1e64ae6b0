//! The token endpoints: v2 `POST /{tenant}/oauth2/v2.0/token` and v1 `POST /{tenant}/oauth2/token`,
//! client-credentials grant; v2 also serves the user grants of [`crate::signin`]. `expires_in` is a JSON number (az adds it to an int, §1 item 3);
//! no `scope`, `refresh_token` or `id_token` is returned for this grant.

pub mod client_auth;
pub mod managed_identity;
pub mod mint;
pub mod request;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;

use crate::error::AadError;
use crate::signin::grants::USER_GRANTS;
use crate::state::AppState;
use crate::tenant::{AnyTokenTenant, TenantRef, TokenTenant};
use mint::Issued;
use request::{Form, TokenRequest, Version};

/// `POST /{tenant}/oauth2/v2.0/token`: user grants (see [`crate::signin`]) for any tenant alias,
/// client credentials for our tenant only.
pub async fn token_v2(
    AnyTokenTenant(tenant): AnyTokenTenant,
    state: web::Data<AppState>,
    http: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let form = Form::parse(&body)?;
    if let Some(grant) = form.get("grant_type").filter(|g| USER_GRANTS.contains(g)) {
        let response = crate::signin::grants::redeem(&state, grant, &form).await?;
        return Ok(no_store().json(response));
    }
    if let TenantRef::Common(_) = tenant {
        return Err(AadError::GrantNotSupportedOverCommon);
    }
    let request = TokenRequest::parse(Version::V2, &form, http.headers())?;
    let issued = issue(&state, &request).await?;
    Ok(no_store().json(TokenResponseV2::from(issued)))
}

/// `POST /{tenant}/oauth2/token` (v1: `resource=` verbatim).
pub async fn token_v1(
    _: TokenTenant,
    state: web::Data<AppState>,
    http: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let request = TokenRequest::parse(Version::V1, &Form::parse(&body)?, http.headers())?;
    let issued = issue(&state, &request).await?;
    Ok(no_store().json(TokenResponseV1::from(issued)))
}

async fn issue(state: &AppState, request: &TokenRequest) -> Result<Issued, AadError> {
    let client =
        client_auth::authenticate(state, &request.client_id, request.credential.as_ref()).await?;
    let audience = audience(state, &request.resource).await?;
    let mut issued = mint::mint(state, &client, &audience, request.cp1, state.clock.now())?;
    // The v1 response echoes the resource as requested, whatever the token's `aud`.
    issued.resource = request.resource.clone();
    tracing::info!(app_id = %client.principal.app_id, resource = %request.resource, "token issued");
    Ok(issued)
}

/// The `aud` of a token for `resource`. An app registration named by its app id or one of its
/// identifier URIs gets Entra's answer: an API that accepts v2 tokens
/// (`api.requestedAccessTokenVersion` 2, Graph's default for new applications) is always
/// addressed by its app id; one that accepts v1 tokens by the resource as requested. Any other
/// resource (ARM, Graph, Key Vault, …) is the audience verbatim, as before.
/// See <https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference>.
pub async fn audience(state: &AppState, resource: &str) -> Result<String, AadError> {
    Ok(match state.applications.by_resource(resource).await? {
        Some(application) if application.accepts_v2_tokens() => application.app_id,
        _ => resource.to_string(),
    })
}

fn no_store() -> HttpResponseBuilder {
    let mut builder = HttpResponse::Ok();
    builder
        .insert_header((header::CACHE_CONTROL, "no-store, no-cache"))
        .insert_header((header::PRAGMA, "no-cache"))
        .content_type("application/json; charset=utf-8");
    builder
}

/// The v2 success body.
#[derive(Debug, Serialize)]
pub struct TokenResponseV2 {
    pub token_type: &'static str,
    pub expires_in: i64,
    pub ext_expires_in: i64,
    pub access_token: String,
}

impl From<Issued> for TokenResponseV2 {
    fn from(issued: Issued) -> Self {
        Self {
            token_type: "Bearer",
            expires_in: issued.expires_in,
            ext_expires_in: issued.expires_in,
            access_token: issued.access_token,
        }
    }
}

/// The v1 success body. Real AAD sends the numbers as strings here; we send numbers, which every
/// client accepts and az requires on v2.
#[derive(Debug, Serialize)]
pub struct TokenResponseV1 {
    pub token_type: &'static str,
    pub expires_in: i64,
    pub ext_expires_in: i64,
    pub expires_on: i64,
    pub not_before: i64,
    pub resource: String,
    pub access_token: String,
}

impl From<Issued> for TokenResponseV1 {
    fn from(issued: Issued) -> Self {
        Self {
            token_type: "Bearer",
            expires_in: issued.expires_in,
            ext_expires_in: issued.expires_in,
            expires_on: issued.expires_on,
            not_before: issued.not_before,
            resource: issued.resource,
            access_token: issued.access_token,
        }
    }
}
