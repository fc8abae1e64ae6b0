//! `Microsoft.ManagedIdentity/userAssignedIdentities`: create/replace, get, update (tags),
//! delete and list; and `{scope}/providers/Microsoft.ManagedIdentity/identities/default`, the
//! system-assigned identity of the VM at `{scope}`. No LROs: every write answers 200/201.

pub mod model;
pub mod store;
pub mod writes;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::extract::{ApiVersion, Caller};
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::{scope, system_data};
use crate::{AppState, ArmError};
use mimic_azure::ResourceId;
use model::{
    IdentityCreateRequest, IdentityResponse, IdentityUpdateRequest, SystemAssignedIdentityResponse,
    RESOURCE_TYPE,
};
use store::IdentityKey;

const READ: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/read";
const WRITE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/write";
const DELETE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/delete";
const SYSTEM_READ: &str = "Microsoft.ManagedIdentity/identities/read";

const IDENTITY_PATH: &str = "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.managedidentity/userassignedidentities/{name}";

/// Microsoft.ManagedIdentity's api-versions for user-assigned identities, newest first.
pub const VERSIONS: &[&str] = &[
    "2025-05-31-preview",
    "2025-01-31-preview",
    "2024-11-30",
    "2023-07-31-preview",
    "2023-01-31",
    "2022-01-31-preview",
    "2021-09-30-preview",
    "2018-11-30",
    "2015-08-31-preview",
];

/// `Microsoft.ManagedIdentity/userAssignedIdentities`.
pub const USER_ASSIGNED_IDENTITIES: ResourceType = ResourceType {
    namespace: "Microsoft.ManagedIdentity",
    name: "userAssignedIdentities",
    display_name: "User Assigned Identities",
    regional: true,
    versions: VERSIONS,
};

/// `Microsoft.ManagedIdentity/identities` (a resource's system-assigned identity).
pub const IDENTITIES: ResourceType = ResourceType {
    namespace: "Microsoft.ManagedIdentity",
    name: "Identities",
    display_name: "Managed Identities",
    regional: false,
    versions: &[
        "2024-11-30",
        "2023-01-31",
        "2022-01-31-preview",
        "2018-11-30",
        "2015-08-31-preview",
    ],
};

/// The action that attaching a user-assigned identity needs on that identity.
pub const ASSIGN_ACTION: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";

const LIST_ASSOCIATED: &str =
    "Microsoft.ManagedIdentity/userAssignedIdentities/listAssociatedResources/action";

/// The managed-identity operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "UserAssignedIdentities_CreateOrUpdate",
        verb: Verb::Put,
        path: IDENTITY_PATH,
        resource_type: &USER_ASSIGNED_IDENTITIES,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Path),
        handler: |route| route.to(create_or_update),
        summary: "Create or update a user-assigned identity",
    },
    Operation {
        id: "UserAssignedIdentities_Get",
        verb: Verb::Get,
        path: IDENTITY_PATH,
        resource_type: &USER_ASSIGNED_IDENTITIES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Path),
        handler: |route| route.to(get),
        summary: "Get a user-assigned identity",
    },
    Operation {
        id: "UserAssignedIdentities_Update",
        verb: Verb::Patch,
        path: IDENTITY_PATH,
        resource_type: &USER_ASSIGNED_IDENTITIES,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Path),
        handler: |route| route.to(update),
        summary: "Update a user-assigned identity's tags",
    },
    Operation {
        id: "UserAssignedIdentities_Delete",
        verb: Verb::Delete,
        path: IDENTITY_PATH,
        resource_type: &USER_ASSIGNED_IDENTITIES,
        versions: &[],
        authorization: Authorization::Action(DELETE, ScopeRule::Path),
        handler: |route| route.to(delete),
        summary: "Delete a user-assigned identity",
    },
    Operation {
        id: "UserAssignedIdentities_ListAssociatedResources",
        verb: Verb::Post,
        path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.managedidentity/userassignedidentities/{name}/listassociatedresources",
        resource_type: &USER_ASSIGNED_IDENTITIES,
        // Only these previews publish the action (az's `identity list-resources` sends 2022-01-31-preview).
        versions: &["2022-01-31-preview", "2021-09-30-preview"],
        authorization: Authorization::Action(LIST_ASSOCIATED, ScopeRule::Parent(1)),
        handler: |route| route.to(list_associated_resources),
        summary: "List the resources a user-assigned identity is assigned to",
    },
    Operation {
        id: "UserAssignedIdentities_ListByResourceGroup",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.managedidentity/userassignedidentities",
        resource_type: &USER_ASSIGNED_IDENTITIES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list_by_resource_group),
        summary: "List a resource group's user-assigned identities",
    },
    Operation {
        id: "UserAssignedIdentities_ListBySubscription",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/microsoft.managedidentity/userassignedidentities",
        resource_type: &USER_ASSIGNED_IDENTITIES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list_by_subscription),
        summary: "List the subscription's user-assigned identities",
    },
    Operation {
        id: "SystemAssignedIdentities_GetByScope",
        verb: Verb::Get,
        path: "/{scope:.+}/providers/microsoft.managedidentity/identities/{name}",
        resource_type: &IDENTITIES,
        versions: &[],
        authorization: Authorization::Action(SYSTEM_READ, ScopeRule::Parent(4)),
        handler: |route| route.to(get_system_assigned),
        summary: "Get the system-assigned identity of the resource at a scope",
    },
];

