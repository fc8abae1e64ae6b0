//! The whole URL table, one line per operation. Every resource answers other methods with AAD's
//! 405 envelope; unknown URLs get the 404 envelope (see `startup`).

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AadError;
use crate::{discovery, principals, token};

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get("/healthz").route(web::get().to(healthz)))
        .service(
            get("/{tenant}/v2.0/.well-known/openid-configuration")
                .route(web::get().to(discovery::openid_configuration_v2)),
        )
        .service(
            get("/{tenant}/.well-known/openid-configuration")
                .route(web::get().to(discovery::openid_configuration_v1)),
        )
        .service(get("/{tenant}/discovery/v2.0/keys").route(web::get().to(discovery::keys)))
        .service(get("/{tenant}/discovery/keys").route(web::get().to(discovery::keys)))
        .service(post("/{tenant}/oauth2/v2.0/token").route(web::post().to(token::token_v2)))
        .service(post("/{tenant}/oauth2/token").route(web::post().to(token::token_v1)))
        .service(post("/internal/servicePrincipals").route(web::post().to(principals::create)))
        .service(
            resource("/internal/servicePrincipals/{id}", "GET, DELETE")
                .route(web::get().to(principals::get))
                .route(web::delete().to(principals::delete)),
        );
}

fn get(path: &str) -> actix_web::Resource {
    resource(path, "GET")
}

fn post(path: &str) -> actix_web::Resource {
    resource(path, "POST")
}

fn resource(path: &str, allowed: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move |request: HttpRequest| async move {
        Err::<HttpResponse, _>(AadError::MethodNotAllowed {
            allowed,
            received: request.method().to_string(),
        })
    }))
}

/// Liveness for container health checks (not an AAD endpoint).
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The default service: any URL not in the table.
pub async fn not_found() -> Result<HttpResponse, AadError> {
    Err(AadError::RouteNotFound)
}
