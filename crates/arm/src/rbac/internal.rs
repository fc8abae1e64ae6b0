//! `GET /internal/authz/decisions` (docs/internal-apis.md, "ARM internal API: authorization
//! decisions"): the last authorization decisions ([`super::decisions`]), newest first, for
//! `mimic explain`. Internal key only, as every `/internal/…` route.

use actix_web::{web, HttpResponse};

pub use mimic_web::authz::{DecisionList, DecisionsQuery};

use crate::extract::InternalCaller;
use crate::routes::resource;
use crate::{AppState, ArmError};

/// The path of [`list_decisions`].
pub const DECISIONS_PATH: &str = "/internal/authz/decisions";

/// Registers [`DECISIONS_PATH`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(DECISIONS_PATH).route(web::get().to(list_decisions)));
}

/// `GET /internal/authz/decisions[?principal=&decision=&limit=]`, callers' display names filled in
/// from AAD (best effort: a name AAD cannot give stays absent).
pub async fn list_decisions(
    _: InternalCaller,
    state: web::Data<AppState>,
    query: web::Query<DecisionsQuery>,
) -> Result<HttpResponse, ArmError> {
    let value = mimic_web::authz::select(&state.decisions, &query, |oid| {
        let state = state.clone();
        async move {
            crate::aad_client::AadClient::new(&state)
                .display_name(&oid)
                .await
                .unwrap_or_else(|error| {
                    tracing::debug!(%oid, error = %error, "no display name for a decision's caller");
                    None
                })
        }
    })
    .await;
    Ok(HttpResponse::Ok().json(DecisionList { value }))
}
