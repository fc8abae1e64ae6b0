//! AAD's internal managed-identity token endpoint, and nothing else. It checks what real AAD
//! checks: the internal key, and that the principal is one of the VM's identities (here: one the
//! test registered); `xms_az_rid` names the VM for user-assigned identities only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use mimic_token::Clock;
use mimic_web::{InternalKey, ServerCertificate};
use serde_json::{json, Value};

/// A managed identity AAD knows (and ARM has on the VM).
#[derive(Debug, Clone)]
pub struct Principal {
    /// Its client id.
    pub client_id: String,
    /// Whether it is user-assigned (its tokens then carry `xms_az_rid`).
    pub user_assigned: bool,
}

/// One token AAD issued.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The identity's client id.
    pub client_id: String,
    /// The resource the token is for.
    pub resource: String,
    /// The VM a user-assigned identity's token names.
    pub xms_az_rid: Option<String>,
    /// The VM the IMDS host named.
    pub vm_id: String,
}

struct AadState {
    principals: HashMap<String, Principal>,
    issued: Vec<Issued>,
    lifetime: i64,
    numbers_as_strings: bool,
    clock: Clock,
    /// How long each token request waits before it is answered.
    delay: std::time::Duration,
    /// Token requests received so far (answered or not).
    received: usize,
    key: InternalKey,
}

/// A running fake AAD.
pub struct FakeAad {
    /// Its base URL.
    pub url: String,
    state: Arc<Mutex<AadState>>,
    _handle: ServerHandle,
}

/// The resource the fake AAD does not know (→ 400 invalid_resource).
pub const UNKNOWN_RESOURCE: &str = "https://unknown.example/";
/// The resource for which the fake AAD fails (→ 500).
pub const FAILING_RESOURCE: &str = "https://failing.example/";

impl FakeAad {
    /// Starts the fake on port 0 over HTTPS with `cert`, admitting callers with `key`.
    pub async fn start(cert: &ServerCertificate, clock: Clock, key: InternalKey) -> Self {
        let state = Arc::new(Mutex::new(AadState {
            principals: HashMap::new(),
            issued: Vec::new(),
            lifetime: 86399,
            numbers_as_strings: false,
            clock,
            delay: std::time::Duration::ZERO,
            received: 0,
            key,
        }));
        let listener = mimic_web::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("https://127.0.0.1:{port}");
        let data = web::Data::new((state.clone(), url.clone()));
        let tls = mimic_web::rustls_server_config(cert).unwrap();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/internal/managedIdentities/token", web::post().to(token))
        })
        .workers(1)
        .disable_signals()
        .listen_rustls_0_23(listener, tls)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            state,
            _handle: handle,
        }
    }

    /// Makes `principal_id` an identity AAD issues tokens for.
    pub fn register(&self, principal_id: &str, principal: Principal) {
        let mut state = self.state.lock().unwrap();
        state.principals.insert(principal_id.to_string(), principal);
    }

    /// Forgets `principal_id`, as when ARM says the identity left the VM.
    pub fn unregister(&self, principal_id: &str) {
        self.state.lock().unwrap().principals.remove(principal_id);
    }

    /// Every token issued so far.
    pub fn issued(&self) -> Vec<Issued> {
        self.state.lock().unwrap().issued.clone()
    }

    /// Answer every token request only after `delay`.
    pub fn answer_after(&self, delay: std::time::Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// How many token requests have arrived, answered or not.
    pub fn received(&self) -> usize {
        self.state.lock().unwrap().received
    }

    /// Answer with v1's string numbers instead of JSON numbers.
    pub fn answer_numbers_as_strings(&self) {
        self.state.lock().unwrap().numbers_as_strings = true;
    }
}

type Data = web::Data<(Arc<Mutex<AadState>>, String)>;

fn oauth_error(status: u16, error: &str, description: String) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .json(json!({"error": error, "error_description": description, "error_codes": [0]}))
}

async fn token(request: actix_web::HttpRequest, body: web::Bytes, data: Data) -> HttpResponse {
    let (delay, key_matches) = {
        let mut state = data.0.lock().unwrap();
        state.received += 1;
        (state.delay, state.key.matches(&request))
    };
    tokio::time::sleep(delay).await;
    if !key_matches {
        return oauth_error(401, "Authorization_RequestDenied", "bad key".into());
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return oauth_error(400, "invalid_request", "not JSON".into());
    };
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_string();
    let state = &data.0;
    let resource = field("resource");
    if resource == FAILING_RESOURCE {
        return HttpResponse::InternalServerError().body("AAD is down");
    }
    if resource == UNKNOWN_RESOURCE {
        return oauth_error(400, "invalid_resource", format!("AADSTS500011: The resource principal named {resource} was not found in the tenant."));
    }
    let vm_id = field("vmId");
    let (principal, now) = {
        let state = state.lock().unwrap();
        (
            state.principals.get(&field("principalId")).cloned(),
            state.clock.now(),
        )
    };
    let Some(principal) = principal.filter(|_| !vm_id.is_empty()) else {
        return oauth_error(400, "invalid_request", "Identity not found".into());
    };
    let mut state = state.lock().unwrap();
    state.issued.push(Issued {
        client_id: principal.client_id.clone(),
        resource: resource.clone(),
        xms_az_rid: principal.user_assigned.then(|| vm_id.clone()),
        vm_id,
    });
    let lifetime = state.lifetime;
    let access_token = format!("aad-token-{}", state.issued.len());
    let number = |value: i64| match state.numbers_as_strings {
        true => Value::String(value.to_string()),
        false => Value::from(value),
    };
    HttpResponse::Ok().json(json!({
        "token_type": "Bearer", "expires_in": number(lifetime), "ext_expires_in": number(lifetime),
        "expires_on": number(now + lifetime), "not_before": number(now), "resource": resource,
        "access_token": access_token,
    }))
}
