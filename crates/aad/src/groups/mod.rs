//! Security groups: their store (members, owners, nested groups, the membership generation) and
//! the internal API ARM reads a principal's groups with, `GET /internal/principals/{id}/groups`
//! (internal key; docs/internal-apis.md). Graph's view of groups is in `graph::groups`.

pub mod model;
pub mod store;

use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::AadError;
use crate::principals::InternalCaller;
use crate::state::AppState;
use model::ObjectKind;

/// Counts committed membership changes in this process (every AAD of the process: a bound, not a
/// key), for an ARM in the same process (`mimic up`) to keep principals' groups while it is
/// unchanged. Bumped *after* each commit that can change a membership, and after a snapshot
/// restore: a reader that saw the old value may have read the old state, and will read again.
static MEMBERSHIP_CHANGES: AtomicU64 = AtomicU64::new(0);

/// The in-process membership counter: it grows after every committed membership change.
pub fn membership_changes() -> u64 {
    MEMBERSHIP_CHANGES.load(Ordering::SeqCst)
}

/// Call after committing a change that can change any principal's groups.
pub(crate) fn membership_changed() {
    MEMBERSHIP_CHANGES.fetch_add(1, Ordering::SeqCst);
}

/// What kind of object `id` is: a service principal, a live user or a group (asked in that
/// order: most role assignments name service principals).
pub async fn kind_of(state: &AppState, id: &str) -> Result<Option<ObjectKind>, AadError> {
    if state.store.get(id).await?.is_some() {
        return Ok(Some(ObjectKind::ServicePrincipal));
    }
    if state.users.get(id).await?.is_some() {
        return Ok(Some(ObjectKind::User));
    }
    Ok(state.groups.get(id).await?.map(|_| ObjectKind::Group))
}

/// ARM's word for a kind.
fn principal_type(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::User => "User",
        ObjectKind::ServicePrincipal => "ServicePrincipal",
        ObjectKind::Group => "Group",
    }
}

/// `GET /internal/principals/{id}`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    pub principal_id: String,
    /// `User`, `ServicePrincipal` or `Group`.
    pub principal_type: &'static str,
}

/// `GET /internal/principals/{id}` → 200 [`Principal`], or 404 for an id that is no live user,
/// service principal or group: what ARM checks a role assignment's principal with.
pub async fn principal(
    _: InternalCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    let id = id.into_inner().to_ascii_lowercase();
    // A principal `principal-propagation` holds back is not in ARM's replica yet.
    if state.reality.hides(&id, state.clock.now()) {
        return Err(AadError::ObjectNotFound(id));
    }
    let kind = kind_of(&state, &id)
        .await?
        .ok_or_else(|| AadError::ObjectNotFound(id.clone()))?;
    Ok(HttpResponse::Ok().json(Principal {
        principal_id: id,
        principal_type: principal_type(kind),
    }))
}

/// `GET /internal/principals/{id}/groups`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PrincipalGroups {
    /// The principal.
    pub principal_id: String,
    /// `User`, `ServicePrincipal` or `Group` (ARM's `principalType` values).
    pub principal_type: &'static str,
    /// Every group the principal is in, directly or through nested groups (ordered by id).
    pub groups: Vec<String>,
    /// The membership generation these groups were read at: any membership change anywhere
    /// makes it grow, so an answer cached under it stays right while it is current.
    pub generation: i64,
}

/// `GET /internal/principals/{id}/groups` → 200 [`PrincipalGroups`] with `ETag: "{generation}"`;
/// 304 when `If-None-Match` names the current generation; 404 for an unknown (or deleted)
/// principal.
pub async fn principal_groups(
    _: InternalCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, AadError> {
    let id = id.into_inner().to_ascii_lowercase();
    // The generation first: a change between the two reads leaves the answer tagged older than
    // it is, so ARM asks again, never the other way round.
    let generation = state.groups.generation().await?;
    let etag = format!("\"{generation}\"");
    let Some(kind) = kind_of(&state, &id).await? else {
        return Err(AadError::ObjectNotFound(id));
    };
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    if unchanged {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    let groups = state.groups.transitive_groups(&id).await?;
    let principal_type = principal_type(kind);
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .json(PrincipalGroups {
            principal_id: id,
            principal_type,
            groups,
            generation,
        }))
}
