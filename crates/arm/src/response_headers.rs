//! The headers ARM puts on every response of its own (successes, error envelopes, 401s, unknown
//! routes), beside the `x-ms-request-id` that [`mimic_web::telemetry::request_id`] adds to every
//! service's responses:
//!
//! - `x-ms-correlation-request-id`: the client's `x-ms-correlation-request-id` echoed, or a new
//!   GUID when it sent none (ARM ties every request of one client operation together with it;
//!   the request log line carries it as `correlation_id`);
//! - `x-ms-routing-request-id`: `{REGION}:{yyyyMMddTHHmmssZ}:{correlation id}`, as ARM writes it
//!   (e.g. `WESTUS:20250501T143306Z:408f77af-…`);
//! - `x-ms-ratelimit-remaining-subscription-{reads|writes|deletes}` and
//!   `x-ms-ratelimit-remaining-subscription-global-{…}` (or `…-tenant-{…}` outside a
//!   subscription) once the caller is authenticated ([`crate::throttling`]: counted, never
//!   enforced). A 401 carries none: ARM refuses it before counting.
//!
//! Not on Key Vault's data plane, `/internal/*`, `/healthz` or the portal's page and assets: they
//! are not ARM.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use crate::throttling::{Kind, Scope};
use crate::AppState;
use mimic_web::telemetry::{CorrelationId, Principal};

/// The request header a client correlates its requests with, and ARM's response header.
pub const CORRELATION_HEADER: &str = "x-ms-correlation-request-id";

/// The middleware (install with `actix_web::middleware::from_fn`, outside the gate so that its
/// 401s get the headers too).
pub async fn arm_headers<B: MessageBody>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    if !is_arm_request(&request) {
        return next.call(request).await;
    }
    let correlation = correlation_id(request.headers());
    request
        .extensions_mut()
        .insert(CorrelationId(correlation.clone()));
    let mut response = next.call(request).await?;
    let Some(state) = response
        .request()
        .app_data::<web::Data<AppState>>()
        .cloned()
    else {
        return Ok(response);
    };
    let now = state.clock.now();
    let principal = match response.status() {
        actix_web::http::StatusCode::UNAUTHORIZED => None,
        _ => response.request().extensions().get::<Principal>().cloned(),
    };
    let remaining = principal.map(|principal| {
        let kind = Kind::of(response.request().method());
        let scope = scope_of(response.request().path());
        let remaining = state.rate_limits.take(&scope, &principal.oid, kind, now);
        (scope, kind, remaining)
    });
    let headers = response.headers_mut();
    insert(headers, CORRELATION_HEADER, &correlation);
    insert(
        headers,
        "x-ms-routing-request-id",
        &routing_request_id(now, &correlation),
    );
    if let Some((scope, kind, remaining)) = remaining {
        let kind = kind.as_str();
        match scope {
            Scope::Subscription(_) => {
                let regional = format!("x-ms-ratelimit-remaining-subscription-{kind}");
                let global = format!("x-ms-ratelimit-remaining-subscription-global-{kind}");
                insert(headers, &regional, &remaining.regional.to_string());
                insert(headers, &global, &remaining.global.to_string());
            }
            Scope::Tenant => {
                let regional = format!("x-ms-ratelimit-remaining-tenant-{kind}");
                insert(headers, &regional, &remaining.regional.to_string());
            }
        }
    }
    Ok(response)
}

/// Whether ARM answers this request itself (not Key Vault's data plane, the internal API, the
/// health check or the portal's files).
fn is_arm_request(request: &ServiceRequest) -> bool {
    let path = request.path();
    !(crate::key_vaults::data_plane::is_vault_request(request)
        || path == "/healthz"
        || path == "/portal"
        || path.starts_with("/portal/")
        || crate::middleware::is_internal_path(path))
}

/// The client's correlation id when it is a usable header value (at most 128 visible ASCII
/// characters), else a new GUID.
fn correlation_id(headers: &HeaderMap) -> String {
    headers
        .get(CORRELATION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty() && value.len() <= 128)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// What a path is counted against: its subscription, or the tenant.
fn scope_of(path: &str) -> Scope {
    let subscription = path
        .strip_prefix("/subscriptions/")
        .and_then(|rest| rest.split('/').next())
        .filter(|id| !id.is_empty());
    match subscription {
        Some(id) => Scope::Subscription(id.to_ascii_lowercase()),
        None => Scope::Tenant,
    }
}

/// `EASTUS:20260101T120000Z:{correlation}`: the region is the first of the subscription's
/// locations (mimic is one ARM instance), upper-cased as ARM writes it.
fn routing_request_id(now: i64, correlation: &str) -> String {
    let region = crate::subscriptions::model::location_names()
        .next()
        .unwrap_or("eastus")
        .to_ascii_uppercase();
    let time = chrono::DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ");
    format!("{region}:{time}:{correlation}")
}

fn insert(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_is_the_subscription_of_the_path_or_the_tenant() {
        assert_eq!(
            scope_of("/subscriptions/ABC/resourcegroups/g"),
            Scope::Subscription("abc".into())
        );
        assert_eq!(
            scope_of("/subscriptions/abc"),
            Scope::Subscription("abc".into())
        );
        assert_eq!(scope_of("/subscriptions"), Scope::Tenant);
        assert_eq!(
            scope_of("/providers/microsoft.authorization/roledefinitions"),
            Scope::Tenant
        );
    }

    #[test]
    fn routing_request_id_is_region_time_and_correlation() {
        let id = routing_request_id(1_746_110_000, "c0ffee");
        let parts: Vec<&str> = id.split(':').collect();
        assert_eq!(parts.len(), 3, "{id}");
        assert!(parts[0].chars().all(|c| c.is_ascii_uppercase()), "{id}");
        assert_eq!(parts[1], "20250501T143320Z");
        assert_eq!(parts[2], "c0ffee");
    }

    #[test]
    fn correlation_id_echoes_a_usable_header_else_is_a_new_guid() {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static(CORRELATION_HEADER),
            HeaderValue::from_static("my-correlation"),
        );
        assert_eq!(correlation_id(&headers), "my-correlation");
        let fresh = correlation_id(&HeaderMap::new());
        assert!(uuid::Uuid::parse_str(&fresh).is_ok(), "{fresh}");
    }
}
