//! ARM's internal host API, and nothing else: `GET /internal/vms` and
//! `GET /internal/vms/identities?id=…`, guarded by the internal key. It has no watch (ARM's
//! `host_watch`): the IMDS under test asks it per request, which the tests count.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use mimic_web::{InternalKey, ServerCertificate};
use serde_json::{json, Value};

/// A VM as the fake ARM keeps it.
#[derive(Debug, Clone)]
pub struct FakeVm {
    /// Its ARM id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The VM as ARM's GET returns it.
    pub json: Value,
    /// Its identities as the host API lists them.
    pub identities: Vec<Value>,
}

#[derive(Default)]
struct ArmState {
    vms: Vec<FakeVm>,
    identity_requests: usize,
}

/// A running fake ARM.
pub struct FakeArm {
    /// Its base URL.
    pub url: String,
    state: Arc<Mutex<ArmState>>,
    _handle: ServerHandle,
}

impl FakeArm {
    /// Starts the fake on port 0 over HTTPS with `cert`, admitting callers with `key`.
    pub async fn start(cert: &ServerCertificate, key: InternalKey) -> Self {
        let state = Arc::new(Mutex::new(ArmState::default()));
        let data = web::Data::new((state.clone(), key));
        let listener = mimic_web::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let tls = mimic_web::rustls_server_config(cert).unwrap();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/internal/vms", web::get().to(list))
                .route("/internal/vms/identities", web::get().to(identities))
        })
        .workers(1)
        .disable_signals()
        .listen_rustls_0_23(listener, tls)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("https://127.0.0.1:{port}"),
            state,
            _handle: handle,
        }
    }

    /// Adds or replaces a VM.
    pub fn put_vm(&self, vm: FakeVm) {
        let mut state = self.state.lock().unwrap();
        state
            .vms
            .retain(|known| !known.id.eq_ignore_ascii_case(&vm.id));
        state.vms.push(vm);
    }

    /// Forgets a VM.
    pub fn delete_vm(&self, vm_id: &str) {
        let mut state = self.state.lock().unwrap();
        state
            .vms
            .retain(|known| !known.id.eq_ignore_ascii_case(vm_id));
    }

    /// Unassigns the identity with this client id from the VM.
    pub fn remove_identity(&self, vm_id: &str, client_id: &str) {
        let mut state = self.state.lock().unwrap();
        for vm in state
            .vms
            .iter_mut()
            .filter(|vm| vm.id.eq_ignore_ascii_case(vm_id))
        {
            vm.identities
                .retain(|identity| identity["clientId"] != client_id);
        }
    }

    /// How many identity lookups have arrived.
    pub fn identity_requests(&self) -> usize {
        self.state.lock().unwrap().identity_requests
    }
}

type Data = web::Data<(Arc<Mutex<ArmState>>, InternalKey)>;

fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .json(json!({"error": {"code": "Unauthorized", "message": "bad internal key"}}))
}

async fn list(request: HttpRequest, data: Data) -> HttpResponse {
    if !data.1.matches(&request) {
        return unauthorized();
    }
    let state = data.0.lock().unwrap();
    let value: Vec<Value> = state
        .vms
        .iter()
        .map(|vm| json!({"id": vm.id, "name": vm.name, "location": vm.json["location"], "vmId": vm.json["properties"]["vmId"]}))
        .collect();
    HttpResponse::Ok().json(json!({"value": value}))
}

async fn identities(
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
    data: Data,
) -> HttpResponse {
    if !data.1.matches(&request) {
        return unauthorized();
    }
    if query.contains_key("wait") {
        // An ARM without the host watch (no ETag): a standalone IMDS then asks per request.
        return HttpResponse::BadRequest().json(json!({"error": {"code": "InvalidQueryParameterValue", "message": "This test ARM has no watch."}}));
    }
    let mut state = data.0.lock().unwrap();
    state.identity_requests += 1;
    let id = query.get("id").cloned().unwrap_or_default();
    match state.vms.iter().find(|vm| vm.id.eq_ignore_ascii_case(&id)) {
        Some(vm) => HttpResponse::Ok().json(json!({"vm": vm.json, "identities": vm.identities})),
        None => HttpResponse::NotFound().json(json!({"error": {"code": "ResourceNotFound", "message": format!("The Resource '{id}' was not found.")}})),
    }
}
