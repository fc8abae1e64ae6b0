//! The gate every request passes before routing, in ARM's order:
//!
//! 1. open paths (`/healthz`, `/metadata/endpoints`, the portal's `/portal/*`) pass untouched;
//! 2. `/internal/*` needs the internal key and a loopback peer unless the settings open it to the
//!    network (401 `InvalidInternalKey` otherwise, [`crate::extract::internal_allowed`]) and nothing else.
//!    Whether a path is internal is decided on the *decoded, normalised, case-folded* path
//!    ([`is_internal_path`]), so `/INTERNAL/…`, `/%69nternal/…`, `//internal/…` or
//!    `/x/../internal/…` are internal too; the internal handlers check the key again themselves
//!    ([`crate::extract::InternalCaller`]), so no routing change can expose them to a bearer token;
//! 3. every other path is case-folded ([`canonical_path`]) so that routes can be written with
//!    lower-case keywords, then authenticated (401 + `WWW-Authenticate`), checked against the
//!    subscription's tenant, and checked for `api-version` (400) — all before the router decides
//!    whether the path exists, so unknown routes answer the same way real ARM does.
//!
//! The authenticated [`Caller`] is left in the request extensions for the `Caller` extractor.
//! A request with more than one `Authorization` header is refused (401
//! `InvalidAuthenticationToken` with the challenge) instead of being judged by one of them.
//!
//! [`media_type`] runs after the gate: a PUT or PATCH whose `Content-Type` is not JSON is 415.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::http::{Method, Uri};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};

use crate::extract::{ApiVersion, Caller};
use crate::{AppState, ArmError};

/// The request path as the client sent it (before case-folding), for error messages.
#[derive(Debug, Clone)]
pub struct OriginalPath(pub String);

/// The gate middleware (install with `actix_web::middleware::from_fn`).
pub async fn gate<B: MessageBody>(
    mut request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    match admit(&mut request).await {
        Ok(()) => Ok(next.call(request).await?.map_into_left_body()),
        Err(response) => Ok(request.into_response(response).map_into_right_body()),
    }
}

async fn admit(request: &mut ServiceRequest) -> Result<(), HttpResponse> {
    // Key Vault's data plane authenticates and answers errors its own way.
    if crate::key_vaults::data_plane::is_vault_request(request) {
        return Ok(());
    }
    let path = request.path().to_string();
    if path == "/healthz" || path.eq_ignore_ascii_case("/metadata/endpoints") {
        return Ok(());
    }
    // The portal's page and assets are public; its ARM calls carry the user's token.
    if path == "/portal" || path.starts_with("/portal/") {
        return Ok(());
    }
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Err(
            ArmError::Internal(anyhow::anyhow!("AppState is not registered")).error_response(),
        );
    };
    if is_internal_path(&path) {
        return match crate::extract::internal_allowed(&state, request.request()) {
            true => Ok(()),
            false => Err(ArmError::InvalidInternalKey.error_response()),
        };
    }
    request.extensions_mut().insert(OriginalPath(path.clone()));
    rewrite_path(request, &canonical_path(&path));
    // Two `Authorization` headers are ambiguous (which one authenticates?): refuse them rather
    // than pick one, as ARM's front door answers a token it cannot use.
    if request.headers().get_all(AUTHORIZATION).count() > 1 {
        return Err(challenge(&state, &ArmError::InvalidAuthenticationToken));
    }
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .map(|value| value.to_str().unwrap_or_default().to_string());
    let caller = crate::auth::authenticate(&state, header.as_deref())
        .await
        .map_err(|error| challenge(&state, &error))?;
    request
        .extensions_mut()
        .insert(mimic_web::telemetry::Principal {
            oid: caller.oid.clone(),
            appid: caller.appid.clone(),
        });
    check_tenant(&state, request.path(), &caller)
        .await
        .map_err(|error| match error.is_authentication_failure() {
            true => challenge(&state, &error),
            false => error.error_response(),
        })?;
    ApiVersion::from_query(request.query_string()).map_err(|error| error.error_response())?;
    check_subscription_id(request.path()).map_err(|error| error.error_response())?;
    request.extensions_mut().insert(caller);
    Ok(())
}

/// Refuses a PUT or PATCH whose `Content-Type` is present and not `application/json` (any
/// parameters, e.g. `charset=utf-8`, allowed) with 415 `UnsupportedMediaType`, as ARM does; a
/// request without `Content-Type` is read as JSON. Installed inside [`gate`], so a request is
/// authenticated before its body's media type is judged. The message is the one ARM-style
/// resource providers send, e.g. Azure/ARO-RP's `UnsupportedMediaType` ("The content media type
/// 'text/plain' is not supported. Only 'application/json' is supported.").
pub async fn media_type<B: MessageBody>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let writes_body = matches!(*request.method(), Method::PUT | Method::PATCH)
        && !crate::key_vaults::data_plane::is_vault_request(&request);
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    match content_type {
        Some(content_type) if writes_body && !is_json(&content_type) => {
            let response = ArmError::UnsupportedMediaType(content_type).error_response();
            Ok(request.into_response(response).map_into_right_body())
        }
        Some(_) | None => Ok(next.call(request).await?.map_into_left_body()),
    }
}

