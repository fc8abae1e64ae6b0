//! User realm discovery, `GET /common/userrealm/{upn}?api-version=1.0`: MSAL asks before ROPC
//! whether the user's domain is managed (password checked by AAD) or federated (ADFS). Every user
//! of mimic's tenant is managed; other domains are "Unknown", as AAD answers for them.
//! See msal/authority.py › `user_realm_discovery`.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::state::AppState;

/// The v1.0 realm document.
#[derive(Debug, Serialize)]
pub struct UserRealm {
    pub ver: &'static str,
    pub account_type: &'static str,
    pub domain_name: String,
    pub cloud_instance_name: &'static str,
    pub cloud_audience_urn: &'static str,
}

/// `GET /common/userrealm/{upn}`.
pub async fn user_realm(state: web::Data<AppState>, upn: web::Path<String>) -> HttpResponse {
    let domain = upn
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_ascii_lowercase())
        .unwrap_or_default();
    let managed = domain.eq_ignore_ascii_case(&state.tenant.domain);
    HttpResponse::Ok().json(UserRealm {
        ver: "1.0",
        account_type: if managed { "Managed" } else { "Unknown" },
        domain_name: domain,
        cloud_instance_name: "microsoftonline.com",
        cloud_audience_urn: "urn:federation:MicrosoftOnline",
    })
}
