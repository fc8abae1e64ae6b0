//! The internal API of key vaults (docs/internal-apis.md, "ARM internal API: key vault names"):
//! `GET /internal/keyVaults/names`, the names of the live vaults, which the sandbox polls to keep
//! `{vault}.vault.azure.net` resolving inside it as vaults come and go (docs/hostnames.md). A
//! soft-deleted vault is not listed: Azure's DNS stops answering its name too.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::extract::InternalCaller;
use crate::routes::resource;
use crate::{AppState, ArmError};

/// The path of [`list_names`].
pub const NAMES_PATH: &str = "/internal/keyVaults/names";

/// Registers [`NAMES_PATH`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource(NAMES_PATH).route(web::get().to(list_names)));
}

/// The body of `GET /internal/keyVaults/names`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VaultNames {
    /// Each live vault's name, lower-cased (DNS is case-insensitive), sorted.
    pub value: Vec<String>,
}

/// `GET /internal/keyVaults/names`: every live vault of every subscription (names are global).
pub async fn list_names(
    _: InternalCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ArmError> {
    let value = super::store::live_names(&state.db).await?;
    Ok(HttpResponse::Ok().json(VaultNames { value }))
}
