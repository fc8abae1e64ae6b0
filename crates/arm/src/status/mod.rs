//! `GET /internal/status`: how much ARM holds, for `mimic status` (docs/internal-apis.md). Internal
//! key only, as every `/internal/…` route ([`InternalCaller`]).

pub mod store;

use actix_web::{web, HttpResponse};

use crate::extract::InternalCaller;
use crate::{AppState, ArmError};

/// `GET /internal/status` → `{"subscriptions","resourceGroups","virtualMachines",
/// "userAssignedIdentities","systemAssignedIdentities","roleAssignments"}`, each a count.
pub async fn get(_: InternalCaller, state: web::Data<AppState>) -> Result<HttpResponse, ArmError> {
    let counts = store::counts(&state.db).await?;
    Ok(HttpResponse::Ok().json(counts))
}
