//! Tracing set-up and the request-id middleware (`x-ms-request-id`, echoing
//! `x-ms-client-request-id` as Azure does, and mimic's own `x-mimic-version`).

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// Installs a fmt subscriber filtered by `RUST_LOG` (default `info`). Safe to call twice.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,actix_server=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Adds `x-ms-request-id` (and echoes `x-ms-client-request-id`) to every response, and logs it.
/// Also adds `x-mimic-version` ([`crate::VERSION`]): Azure sends no such header; it tells a bug
/// report which build answered.
pub async fn request_id(
    request: ServiceRequest,
    next: Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let client_id = request.headers().get("x-ms-client-request-id").cloned();
    let method = request.method().clone();
    let path = request.path().to_string();
    let mut response = next.call(request).await?;
    tracing::debug!(%method, %path, status = response.status().as_u16(), request_id = %id, "request");
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(HeaderName::from_static("x-ms-request-id"), value);
    }
    if let Ok(value) = HeaderValue::from_str(crate::VERSION) {
        headers.insert(HeaderName::from_static(crate::VERSION_HEADER), value);
    }
    if let Some(value) = client_id {
        headers.insert(HeaderName::from_static("x-ms-client-request-id"), value);
    }
    Ok(response)
}
