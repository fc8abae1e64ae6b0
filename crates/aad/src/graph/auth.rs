//! Graph's bearer-token validation: RS256 signed by the tenant's signing key (AAD is the issuer,
//! so the key is in-process), `iss` the tenant's v1 issuer, `aud` one of Graph's audiences, and
//! `exp`/`nbf` within five minutes of skew. Each failure has Graph's `InvalidAuthenticationToken`
//! message.

use std::future::{ready, Ready};

use actix_web::http::header::AUTHORIZATION;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use mimic_token::{AccessTokenClaims, Expectations, Jwk, Jwks, Verifier, VerifyError};

use super::error::{GraphError, TokenFailure};
use crate::state::AppState;

/// Clock skew Graph tolerates on `exp` and `nbf`, in seconds.
pub const LEEWAY: i64 = 300;

/// Microsoft Graph's application id, also accepted as an audience.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The graph resource id (= base URL) for an AAD public URL: the URL with one trailing slash.
/// az asks for `{resource id}/.default` and calls `{resource id without '/'}/v1.0/…`.
pub fn resource_id(aad_public_url: &str) -> String {
    format!("{}/", aad_public_url.trim_end_matches('/'))
}

/// Every audience Graph accepts: mimic's resource id with and without the trailing slash, and
/// the names of the real Graph (so tokens minted for `https://graph.microsoft.com` work too).
pub fn audiences(aad_public_url: &str) -> Vec<String> {
    let id = resource_id(aad_public_url);
    vec![
        id.trim_end_matches('/').to_string(),
        id,
        "https://graph.microsoft.com".into(),
        "https://graph.microsoft.com/".into(),
        GRAPH_APP_ID.into(),
    ]
}

/// A caller with a valid Graph token, and the service root its URL addressed.
#[derive(Debug, Clone)]
pub struct GraphCaller {
    /// The token's claims.
    pub claims: AccessTokenClaims,
    /// `https://host/v1.0` or `https://host/beta`: the base of `@odata.context` and next links.
    pub service_root: String,
}

impl FromRequest for GraphCaller {
    type Error = GraphError;
    type Future = Ready<Result<Self, GraphError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(request))
    }
}

pub(crate) fn authenticate(request: &HttpRequest) -> Result<GraphCaller, GraphError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| anyhow::anyhow!("application state is missing"))?;
    let token = bearer_token(request).ok_or(TokenFailure::Empty);
    let claims = token.and_then(|token| verify(state, token));
    let claims = claims.map_err(GraphError::InvalidAuthenticationToken)?;
    let version = request
        .path()
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    Ok(GraphCaller {
        claims,
        service_root: format!("{}/{version}", state.graph_base(request)),
    })
}

/// The token of an `Authorization: Bearer <token>` header, if there is a non-empty one.
fn bearer_token(request: &HttpRequest) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Verifies `token` against the tenant's own key. Building the verifier is a base64 decode and a
/// parse of one RSA public key (microseconds): cheaper than keeping a second copy in the state.
fn verify(state: &AppState, token: &str) -> Result<AccessTokenClaims, TokenFailure> {
    let verifier = Verifier::from_jwks(&Jwks {
        keys: (state.keys.published(state.clock.now()).iter())
            .map(|key| Jwk::from_key(key, None))
            .collect(),
    });
    let expect = Expectations {
        issuers: vec![state.tenant.v1_issuer()],
        audiences: audiences(&state.base_url),
        leeway: LEEWAY,
    };
    verifier
        .verify(token, &expect, state.clock.now())
        .map_err(|error| match error {
            VerifyError::Malformed => TokenFailure::Malformed,
            VerifyError::Algorithm(_) | VerifyError::UnknownKey(_) | VerifyError::Signature => {
                TokenFailure::Signature
            }
            VerifyError::Expired { .. } => TokenFailure::Expired,
            VerifyError::NotYetValid { .. } => TokenFailure::NotYetValid,
            VerifyError::Audience(_) => TokenFailure::Audience,
            VerifyError::Issuer(_) => TokenFailure::Issuer,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_id_has_exactly_one_trailing_slash() {
        for url in ["https://127.0.0.1:8444", "https://127.0.0.1:8444/"] {
            assert_eq!(resource_id(url), "https://127.0.0.1:8444/");
        }
        assert_eq!(
            audiences("https://127.0.0.1:8444")[..2],
            ["https://127.0.0.1:8444", "https://127.0.0.1:8444/"]
        );
    }
}
