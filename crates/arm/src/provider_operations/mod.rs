//! What the providers say about their own operations, generated from the operation table:
//! `GET /providers/{namespace}/operations` (`Operations_List` of each namespace mimic serves,
//! `az identity list-operations`) and `GET /providers/Microsoft.Authorization/providerOperations[/{namespace}]`
//! (`ProviderOperationsMetadata_List` / `_Get`, `az provider operation list|show`).
//!
//! The actions listed are exactly the RBAC actions mimic checks: every action of
//! [`crate::operations::TABLES`] plus the linked actions handlers check themselves
//! ([`LINKED_ACTIONS`]). Azure lists more (every action the real provider registers); a role
//! may name those, they are simply never asked for here.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::extract::ApiVersion;
use crate::operations::{self, Authorization, Operation, ResourceType, Verb};
use crate::resources::providers::{self, Namespace};
use crate::{AppState, ArmError};

/// An action a handler checks itself on another resource than the request's.
pub struct LinkedAction {
    pub action: &'static str,
    pub resource_type: &'static ResourceType,
    pub summary: &'static str,
}

/// The linked actions mimic checks.
pub const LINKED_ACTIONS: &[LinkedAction] = &[
    LinkedAction {
        action: crate::user_assigned_identities::ASSIGN_ACTION,
        resource_type: &crate::user_assigned_identities::USER_ASSIGNED_IDENTITIES,
        summary: "Assign a user-assigned identity to a resource (checked on each identity a VM write names)",
    },
    LinkedAction {
        action: crate::portal::vm_token::RUN_COMMAND,
        resource_type: &crate::virtual_machines::VIRTUAL_MACHINES,
        summary: "Run a command on a virtual machine (the portal's token inspector)",
    },
];

const fn operations_type(
    namespace: &'static str,
    versions: &'static [&'static str],
) -> ResourceType {
    ResourceType {
        namespace,
        name: "operations",
        display_name: "Operations",
        regional: false,
        versions,
    }
}

const AUTHORIZATION_VERSIONS: &[&str] = &[
    "2022-05-01-preview",
    "2022-04-01",
    "2018-01-01-preview",
    "2015-07-01",
];

/// `Microsoft.Authorization/providerOperations`.
pub const PROVIDER_OPERATIONS: ResourceType = ResourceType {
    namespace: "Microsoft.Authorization",
    name: "providerOperations",
    display_name: "Provider Operations",
    regional: false,
    versions: AUTHORIZATION_VERSIONS,
};

const AUTHORIZATION_OPERATIONS: ResourceType =
    operations_type("Microsoft.Authorization", AUTHORIZATION_VERSIONS);
const COMPUTE_OPERATIONS: ResourceType =
    operations_type("Microsoft.Compute", crate::virtual_machines::VERSIONS);
const IDENTITY_OPERATIONS: ResourceType = operations_type(
    "Microsoft.ManagedIdentity",
    crate::user_assigned_identities::VERSIONS,
);
const INSIGHTS_OPERATIONS: ResourceType = operations_type(
    "Microsoft.Insights",
    crate::activity_log::EVENT_TYPES.versions,
);
const KEY_VAULT_OPERATIONS: ResourceType =
    operations_type("Microsoft.KeyVault", crate::key_vaults::VERSIONS);
const NETWORK_OPERATIONS: ResourceType =
    operations_type("Microsoft.Network", crate::virtual_networks::VERSIONS);
const RESOURCES_OPERATIONS: ResourceType =
    operations_type("Microsoft.Resources", crate::resources::VERSIONS);

const ANYONE: &str = "provider metadata is readable by any caller";

const fn list_operations(path: &'static str, resource_type: &'static ResourceType) -> Operation {
    Operation {
        id: "Operations_List",
        verb: Verb::Get,
        path,
        resource_type,
        versions: &[],
        authorization: Authorization::AnyCaller(ANYONE),
        handler: |route| route.to(list),
        summary: "List the provider's operations",
    }
}

/// The provider-metadata operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "ProviderOperationsMetadata_List",
        verb: Verb::Get,
        path: "/providers/microsoft.authorization/provideroperations",
        resource_type: &PROVIDER_OPERATIONS,
        versions: &[],
        authorization: Authorization::AnyCaller(ANYONE),
        handler: |route| route.to(list_metadata),
        summary: "List every provider's operations metadata",
    },
    Operation {
        id: "ProviderOperationsMetadata_Get",
        verb: Verb::Get,
        path: "/providers/microsoft.authorization/provideroperations/{namespace}",
        resource_type: &PROVIDER_OPERATIONS,
        versions: &[],
        authorization: Authorization::AnyCaller(ANYONE),
        handler: |route| route.to(get_metadata),
        summary: "Get one provider's operations metadata",
    },
    list_operations(
        "/providers/microsoft.authorization/operations",
        &AUTHORIZATION_OPERATIONS,
    ),
    list_operations(
        "/providers/microsoft.compute/operations",
        &COMPUTE_OPERATIONS,
    ),
    list_operations(
        "/providers/microsoft.insights/operations",
        &INSIGHTS_OPERATIONS,
    ),
    list_operations(
        "/providers/microsoft.keyvault/operations",
        &KEY_VAULT_OPERATIONS,
    ),
    list_operations(
        "/providers/microsoft.managedidentity/operations",
        &IDENTITY_OPERATIONS,
    ),
    list_operations(
        "/providers/microsoft.network/operations",
        &NETWORK_OPERATIONS,
    ),
    list_operations(
        "/providers/microsoft.resources/operations",
        &RESOURCES_OPERATIONS,
    ),
];

/// One action of a namespace, with the type it belongs to and its first operation's summary.
struct Action {
    name: &'static str,
    resource_type: &'static ResourceType,
    summary: &'static str,
}

