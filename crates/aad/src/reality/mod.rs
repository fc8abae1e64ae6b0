//! Reality modes in AAD (docs/reality-modes.md, "Propagation delays"): Entra replicates a new
//! principal to the directory replicas other services read only after a while, so "If you create
//! a new user, group, or service principal and immediately try to assign a role to that principal,
//! the role assignment can fail" with `PrincipalNotFound`
//! (<https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---role-assignments-for-new-principal-fail>).
//!
//! With `principal-propagation` set, every principal created — a managed identity's service
//! principal (ARM's internal API), an application's (`POST /servicePrincipals`), a user, a group —
//! is held back here ([`Reality::principal_created`]) and, until the delay has passed,
//! `GET /internal/principals/{id}` (the lookup ARM checks a role assignment's principal with)
//! answers 404, and Graph's reads by id — `GET /servicePrincipals/{id}`, `/users/{id}`,
//! `/groups/{id}`, `/directoryObjects/{id}` and `directoryObjects/getByIds`, what az resolves
//! `--assignee` with — do not find it (Graph is eventually consistent too:
//! <https://learn.microsoft.com/graph/known-issues>). Lists, and the writes that created it, see it
//! at once. Off (the default), nothing is held back.
//!
//! `GET|PUT /internal/settings[/{name}]` and `GET /internal/settled` are ARM's admin API over
//! AAD's side (`crate::reality::internal` in ARM has the shapes).

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use mimic_web::reality::{Pending, PendingItem, SettingError, SettingView, PRINCIPAL_PROPAGATION};
use serde::{Deserialize, Serialize};

use crate::error::AadError;
use crate::principals::InternalCaller;
use crate::state::AppState;

/// A new principal that ARM's principal check does not see yet.
pub const PRINCIPAL: &str = "principal";

/// AAD's run-time settings and the principals they hold back.
#[derive(Debug, Clone)]
pub struct Reality {
    /// The run-time settings (shared with ARM and the IMDS host under `mimic up`).
    pub settings: mimic_web::reality::Reality,
    /// New principals not yet visible to ARM's principal check.
    pub principals: Arc<Pending<()>>,
}

impl Reality {
    /// Over `settings`, nothing pending; due changes are logged as they apply.
    pub fn new(settings: mimic_web::reality::Reality, clock: mimic_token::Clock) -> Self {
        let principals = Arc::new(Pending::default());
        mimic_web::reality::spawn_pruner(Arc::downgrade(&principals), move || clock.now());
        Self {
            settings,
            principals,
        }
    }

    /// A principal (any kind) was created at `now`.
    pub fn principal_created(&self, id: &str, now: i64) {
        let delay = self.settings.seconds(PRINCIPAL_PROPAGATION);
        if delay > 0 {
            self.principals.add(PendingItem {
                kind: PRINCIPAL,
                id: id.to_ascii_lowercase(),
                held_at: now,
                applies_at: now + delay,
                payload: (),
            });
        }
    }

    /// Whether the principal `id` is still invisible to ARM's principal check at `now`.
    pub fn hides(&self, id: &str, now: i64) -> bool {
        !self.principals.is_empty() && self.principals.holds(now, &[PRINCIPAL], id)
    }
}

/// `{"value": [setting, …]}`.
#[derive(Debug, Serialize)]
struct SettingList {
    value: Vec<SettingView>,
}

/// `{"value": "10s"}`.
#[derive(Debug, Deserialize)]
struct SettingValue {
    value: String,
}

/// `GET /internal/settings` → 200 `{"value": [setting, …]}`.
pub async fn list_settings(_: InternalCaller, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(SettingList {
        value: state.reality.settings.list(),
    })
}

/// `PUT /internal/settings/{name}` `{"value": "10s"}` → 200 with the setting; 404 for an
/// unknown name, 400 for a value of the wrong kind. A new `principal-propagation` re-times the
/// principals held back (each visible the new delay after its creation; off: all at once).
pub async fn put_setting(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let body: SettingValue = serde_json::from_slice(&body)
        .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))?;
    let view = state
        .reality
        .settings
        .set(&name, &body.value)
        .map_err(|error| match error {
            SettingError::Unknown(_) => AadError::RouteNotFound,
            bad => AadError::InvalidInternalRequest(bad.to_string()),
        })?;
    let delay = state.reality.settings.seconds(PRINCIPAL_PROPAGATION);
    state
        .reality
        .principals
        .retime(PRINCIPAL, delay, state.clock.now());
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /internal/settled` → 200 `mimic_web::reality::Settled`: the principals not yet visible.
pub async fn settled(_: InternalCaller, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.reality.principals.settled(state.clock.now()))
}
