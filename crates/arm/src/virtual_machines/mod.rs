//! `Microsoft.Compute/virtualMachines`: create/replace, get (with `$expand=instanceView`),
//! instance view, update (tags, size, identity), delete and list, plus Compute's async-operation
//! status endpoint. Writes are long-running operations, as Compute's spec marks them
//! ([`crate::async_operations`]): a PUT answers 201/200 with `provisioningState: Creating` or
//! `Updating` and `Azure-AsyncOperation`, a PATCH 200 with `Updating`, a DELETE 202 with
//! `Azure-AsyncOperation` and `Location` (Compute's `VirtualMachine_Delete_Force` example); all with
//! a short `Retry-After` (wire-contract §5.10). PUT and PATCH honour `If-Match` and
//! `If-None-Match` against the VM's `etag` ([`conditions`]).

pub mod conditions;
pub mod instance_view;
pub mod model;
pub mod profile;
pub mod store;
pub mod writes;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::async_operations::{self as lro, AsyncOperation, NewOperation, OperationKind};

use crate::extract::{ApiVersion, Caller};
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::scope;
use crate::{AppState, ArmError};
use mimic_azure::ResourceId;
use model::{VirtualMachineCreateRequest, VirtualMachineResponse, VirtualMachineUpdateRequest};
use store::VmKey;
use writes::VmChange;

const READ: &str = "Microsoft.Compute/virtualMachines/read";
/// The action a VM PUT or PATCH needs on the VM.
pub const VM_WRITE_ACTION: &str = "Microsoft.Compute/virtualMachines/write";
const WRITE: &str = VM_WRITE_ACTION;
const DELETE: &str = "Microsoft.Compute/virtualMachines/delete";

const VM_PATH: &str = "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.compute/virtualmachines/{name}";

/// Compute's api-versions (virtual machines and the location catalogues), newest first.
pub const VERSIONS: &[&str] = &[
    "2026-04-01",
    "2025-04-01",
    "2024-11-01",
    "2024-07-01",
    "2024-03-01",
    "2023-09-01",
    "2023-07-01",
    "2023-03-01",
    "2022-11-01",
    "2022-08-01",
    "2022-03-01",
    "2021-11-01",
    "2021-07-01",
    "2021-04-01",
    "2021-03-01",
    "2020-12-01",
    "2020-06-01",
    "2019-12-01",
    "2019-07-01",
    "2019-03-01",
    "2018-10-01",
    "2018-06-01",
    "2018-04-01",
    "2017-12-01",
    "2017-03-30",
    "2016-08-30",
    "2016-04-30-preview",
    "2016-03-30",
    "2015-06-15",
];

/// `Microsoft.Compute/virtualMachines`.
pub const VIRTUAL_MACHINES: ResourceType = ResourceType {
    namespace: "Microsoft.Compute",
    name: "virtualMachines",
    display_name: "Virtual Machines",
    regional: true,
    versions: VERSIONS,
};

/// `Microsoft.Compute/locations/operations` (async-operation status).
pub const LOCATION_OPERATIONS: ResourceType = ResourceType {
    namespace: "Microsoft.Compute",
    name: "locations/operations",
    display_name: "Operation",
    regional: false,
    versions: VERSIONS,
};

const GROUP_VMS: &str = "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.compute/virtualmachines";

