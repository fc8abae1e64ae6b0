//! The admin API of the reality modes (docs/internal-apis.md, "Reality modes"; internal key, as
//! every `/internal/…` route): `GET /internal/settings`, `PUT /internal/settings/{name}` and
//! `GET /internal/settled`, for `mimic settings`, `mimic wait --settled` and `mimic status`.
//! AAD serves the same three paths over its own pending changes.

use actix_web::{web, HttpResponse};
use mimic_web::reality::{SettingError, SettingView, ROLE_ASSIGNMENT_PROPAGATION};
use serde::{Deserialize, Serialize};

use super::{ASSIGNMENT_CREATED, ASSIGNMENT_DELETED};
use crate::extract::InternalCaller;
use crate::routes::resource;
use crate::{AppState, ArmError};

/// The path of [`list_settings`].
pub const SETTINGS_PATH: &str = "/internal/settings";
/// The path of [`settled`].
pub const SETTLED_PATH: &str = "/internal/settled";

/// Registers the three routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(SETTINGS_PATH).route(web::get().to(list_settings)))
        .service(resource("/internal/settings/{name}").route(web::put().to(put_setting)))
        .service(resource(SETTLED_PATH).route(web::get().to(settled)));
}

/// `GET /internal/settings` and AAD's: every run-time setting with its value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SettingList {
    /// In the order of `mimic_web::reality::SETTINGS`.
    pub value: Vec<SettingView>,
}

/// The body of `PUT /internal/settings/{name}`: `{"value": "10s"}` (or `off`, `on`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SettingValue {
    /// The value in its text form.
    pub value: String,
}

/// `GET /internal/settings` → 200 [`SettingList`].
pub async fn list_settings(_: InternalCaller, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(SettingList {
        value: state.reality.settings.list(),
    })
}

/// `PUT /internal/settings/{name}` → 200 with the setting; 404 for an unknown name, 400 for a
/// value of the wrong kind. A new `role-assignment-propagation` re-times what it holds back (each
/// change applies the new delay after it was made; off: all at once).
pub async fn put_setting(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
    body: web::Json<SettingValue>,
) -> Result<HttpResponse, ArmError> {
    let view = state
        .reality
        .settings
        .set(&name, &body.value)
        .map_err(|error| match error {
            SettingError::Unknown(_) => ArmError::NotFound(format!("/internal/settings/{name}")),
            bad => ArmError::InvalidRequestContent(bad.to_string()),
        })?;
    let (delay, now) = (
        state.reality.settings.seconds(ROLE_ASSIGNMENT_PROPAGATION),
        state.clock.now(),
    );
    for kind in [ASSIGNMENT_CREATED, ASSIGNMENT_DELETED] {
        state.reality.assignments.retime(kind, delay, now);
    }
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /internal/settled` → 200 `mimic_web::reality::Settled`: the role-assignment changes not
/// yet applied to decisions.
pub async fn settled(_: InternalCaller, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.reality.assignments.settled(state.clock.now()))
}
