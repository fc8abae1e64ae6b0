//! The whole URL table. Every known path answers other methods with 405 and unknown paths with
//! 404, both in IMDS's JSON envelopes. Each resource names the rate-limit [`Budget`] it draws from.

use actix_web::web;

use crate::limits::Budget;
use crate::{identity, instance, versions};

/// Registers every IMDS endpoint.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    // The token path also answers with a trailing slash: msal-node canonicalises the URL it builds
    // from AZURE_POD_IDENTITY_AUTHORITY_HOST to `…/metadata/identity/oauth2/token/` (as the AKS
    // pod-identity NMI server, which that variable was made for, accepts).
    cfg.service(
        web::resource([
            "/metadata/identity/oauth2/token",
            "/metadata/identity/oauth2/token/",
        ])
        .route(web::get().to(identity::get_token))
        .default_service(web::to(identity::method_not_allowed))
        .wrap(Budget::IMDS_IDENTITY),
    )
    .service(
        web::resource("/metadata/identity/info")
            .route(web::get().to(identity::get_info))
            .default_service(web::to(identity::method_not_allowed))
            .wrap(Budget::IMDS_IDENTITY),
    )
    .service(
        web::resource(["/metadata/instance", "/metadata/instance/{tail:.*}"])
            .route(web::get().to(instance::get_metadata))
            .default_service(web::to(instance::method_not_allowed))
            .wrap(Budget::Metadata),
    )
    .service(
        web::resource("/metadata/versions")
            .route(web::get().to(versions::list))
            .default_service(web::to(instance::method_not_allowed))
            .wrap(Budget::Metadata),
    )
    .configure(crate::flavors::configure)
    // An unknown path gets IMDS's 404, which spends the metadata budget like any IMDS answer.
    .default_service(web::to(instance::not_found).wrap(Budget::Metadata));
}
