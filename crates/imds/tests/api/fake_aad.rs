//! AAD's v1 token endpoint, and nothing else. It checks the client assertion as AAD does: the
//! `x5t` names the principal's certificate, the RS256 signature verifies with that certificate's
//! public key, `aud` is this endpoint, `iss` = `sub` = client id, the times are sane, and
//! `xms_az_rid` is present for user-assigned identities only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use mimic_token::{x5t_of_cert_pem, ClientAssertionClaims, Clock};
use mimic_web::ServerCertificate;
use serde_json::{json, Value};

/// A principal AAD knows.
#[derive(Debug, Clone)]
pub struct Principal {
    pub certificate_pem: String,
    pub user_assigned: bool,
}

/// One token AAD issued.
#[derive(Debug, Clone)]
pub struct Issued {
    pub client_id: String,
    pub resource: String,
    pub xms_az_rid: Option<String>,
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
}

/// A running fake AAD.
pub struct FakeAad {
    pub url: String,
    state: Arc<Mutex<AadState>>,
    _handle: ServerHandle,
}

/// The resource the fake AAD does not know (→ 400 invalid_resource).
pub const UNKNOWN_RESOURCE: &str = "https://unknown.example/";
/// The resource for which the fake AAD fails (→ 500).
pub const FAILING_RESOURCE: &str = "https://failing.example/";

impl FakeAad {
    pub async fn start(cert: &ServerCertificate, clock: Clock) -> Self {
        let state = Arc::new(Mutex::new(AadState {
            principals: HashMap::new(),
            issued: Vec::new(),
            lifetime: 86399,
            numbers_as_strings: false,
            clock,
            delay: std::time::Duration::ZERO,
            received: 0,
        }));
        let listener = mimic_web::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("https://127.0.0.1:{port}");
        let data = web::Data::new((state.clone(), url.clone()));
        let tls = mimic_web::rustls_server_config(cert).unwrap();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/{tenant}/oauth2/token", web::post().to(token))
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

    pub fn register(&self, client_id: &str, principal: Principal) {
        let mut state = self.state.lock().unwrap();
        state.principals.insert(client_id.to_string(), principal);
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

async fn token(path: web::Path<String>, body: web::Bytes, data: Data) -> HttpResponse {
    let delay = {
        let mut state = data.0.lock().unwrap();
        state.received += 1;
        state.delay
    };
    tokio::time::sleep(delay).await;
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let (state, base) = (&data.0, &data.1);
    let token_url = format!("{base}/{}/oauth2/token", path.into_inner());
    if field("grant_type") != "client_credentials"
        || field("client_assertion_type")
            != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    {
        return oauth_error(400, "invalid_request", format!("bad form: {form:?}"));
    }
    let resource = field("resource");
    if resource == FAILING_RESOURCE {
        return HttpResponse::InternalServerError().body("AAD is down");
    }
    if resource == UNKNOWN_RESOURCE {
        return oauth_error(400, "invalid_resource", format!("AADSTS500011: The resource principal named {resource} was not found in the tenant."));
    }
    let client_id = field("client_id");
    let (principal, now) = {
        let state = state.lock().unwrap();
        (state.principals.get(&client_id).cloned(), state.clock.now())
    };
    let Some(principal) = principal else {
        return oauth_error(
            400,
            "unauthorized_client",
            format!("AADSTS700016: unknown client {client_id}"),
        );
    };
    let claims = match verify(
        &field("client_assertion"),
        &principal,
        &client_id,
        &token_url,
        now,
    ) {
        Ok(claims) => claims,
        Err(reason) => {
            return oauth_error(401, "invalid_client", format!("AADSTS700027: {reason}"))
        }
    };
    let mut state = state.lock().unwrap();
    state.issued.push(Issued {
        client_id,
        resource: resource.clone(),
        xms_az_rid: claims.xms_az_rid,
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

fn verify(
    assertion: &str,
    principal: &Principal,
    client_id: &str,
    token_url: &str,
    now: i64,
) -> Result<ClientAssertionClaims, String> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|e| format!("header: {e}"))?;
    if header.alg != jsonwebtoken::Algorithm::RS256 {
        return Err(format!("alg {:?}", header.alg));
    }
    if header.x5t != x5t_of_cert_pem(&principal.certificate_pem) {
        return Err(format!(
            "x5t {:?} is not the principal's certificate",
            header.x5t
        ));
    }
    let (_, pem) = x509_parser::pem::parse_x509_pem(principal.certificate_pem.as_bytes())
        .map_err(|e| format!("certificate: {e}"))?;
    let certificate = pem.parse_x509().map_err(|e| format!("certificate: {e}"))?;
    let public_key = certificate.public_key().subject_public_key.data.to_vec();
    let key = jsonwebtoken::DecodingKey::from_rsa_der(&public_key);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    validation.set_audience(&[token_url]);
    let claims = jsonwebtoken::decode::<ClientAssertionClaims>(assertion, &key, &validation)
        .map_err(|e| format!("signature or aud: {e}"))?
        .claims;
    if claims.iss != client_id || claims.sub != client_id {
        return Err(format!(
            "iss {} / sub {} is not {client_id}",
            claims.iss, claims.sub
        ));
    }
    if claims.exp <= now
        || claims.exp > now + 3600
        || claims.nbf.is_some_and(|nbf| nbf > now + 60)
        || claims.jti.is_empty()
    {
        return Err(format!("bad times or jti: {claims:?} at {now}"));
    }
    if principal.user_assigned != claims.xms_az_rid.is_some() {
        return Err(format!(
            "xms_az_rid {:?} for user_assigned={}",
            claims.xms_az_rid, principal.user_assigned
        ));
    }
    Ok(claims)
}
