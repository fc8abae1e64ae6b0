//! The portal: a small single-page app served at `/portal/` on ARM's own origin, so its ARM calls
//! are same-origin (no CORS). It signs the user in through AAD (authorization code + PKCE, public
//! client, no secret) and calls the ARM REST API with the user's token like any other client: no
//! back door into the store, RBAC applies. See docs/portal.md.
//!
//! The front end (`crates/arm/portal-ui/`) is plain JavaScript ES modules, one HTML and one CSS
//! file, embedded with `include_str!`. We chose no-build JavaScript (no framework, no bundler, no
//! npm at build time) to keep the build reproducible offline and dependency-free.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::routes::resource;
use crate::AppState;

pub mod vm_token;

/// The portal's public client id in AAD (docs/users-and-sign-in.md).
pub const PORTAL_CLIENT_ID: &str = "6d696d69-6370-4f72-8c74-616c00000001";

/// One embedded file: URL name, content type, content.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    asset(
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../portal-ui/index.html"),
    ),
    asset(
        "portal.css",
        "text/css; charset=utf-8",
        include_str!("../../portal-ui/portal.css"),
    ),
    asset("app.js", JS, include_str!("../../portal-ui/app.js")),
    asset("auth.js", JS, include_str!("../../portal-ui/auth.js")),
    asset("arm.js", JS, include_str!("../../portal-ui/arm.js")),
    asset("dom.js", JS, include_str!("../../portal-ui/dom.js")),
    asset(
        "identity.js",
        JS,
        include_str!("../../portal-ui/identity.js"),
    ),
    asset(
        "identities.js",
        JS,
        include_str!("../../portal-ui/identities.js"),
    ),
    asset(
        "managed-identity.js",
        JS,
        include_str!("../../portal-ui/managed-identity.js"),
    ),
    asset("iam.js", JS, include_str!("../../portal-ui/iam.js")),
    asset(
        "check-access.js",
        JS,
        include_str!("../../portal-ui/check-access.js"),
    ),
    asset(
        "key-vaults.js",
        JS,
        include_str!("../../portal-ui/key-vaults.js"),
    ),
    asset(
        "key-vault.js",
        JS,
        include_str!("../../portal-ui/key-vault.js"),
    ),
    asset(
        "access-policies.js",
        JS,
        include_str!("../../portal-ui/access-policies.js"),
    ),
    asset("secrets.js", JS, include_str!("../../portal-ui/secrets.js")),
    asset("tokens.js", JS, include_str!("../../portal-ui/tokens.js")),
    asset("graph.js", JS, include_str!("../../portal-ui/graph.js")),
    asset("entra.js", JS, include_str!("../../portal-ui/entra.js")),
    asset("users.js", JS, include_str!("../../portal-ui/users.js")),
    asset("groups.js", JS, include_str!("../../portal-ui/groups.js")),
    asset("apps.js", JS, include_str!("../../portal-ui/apps.js")),
    asset(
        "enterprise.js",
        JS,
        include_str!("../../portal-ui/enterprise.js"),
    ),
];

const JS: &str = "text/javascript; charset=utf-8";

const fn asset(name: &'static str, content_type: &'static str, body: &'static str) -> Asset {
    Asset {
        name,
        content_type,
        body,
    }
}

/// The portal's routes: `/portal` (redirect), `/portal/` (the page), `/portal/config.json` and
/// `/portal/{file}` (the embedded assets), and `POST /portal/api/vm-token` (the token inspector,
/// which authenticates and authorizes itself). The gate lets `/portal` paths through unauthenticated.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/portal").route(web::get().to(redirect)))
        .service(resource("/portal/").route(web::get().to(index)))
        .service(resource("/portal/config.json").route(web::get().to(config)))
        .service(resource("/portal/api/vm-token").route(web::post().to(vm_token::vm_token)))
        .service(resource("/portal/api/vm-imds").route(web::get().to(vm_token::vm_imds)))
        .service(resource("/portal/{file}").route(web::get().to(file)));
}

/// What the SPA needs to sign in and call ARM (no secrets).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PortalConfig {
    aad_url: String,
    tenant_id: String,
    client_id: &'static str,
    arm_url: String,
    /// Graph's resource id: the AAD URL with one trailing slash (the SPA asks `{id}/.default`).
    graph_resource_id: String,
}

async fn redirect() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((header::LOCATION, "/portal/"))
        .finish()
}

async fn index(state: web::Data<AppState>) -> HttpResponse {
    serve(&state, &ASSETS[0])
}

async fn config(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(PortalConfig {
            aad_url: state.settings.aad_url.clone(),
            tenant_id: state.settings.tenant_id.clone(),
            client_id: PORTAL_CLIENT_ID,
            arm_url: state.public_url.clone(),
            graph_resource_id: format!("{}/", state.settings.aad_url.trim_end_matches('/')),
        })
}

async fn file(state: web::Data<AppState>, name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|asset| asset.name == name.as_str()) {
        Some(asset) => serve(&state, asset),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("Not found"),
    }
}

fn serve(state: &AppState, asset: &Asset) -> HttpResponse {
    // The Secrets blade calls vaults at their Vault URIs (`https://{vault}.{suffix}[:port]/`).
    let port = state.settings.key_vault_port.unwrap_or(state.port);
    let port = match port {
        443 => String::new(),
        port => format!(":{port}"),
    };
    let policy = format!(
        "default-src 'self'; connect-src 'self' {} https://*.{}{port}; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        state.settings.aad_url, state.settings.key_vault_dns_suffix
    );
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_SECURITY_POLICY, policy))
        .body(asset.body)
}