/// Whether a `Content-Type` value names `application/json` (case-insensitive, parameters ignored).
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// A 401 with the `WWW-Authenticate` challenge ARM sends.
fn challenge(state: &AppState, error: &ArmError) -> HttpResponse {
    let mut response = error.error_response();
    let value = format!(
        "Bearer authorization_uri=\"{}/{}\", error=\"invalid_token\", error_description=\"{}\"",
        state.settings.aad_url.trim_end_matches('/'),
        state.settings.tenant_id,
        error.to_string().replace('"', "'"),
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}

/// On `/subscriptions/{id}/…` the token's tenant must be the subscription's tenant.
async fn check_tenant(state: &AppState, path: &str, caller: &Caller) -> Result<(), ArmError> {
    let Some(rest) = path.strip_prefix("/subscriptions/") else {
        return Ok(());
    };
    let subscription_id = rest.split('/').next().unwrap_or_default();
    let Some(subscription) = state.rbac.subscription(&state.db, subscription_id).await? else {
        return Ok(());
    };
    if subscription.tenant_id.eq_ignore_ascii_case(&caller.tid) {
        return Ok(());
    }
    Err(ArmError::InvalidAuthenticationTokenTenant {
        token_tenant: caller.tid.clone(),
        authority: format!(
            "{}/{}",
            state.settings.aad_url.trim_end_matches('/'),
            subscription.tenant_id
        ),
        tenant: subscription.tenant_id.clone(),
    })
}

/// `/subscriptions/{id}/…` needs a GUID: 400 `InvalidSubscriptionId` otherwise.
fn check_subscription_id(path: &str) -> Result<(), ArmError> {
    let Some(rest) = path.strip_prefix("/subscriptions/") else {
        return Ok(());
    };
    let subscription_id = rest.split('/').next().unwrap_or_default();
    match uuid::Uuid::parse_str(subscription_id) {
        Ok(_) if subscription_id.len() == 36 => Ok(()),
        Ok(_) | Err(_) => Err(ArmError::InvalidSubscriptionId(subscription_id.to_string())),
    }
}

pub use mimic_web::internal::is_internal_path;

fn rewrite_path(request: &mut ServiceRequest, path: &str) {
    if request.path() == path {
        return;
    }
    let query = request.query_string();
    let path_and_query = match query.is_empty() {
        true => path.to_string(),
        false => format!("{path}?{query}"),
    };
    let mut parts = request.head().uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    let Ok(uri) = Uri::from_parts(parts) else {
        return;
    };
    request.match_info_mut().get_mut().update(&uri);
    request.head_mut().uri = uri;
}

/// Lower-cases the keyword segments of an ARM path and keeps the name segments as they are:
/// `/subscriptions/{s}/resourceGroups/{g}/providers/{Namespace}/{type}/{name}…` becomes
/// `/subscriptions/{s}/resourcegroups/{g}/providers/{namespace}/{type}/{name}…` with `{s}`, `{g}`
/// and `{name}` untouched. After `providers` comes a namespace (a keyword); after any other
/// keyword comes a name. A trailing `/` is dropped, and so is every empty segment (`//`).
pub fn canonical_path(path: &str) -> String {
    let trimmed = match path.len() > 1 {
        true => path.trim_end_matches('/'),
        false => path,
    };
    let mut out = String::with_capacity(trimmed.len());
    let mut expect_name = false;
    let mut after_providers = false;
    for (index, segment) in trimmed.split('/').enumerate() {
        // ARM reads `//` as `/`: the JS SDKs join `/{scope}` with a scope that starts with `/`.
        if index > 0 && segment.is_empty() {
            continue;
        }
        if index > 0 {
            out.push('/');
        }
        if index == 0 {
            out.push_str(segment);
        } else if expect_name {
            out.push_str(segment);
            expect_name = false;
        } else if after_providers {
            out.push_str(&segment.to_ascii_lowercase());
            after_providers = false;
        } else {
            let keyword = segment.to_ascii_lowercase();
            after_providers = keyword == "providers";
            expect_name = !after_providers;
            out.push_str(&keyword);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{canonical_path, is_json};

    #[test]
    fn is_json_accepts_application_json_with_parameters_only() {
        for good in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
        ] {
            assert!(is_json(good), "{good}");
        }
        for bad in [
            "text/plain",
            "",
            "application/xml",
            "text/json",
            "application/jsonx",
        ] {
            assert!(!is_json(bad), "{bad}");
        }
    }

    #[test]
    fn canonical_path_lowers_keywords_and_keeps_names() {
        let cases = [
            ("/subscriptions", "/subscriptions"),
            ("/Subscriptions/ABC/", "/subscriptions/ABC"),
            ("/subscriptions/S/resourceGroups/My-RG", "/subscriptions/S/resourcegroups/My-RG"),
            (
                "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1",
                "/subscriptions/S/resourcegroups/RG/providers/microsoft.compute/virtualmachines/VM1",
            ),
            (
                "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1/providers/Microsoft.Authorization/roleAssignments/ID",
                "/subscriptions/S/resourcegroups/RG/providers/microsoft.compute/virtualmachines/VM1/providers/microsoft.authorization/roleassignments/ID",
            ),
            (
                "/providers/Microsoft.Authorization/roleDefinitions/GUID",
                "/providers/microsoft.authorization/roledefinitions/GUID",
            ),
            (
                "/subscriptions/S/providers/Microsoft.Compute/locations/EastUS/operations/Op1",
                "/subscriptions/S/providers/microsoft.compute/locations/EastUS/operations/Op1",
            ),
            ("/subscriptions/S/Resources", "/subscriptions/S/resources"),
            (
                "//subscriptions/S//providers/Microsoft.Authorization/roleDefinitions",
                "/subscriptions/S/providers/microsoft.authorization/roledefinitions",
            ),
            ("/", "/"),
        ];
        for (input, want) in cases {
            assert_eq!(canonical_path(input), want, "{input}");
        }
    }
}
