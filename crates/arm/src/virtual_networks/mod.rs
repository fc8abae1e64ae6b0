//! `Microsoft.Network/virtualNetworks`, as far as `az vm create` reads it: the list of a resource
//! group's virtual networks, which is always empty because mimic models no network resources.
//! az then plans new ones into its deployment template, and the deployment PUT is where mimic
//! stops it (`Microsoft.Resources/deployments` is not served: 404 `InvalidResourceType`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::extract::{ApiVersion, Caller};
use crate::routes::resource;
use crate::{rbac, scope, AppState, ArmError};

const READ: &str = "Microsoft.Network/virtualNetworks/read";

/// Registers the list route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.network/virtualnetworks")
            .route(web::get().to(list)),
    );
}

/// The path of a resource group's virtual networks.
#[derive(Debug, Deserialize)]
pub struct GroupPath {
    subscription_id: String,
    resource_group: String,
}

/// An empty `VirtualNetworkListResult`.
#[derive(Debug, serde::Serialize)]
struct VirtualNetworkList {
    value: [(); 0],
}

/// `VirtualNetworks_List`: authorized and scoped like any list, and always empty.
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<GroupPath>,
) -> Result<HttpResponse, ArmError> {
    let scope_id = format!(
        "/subscriptions/{}/resourceGroups/{}",
        path.subscription_id, path.resource_group
    );
    rbac::authorize(&state, &caller, READ, &scope_id).await?;
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    Ok(HttpResponse::Ok().json(VirtualNetworkList { value: [] }))
}