/// The path of one identity.
#[derive(Debug, Deserialize)]
pub struct IdentityPath {
    subscription_id: String,
    resource_group: String,
    name: String,
}

impl IdentityPath {
    fn key(&self) -> IdentityKey {
        IdentityKey {
            subscription_id: self.subscription_id.clone(),
            resource_group: self.resource_group.clone(),
            name: self.name.clone(),
        }
    }
}

/// `UserAssignedIdentities_CreateOrUpdate`: 201 for a new identity, 200 for an existing one.
pub async fn create_or_update(
    state: web::Data<AppState>,
    caller: Caller,
    version: ApiVersion,
    path: web::Path<IdentityPath>,
    body: web::Json<IdentityCreateRequest>,
) -> Result<HttpResponse, ArmError> {
    let (identity, created) = writes::write_identity(&state, &path.key(), &body).await?;
    let status = match created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    let id = identity.id();
    let system_data =
        system_data::record(&state, &caller, &id, created, (RESOURCE_TYPE, &version.0)).await?;
    Ok(HttpResponse::build(status)
        .json(IdentityResponse::from(&identity).with_system_data(system_data)))
}

/// The identity at `path`: 404 `ResourceGroupNotFound` / `ResourceNotFound` otherwise.
async fn find(
    state: &AppState,
    path: &IdentityPath,
) -> Result<model::UserAssignedIdentity, ArmError> {
    scope::require_resource_group(state, &path.subscription_id, &path.resource_group).await?;
    store::get(&state.db, &path.key())
        .await?
        .ok_or_else(|| ArmError::ResourceNotFound(identity_resource_id(&path.key())))
}

/// `UserAssignedIdentities_Get`.
pub async fn get(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: web::Path<IdentityPath>,
) -> Result<HttpResponse, ArmError> {
    let identity = find(&state, &path).await?;
    let system_data = system_data::of(&state, &identity.id(), (RESOURCE_TYPE, &version.0)).await?;
    Ok(HttpResponse::Ok().json(IdentityResponse::from(&identity).with_system_data(system_data)))
}

/// `UserAssignedIdentities_Update` (PATCH): tags and isolation scope.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    version: ApiVersion,
    path: web::Path<IdentityPath>,
    body: web::Json<IdentityUpdateRequest>,
) -> Result<HttpResponse, ArmError> {
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let identity = writes::update_identity(&state, &path.key(), &body).await?;
    let id = identity.id();
    let system_data =
        system_data::record(&state, &caller, &id, false, (RESOURCE_TYPE, &version.0)).await?;
    Ok(HttpResponse::Ok().json(IdentityResponse::from(&identity).with_system_data(system_data)))
}

/// `UserAssignedIdentities_Delete`: 200 when deleted, 204 when there was nothing to delete.
pub async fn delete(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<IdentityPath>,
) -> Result<HttpResponse, ArmError> {
    match writes::delete_identity(&state, &path.key()).await? {
        true => Ok(HttpResponse::Ok().finish()),
        false => Ok(HttpResponse::NoContent().finish()),
    }
}

/// The path of a resource group's identity collection.
#[derive(Debug, Deserialize)]
pub struct GroupPath {
    subscription_id: String,
    resource_group: String,
}

/// `UserAssignedIdentities_ListByResourceGroup`, paged ([`crate::paging`]).
pub async fn list_by_resource_group(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    version: ApiVersion,
    path: web::Path<GroupPath>,
) -> Result<HttpResponse, ArmError> {
    let group =
        scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let identities =
        store::list(&state.db, &path.subscription_id, Some(&path.resource_group)).await?;
    let prefix = format!(
        "/subscriptions/{}/resourceGroups/{}/",
        group.subscription_id, group.name
    );
    let value = render_list(&state, &identities, &prefix, &version).await?;
    let page = crate::paging::page(&state, &request, value, |identity| identity.id.clone())?;
    Ok(HttpResponse::Ok().json(page))
}

