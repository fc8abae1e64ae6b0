//! `Microsoft.Compute/virtualMachines`: create/replace, get, update (tags, size, identity),
//! delete and list, plus Compute's async-operation status endpoint. Writes complete
//! synchronously: 200/201 with `provisioningState: "Succeeded"` and no `Azure-AsyncOperation`
//! header, so clients do not poll (wire-contract §5.10).

pub mod model;
pub mod profile;
pub mod store;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::extract::{ApiVersion, Caller};
use crate::lifecycle::{self, VmChange};
use crate::rbac;
use crate::routes::resource;
use crate::scope;
use crate::{AppState, ArmError};
use model::{
    vm_id_of, VirtualMachineCreateRequest, VirtualMachineList, VirtualMachineResponse,
    VirtualMachineUpdateRequest,
};
use store::VmKey;

const READ: &str = "Microsoft.Compute/virtualMachines/read";
const WRITE: &str = lifecycle::VM_WRITE_ACTION;
const DELETE: &str = "Microsoft.Compute/virtualMachines/delete";

const VM_PATH: &str = "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.compute/virtualmachines/{name}";

/// Registers the VM routes (paths are matched after the gate lower-cased their keywords).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource(VM_PATH)
            .route(web::put().to(create_or_update))
            .route(web::get().to(get))
            .route(web::patch().to(update))
            .route(web::delete().to(delete)),
    )
    .service(
        resource("/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.compute/virtualmachines")
            .route(web::get().to(list)),
    )
    .service(
        resource("/subscriptions/{subscription_id}/providers/microsoft.compute/virtualmachines")
            .route(web::get().to(list_all)),
    )
    .service(
        resource("/subscriptions/{subscription_id}/providers/microsoft.compute/locations/{location}/operations/{operation_id}")
            .route(web::get().to(get_operation)),
    );
}

/// The path of one VM.
#[derive(Debug, Deserialize)]
pub struct VmPath {
    subscription_id: String,
    resource_group: String,
    name: String,
}

impl VmPath {
    fn key(&self) -> VmKey {
        VmKey {
            subscription_id: self.subscription_id.clone(),
            resource_group: self.resource_group.clone(),
            name: self.name.clone(),
        }
    }
    fn id(&self) -> String {
        vm_id_of(&self.subscription_id, &self.resource_group, &self.name)
    }
}

/// `VirtualMachines_CreateOrUpdate`: 201 for a new VM, 200 for a replaced one.
pub async fn create_or_update(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<VmPath>,
    body: web::Json<VirtualMachineCreateRequest>,
) -> Result<HttpResponse, ArmError> {
    rbac::authorize(&state, &caller, WRITE, &path.id()).await?;
    let change = VmChange::Replace(Box::new(body.into_inner()));
    let (vm, created) = lifecycle::write_vm(&state, &caller, &path.key(), &change).await?;
    let status = match created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    Ok(HttpResponse::build(status).json(VirtualMachineResponse::from(&vm)))
}

/// `VirtualMachines_Get`.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<VmPath>,
) -> Result<HttpResponse, ArmError> {
    rbac::authorize(&state, &caller, READ, &path.id()).await?;
    let vm = find(&state, &path).await?;
    Ok(HttpResponse::Ok().json(VirtualMachineResponse::from(&vm)))
}

/// The VM at `path`, or the Azure 404 for it (`ResourceGroupNotFound` or `ResourceNotFound`).
pub async fn find(state: &AppState, path: &VmPath) -> Result<model::VirtualMachine, ArmError> {
    scope::require_resource_group(state, &path.subscription_id, &path.resource_group).await?;
    store::get(&state.db, &path.key())
        .await?
        .ok_or_else(|| ArmError::ResourceNotFound(lifecycle::vm_resource_id(&path.key())))
}

/// `VirtualMachines_Update` (PATCH): tags, size and identity (merge semantics, §5.7).
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<VmPath>,
    body: web::Json<VirtualMachineUpdateRequest>,
) -> Result<HttpResponse, ArmError> {
    rbac::authorize(&state, &caller, WRITE, &path.id()).await?;
    find(&state, &path).await?;
    let change = VmChange::Update(body.into_inner());
    let (vm, _) = lifecycle::write_vm(&state, &caller, &path.key(), &change).await?;
    Ok(HttpResponse::Ok().json(VirtualMachineResponse::from(&vm)))
}

