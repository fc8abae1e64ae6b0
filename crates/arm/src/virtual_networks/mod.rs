//! `Microsoft.Network/virtualNetworks`, as far as `az vm create` reads it: the list of a resource
//! group's virtual networks, which is always empty because mimic models no network resources.
//! az then plans new ones into its deployment template, and the deployment PUT is where mimic
//! stops it (`Microsoft.Resources/deployments` is not served: 404 `InvalidResourceType`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::extract::ApiVersion;
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::{scope, AppState, ArmError};

const READ: &str = "Microsoft.Network/virtualNetworks/read";

/// `Microsoft.Network/virtualNetworks`.
pub const VIRTUAL_NETWORKS: ResourceType = ResourceType {
    namespace: "Microsoft.Network",
    name: "virtualNetworks",
    display_name: "Virtual Network",
    regional: true,
    versions: VERSIONS,
};

/// Microsoft.Network's stable api-versions since 2018 (az, the SDKs and Ansible send these).
pub const VERSIONS: &[&str] = &[
    "2024-10-01",
    "2024-07-01",
    "2024-05-01",
    "2024-03-01",
    "2024-01-01",
    "2023-11-01",
    "2023-09-01",
    "2023-06-01",
    "2023-05-01",
    "2023-04-01",
    "2023-02-01",
    "2022-11-01",
    "2022-09-01",
    "2022-07-01",
    "2022-05-01",
    "2022-01-01",
    "2021-08-01",
    "2021-05-01",
    "2021-03-01",
    "2021-02-01",
    "2020-11-01",
    "2020-08-01",
    "2020-07-01",
    "2020-06-01",
    "2020-05-01",
    "2020-04-01",
    "2020-03-01",
    "2019-12-01",
    "2019-11-01",
    "2019-09-01",
    "2019-08-01",
    "2019-07-01",
    "2019-06-01",
    "2019-04-01",
    "2019-02-01",
    "2018-12-01",
    "2018-11-01",
    "2018-10-01",
    "2018-08-01",
    "2018-07-01",
    "2018-06-01",
    "2018-04-01",
    "2018-02-01",
    "2018-01-01",
];

/// The virtual-network operation.
pub const OPERATIONS: &[Operation] = &[Operation {
    id: "VirtualNetworks_List",
    verb: Verb::Get,
    path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.network/virtualnetworks",
    resource_type: &VIRTUAL_NETWORKS,
    versions: &[],
    authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
    handler: |route| route.to(list),
    summary: "List a resource group's virtual networks (always empty)",
}];

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
    _version: ApiVersion,
    path: web::Path<GroupPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    Ok(HttpResponse::Ok().json(VirtualNetworkList { value: [] }))
}
