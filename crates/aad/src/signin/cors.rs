//! CORS for the token endpoint and Graph: the portal (a single-page app on a loopback `https`
//! origin) redeems its code and reads and writes the directory (its Microsoft Entra ID blades and
//! IAM's member picker) from the browser. Preflights are answered here; every response to an allowed origin carries
//! `Access-Control-Allow-Origin`, errors included, as AAD and Graph do for SPA clients.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use super::is_allowed_origin;

fn is_token_path(path: &str) -> bool {
    path.ends_with("/oauth2/v2.0/token")
}

/// Graph's v1.0 paths: the portal reads and writes them with a bearer token (GET, POST, PATCH,
/// DELETE; a JSON POST is preflighted too, because of its `Content-Type`).
fn is_graph_path(path: &str) -> bool {
    path.starts_with("/v1.0/")
}

/// What a preflight for `path` may ask for: methods and request headers.
fn preflight_allows(path: &str) -> (&'static str, &'static str) {
    if is_graph_path(path) {
        (
            "GET, POST, PATCH, DELETE, OPTIONS",
            "authorization, content-type, client-request-id, consistencylevel",
        )
    } else {
        ("POST, OPTIONS", "content-type, client-request-id, x-client-sku, x-client-ver, x-client-os, x-client-cpu, x-client-current-telemetry, x-client-last-telemetry, x-ms-lib-capability")
    }
}

/// Middleware: preflight answers and `Access-Control-Allow-Origin` on token and Graph responses.
pub async fn headers(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| {
            let path = request.path();
            (is_token_path(path) || is_graph_path(path)) && is_allowed_origin(o)
        })
        .map(str::to_string);
    let Some(origin) = origin else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    if request.method() == Method::OPTIONS {
        let (methods, allowed_headers) = preflight_allows(request.path());
        let response = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, allowed_headers))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .finish();
        return Ok(request.into_response(response));
    }
    let mut response = next.call(request).await?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(&origin) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    Ok(response)
}
