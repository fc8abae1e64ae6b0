//! `GET /internal/authz/decisions` (docs/internal-apis.md, "ARM internal API: authorization
//! decisions"): the last authorization decisions ([`super::decisions`]), newest first, for
//! `mimic explain`. Internal key only, as every `/internal/…` route.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::decisions::{DecisionRecord, CAPACITY};
use crate::extract::InternalCaller;
use crate::routes::resource;
use crate::{AppState, ArmError};

/// The path of [`list_decisions`].
pub const DECISIONS_PATH: &str = "/internal/authz/decisions";

/// How many decisions an answer holds unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 100;

/// Registers [`DECISIONS_PATH`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(DECISIONS_PATH).route(web::get().to(list_decisions)));
}

/// The query of [`list_decisions`]; every part optional.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionsQuery {
    /// Only this caller: its `oid`, `appid` or display name (ignoring case).
    pub principal: Option<String>,
    /// Only `allowed` or `denied` decisions.
    pub decision: Option<String>,
    /// At most this many (default 100, at most the capacity).
    pub limit: Option<usize>,
}

/// The body of `GET /internal/authz/decisions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionList {
    /// The decisions, newest first.
    pub value: Vec<DecisionRecord>,
}

/// `GET /internal/authz/decisions[?principal=&decision=&limit=]`, callers' display names filled in
/// from AAD (best effort: a name AAD cannot give stays absent).
pub async fn list_decisions(
    _: InternalCaller,
    state: web::Data<AppState>,
    query: web::Query<DecisionsQuery>,
) -> Result<HttpResponse, ArmError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(CAPACITY);
    let wanted = |record: &DecisionRecord| {
        query
            .decision
            .as_deref()
            .is_none_or(|decision| record.decision.eq_ignore_ascii_case(decision))
    };
    // Names are needed for every candidate only when the filter may name one.
    let candidates = match query.principal {
        Some(_) => CAPACITY,
        None => limit,
    };
    let mut value = state.decisions.newest(candidates, wanted);
    let mut names: HashMap<String, Option<String>> = HashMap::new();
    for record in &mut value {
        let oid = record.caller.oid.to_lowercase();
        if !names.contains_key(&oid) {
            let name = crate::aad_client::AadClient::new(&state)
                .display_name(&oid)
                .await
                .unwrap_or_else(|error| {
                    tracing::debug!(%oid, error = %error, "no display name for a decision's caller");
                    None
                });
            names.insert(oid.clone(), name);
        }
        record.caller.name = names.get(&oid).cloned().flatten();
    }
    if let Some(principal) = query.principal.as_deref() {
        value.retain(|record| {
            let caller = &record.caller;
            caller.oid.eq_ignore_ascii_case(principal)
                || caller.appid.eq_ignore_ascii_case(principal)
                || caller
                    .name
                    .as_deref()
                    .is_some_and(|name| name.eq_ignore_ascii_case(principal))
        });
    }
    value.truncate(limit);
    Ok(HttpResponse::Ok().json(DecisionList { value }))
}
