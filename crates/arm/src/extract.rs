//! Request extractors: [`ApiVersion`] and [`Caller`].
//!
//! Both are cheap: [`crate::middleware::gate`] already authenticated the request and checked the
//! api-version for every ARM route, so the extractors only hand the results to handlers. They
//! still check on their own if a route is reached without the gate (never in this crate).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::{AppState, ArmError};

/// The request's `api-version`, syntactically valid (each operation then checks it against its
/// type's versions, [`crate::operations`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersion(pub String);

impl ApiVersion {
    /// Reads and checks `api-version` from a query string: missing → `MissingApiVersionParameter`,
    /// not `YYYY-MM-DD[-preview|-beta|-alpha|-privatepreview]` → `InvalidApiVersionParameter`.
    pub fn from_query(query: &str) -> Result<Self, ArmError> {
        let value = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .unwrap_or_default()
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("api-version"))
            .map(|(_, value)| value)
            .ok_or(ArmError::MissingApiVersionParameter)?;
        mimic_azure::ApiVersion::parse(&value)
            .map(|version| Self(version.as_str().to_string()))
            .ok_or_else(|| ArmError::InvalidApiVersionParameter {
                supported: crate::resources::VERSIONS.join(","),
                version: value,
            })
    }
}

impl FromRequest for ApiVersion {
    type Error = ArmError;
    type Future = std::future::Ready<Result<Self, ArmError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::from_query(request.query_string()))
    }
}

/// The one decision for `/internal/*` (the gate and [`InternalCaller`] both ask it): the peer is
/// one the settings admit (loopback by default) and the request carries the internal key. A
/// refused peer gets the same 401 `InvalidInternalKey` as a wrong key.
pub fn internal_allowed(state: &AppState, request: &HttpRequest) -> bool {
    mimic_web::internal_request_allowed(
        &state.settings.internal_key,
        state.settings.internal_peers,
        request,
    )
}

/// A request that carries the internal key (`x-mimic-internal-key`). Every internal handler takes
/// it, so the key is checked by the handler itself and not only by the gate: no routing change
/// can expose an internal route to a bearer token. 401 `InvalidInternalKey` otherwise.
#[derive(Debug, Clone, Copy)]
pub struct InternalCaller;

impl FromRequest for InternalCaller {
    type Error = ArmError;
    type Future = std::future::Ready<Result<Self, ArmError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let allowed = request
            .app_data::<web::Data<AppState>>()
            .is_some_and(|state| internal_allowed(state, request));
        std::future::ready(match allowed {
            true => Ok(Self),
            false => Err(ArmError::InvalidInternalKey),
        })
    }
}

/// The OData `$filter` of a list operation (role definitions and assignments, deny assignments,
/// resource groups), as the client sent it; each list parses it its own way.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FilterQuery {
    /// `$filter`, verbatim.
    #[serde(rename = "$filter")]
    pub filter: Option<String>,
}

/// The authenticated caller: the validated access token's principal.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The principal's object id (`oid`).
    pub oid: String,
    /// The client's application id (`appid`).
    pub appid: String,
    /// The token's tenant (`tid`).
    pub tid: String,
    /// A user's sign-in name (`upn`, else `unique_name`); `None` for applications and managed
    /// identities.
    pub upn: Option<String>,
    /// All claims of the token.
    pub claims: mimic_token::AccessTokenClaims,
}

impl FromRequest for Caller {
    type Error = ArmError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ArmError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(caller) = request.extensions().get::<Caller>() {
            return Box::pin(std::future::ready(Ok(caller.clone())));
        }
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let header = request
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .map(|value| value.to_str().unwrap_or_default().to_string());
        Box::pin(async move {
            let state = state.ok_or_else(|| anyhow::anyhow!("AppState is not registered"))?;
            crate::auth::authenticate(&state, header.as_deref()).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_query_distinguishes_missing_and_invalid_versions() {
        assert_eq!(
            ApiVersion::from_query("api-version=2024-11-01").ok(),
            Some(ApiVersion("2024-11-01".into()))
        );
        assert_eq!(
            ApiVersion::from_query("$filter=x&API-VERSION=2022-05-01-preview").ok(),
            Some(ApiVersion("2022-05-01-preview".into()))
        );
        assert!(matches!(
            ApiVersion::from_query("foo=bar"),
            Err(ArmError::MissingApiVersionParameter)
        ));
        assert!(matches!(
            ApiVersion::from_query("api-version=yesterday"),
            Err(ArmError::InvalidApiVersionParameter { version: v, .. }) if v == "yesterday"
        ));
    }
}
