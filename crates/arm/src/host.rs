//! The ARM host API for IMDS (docs/internal-apis.md, "ARM host API"): which VMs exist and which
//! identities each VM has right now. The gate checks the internal key for
//! every `/internal/…` path, and every handler here checks it again through [`InternalCaller`]
//! (401 `InvalidInternalKey` otherwise).

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

use crate::extract::InternalCaller;
use crate::host_watch::{MAX_WAIT, WATCHER_HEADER};
use crate::routes::resource;
use crate::virtual_machines::model::{VirtualMachine, VirtualMachineResponse};
use crate::virtual_machines::store::{self as vm_store, IdentityCredential};
use crate::{AppState, ArmError};

/// Registers `/internal/vms`, `/internal/vms/identities` and `/internal/status`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/internal/vms").route(web::get().to(list_vms)))
        .service(resource("/internal/status").route(web::get().to(crate::status::get)))
        .service(resource("/internal/vms/identities").route(web::get().to(vm_identities)));
}

/// One entry of `GET /internal/vms`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostVm {
    pub id: String,
    pub name: String,
    pub resource_group: String,
    pub subscription_id: String,
    pub location: String,
    pub vm_id: String,
}

/// The body of `GET /internal/vms`.
#[derive(Debug, Clone, Serialize)]
pub struct HostVmList {
    pub value: Vec<HostVm>,
}

impl From<&VirtualMachine> for HostVm {
    fn from(vm: &VirtualMachine) -> Self {
        Self {
            id: vm.id(),
            name: vm.name.clone(),
            resource_group: vm.resource_group.clone(),
            subscription_id: vm.subscription_id.clone(),
            location: vm.location.clone(),
            vm_id: vm.vm_id.clone(),
        }
    }
}

/// One identity of a VM: who it is, never a key (there is none; AAD issues its tokens).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostIdentity {
    /// `SystemAssigned` or `UserAssigned`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The VM's id (system-assigned) or the identity's id (user-assigned).
    pub resource_id: String,
    pub client_id: String,
    pub principal_id: String,
    pub tenant_id: String,
}

/// The body of `GET /internal/vms/identities`.
#[derive(Debug, Clone, Serialize)]
pub struct HostVmIdentities {
    /// The VM exactly as ARM's GET returns it.
    pub vm: VirtualMachineResponse,
    pub identities: Vec<HostIdentity>,
}

impl HostIdentity {
    fn new(kind: &'static str, resource_id: String, credential: IdentityCredential) -> Self {
        Self {
            kind,
            resource_id,
            client_id: credential.client_id,
            principal_id: credential.principal_id,
            tenant_id: credential.tenant_id,
        }
    }
}

/// `GET /internal/vms`: every VM of every subscription.
pub async fn list_vms(
    _: InternalCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ArmError> {
    let vms = vm_store::list(&state.db, None, None).await?;
    let value = vms.iter().map(HostVm::from).collect();
    Ok(HttpResponse::Ok().json(HostVmList { value }))
}

/// The query of `GET /internal/vms/identities`.
#[derive(Debug, Deserialize)]
pub struct IdentitiesQuery {
    /// The VM's ARM id (any case).
    id: String,
    /// A watch ([`crate::host_watch`]): hold the request up to this many seconds (at most
    /// [`MAX_WAIT`]) while the generation is still the one `If-None-Match` names.
    wait: Option<u64>,
}

/// `GET /internal/vms/identities?id=…`: the VM and its current identities; 404 if it is gone.
/// Every answer carries `ETag: "{host generation}"`; with `wait` and `If-None-Match` it is the
/// watch of [`crate::host_watch`] (304 when nothing changed in time).
pub async fn vm_identities(
    _: InternalCaller,
    state: web::Data<AppState>,
    query: web::Query<IdentitiesQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ArmError> {
    if query.wait.is_none() {
        state.watchers.count_read();
    }
    if let Some(wait) = query
        .wait
        .map(|seconds| Duration::from_secs(seconds).min(MAX_WAIT))
    {
        let holds = held_generation(&request);
        if let Some(watcher) = header(&request, WATCHER_HEADER) {
            state.watchers.heard(watcher, holds.unwrap_or(0), wait);
        }
        if let Some(holds) = holds {
            if holds == state.watchers.generation()
                && !state.watchers.moved_since(holds, wait).await
            {
                return Ok(HttpResponse::NotModified()
                    .insert_header((header::ETAG, format!("\"{holds}\"")))
                    .finish());
            }
        }
    }
    // The generation before the read: a change in between leaves the answer tagged older than
    // it is, so the watcher asks again, never the other way round.
    let etag = (header::ETAG, format!("\"{}\"", state.watchers.generation()));
    let vm = crate::virtual_machines::vm_at_scope(&state, &query.id).await?;
    let Some(vm) = vm else {
        let missing = match mimic_azure::ResourceId::parse(&query.id) {
            Ok(resource) => ArmError::ResourceNotFound(resource),
            Err(_) => ArmError::NotFound(query.id.clone()),
        };
        let mut response = missing.error_response();
        response
            .headers_mut()
            .insert(header::ETAG, etag.1.parse().map_err(anyhow::Error::from)?);
        return Ok(response);
    };
    let identities = identities_of(&state, &vm).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag)
        .json(HostVmIdentities {
            vm: VirtualMachineResponse::from(&vm),
            identities,
        }))
}

/// The generation `If-None-Match` names (`"7"`), if any.
fn held_generation(request: &HttpRequest) -> Option<u64> {
    header(request, header::IF_NONE_MATCH.as_str())?
        .trim()
        .trim_matches('"')
        .parse()
        .ok()
}

fn header<'r>(request: &'r HttpRequest, name: &str) -> Option<&'r str> {
    request.headers().get(name)?.to_str().ok()
}

async fn identities_of(
    state: &AppState,
    vm: &VirtualMachine,
) -> Result<Vec<HostIdentity>, ArmError> {
    let mut identities = Vec::new();
    if let Some(system) = &vm.system_identity {
        if let Some(credential) = vm_store::credential(&state.db, &system.principal_id).await? {
            identities.push(HostIdentity::new("SystemAssigned", vm.id(), credential));
        }
    }
    for attached in &vm.user_identities {
        if let Some(credential) = vm_store::credential(&state.db, &attached.principal_id).await? {
            identities.push(HostIdentity::new(
                "UserAssigned",
                attached.id.clone(),
                credential,
            ));
        }
    }
    Ok(identities)
}