/// The identities of a list, with their `systemData` (everything under `prefix`, read once).
async fn render_list(
    state: &AppState,
    identities: &[model::UserAssignedIdentity],
    prefix: &str,
    version: &ApiVersion,
) -> Result<Vec<IdentityResponse>, ArmError> {
    let mut system_data = system_data::under(state, prefix, (RESOURCE_TYPE, &version.0)).await?;
    Ok(identities
        .iter()
        .map(|identity| {
            let found = system_data.remove(&identity.id().to_lowercase());
            IdentityResponse::from(identity).with_system_data(found)
        })
        .collect())
}

/// The path of a subscription.
#[derive(Debug, Deserialize)]
pub struct SubscriptionPath {
    subscription_id: String,
}

/// `UserAssignedIdentities_ListBySubscription`, paged ([`crate::paging`]).
pub async fn list_by_subscription(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    version: ApiVersion,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    let identities = store::list(&state.db, &path.subscription_id, None).await?;
    let prefix = format!("/subscriptions/{}/", path.subscription_id);
    let value = render_list(&state, &identities, &prefix, &version).await?;
    let page = crate::paging::page(&state, &request, value, |identity| identity.id.clone())?;
    Ok(HttpResponse::Ok().json(page))
}

/// The path of a resource's system-assigned identity.
#[derive(Debug, Deserialize)]
pub struct SystemAssignedPath {
    scope: String,
    name: String,
}

/// `SystemAssignedIdentities_GetByScope`: the system-assigned identity of the VM at `{scope}`;
/// 404 `ResourceNotFound` when there is no such VM or it has no system-assigned identity.
pub async fn get_system_assigned(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<SystemAssignedPath>,
) -> Result<HttpResponse, ArmError> {
    let scope_id = scope::parse_captured(&path.scope)?.to_string();
    let not_found = || ArmError::NotFound(format!("/{}", path.scope));
    let vm = crate::virtual_machines::vm_at_scope(&state, &scope_id).await?;
    let vm = vm.ok_or_else(not_found)?;
    let response = SystemAssignedIdentityResponse::of(&vm)
        .filter(|_| path.name.eq_ignore_ascii_case("default"));
    let response = response.ok_or_else(|| {
        ArmError::ResourceNotFound(crate::virtual_machines::vm_resource_id(
            &crate::virtual_machines::vm_key_of_vm(&vm),
        ))
    })?;
    Ok(HttpResponse::Ok().json(response))
}

/// `UserAssignedIdentities_ListAssociatedResources`: the VMs the identity is assigned to, in
/// `AssociatedResourcesListResult`'s shape (one page; `$filter`, `$orderby`, `$skip` and `$top`
/// are not applied).
pub async fn list_associated_resources(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<IdentityPath>,
) -> Result<HttpResponse, ArmError> {
    let identity = find(&state, &path).await?;
    let vms = crate::virtual_machines::store::list_with_identity(&state.db, identity.key).await?;
    let mut value = Vec::with_capacity(vms.len());
    for vm in vms {
        let subscription = crate::subscriptions::store::find(&state.db, &vm.subscription_id)
            .await?
            .map(|subscription| subscription.display_name)
            .unwrap_or_default();
        value.push(serde_json::json!({
            "id": vm.id(),
            "name": vm.name,
            "type": "microsoft.compute/virtualmachines",
            "resourceGroup": vm.resource_group,
            "subscriptionId": vm.subscription_id,
            "subscriptionDisplayName": subscription,
        }));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "totalCount": value.len(),
        "value": value,
    })))
}

/// The write-lock key of a user-assigned identity ([`crate::locks`]).
pub(crate) fn identity_lock_key(key: &IdentityKey) -> String {
    identity_resource_id(key).to_string()
}

/// The `ResourceId` of an identity key.
pub fn identity_resource_id(key: &IdentityKey) -> ResourceId {
    ResourceId::new(
        &key.subscription_id,
        &key.resource_group,
        "Microsoft.ManagedIdentity",
        "userAssignedIdentities",
        &key.name,
    )
}

/// Parses a user-assigned identity id (any case) into its key.
pub fn parse_identity_id(id: &str) -> Option<IdentityKey> {
    let resource = ResourceId::parse(id).ok()?;
    let is_identity = resource
        .resource_type()
        .to_string()
        .eq_ignore_ascii_case(model::RESOURCE_TYPE);
    is_identity.then(|| IdentityKey {
        subscription_id: resource.subscription_id().to_string(),
        resource_group: resource.resource_group().to_string(),
        name: resource.name().to_string(),
    })
}
