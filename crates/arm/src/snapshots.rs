//! `POST /internal/snapshots/{name}` and `POST /internal/snapshots/{name}/restore` (internal key):
//! ARM's half of `mimic snapshot save|restore` and `mimic reset` while mimic runs. A restore
//! replaces every table atomically, deletes the AAD principals no restored identity owns
//! ([`crate::lifecycle::reconcile`]), and tells the IMDS host to restart its listeners (ports kept,
//! token caches flushed). docs/internal-apis.md, "Snapshots".

use actix_web::{web, HttpResponse};

use crate::extract::InternalCaller;
use crate::routes::resource;
use crate::{AppState, ArmError, VmEvent};

/// Registers the two routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/internal/snapshots/{name}").route(web::post().to(save)))
        .service(resource("/internal/snapshots/{name}/restore").route(web::post().to(restore)));
}

fn snapshot_file(state: &AppState, name: &str) -> Result<std::path::PathBuf, ArmError> {
    let data_dir = state
        .settings
        .db_path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    mimic_web::snapshot::dir(&data_dir, name)
        .map(|dir| dir.join("arm.db"))
        .map_err(|error| ArmError::InvalidParameter {
            message: error.to_string(),
            target: "name".into(),
        })
}

/// Writes a consistent copy of `arm.db` as snapshot `name` → 204.
pub async fn save(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ArmError> {
    let file = snapshot_file(&state, &name)?;
    mimic_web::snapshot::save(&state.db, &file).await?;
    tracing::info!(snapshot = %name, "saved arm.db");
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces `arm.db`'s contents with snapshot `name` → 204; 404 if there is no such snapshot.
pub async fn restore(
    _: InternalCaller,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ArmError> {
    let file = snapshot_file(&state, &name)?;
    if !file.is_file() {
        return Err(ArmError::NotFound(format!("/internal/snapshots/{name}")));
    }
    mimic_web::snapshot::restore(&state.db, &file).await?;
    crate::rbac::index::changed();
    state.tokens.clear();
    crate::lifecycle::reconcile::orphans(&state).await;
    crate::lifecycle::reconcile::federated_credentials(&state).await;
    crate::lifecycle::notify(&state, VmEvent::Resync).await;
    tracing::info!(snapshot = %name, "restored arm.db");
    Ok(HttpResponse::NoContent().finish())
}
