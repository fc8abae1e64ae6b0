//! The whole URL table, one line per operation. Every resource answers other methods with AAD's
//! 405 envelope; unknown URLs get the 404 envelope (see `startup`). Microsoft Graph lives under
//! `/v1.0` and `/beta`, registered first so that no `/{tenant}/…` route can claim them; it has
//! its own envelope, 405 and unknown-segment answers.

use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AadError;
use crate::federation::issuers_api;
use crate::{discovery, graph, principals, signin, token, users};

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    graph_scope(cfg, "/v1.0");
    graph_scope(cfg, "/beta");
    cfg.service(get("/healthz").route(web::get().to(healthz)))
        .service(
            get("/issuers/{name}/.well-known/openid-configuration")
                .route(web::get().to(issuers_api::openid_configuration)),
        )
        .service(get("/issuers/{name}/openid/v1/jwks").route(web::get().to(issuers_api::jwks)))
        .service(get("/internal/issuers").route(web::get().to(issuers_api::list)))
        .service(
            resource("/internal/issuers/{name}", "PUT, DELETE")
                .route(web::put().to(issuers_api::put))
                .route(web::delete().to(issuers_api::delete)),
        )
        .service(post("/internal/issuers/{name}/rotate").route(web::post().to(issuers_api::rotate)))
        .service(post("/internal/issuers/{name}/token").route(web::post().to(issuers_api::mint)))
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
        .service(get("/{tenant}/discovery/instance").route(web::get().to(discovery::instance)))
        .service(post("/{tenant}/oauth2/v2.0/token").route(web::post().to(token::token_v2)))
        .service(
            resource("/{tenant}/oauth2/v2.0/authorize", "GET, POST")
                .route(web::get().to(signin::authorize::page))
                .route(web::post().to(signin::authorize::submit)),
        )
        .service(get("/common/userrealm/{upn}").route(web::get().to(signin::realm::user_realm)))
        .service(get("/internal/status").route(web::get().to(principals::status)))
        .service(
            resource("/internal/chaos", "GET, POST, DELETE")
                .route(web::get().to(crate::chaos::list))
                .route(web::post().to(crate::chaos::add))
                .route(web::delete().to(crate::chaos::clear)),
        )
        .service(post("/internal/chaos/rollover").route(web::post().to(crate::chaos::rollover)))
        .service(resource("/internal/chaos/skew", "PUT").route(web::put().to(crate::chaos::skew)))
        .service(get(graph::decisions::DECISIONS_PATH).route(web::get().to(graph::decisions::list)))
        .service(get("/internal/settings").route(web::get().to(crate::reality::list_settings)))
        .service(
            resource("/internal/settings/{name}", "PUT")
                .route(web::put().to(crate::reality::put_setting)),
        )
        .service(get("/internal/settled").route(web::get().to(crate::reality::settled)))
        .service(post("/internal/users").route(web::post().to(users::create)))
        .service(get("/internal/users/{id}").route(web::get().to(users::get)))
        .service(get("/internal/principals/{id}").route(web::get().to(crate::groups::principal)))
        .service(
            get("/internal/principals/{id}/groups")
                .route(web::get().to(crate::groups::principal_groups)),
        )
        .service(post("/{tenant}/oauth2/token").route(web::post().to(token::token_v1)))
        .service(
            resource("/internal/servicePrincipals", "GET, POST")
                .route(web::get().to(principals::list_managed_identities))
                .route(web::post().to(principals::create)),
        )
        .service(post("/internal/snapshots/{name}").route(web::post().to(crate::snapshots::save)))
        .service(
            post("/internal/snapshots/{name}/restore")
                .route(web::post().to(crate::snapshots::restore)),
        )
        .service(
            post("/internal/managedIdentities/token")
                .route(web::post().to(token::managed_identity::issue)),
        )
        .service(
            get("/internal/federatedIdentityCredentials")
                .route(web::get().to(crate::federation::internal::list_all)),
        )
        .service(
            resource(
                "/internal/servicePrincipals/{id}/federatedIdentityCredentials",
                "GET, PUT",
            )
            .route(web::get().to(crate::federation::internal::list))
            .route(web::put().to(crate::federation::internal::replace)),
        )
        .service(
            resource("/internal/servicePrincipals/{id}", "GET, DELETE")
                .route(web::get().to(principals::get))
                .route(web::delete().to(principals::delete)),
        );
}

/// Microsoft Graph, one version (`/v1.0` or `/beta`): the operation table's routes.
fn graph_scope(cfg: &mut web::ServiceConfig, version: &str) {
    cfg.service(
        web::scope(version)
            .wrap(from_fn(graph::error::envelope))
            .configure(graph::operations::configure)
            .default_service(web::to(graph::not_found)),
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
