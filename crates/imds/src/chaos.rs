//! Faults on IMDS's token endpoint (`mimic chaos`, docs/reality-modes.md): before a token request
//! is answered, the fault book ([`mimic_web::chaos::FaultBook`], shared with AAD in `mimic up`)
//! may strike it with what a VM sees from real IMDS now and then, each in IMDS's own envelope:
//!
//! - 410 while "IMDS is going through updates" (clients retry for up to 70 s; azure-identity's
//!   `ImdsRetryPolicy` backs off with factor 2.5 for 410);
//! - 429 `too_many_requests` with `Retry-After`;
//! - 500 `unknown` ("Failed to retrieve token from the Active directory…") and 503;
//! - a slow answer, or a connection closed without an answer.
//!
//! The statuses and their handling are the IMDS doc's error table
//! (<https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#error-handling>):
//! "404 … IMDS endpoint is updating", "410 … IMDS is going through updates … available within 70
//! seconds", "429 … IMDS Throttle limit reached", "5xx … transient error". The wording of the
//! 410 and 503 bodies is not documented (UNVERIFIED): their codes are imds.json's
//! `IdentityErrorResponse` enum (`service_unavailable`), their texts the doc's error reasons.
//!
//! With no fault in the book, [`strike`] is one lock and an emptiness check.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use mimic_web::chaos::{Effect, FaultBook, Service, Subject};

use crate::error::IdentityError;
use crate::identity::select;
use crate::identity::tokens::TokenRequest;
use crate::startup::AppState;

/// `Retry-After` of an injected 429 when the fault names none: IMDS's limits are per second.
pub const DEFAULT_RETRY_AFTER: u32 = 1;

/// The VM's connection socket (a duplicate of actix's descriptor), so that a reset fault can
/// close the connection without answering.
#[derive(Clone)]
pub(crate) struct Socket(Arc<std::os::fd::OwnedFd>);

/// `HttpServer::on_connect`: keeps a duplicate of each connection's socket in its data.
pub(crate) fn remember_socket(
    connection: &dyn std::any::Any,
    data: &mut actix_web::dev::Extensions,
) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        use std::os::fd::AsFd;
        match stream.as_fd().try_clone_to_owned() {
            Ok(fd) => {
                data.insert(Socket(Arc::new(fd)));
            }
            Err(error) => tracing::debug!(%error, "duplicating a connection's socket"),
        }
    }
}

/// The answer a fault gives this token request instead of the token, if one strikes (a delay
/// strikes, waits, and lets the request go on).
pub(crate) async fn strike(
    state: &AppState,
    http: &HttpRequest,
    request: &TokenRequest,
) -> Option<HttpResponse> {
    let book: &FaultBook = &state.faults;
    if book.is_empty() {
        return None;
    }
    let identities = identity_ids(state, request).await;
    let subject = Subject {
        vm: Some(&state.vm_id),
        identities: identities.iter().map(String::as_str).collect(),
        resource: Some(&request.resource),
    };
    let strike = book.strike(Service::Imds, &subject, state.clock.now())?;
    match strike.effect {
        Effect::Delay(ms) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            None
        }
        Effect::Reset => Some(reset(http)),
        Effect::Status(429) => {
            let retry_after = strike.retry_after.unwrap_or(DEFAULT_RETRY_AFTER);
            let mut answer = IdentityError::TooManyRequests.error_response();
            answer
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
            Some(answer)
        }
        Effect::Status(410) => Some(IdentityError::Updating.error_response()),
        Effect::Status(503) => Some(IdentityError::ServiceUnavailable.error_response()),
        Effect::Status(_) | Effect::Error(_) => Some(
            IdentityError::Unknown(anyhow::anyhow!("fault {} (mimic chaos)", strike.id))
                .error_response(),
        ),
    }
}

/// The client and object ids of the identity the request selects, if it selects one.
async fn identity_ids(state: &AppState, request: &TokenRequest) -> Vec<String> {
    let Ok(Some(vm)) = state.identities.get(&state.host).await else {
        return Vec::new();
    };
    match select::identity(&vm.identities, &request.selector) {
        Ok(identity) => vec![identity.client_id.clone(), identity.principal_id.clone()],
        Err(_) => Vec::new(),
    }
}

/// Closes the connection without answering: the client reads end-of-stream where the status line
/// should be (Python's `RemoteDisconnected`, a `ConnectionResetError`).
fn reset(http: &HttpRequest) -> HttpResponse {
    if let Some(Socket(fd)) = http.conn_data::<Socket>() {
        let closed = fd
            .try_clone()
            .map(std::net::TcpStream::from)
            .and_then(|stream| stream.shutdown(std::net::Shutdown::Both));
        if let Err(error) = closed {
            tracing::debug!(%error, "closing a connection for a reset fault");
        }
    }
    // Never delivered once the socket is shut (a connection whose socket could not be duplicated
    // gets IMDS's transient 500 instead).
    IdentityError::Unknown(anyhow::anyhow!("connection reset (mimic chaos)")).error_response()
}
