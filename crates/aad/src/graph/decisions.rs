//! Microsoft Graph's authorization decisions, recorded as ARM records its own
//! ([`mimic_web::authz`], the same record type): each operation's check of the caller
//! ([`super::permissions::admit`]), and the kind-specific check of a deleted item. The last
//! [`CAPACITY`] are kept in memory and served at `GET /internal/graph/decisions` (internal key
//! only; docs/internal-apis.md), which `mimic explain` merges with ARM's. Graph's 403 body stays
//! Graph's: the explanation lives here, in the log line a denial writes and in `mimic explain`.

use actix_web::{web, HttpRequest, HttpResponse};
use mimic_token::AccessTokenClaims;
use mimic_web::authz::{
    CallerRecord, DecisionList, DecisionRecord, DecisionsQuery, ALLOWED, DENIED, GRAPH,
};

pub use mimic_web::authz::CAPACITY;

use super::permissions::Verdict;
use crate::error::AadError;
use crate::principals::InternalCaller;
use crate::state::AppState;

/// The path of [`list`].
pub const DECISIONS_PATH: &str = "/internal/graph/decisions";

/// The request a decision was made for.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// Graph's name for the operation, e.g. `Create application`.
    pub operation: &'a str,
    /// The request's method.
    pub method: &'a str,
    /// The request's path, e.g. `/v1.0/applications`.
    pub path: &'a str,
    /// The object the URL names, if any.
    pub object: Option<&'a str>,
}

/// Keeps the decision `verdict` on `asked` for the caller of `claims`.
pub fn record(state: &AppState, claims: &AccessTokenClaims, asked: Asked<'_>, verdict: Verdict) {
    let (seconds, nanoseconds) = state.clock.now_precise();
    let decision = match verdict.allowed {
        true => ALLOWED,
        false => DENIED,
    };
    state.decisions.push(DecisionRecord {
        time: mimic_web::authz::timestamp(seconds, nanoseconds),
        caller: CallerRecord {
            oid: claims.oid.clone(),
            appid: claims.appid.clone(),
            name: None,
        },
        plane: GRAPH.to_string(),
        action: asked.operation.to_string(),
        scope: asked.path.to_string(),
        decision: decision.to_string(),
        authorization: GRAPH.to_string(),
        reason: verdict.reason,
        method: Some(asked.method.to_string()),
        object: asked.object.map(str::to_string),
        permissions_held: verdict.permissions_held,
        directory_roles_held: verdict.directory_roles_held,
        permissions_that_grant: verdict.permissions_that_grant,
        directory_roles_that_grant: verdict.directory_roles_that_grant,
        ..DecisionRecord::default()
    });
}

/// `GET /internal/graph/decisions[?principal=&decision=&limit=]` → `{"value": [...]}`, newest
/// first, callers' display names filled in from the directory (as ARM's
/// `GET /internal/authz/decisions`).
pub async fn list(
    _: InternalCaller,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, AadError> {
    let query: DecisionsQuery = serde_urlencoded::from_str(request.query_string())
        .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))?;
    let value = mimic_web::authz::select(&state.decisions, &query, |oid| {
        let state = state.clone();
        async move { display_name(&state, &oid).await }
    })
    .await;
    Ok(HttpResponse::Ok().json(DecisionList { value }))
}

/// The display name of the service principal or user `oid` (best effort: `None` when neither).
async fn display_name(state: &AppState, oid: &str) -> Option<String> {
    let name = match state.store.get(oid).await {
        Ok(Some(principal)) => Ok(Some(principal.display_name)),
        Ok(None) => state
            .users
            .get(oid)
            .await
            .map(|user| user.map(|user| user.display_name)),
        Err(error) => Err(error),
    };
    name.unwrap_or_else(|error| {
        tracing::debug!(%oid, error = %error, "no display name for a decision's caller");
        None
    })
}