/// The virtual-machine operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "VirtualMachines_CreateOrUpdate",
        verb: Verb::Put,
        path: VM_PATH,
        resource_type: &VIRTUAL_MACHINES,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Path),
        handler: |route| route.to(create_or_update),
        summary: "Create or update a virtual machine (and `assign/action` on each user-assigned identity it names)",
    },
    Operation {
        id: "VirtualMachines_Get",
        verb: Verb::Get,
        path: VM_PATH,
        resource_type: &VIRTUAL_MACHINES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Path),
        handler: |route| route.to(get),
        summary: "Get a virtual machine",
    },
    Operation {
        id: "VirtualMachines_InstanceView",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.compute/virtualmachines/{name}/instanceview",
        resource_type: &VIRTUAL_MACHINES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(1)),
        handler: |route| route.to(instance_view),
        summary: "Get a virtual machine's instance view (provisioning and power state)",
    },
    Operation {
        id: "VirtualMachines_Update",
        verb: Verb::Patch,
        path: VM_PATH,
        resource_type: &VIRTUAL_MACHINES,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Path),
        handler: |route| route.to(update),
        summary: "Update a virtual machine's tags, size and identity",
    },
    Operation {
        id: "VirtualMachines_Delete",
        verb: Verb::Delete,
        path: VM_PATH,
        resource_type: &VIRTUAL_MACHINES,
        versions: &[],
        authorization: Authorization::Action(DELETE, ScopeRule::Path),
        handler: |route| route.to(delete),
        summary: "Delete a virtual machine",
    },
    Operation {
        id: "VirtualMachines_List",
        verb: Verb::Get,
        path: GROUP_VMS,
        resource_type: &VIRTUAL_MACHINES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list),
        summary: "List a resource group's virtual machines",
    },
    Operation {
        id: "VirtualMachines_ListAll",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/microsoft.compute/virtualmachines",
        resource_type: &VIRTUAL_MACHINES,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list_all),
        summary: "List the subscription's virtual machines",
    },
    Operation {
        id: "OperationStatus_Get",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/microsoft.compute/locations/{location}/operations/{operation_id}",
        resource_type: &LOCATION_OPERATIONS,
        versions: &[],
        authorization: Authorization::AnyCaller(
            "Compute answers the caller that holds the URL it gave out; the status carries no data",
        ),
        handler: |route| route.to(get_operation),
        summary: "Get an async operation's status, or with `monitor=true` its result (not in Compute's spec: the URL comes from the server)",
    },
];

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
}

/// `VirtualMachines_CreateOrUpdate`: 201 for a new VM, 200 for a replaced one, each with
/// `provisioningState: Creating`/`Updating` and `Azure-AsyncOperation`.
pub async fn create_or_update(
    state: web::Data<AppState>,
    caller: Caller,
    version: ApiVersion,
    request: HttpRequest,
    path: web::Path<VmPath>,
    body: web::Json<VirtualMachineCreateRequest>,
) -> Result<HttpResponse, ArmError> {
    let change = VmChange::Replace(Box::new(body.into_inner()));
    let conditions = conditions::Preconditions::of(&request);
    let (vm, created) =
        writes::write_vm(&state, &caller, &path.key(), &change, &conditions).await?;
    let (status, kind) = match created {
        true => (StatusCode::CREATED, OperationKind::Create),
        false => (StatusCode::OK, OperationKind::Update),
    };
    accept_write(&state, &vm, kind, status, &version).await
}

/// Records a VM write's operation and answers with the VM in its in-progress state.
async fn accept_write(
    state: &AppState,
    vm: &model::VirtualMachine,
    kind: OperationKind,
    status: StatusCode,
    version: &ApiVersion,
) -> Result<HttpResponse, ArmError> {
    let operation = begin_operation(state, vm, kind).await?;
    let pending = lro::pending_kind(state, &vm.id()).await?;
    let status_url = lro::compute_status_url(state, &operation, &version.0);
    Ok(lro::accepted(status, Some(&status_url), None)
        .json(VirtualMachineResponse::new(vm, pending)))
}

async fn begin_operation(
    state: &AppState,
    vm: &model::VirtualMachine,
    kind: OperationKind,
) -> Result<AsyncOperation, ArmError> {
    let id = vm.id();
    let new = NewOperation {
        id: lro::compute_operation_id(),
        resource_type: model::RESOURCE_TYPE,
        resource_id: &id,
        subscription_id: &vm.subscription_id,
        location: &vm.location,
        kind,
    };
    lro::begin(state, new).await
}

/// `$expand` of `VirtualMachines_Get`.
#[derive(Debug, Deserialize)]
pub struct GetQuery {
    #[serde(rename = "$expand")]
    expand: Option<String>,
}

