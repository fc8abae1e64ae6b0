//! The token endpoints: v2 `POST /{tenant}/oauth2/v2.0/token` and v1 `POST /{tenant}/oauth2/token`,
//! client-credentials grant; v2 also serves the user grants of [`crate::signin`]. `expires_in` is a JSON number (az adds it to an int, §1 item 3);
//! no `scope`, `refresh_token` or `id_token` is returned for this grant.

pub mod client_auth;
pub mod group_claims;
pub mod managed_identity;
pub mod mint;
pub mod request;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;

use crate::error::AadError;
use crate::first_party::{FirstParty, MimicUrls};
use crate::principals::model::ServicePrincipal;
use crate::signin::grants::USER_GRANTS;
use crate::state::AppState;
use crate::tenant::{AnyTokenTenant, TenantRef, TokenTenant};
use group_claims::GroupClaims;
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
        let response =
            crate::signin::grants::redeem(&state, grant, &form, &state.login_base(&http)).await?;
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
    let subject = mimic_web::chaos::Subject {
        vm: None,
        identities: vec![request.client_id.as_str()],
        resource: Some(&request.resource),
    };
    crate::chaos::strike(state, &subject).await?;
    let client =
        client_auth::authenticate(state, &request.client_id, request.credential.as_ref()).await?;
    let resource = Resource::resolve(state, &request.resource).await?;
    let roles = resource.roles_of(state, &client.principal.id).await?;
    let mut issued = mint::mint(
        state,
        &client,
        &resource.audience,
        roles,
        request.cp1,
        state.chaos.token_time(state.clock.now()),
    )?;
    // The v1 response echoes the resource as requested, whatever the token's `aud`.
    issued.resource = request.resource.clone();
    tracing::info!(app_id = %client.principal.app_id, resource = %request.resource, "token issued");
    Ok(issued)
}

/// What a token request's resource names: the token's audience and the service principal whose
/// app roles the token carries.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The token's `aud`.
    pub audience: String,
    /// The resource's service principal in the tenant, if it has one.
    pub principal: Option<ServicePrincipal>,
    /// The resource's app roles a service principal may hold: `(id, value)`.
    pub app_roles: Vec<(String, String)>,
    /// The `groups`/`wids` claims its users' tokens carry (`groupMembershipClaims`).
    pub group_claims: GroupClaims,
}

impl Resource {
    /// Finds the resource: a first-party one by any of its names ([`FirstParty::named`]), an
    /// application of the tenant by its app id or one of its identifier URIs, or a service
    /// principal by its app id; else Entra's `invalid_resource` (AADSTS500011).
    ///
    /// The audience: an application whose API accepts v2 tokens
    /// (`api.requestedAccessTokenVersion` 2, Graph's default for new applications) is always
    /// addressed by its app id; anything else by the resource as requested.
    /// See <https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference>.
    pub async fn resolve(state: &AppState, resource: &str) -> Result<Self, AadError> {
        if let Some(entry) = FirstParty::named(resource, &MimicUrls::of(state)) {
            return Ok(Self {
                audience: resource.to_string(),
                principal: state.store.by_app_id(entry.app_id).await?,
                app_roles: entry
                    .app_roles
                    .iter()
                    .map(|role| (role.id.to_string(), role.value.to_string()))
                    .collect(),
                group_claims: entry.group_claims,
            });
        }
        if let Some(application) = state.applications.by_resource(resource).await? {
            let app_roles = application
                .properties
                .app_roles
                .iter()
                .filter(|role| role.is_enabled)
                .filter(|role| role.allowed_member_types.iter().any(|t| t == "Application"))
                .filter_map(|role| Some((role.id.clone(), role.value.clone()?)))
                .collect();
            return Ok(Self {
                audience: match application.accepts_v2_tokens() {
                    true => application.app_id.clone(),
                    false => resource.to_string(),
                },
                principal: state.store.by_app_id(&application.app_id).await?,
                app_roles,
                group_claims: GroupClaims::parse(
                    application.properties.group_membership_claims.as_deref(),
                ),
            });
        }
        if let Some(principal) = state.store.by_app_id(resource).await? {
            return Ok(Self {
                audience: resource.to_string(),
                principal: Some(principal),
                app_roles: Vec::new(),
                group_claims: GroupClaims::NONE,
            });
        }
        Err(AadError::InvalidResource {
            resource: resource.to_string(),
            tenant: state.tenant.display_name.clone(),
        })
    }

    /// The values of this resource's app roles granted to `principal_id` (the `roles` claim).
    pub async fn roles_of(
        &self,
        state: &AppState,
        principal_id: &str,
    ) -> Result<Vec<String>, AadError> {
        let Some(resource) = &self.principal else {
            return Ok(Vec::new());
        };
        let granted = state.store.app_role_ids(principal_id, &resource.id).await?;
        Ok(self
            .app_roles
            .iter()
            .filter(|(id, _)| granted.iter().any(|g| g.eq_ignore_ascii_case(id)))
            .map(|(_, value)| value.clone())
            .collect())
    }
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
