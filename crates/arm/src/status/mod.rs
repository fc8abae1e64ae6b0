//! `GET /internal/status`: how much ARM holds, for `mimic status` (docs/internal-apis.md). Internal
//! key only, as every `/internal/…` route ([`InternalCaller`]).

pub mod store;

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::extract::InternalCaller;
use crate::{AppState, ArmError};

/// `GET /internal/status` → `{"subscriptions","resourceGroups","virtualMachines",
/// "userAssignedIdentities","systemAssignedIdentities","roleAssignments"}`, each a count, and
/// `"hostApi": {"identityReads", "watchers", "watchersCurrent"}`: how often the host API was asked
/// for a VM's identities other than by a watch, how many IMDS processes watch it now, and how many
/// of those hold the current generation ([`crate::host_watch`]).
pub async fn get(_: InternalCaller, state: web::Data<AppState>) -> Result<HttpResponse, ArmError> {
    let counts = store::counts(&state.db).await?;
    Ok(HttpResponse::Ok().json(Status {
        counts,
        host_api: HostApi {
            identity_reads: state.watchers.reads(),
            watchers: state.watchers.live(),
            watchers_current: state.watchers.current(),
        },
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(flatten)]
    counts: store::Counts,
    host_api: HostApi,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HostApi {
    identity_reads: u64,
    watchers: usize,
    watchers_current: usize,
}