/// `VirtualMachines_Delete`: 200 when deleted, 204 when there was nothing to delete.
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<VmPath>,
) -> Result<HttpResponse, ArmError> {
    rbac::authorize(&state, &caller, DELETE, &path.id()).await?;
    match lifecycle::delete_vm(&state, &path.key()).await? {
        Some(_) => Ok(HttpResponse::Ok().finish()),
        None => Ok(HttpResponse::NoContent().finish()),
    }
}

/// The path of a resource group's VM collection.
#[derive(Debug, Deserialize)]
pub struct GroupPath {
    subscription_id: String,
    resource_group: String,
}

/// `VirtualMachines_List` (one resource group).
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
    let vms = store::list(
        &state.db,
        Some(&path.subscription_id),
        Some(&path.resource_group),
    )
    .await?;
    let value = vms.iter().map(VirtualMachineResponse::from).collect();
    Ok(HttpResponse::Ok().json(VirtualMachineList { value }))
}

/// The path of a subscription.
#[derive(Debug, Deserialize)]
pub struct SubscriptionPath {
    subscription_id: String,
}

/// `VirtualMachines_ListAll` (whole subscription).
pub async fn list_all(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ArmError> {
    let scope_id = format!("/subscriptions/{}", path.subscription_id);
    rbac::authorize(&state, &caller, READ, &scope_id).await?;
    scope::require_subscription(&state, &path.subscription_id).await?;
    let vms = store::list(&state.db, Some(&path.subscription_id), None).await?;
    let value = vms.iter().map(VirtualMachineResponse::from).collect();
    Ok(HttpResponse::Ok().json(VirtualMachineList { value }))
}

/// Compute's async-operation status. mimic completes every write before answering, so any
/// operation a client polls has already succeeded.
pub async fn get_operation(
    state: web::Data<AppState>,
    _caller: Caller,
    _version: ApiVersion,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ArmError> {
    let (_subscription_id, _location, operation_id) = path.into_inner();
    let now = lifecycle::compute_time(state.clock.now());
    Ok(HttpResponse::Ok().json(model::OperationStatus {
        start_time: now.clone(),
        end_time: now,
        status: "Succeeded",
        name: operation_id,
    }))
}

/// A VM of the fixture (`arm.virtualMachines[]` of `fixtures/default.json`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeedVm {
    subscription_id: String,
    resource_group: String,
    name: String,
    location: String,
    vm_id: String,
    #[serde(default)]
    vm_size: Option<String>,
    #[serde(default)]
    os_type: Option<String>,
    #[serde(default)]
    computer_name: Option<String>,
    #[serde(default)]
    admin_username: Option<String>,
    #[serde(default)]
    tags: model::Tags,
}

/// Creates the fixture's VMs (`vms`: the `virtualMachines` array of the fixture's `arm` section),
/// without identities and without notifying the IMDS host. VMs that already exist are left
/// alone; their resource groups must exist.
pub async fn seed(state: &AppState, vms: &serde_json::Value) -> Result<(), ArmError> {
    use anyhow::Context;
    let vms: Vec<SeedVm> = match vms {
        serde_json::Value::Null => Vec::new(),
        vms => serde_json::from_value(vms.clone()).context("reading arm.virtualMachines")?,
    };
    for vm in vms {
        let group =
            scope::require_resource_group(state, &vm.subscription_id, &vm.resource_group).await?;
        let profile = seed_profile(&vm).with_defaults(&vm.name);
        let now = state.clock.now();
        let record = store::VmRecord {
            subscription_id: &group.subscription_id,
            resource_group: &group.name,
            name: &vm.name,
            location: &lifecycle::normalize_location(&vm.location),
            vm_id: &vm.vm_id,
            tags: &vm.tags,
            profile: &profile,
            system_principal_id: None,
            user_identities: &[],
            created_time: now,
            changed_time: now,
        };
        let mut conn = state.db.acquire().await?;
        store::insert(&mut conn, &record).await?;
    }
    Ok(())
}

fn seed_profile(vm: &SeedVm) -> model::VirtualMachineProfile {
    model::VirtualMachineProfile {
        hardware_profile: Some(model::HardwareProfile {
            vm_size: vm.vm_size.clone(),
        }),
        storage_profile: Some(model::StorageProfile {
            os_disk: Some(model::OsDisk {
                os_type: vm.os_type.clone(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        os_profile: Some(model::OsProfile {
            computer_name: vm.computer_name.clone(),
            admin_username: vm.admin_username.clone(),
            ..Default::default()
        }),
        network_profile: None,
    }
}
