//! `Microsoft.Network/networkInterfaces`, read-only: every VM's
//! `networkProfile.networkInterfaces[].id` names a NIC that GETs, with the private address IMDS
//! reports for the VM and `virtualMachine.id` back to it; lists by group and subscription.
//!
//! NICs are derived from the VM rows (no table of their own, so no `store.rs`: the VMs' store
//! is the source): a NIC exists exactly while a VM names it, and goes with its VM. Writes are
//! not routed: a PUT, PATCH or DELETE of a NIC answers ARM's 405 `MethodNotAllowed` envelope, as
//! for any method a route does not serve, and `az network nic create` therefore fails clearly
//! instead of seeming to work (docs/reality-modes.md).

pub mod model;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::extract::ApiVersion;
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::virtual_machines::store as vm_store;
use crate::{scope, AppState, ArmError};
use mimic_azure::ResourceId;
use model::{NetworkInterfaceResponse, VmNic};

const READ: &str = "Microsoft.Network/networkInterfaces/read";

/// `Microsoft.Network/networkInterfaces`.
pub const NETWORK_INTERFACES: ResourceType = ResourceType {
    namespace: "Microsoft.Network",
    name: "networkInterfaces",
    display_name: "Network Interface",
    regional: true,
    versions: VERSIONS,
};

/// Microsoft.Network's stable api-versions: the virtual networks' ones and the older ones still
/// in use (the Ansible inventory plugin reads NICs with 2015-06-15).
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
    "2017-11-01",
    "2017-10-01",
    "2017-09-01",
    "2017-08-01",
    "2017-06-01",
    "2017-03-01",
    "2016-12-01",
    "2016-09-01",
    "2016-06-01",
    "2016-03-30",
    "2015-06-15",
];

/// The network-interface operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "NetworkInterfaces_ListAll",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/microsoft.network/networkinterfaces",
        resource_type: &NETWORK_INTERFACES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list_all),
        summary: "List the subscription's network interfaces (its VMs' NICs)",
    },
    Operation {
        id: "NetworkInterfaces_List",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.network/networkinterfaces",
        resource_type: &NETWORK_INTERFACES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list),
        summary: "List a resource group's network interfaces (its VMs' NICs)",
    },
    Operation {
        id: "NetworkInterfaces_Get",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.network/networkinterfaces/{name}",
        resource_type: &NETWORK_INTERFACES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Path),
        handler: |route| route.to(get),
        summary: "Get a network interface a VM names (read-only; no PUT or DELETE)",
    },
];

/// The NICs every VM of the subscription names, in the VMs' order.
async fn nics_of_subscription(
    state: &AppState,
    subscription_id: &str,
) -> Result<Vec<VmNic>, ArmError> {
    let vms = vm_store::list(&state.db, Some(subscription_id), None).await?;
    Ok(vms
        .iter()
        .flat_map(VmNic::of_vm)
        .filter(|nic| {
            nic.id
                .subscription_id()
                .eq_ignore_ascii_case(subscription_id)
        })
        .collect())
}

/// The path of a subscription.
#[derive(Debug, Deserialize)]
pub struct SubscriptionPath {
    subscription_id: String,
}

/// `NetworkInterfaces_ListAll`, paged ([`crate::paging`]).
pub async fn list_all(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    let nics = nics_of_subscription(&state, &path.subscription_id).await?;
    let value = nics.iter().map(NetworkInterfaceResponse::from).collect();
    let page = crate::paging::page(&state, &request, value, |nic: &NetworkInterfaceResponse| {
        nic.id.clone()
    })?;
    Ok(HttpResponse::Ok().json(page))
}

/// The path of a resource group's NICs.
#[derive(Debug, Deserialize)]
pub struct GroupPath {
    subscription_id: String,
    resource_group: String,
}

/// `NetworkInterfaces_List`: the NICs whose ids name this group, paged ([`crate::paging`]).
pub async fn list(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    _version: ApiVersion,
    path: web::Path<GroupPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let nics = nics_of_subscription(&state, &path.subscription_id).await?;
    let value = nics
        .iter()
        .filter(|nic| {
            nic.id
                .resource_group()
                .eq_ignore_ascii_case(&path.resource_group)
        })
        .map(NetworkInterfaceResponse::from)
        .collect();
    let page = crate::paging::page(&state, &request, value, |nic: &NetworkInterfaceResponse| {
        nic.id.clone()
    })?;
    Ok(HttpResponse::Ok().json(page))
}

/// The path of one NIC.
#[derive(Debug, Deserialize)]
pub struct NicPath {
    subscription_id: String,
    resource_group: String,
    name: String,
}

/// `NetworkInterfaces_Get`: 404 `ResourceGroupNotFound`, or `ResourceNotFound` when no VM names
/// the NIC.
pub async fn get(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<NicPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let nics = nics_of_subscription(&state, &path.subscription_id).await?;
    let found = nics.iter().find(|nic| {
        nic.id
            .resource_group()
            .eq_ignore_ascii_case(&path.resource_group)
            && nic.id.name().eq_ignore_ascii_case(&path.name)
    });
    match found {
        Some(nic) => Ok(HttpResponse::Ok().json(NetworkInterfaceResponse::from(nic))),
        None => Err(ArmError::ResourceNotFound(ResourceId::new(
            &path.subscription_id,
            &path.resource_group,
            "Microsoft.Network",
            "networkInterfaces",
            &path.name,
        ))),
    }
}
