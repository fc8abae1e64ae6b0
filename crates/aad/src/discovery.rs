//! OIDC discovery (v2 and v1 documents) and the JWKS, as `login.microsoftonline.com` serves them.
//! MSAL requires `authorization_endpoint` and `token_endpoint` and takes the tenant for its cache from
//! the first path segment of `token_endpoint`; the rest copies real AAD's document.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use mimic_token::{Jwk, Jwks};
use serde::Serialize;

use crate::error::AadError;
use crate::state::AppState;
use crate::tenant::{MetadataTenant, TenantRef};

/// Real AAD lets clients cache metadata for a day.
const METADATA_CACHE: &str = "max-age=86400, private";

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub async fn openid_configuration_v2(
    MetadataTenant(tenant): MetadataTenant,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AadError> {
    Ok(metadata(OpenIdConfiguration::v2(&Urls::new(
        &state, tenant,
    ))))
}

/// `GET /{tenant}/.well-known/openid-configuration` (v1).
pub async fn openid_configuration_v1(
    MetadataTenant(tenant): MetadataTenant,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AadError> {
    Ok(metadata(OpenIdConfiguration::v1(&Urls::new(
        &state, tenant,
    ))))
}

/// `GET /{tenant}/discovery/v2.0/keys` and `GET /{tenant}/discovery/keys`: public parameters only.
pub async fn keys(
    MetadataTenant(tenant): MetadataTenant,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AadError> {
    let issuer = Urls::new(&state, tenant).v2_issuer;
    Ok(metadata(Jwks {
        keys: vec![Jwk::from_key(&state.key, Some(issuer))],
    }))
}

fn metadata(document: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, METADATA_CACHE))
        .content_type("application/json; charset=utf-8")
        .json(document)
}

/// The URLs a discovery document names, for one tenant path segment.
struct Urls {
    /// `https://host/{tid or alias}`.
    authority: String,
    /// `https://host/{tid}/v2.0`; `{tenantid}` literally for the aliases, as AAD does.
    v2_issuer: String,
    /// `https://sts.windows.net/{tid}/`, or with `{tenantid}`.
    v1_issuer: String,
}

impl Urls {
    fn new(state: &AppState, tenant: TenantRef) -> Self {
        let base = &state.base_url;
        let (segment, tid) = match tenant {
            TenantRef::Ours => (state.tenant.id.as_str(), state.tenant.id.as_str()),
            TenantRef::Common(alias) => (alias, "{tenantid}"),
        };
        Self {
            authority: format!("{base}/{segment}"),
            v2_issuer: format!("{base}/{tid}/v2.0"),
            v1_issuer: format!("https://sts.windows.net/{tid}/"),
        }
    }
}

/// An OpenID Provider Configuration document, with AAD's fields.
#[derive(Debug, Serialize)]
pub struct OpenIdConfiguration {
    pub token_endpoint: String,
    pub token_endpoint_auth_methods_supported: [&'static str; 3],
    pub jwks_uri: String,
    pub response_modes_supported: [&'static str; 3],
    pub subject_types_supported: [&'static str; 1],
    pub id_token_signing_alg_values_supported: [&'static str; 1],
    pub response_types_supported: Vec<&'static str>,
    pub scopes_supported: Vec<&'static str>,
    pub issuer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub microsoft_multi_refresh_token: Option<bool>,
    pub request_uri_parameter_supported: bool,
    pub userinfo_endpoint: String,
    pub authorization_endpoint: String,
    pub device_authorization_endpoint: String,
    pub http_logout_supported: bool,
    pub frontchannel_logout_supported: bool,
    pub end_session_endpoint: String,
    pub claims_supported: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check_session_iframe: Option<String>,
    pub kerberos_endpoint: String,
    pub tenant_region_scope: &'static str,
    pub cloud_instance_name: &'static str,
    pub cloud_graph_host_name: &'static str,
    pub msgraph_host: &'static str,
    pub rbac_url: &'static str,
}

const AUTH_METHODS: [&str; 3] = [
    "client_secret_post",
    "private_key_jwt",
    "client_secret_basic",
];
const RESPONSE_MODES: [&str; 3] = ["query", "fragment", "form_post"];

impl OpenIdConfiguration {
    /// The v2.0 document.
    fn v2(urls: &Urls) -> Self {
        let oauth = format!("{}/oauth2/v2.0", urls.authority);
        Self {
            token_endpoint: format!("{oauth}/token"),
            jwks_uri: format!("{}/discovery/v2.0/keys", urls.authority),
            response_types_supported: vec!["code", "id_token", "code id_token", "id_token token"],
            scopes_supported: vec!["openid", "profile", "email", "offline_access"],
            issuer: urls.v2_issuer.clone(),
            microsoft_multi_refresh_token: None,
            authorization_endpoint: format!("{oauth}/authorize"),
            device_authorization_endpoint: format!("{oauth}/devicecode"),
            end_session_endpoint: format!("{oauth}/logout"),
            claims_supported: vec![
                "sub",
                "iss",
                "cloud_instance_name",
                "cloud_instance_host_name",
                "cloud_graph_host_name",
                "msgraph_host",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "at_hash",
                "c_hash",
                "email",
            ],
            check_session_iframe: None,
            ..Self::common(urls)
        }
    }

    /// The v1 document.
    fn v1(urls: &Urls) -> Self {
        let oauth = format!("{}/oauth2", urls.authority);
        Self {
            token_endpoint: format!("{oauth}/token"),
            jwks_uri: format!("{}/discovery/keys", urls.authority),
            response_types_supported: vec![
                "code",
                "id_token",
                "code id_token",
                "token id_token",
                "token",
            ],
            scopes_supported: vec!["openid"],
            issuer: urls.v1_issuer.clone(),
            microsoft_multi_refresh_token: Some(true),
            authorization_endpoint: format!("{oauth}/authorize"),
            device_authorization_endpoint: format!("{oauth}/devicecode"),
            end_session_endpoint: format!("{oauth}/logout"),
            claims_supported: vec![
                "sub",
                "iss",
                "cloud_instance_name",
                "cloud_instance_host_name",
                "cloud_graph_host_name",
                "msgraph_host",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "amr",
                "nonce",
                "email",
                "given_name",
                "family_name",
                "nickname",
            ],
            check_session_iframe: Some(format!("{oauth}/checksession")),
            ..Self::common(urls)
        }
    }

    /// Fields both versions share. `userinfo_endpoint` points at mimic itself (not Graph), so that
    /// nothing follows a discovery document out to the internet.
    fn common(urls: &Urls) -> Self {
        Self {
            token_endpoint: String::new(),
            token_endpoint_auth_methods_supported: AUTH_METHODS,
            jwks_uri: String::new(),
            response_modes_supported: RESPONSE_MODES,
            subject_types_supported: ["pairwise"],
            id_token_signing_alg_values_supported: ["RS256"],
            response_types_supported: Vec::new(),
            scopes_supported: Vec::new(),
            issuer: String::new(),
            microsoft_multi_refresh_token: None,
            request_uri_parameter_supported: false,
            userinfo_endpoint: format!("{}/openid/userinfo", urls.authority),
            authorization_endpoint: String::new(),
            device_authorization_endpoint: String::new(),
            http_logout_supported: true,
            frontchannel_logout_supported: true,
            end_session_endpoint: String::new(),
            claims_supported: Vec::new(),
            check_session_iframe: None,
            kerberos_endpoint: format!("{}/kerberos", urls.authority),
            tenant_region_scope: "NA",
            cloud_instance_name: "microsoftonline.com",
            cloud_graph_host_name: "graph.windows.net",
            msgraph_host: "graph.microsoft.com",
            rbac_url: "https://pas.windows.net",
        }
    }
}
