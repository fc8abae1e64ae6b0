//! Faults on AAD's side of the managed-identity path (`mimic chaos`, docs/reality-modes.md), all
//! off until asked for:
//!
//! - token-endpoint faults from the fault book ([`strike`]): 429 with `Retry-After`, 500, 503
//!   `temporarily_unavailable`, `AADSTS50196` (loop detected), `AADSTS90033`, or a slow answer,
//!   each in AAD's OAuth2 envelope (`error_codes`, `trace_id`, `correlation_id`, `timestamp`);
//! - signing-key rollover ([`keys`]): a new `kid` signs, the old key stays in the JWKS for a grace
//!   period, then leaves;
//! - clock skew: the times of issued tokens (`iat`, `nbf`, `exp`) shifted by ± N seconds.
//!
//! The internal API (`/internal/chaos…`, behind the internal key) adds, lists and clears them;
//! `mimic chaos` and `mimic status` call it. In `mimic up` the fault book is shared with the IMDS
//! host, so this API also manages IMDS's faults.

pub mod keys;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use mimic_web::chaos::{Effect, Fault, FaultBook, FaultSpec, Service, Subject};
use serde::{Deserialize, Serialize};

use crate::error::AadError;
use crate::principals::InternalCaller;
use crate::state::AppState;
use keys::RetiringKey;

/// `Retry-After` of an injected 429 when the fault names none (MSAL's throttling docs).
pub const DEFAULT_RETRY_AFTER: u32 = 60;
/// The grace period of a rollover when none is asked for: one hour.
pub const DEFAULT_GRACE_SECONDS: u64 = 3600;
/// The largest clock skew accepted: 30 days either way.
pub const MAX_SKEW_SECONDS: i64 = 30 * 86_400;

/// AAD's chaos state.
#[derive(Debug)]
pub struct Chaos {
    /// The fault book (shared with the IMDS host in `mimic up`).
    pub faults: Arc<FaultBook>,
    /// Whether IMDS reads this same book (IMDS in this process): else IMDS faults are refused.
    imds_in_process: bool,
    /// Where the signing key lives: a rollover's new key is saved there.
    keys_dir: PathBuf,
    skew: AtomicI64,
}

impl Chaos {
    /// No fault, no skew.
    pub fn new(faults: Arc<FaultBook>, imds_in_process: bool, keys_dir: PathBuf) -> Self {
        Self {
            faults,
            imds_in_process,
            keys_dir,
            skew: AtomicI64::new(0),
        }
    }

    /// Seconds AAD's clock is shifted by for issued tokens.
    pub fn skew(&self) -> i64 {
        self.skew.load(Ordering::Relaxed)
    }

    /// AAD's "now" for a token it issues: `now` plus the skew.
    pub fn token_time(&self, now: i64) -> i64 {
        now.saturating_add(self.skew())
    }
}

/// The fault (if any) that strikes this token request: its error, or a wait before going on.
pub async fn strike(state: &AppState, subject: &Subject<'_>) -> Result<(), AadError> {
    let faults = &state.chaos.faults;
    if faults.is_empty() {
        return Ok(());
    }
    let Some(strike) = faults.strike(Service::Aad, subject, state.clock.now()) else {
        return Ok(());
    };
    match strike.effect {
        Effect::Delay(ms) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(())
        }
        Effect::Status(429) => Err(AadError::Throttled {
            retry_after: strike.retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
        }),
        Effect::Status(503) => Err(AadError::TemporarilyUnavailable),
        Effect::Error(error) if error == "AADSTS50196" => Err(AadError::LoopDetected),
        Effect::Error(error) if error == "AADSTS90033" => Err(AadError::MsodsServiceUnavailable),
        Effect::Error(_) => Err(AadError::TemporarilyUnavailable),
        // A reset is refused for AAD when the fault is added; 500 is AAD's server_error.
        Effect::Status(_) | Effect::Reset => Err(AadError::Internal(anyhow::anyhow!(
            "fault {} (mimic chaos)",
            strike.id
        ))),
    }
}

