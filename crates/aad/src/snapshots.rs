//! `POST /internal/snapshots/{name}` and `POST /internal/snapshots/{name}/restore` (internal key):
//! AAD's half of `mimic snapshot save|restore` and `mimic reset` while mimic runs. A restore
//! replaces every table of `aad.db` atomically, drops what AAD holds in memory (pending
//! authorization codes, Smart Lockout counts) and moves the membership generation forward; the
//! signing key is not part of a snapshot, so tokens issued before still verify. docs/internal-apis.md, "Snapshots".

use actix_web::{web, HttpResponse};

use crate::error::AadError;
use crate::principals::InternalCaller;
use crate::state::AppState;

fn snapshot_file(state: &AppState, name: &str) -> Result<std::path::PathBuf, AadError> {
    mimic_web::snapshot::dir(&state.data_dir, name)
        .map(|dir| dir.join("aad.db"))
        .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))
}

/// Writes a consistent copy of `aad.db` as snapshot `name` → 204.
pub async fn save(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    let file = snapshot_file(&state, &name)?;
    mimic_web::snapshot::save(state.store.pool(), &file).await?;
    tracing::info!(snapshot = %name, "saved aad.db");
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces `aad.db`'s contents with snapshot `name` → 204; 404 if there is no such snapshot.
pub async fn restore(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    let file = snapshot_file(&state, &name)?;
    if !file.is_file() {
        return Err(AadError::SnapshotNotFound(name.into_inner()));
    }
    let generation = state.groups.generation().await?;
    mimic_web::snapshot::restore(state.store.pool(), &file).await?;
    // The restored table may hold a membership generation ARM already cached other answers
    // under: move past every number handed out before the restore.
    state.groups.advance_generation_past(generation).await?;
    crate::groups::membership_changed();
    state.codes.clear();
    state.lockout.clear();
    tracing::info!(snapshot = %name, "restored aad.db");
    Ok(HttpResponse::NoContent().finish())
}