/// `VirtualMachines_Get`, with `properties.instanceView` for `$expand=instanceView`.
pub async fn get(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<VmPath>,
    query: web::Query<GetQuery>,
) -> Result<HttpResponse, ArmError> {
    let vm = find(&state, &path).await?;
    let pending = lro::pending_kind(&state, &vm.id()).await?;
    let expand = query.expand.as_deref().unwrap_or_default();
    let body = match expand.eq_ignore_ascii_case("instanceView") {
        true => VirtualMachineResponse::with_instance_view(&vm, pending),
        false => VirtualMachineResponse::new(&vm, pending),
    };
    Ok(HttpResponse::Ok().json(body))
}

/// `VirtualMachines_InstanceView`.
pub async fn instance_view(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<VmPath>,
) -> Result<HttpResponse, ArmError> {
    let vm = find(&state, &path).await?;
    let pending = lro::pending_kind(&state, &vm.id()).await?;
    Ok(HttpResponse::Ok().json(instance_view::instance_view(&vm, pending)))
}

/// The VM at `path`, or the Azure 404 for it (`ResourceGroupNotFound` or `ResourceNotFound`).
pub async fn find(state: &AppState, path: &VmPath) -> Result<model::VirtualMachine, ArmError> {
    scope::require_resource_group(state, &path.subscription_id, &path.resource_group).await?;
    store::get(&state.db, &path.key())
        .await?
        .ok_or_else(|| ArmError::ResourceNotFound(vm_resource_id(&path.key())))
}

/// `VirtualMachines_Update` (PATCH): tags, size and identity (merge semantics, §5.7); 200 with
/// `provisioningState: Updating` and `Azure-AsyncOperation`.
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    version: ApiVersion,
    request: HttpRequest,
    path: web::Path<VmPath>,
    body: web::Json<VirtualMachineUpdateRequest>,
) -> Result<HttpResponse, ArmError> {
    find(&state, &path).await?;
    let change = VmChange::Update(body.into_inner());
    let conditions = conditions::Preconditions::of(&request);
    let (vm, _) = writes::write_vm(&state, &caller, &path.key(), &change, &conditions).await?;
    accept_write(&state, &vm, OperationKind::Update, StatusCode::OK, &version).await
}

/// `VirtualMachines_Delete`: 202 with `Azure-AsyncOperation` and `Location` (the VM shows
/// `Deleting` until the operation ends, then is gone); 204 when there was nothing to delete. A
/// second DELETE while the first runs answers with the first one's URLs.
pub async fn delete(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: web::Path<VmPath>,
) -> Result<HttpResponse, ArmError> {
    let key = path.key();
    let operation = {
        let _writing = state.write_locks.lock(&vm_lock_key(&key)).await;
        let Some(vm) = store::get(&state.db, &key).await? else {
            return Ok(HttpResponse::NoContent().finish());
        };
        match lro::pending_of(&state, &vm.id(), OperationKind::Delete).await? {
            Some(running) => running,
            None => begin_operation(&state, &vm, OperationKind::Delete).await?,
        }
    };
    // With no time in progress, the VM is gone before the answer (the lock is released first:
    // the deletion takes it).
    lro::settle(&state).await?;
    let status_url = lro::compute_status_url(&state, &operation, &version.0);
    let result_url = lro::compute_result_url(&state, &operation, &version.0);
    Ok(lro::accepted(StatusCode::ACCEPTED, Some(&status_url), Some(&result_url)).finish())
}

/// Ends a VM deletion: deletes the VM (and its system-assigned principal), if it is still there.
pub async fn complete_delete(state: &AppState, vm_id: &str) -> Result<(), ArmError> {
    let resource = ResourceId::parse(vm_id)
        .map_err(|_| anyhow::anyhow!("the deleted VM's id '{vm_id}' does not parse"))?;
    writes::delete_vm(state, &vm_key_of(&resource)).await?;
    Ok(())
}

/// The path of a resource group's VM collection.
#[derive(Debug, Deserialize)]
pub struct GroupPath {
    subscription_id: String,
    resource_group: String,
}

/// `VirtualMachines_List` (one resource group), paged ([`crate::paging`]).
pub async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
    _version: ApiVersion,
    path: web::Path<GroupPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let vms = store::list(
        &state.db,
        Some(&path.subscription_id),
        Some(&path.resource_group),
    )
    .await?;
    render_list(&state, &request, &path.subscription_id, &vms).await
}