/// `GET /internal/chaos`: everything `mimic chaos list` and `mimic status` show.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChaosView {
    /// The active faults, oldest first.
    pub faults: Vec<Fault>,
    /// The `kid` AAD signs with.
    pub signing_kid: String,
    /// Keys rolled away from and still published.
    pub retiring_keys: Vec<RetiringKey>,
    /// Seconds AAD's token clock is shifted by.
    pub clock_skew_seconds: i64,
}

/// `GET /internal/chaos`.
pub async fn list(_: InternalCaller, state: web::Data<AppState>) -> HttpResponse {
    let now = state.clock.now();
    HttpResponse::Ok().json(ChaosView {
        faults: state.chaos.faults.list(now),
        signing_kid: state.keys.current().kid().to_string(),
        retiring_keys: state.keys.retiring(now),
        clock_skew_seconds: state.chaos.skew(),
    })
}

/// `POST /internal/chaos` with a [`FaultSpec`] → 201 with the fault.
pub async fn add(
    _: InternalCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let spec: FaultSpec = serde_json::from_slice(&body)
        .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))?;
    if spec.service == Service::Imds && !state.chaos.imds_in_process {
        return Err(AadError::InvalidInternalRequest(
            "IMDS faults need the IMDS listeners in this process (mimic up)".into(),
        ));
    }
    let fault = state
        .chaos
        .faults
        .add(spec, state.clock.now())
        .map_err(AadError::InvalidInternalRequest)?;
    Ok(HttpResponse::Created().json(fault))
}

/// `DELETE /internal/chaos?id=N` (one fault) or without `id` (all) → `{"removed": n}`.
pub async fn clear(
    _: InternalCaller,
    state: web::Data<AppState>,
    query: web::Query<ClearQuery>,
) -> HttpResponse {
    let removed = state.chaos.faults.clear(query.id);
    HttpResponse::Ok().json(serde_json::json!({ "removed": removed }))
}

/// `DELETE /internal/chaos`'s query.
#[derive(Debug, Deserialize)]
pub struct ClearQuery {
    /// The fault to remove; none: all.
    pub id: Option<u32>,
}

/// `POST /internal/chaos/rollover`'s body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloverRequest {
    /// How long the old key stays in the JWKS (default [`DEFAULT_GRACE_SECONDS`]; 0: removed at once).
    pub grace_seconds: Option<u64>,
}

/// `POST /internal/chaos/rollover`: AAD signs with a new key from now on (saved as the tenant's
/// key, so it survives a restart); the old key stays published for the grace period.
pub async fn rollover(
    _: InternalCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let request: RolloverRequest = match body.is_empty() {
        true => RolloverRequest::default(),
        false => serde_json::from_slice(&body)
            .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))?,
    };
    let grace = request.grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
    let grace = i64::try_from(grace)
        .ok()
        .filter(|grace| *grace <= MAX_SKEW_SECONDS)
        .ok_or_else(|| {
            AadError::InvalidInternalRequest("the grace period is at most 30 days".into())
        })?;
    let key = crate::signing::generate_and_save(&state.chaos.keys_dir).await?;
    let previous = state.keys.current().kid().to_string();
    let kid = key.kid().to_string();
    let now = state.clock.now();
    state.keys.roll(key, now, now + grace);
    tracing::warn!(%kid, %previous, grace, "chaos: signing key rolled over");
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "kid": kid,
        "previousKid": previous,
        "previousUntil": now + grace,
    })))
}

/// `PUT /internal/chaos/skew`'s body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkewRequest {
    /// Seconds AAD's token clock runs ahead (positive) or behind (negative).
    pub seconds: i64,
}

/// `PUT /internal/chaos/skew`: shifts the times of every token AAD issues from now on.
pub async fn skew(
    _: InternalCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let request: SkewRequest = serde_json::from_slice(&body)
        .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))?;
    if request.seconds.abs() > MAX_SKEW_SECONDS {
        return Err(AadError::InvalidInternalRequest(
            "the clock skew is at most 30 days either way".into(),
        ));
    }
    state.chaos.skew.store(request.seconds, Ordering::Relaxed);
    tracing::warn!(seconds = request.seconds, "chaos: AAD clock skew set");
    Ok(HttpResponse::Ok().json(serde_json::json!({ "clockSkewSeconds": request.seconds })))
}
