//! `Microsoft.ManagedIdentity/userAssignedIdentities`: create/replace, get, update (tags),
//! delete and list; and `{scope}/providers/Microsoft.ManagedIdentity/identities/default`, the
//! system-assigned identity of the VM at `{scope}`. No LROs: every write answers 200/201.

pub mod model;
pub mod store;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::extract::{ApiVersion, Caller};
use crate::lifecycle;
use crate::rbac;
use crate::routes::resource;
use crate::scope;
use crate::{AppState, ArmError};
use model::{
    identity_id_of, IdentityCreateRequest, IdentityList, IdentityResponse, IdentityUpdateRequest,
    SystemAssignedIdentityResponse,
};
use store::IdentityKey;

const READ: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/read";
const WRITE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/write";
const DELETE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/delete";
const SYSTEM_READ: &str = "Microsoft.ManagedIdentity/identities/read";

const IDENTITY_PATH: &str = "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.managedidentity/userassignedidentities/{name}";

/// Registers the identity routes (paths are matched after the gate lower-cased their keywords).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource(IDENTITY_PATH)
            .route(web::put().to(create_or_update))
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    )
    .service(
        resource("/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.managedidentity/userassignedidentities")
            .route(web::get().to(list_by_resource_group)),
    )
    .service(
        resource("/subscriptions/{subscription_id}/providers/microsoft.managedidentity/userassignedidentities")
            .route(web::get().to(list_by_subscription)),
    )
    .service(
        resource("/{scope:.+}/providers/microsoft.managedidentity/identities/{name}")
            .route(web::get().to(get_system_assigned)),
    );
}

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
    fn id(&self) -> String {
        identity_id_of(&self.subscription_id, &self.resource_group, &self.name)
    }
}

/// `UserAssignedIdentities_CreateOrUpdate`: 201 for a new identity, 200 for an existing one.
pub async fn create_or_update(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<IdentityPath>,
    body: web::Json<IdentityCreateRequest>,
) -> Result<HttpResponse, ArmError> {
    rbac::authorize(&state, &caller, WRITE, &path.id()).await?;
    let (identity, created) = lifecycle::write_identity(&state, &path.key(), &body).await?;
    let status = match created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    Ok(HttpResponse::build(status).json(IdentityResponse::from(&identity)))
}

/// `UserAssignedIdentities_Get`.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<IdentityPath>,
) -> Result<HttpResponse, ArmError> {
    rbac::authorize(&state, &caller, READ, &path.id()).await?;
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let identity = store::get(&state.db, &path.key())
        .await?
        .ok_or_else(|| ArmError::ResourceNotFound(lifecycle::identity_resource_id(&path.key())))?;
    Ok(HttpResponse::Ok().json(IdentityResponse::from(&identity)))
}

/// `UserAssignedIdentities_Update` (PATCH): tags and isolation scope.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<IdentityPath>,
    body: web::Json<IdentityUpdateRequest>,
) -> Result<HttpResponse, ArmError> {
    rbac::authorize(&state, &caller, WRITE, &path.id()).await?;
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let identity = lifecycle::update_identity(&state, &path.key(), &body).await?;
    Ok(HttpResponse::Ok().json(IdentityResponse::from(&identity)))
}

/// `UserAssignedIdentities_Delete`: 200 when deleted, 204 when there was nothing to delete.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<IdentityPath>,
) -> Result<HttpResponse, ArmError> {
    rbac::authorize(&state, &caller, DELETE, &path.id()).await?;
    match lifecycle::delete_identity(&state, &path.key()).await? {
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

/// `UserAssignedIdentities_ListByResourceGroup`.
pub async fn list_by_resource_group(
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
    let identities =
        store::list(&state.db, &path.subscription_id, Some(&path.resource_group)).await?;
    let value = identities.iter().map(IdentityResponse::from).collect();
    Ok(HttpResponse::Ok().json(IdentityList { value }))
}

/// The path of a subscription.
#[derive(Debug, Deserialize)]
pub struct SubscriptionPath {
    subscription_id: String,
}

/// `UserAssignedIdentities_ListBySubscription`.
pub async fn list_by_subscription(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ArmError> {
    let scope_id = format!("/subscriptions/{}", path.subscription_id);
    rbac::authorize(&state, &caller, READ, &scope_id).await?;
    scope::require_subscription(&state, &path.subscription_id).await?;
    let identities = store::list(&state.db, &path.subscription_id, None).await?;
    let value = identities.iter().map(IdentityResponse::from).collect();
    Ok(HttpResponse::Ok().json(IdentityList { value }))
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
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<SystemAssignedPath>,
) -> Result<HttpResponse, ArmError> {
    let scope_id = scope::parse_captured(&path.scope)?.to_string();
    rbac::authorize(&state, &caller, SYSTEM_READ, &scope_id).await?;
    let not_found = || ArmError::NotFound(format!("/{}", path.scope));
    let vm = lifecycle::vm_at_scope(&state, &scope_id).await?;
    let vm = vm.ok_or_else(not_found)?;
    let response = SystemAssignedIdentityResponse::of(&vm)
        .filter(|_| path.name.eq_ignore_ascii_case("default"));
    let response = response.ok_or_else(|| {
        ArmError::ResourceNotFound(lifecycle::vm_resource_id(&lifecycle::vm_key_of_vm(&vm)))
    })?;
    Ok(HttpResponse::Ok().json(response))
}