/// The path of a subscription.
#[derive(Debug, Deserialize)]
pub struct SubscriptionPath {
    subscription_id: String,
}

/// `VirtualMachines_ListAll` (whole subscription), paged ([`crate::paging`]).
pub async fn list_all(
    state: web::Data<AppState>,
    request: HttpRequest,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    let vms = store::list(&state.db, Some(&path.subscription_id), None).await?;
    render_list(&state, &request, &path.subscription_id, &vms).await
}

/// A page of VMs, each in the state of its operation in progress.
async fn render_list(
    state: &AppState,
    request: &HttpRequest,
    subscription_id: &str,
    vms: &[model::VirtualMachine],
) -> Result<HttpResponse, ArmError> {
    let pending = lro::pending_under(state, &format!("/subscriptions/{subscription_id}/")).await?;
    let value = vms
        .iter()
        .map(|vm| VirtualMachineResponse::new(vm, pending.get(&vm.id().to_lowercase()).copied()))
        .collect();
    let page = crate::paging::page(state, request, value, |vm| vm.id.clone())?;
    Ok(HttpResponse::Ok().json(page))
}

/// The query of Compute's operation URL: `monitor=true` asks for the result (`Location`).
#[derive(Debug, Deserialize)]
pub struct OperationQuery {
    #[serde(default)]
    monitor: Option<String>,
}

/// Compute's async-operation status (`Azure-AsyncOperation`: 200 with `status`), or with
/// `monitor=true` its result (`Location`: 202 while in progress, 200 when done).
pub async fn get_operation(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: web::Path<(String, String, String)>,
    query: web::Query<OperationQuery>,
) -> Result<HttpResponse, ArmError> {
    let (subscription_id, _location, operation_id) = path.into_inner();
    let operation = lro::find(&state, &subscription_id, &operation_id).await?;
    if !operation.resource_type.starts_with("Microsoft.Compute/") {
        return Err(ArmError::OperationNotFound);
    }
    let monitor = query
        .monitor
        .as_deref()
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    Ok(match monitor {
        true => lro::result_response(
            &operation,
            &lro::compute_result_url(&state, &operation, &version.0),
        ),
        false => lro::status_response(&operation),
    })
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
            location: &mimic_azure::normalize_location(&vm.location),
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

/// The `ResourceId` of a VM key.
pub fn vm_resource_id(key: &VmKey) -> ResourceId {
    ResourceId::new(
        &key.subscription_id,
        &key.resource_group,
        "Microsoft.Compute",
        "virtualMachines",
        &key.name,
    )
}

/// The write-lock key of a VM ([`crate::locks`]).
pub(crate) fn vm_lock_key(key: &VmKey) -> String {
    vm_resource_id(key).to_string()
}

/// The key of a VM resource id.
pub fn vm_key_of(resource: &ResourceId) -> VmKey {
    VmKey {
        subscription_id: resource.subscription_id().to_string(),
        resource_group: resource.resource_group().to_string(),
        name: resource.name().to_string(),
    }
}

/// The key of a stored VM.
pub fn vm_key_of_vm(vm: &model::VirtualMachine) -> VmKey {
    VmKey {
        subscription_id: vm.subscription_id.clone(),
        resource_group: vm.resource_group.clone(),
        name: vm.name.clone(),
    }
}

/// The resource a scope names, if it is a VM: for `{scope}/providers/Microsoft.ManagedIdentity/identities/default`.
pub async fn vm_at_scope(
    state: &AppState,
    scope: &str,
) -> Result<Option<model::VirtualMachine>, ArmError> {
    let Ok(resource) = ResourceId::parse(scope) else {
        return Ok(None);
    };
    let is_vm = resource.segments().len() == 1
        && resource
            .resource_type()
            .to_string()
            .eq_ignore_ascii_case(model::RESOURCE_TYPE);
    if !is_vm {
        return Ok(None);
    }
    Ok(store::get(&state.db, &vm_key_of(&resource)).await?)
}