/// Every action mimic checks in `namespace`, in table order, each once.
fn actions_of(namespace: &str) -> Vec<Action> {
    let table = operations::all().filter_map(|operation| {
        operation.authorization.action().map(|name| Action {
            name,
            resource_type: operation.resource_type,
            summary: operation.summary,
        })
    });
    let linked = LINKED_ACTIONS.iter().map(|linked| Action {
        name: linked.action,
        resource_type: linked.resource_type,
        summary: linked.summary,
    });
    let mut actions: Vec<Action> = Vec::new();
    for action in table.chain(linked) {
        let ours = action.resource_type.namespace == namespace;
        if ours && !actions.iter().any(|known| known.name == action.name) {
            actions.push(action);
        }
    }
    actions
}

/// `Operation` of the ARM common types, as `GET /providers/{namespace}/operations` lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OperationBody {
    name: &'static str,
    is_data_action: bool,
    display: OperationDisplay,
    origin: &'static str,
}

#[derive(Serialize)]
struct OperationDisplay {
    provider: &'static str,
    resource: &'static str,
    operation: &'static str,
    description: &'static str,
}

/// `Operations_List`: the namespace comes from the path (`/providers/{namespace}/operations`).
/// Paged ([`crate::paging`]) by name, except Microsoft.Compute's: its spec declares the list
/// unpaged (`nextLinkName: null`, no `nextLink` in `ComputeOperationListResult`).
async fn list(
    state: web::Data<AppState>,
    _version: ApiVersion,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, ArmError> {
    let namespace = request.path().split('/').nth(2).unwrap_or_default();
    let value: Vec<OperationBody> = providers::namespace(namespace)
        .map(|info| {
            actions_of(info.namespace)
                .into_iter()
                .map(|action| OperationBody {
                    name: action.name,
                    is_data_action: false,
                    display: OperationDisplay {
                        provider: info.display_name,
                        resource: action.resource_type.display_name,
                        operation: action.summary,
                        description: action.summary,
                    },
                    origin: "user,system",
                })
                .collect()
        })
        .unwrap_or_default();
    if namespace.eq_ignore_ascii_case("Microsoft.Compute") {
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "value": value })));
    }
    let page = crate::paging::page(&state, &request, value, |body| body.name.to_string())?;
    Ok(HttpResponse::Ok().json(page))
}

/// `ProviderOperationsMetadata` of the authorization API.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    id: String,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    display_name: &'static str,
    resource_types: Vec<MetadataResourceType>,
    operations: Vec<MetadataOperation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetadataResourceType {
    name: &'static str,
    display_name: &'static str,
    operations: Vec<MetadataOperation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetadataOperation {
    name: &'static str,
    display_name: &'static str,
    description: &'static str,
    origin: &'static str,
    is_data_action: bool,
}

fn metadata(info: &Namespace) -> Metadata {
    let mut resource_types: Vec<MetadataResourceType> = Vec::new();
    for action in actions_of(info.namespace) {
        let operation = MetadataOperation {
            name: action.name,
            display_name: action.summary,
            description: action.summary,
            origin: "user,system",
            is_data_action: false,
        };
        match resource_types
            .iter_mut()
            .find(|known| known.name == action.resource_type.name)
        {
            Some(known) => known.operations.push(operation),
            None => resource_types.push(MetadataResourceType {
                name: action.resource_type.name,
                display_name: action.resource_type.display_name,
                operations: vec![operation],
            }),
        }
    }
    Metadata {
        id: format!(
            "/providers/Microsoft.Authorization/providerOperations/{}",
            info.namespace
        ),
        name: info.namespace,
        kind: "Microsoft.Authorization/providerOperations",
        display_name: info.display_name,
        resource_types,
        operations: Vec::new(),
    }
}

/// `ProviderOperationsMetadata_List` (`$expand=resourceTypes` is the default and always applied).
/// Paged ([`crate::paging`]) by namespace.
async fn list_metadata(
    state: web::Data<AppState>,
    _version: ApiVersion,
    request: actix_web::HttpRequest,
) -> Result<HttpResponse, ArmError> {
    let value: Vec<Metadata> = providers::NAMESPACES.iter().map(metadata).collect();
    let page = crate::paging::page(&state, &request, value, |body| body.name.to_string())?;
    Ok(HttpResponse::Ok().json(page))
}

/// `ProviderOperationsMetadata_Get`: 404 `InvalidResourceNamespace` for a namespace mimic does not serve.
async fn get_metadata(
    _version: ApiVersion,
    path: web::Path<String>,
) -> Result<HttpResponse, ArmError> {
    match providers::namespace(&path) {
        Some(info) => Ok(HttpResponse::Ok().json(metadata(info))),
        None => Ok(HttpResponse::NotFound()
            .json(ArmError::InvalidResourceNamespace(path.into_inner()).envelope())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_served_namespace_lists_its_actions_and_the_linked_ones() {
        let identity = actions_of("Microsoft.ManagedIdentity");
        let names: Vec<&str> = identity.iter().map(|action| action.name).collect();
        assert!(names.contains(&"Microsoft.ManagedIdentity/userAssignedIdentities/write"));
        assert!(names.contains(&crate::user_assigned_identities::ASSIGN_ACTION));
        for info in providers::NAMESPACES {
            assert!(!actions_of(info.namespace).is_empty(), "{}", info.namespace);
        }
    }

    #[test]
    fn every_served_namespace_has_its_operations_list() {
        for info in providers::NAMESPACES {
            let path = format!("/providers/{}/operations", info.namespace.to_lowercase());
            assert!(
                OPERATIONS.iter().any(|operation| operation.path == path),
                "{path}"
            );
        }
    }
}
