//! Tracing set-up and the request-id middleware (`x-ms-request-id`, echoing
//! `x-ms-client-request-id` as Azure does, and mimic's own `x-mimic-version`), which also writes
//! the one log line per request.
//!
//! A service tells that line who called and why a request was refused through extensions:
//! [`Principal`] in the request's extensions (ARM's gate puts the token's `oid`/`appid` there),
//! [`Refusal`] in the response's (ARM's errors put the 401/403 reason there), and optionally
//! [`OperationId`] and [`CorrelationId`] in the request's. None of them changes what the client
//! receives.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use anyhow::Context;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::writer::BoxMakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,actix_server=warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-01-01T00:00:00Z  INFO mimic::request: request method=GET path=/… status=200 …`.
    #[default]
    Text,
    /// One JSON object per line, the event's fields at the top level.
    Json,
}

/// Where and how to log.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// Text or JSON lines.
    pub format: LogFormat,
    /// Append to this file (created `0600`) instead of writing to stderr.
    pub file: Option<PathBuf>,
}

/// The caller of a request, for the request line (no token, only its ids).
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's `oid`.
    pub oid: String,
    /// The token's `appid`.
    pub appid: String,
}

/// Why a request was refused (401/403), for the request line only: never sent to the client.
#[derive(Debug, Clone)]
pub struct Refusal(pub String);

/// The Azure operationId that served a request, when the service knows it.
#[derive(Debug, Clone)]
pub struct OperationId(pub &'static str);

/// The request's `x-ms-correlation-request-id` (the client's, or one the service chose), when
/// the service keeps one (ARM does): the request line logs it as `correlation_id`.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

/// Installs a fmt subscriber on stderr filtered by `RUST_LOG` (default [`DEFAULT_FILTER`]).
/// Safe to call twice.
pub fn init() {
    let _ = init_with(&LogOptions::default());
}

/// Installs a subscriber as `options` say. Colours only when writing to a terminal and `NO_COLOR`
/// is unset. Fails only when the log file cannot be opened; a second call changes nothing.
pub fn init_with(options: &LogOptions) -> anyhow::Result<()> {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| parse_filter(&directives))
        .or_else(|| parse_filter(DEFAULT_FILTER))
        .unwrap_or_default();
    let (writer, ansi) = match &options.file {
        Some(path) => (BoxMakeWriter::new(Mutex::new(open_log_file(path)?)), false),
        None => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            (BoxMakeWriter::new(std::io::stderr), colour)
        }
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi);
    let subscriber = tracing_subscriber::registry().with(filter);
    // `try_init` fails only when a subscriber is already installed: the first one stays.
    let _ = match options.format {
        LogFormat::Text => subscriber.with(layer).try_init(),
        LogFormat::Json => subscriber.with(layer.json().flatten_event(true)).try_init(),
    };
    Ok(())
}

/// `RUST_LOG` directives: a default level and `target=level` pairs, comma-separated
/// (tracing-subscriber's `Targets` syntax; a target matches itself and the modules below it).
/// `None` when they cannot be read, so the default applies.
fn parse_filter(directives: &str) -> Option<Targets> {
    directives.trim().parse().ok()
}

fn open_log_file(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(crate::files::FILE_MODE);
    }
    options
        .open(path)
        .with_context(|| format!("opening the log file {}", path.display()))
}

/// Adds `x-ms-request-id` (and echoes `x-ms-client-request-id`) to every response, and logs one
/// line per request at INFO (target `mimic::request`; `/healthz` at DEBUG).
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
    log_request(&response, &method, &path, &id);
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

fn log_request<B>(
    response: &ServiceResponse<B>,
    method: &actix_web::http::Method,
    path: &str,
    id: &str,
) {
    let request = response.request();
    let principal = request.extensions().get::<Principal>().cloned();
    let operation = request
        .extensions()
        .get::<OperationId>()
        .map(|operation| operation.0.to_string())
        .or_else(|| request.match_pattern());
    let reason = response
        .response()
        .extensions()
        .get::<Refusal>()
        .map(|refusal| refusal.0.clone());
    let status = response.status().as_u16();
    let oid = principal
        .as_ref()
        .map(|principal| tracing::field::display(principal.oid.as_str()));
    let appid = principal
        .as_ref()
        .map(|principal| tracing::field::display(principal.appid.as_str()));
    let operation = operation.as_deref().map(tracing::field::display);
    let correlation = request
        .extensions()
        .get::<CorrelationId>()
        .map(|correlation| correlation.0.clone());
    let correlation_id = correlation.as_deref().map(tracing::field::display);
    // Strings without spaces print bare; the reason (a sentence) is quoted.
    macro_rules! line {
        ($level:expr) => {
            tracing::event!(target: "mimic::request", $level, %method, %path, status,
                operation, oid, appid, reason = reason.as_deref(), request_id = %id,
                correlation_id, "request")
        };
    }
    match path == "/healthz" {
        true => line!(tracing::Level::DEBUG),
        false => line!(tracing::Level::INFO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn rust_log_directives_select_levels_by_target() {
        let enabled = |directives: &str, target: &str, level: Level| {
            parse_filter(directives)
                .unwrap()
                .would_enable(target, &level)
        };
        let default = DEFAULT_FILTER;
        assert!(enabled(default, "mimic::request", Level::INFO));
        assert!(!enabled(default, "sqlx::query", Level::INFO));
        assert!(enabled(default, "sqlx::query", Level::WARN));
        assert!(!enabled(default, "actix_server::worker", Level::INFO));
        assert!(!enabled("warn", "mimic::request", Level::INFO));
        assert!(!enabled(
            "info,mimic::request=warn",
            "mimic::request",
            Level::INFO
        ));
        assert!(enabled(
            "info,mimic::request=warn",
            "mimic_arm",
            Level::INFO
        ));
        assert!(enabled(
            "info,mimic_arm=debug",
            "mimic_arm::auth",
            Level::DEBUG
        ));
        assert!(!enabled("info,mimic_arm=debug", "mimic_aad", Level::DEBUG));
        assert!(enabled("debug", "mimic_aad", Level::DEBUG));
        assert!(parse_filter("info,=x=").is_none());
    }
}
