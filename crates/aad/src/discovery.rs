//! OIDC discovery (v2 and v1 documents) and the JWKS, as `login.microsoftonline.com` serves them.
//! MSAL requires `authorization_endpoint` and `token_endpoint` and takes the tenant for its cache from
//! the first path segment of `token_endpoint`; the rest copies real AAD's document.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use mimic_token::{Jwk, Jwks};
use serde::Serialize;

use mimic_web::hostnames::LOGIN_HOSTS;

use crate::error::AadError;
use crate::state::AppState;
use crate::tenant::{MetadataTenant, TenantRef};

/// Real AAD lets clients cache metadata for a day.
const METADATA_CACHE: &str = "max-age=86400, private";
/// The `max-age` of [`METADATA_CACHE`].
const METADATA_MAX_AGE: i64 = 86_400;

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub async fn openid_configuration_v2(
    MetadataTenant(tenant): MetadataTenant,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, AadError> {
    let base = state.login_base(&request);
    Ok(metadata(OpenIdConfiguration::v2(&Urls::new(
        &state, &base, tenant,
    ))))
}

/// `GET /{tenant}/.well-known/openid-configuration` (v1).
pub async fn openid_configuration_v1(
    MetadataTenant(tenant): MetadataTenant,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, AadError> {
    let base = state.login_base(&request);
    Ok(metadata(OpenIdConfiguration::v1(&Urls::new(
        &state, &base, tenant,
    ))))
}

/// `GET /{tenant}/discovery/v2.0/keys` and `GET /{tenant}/discovery/keys`: public parameters only.
pub async fn keys(
    MetadataTenant(tenant): MetadataTenant,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, AadError> {
    let issuer = Urls::new(&state, &state.login_base(&request), tenant).v2_issuer;
    let now = state.clock.now();
    let document = Jwks {
        keys: (state.keys.published(now).iter())
            .map(|key| Jwk::from_key(key, Some(issuer.clone())))
            .collect(),
    };
    // While a rolled-over key is still published, caches may keep the document only until it
    // leaves (`mimic chaos rollover`); otherwise for a day, as Entra says.
    match state
        .keys
        .stable_for(now)
        .filter(|left| *left < METADATA_MAX_AGE)
    {
        Some(left) => Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, format!("max-age={left}, private")))
            .content_type("application/json; charset=utf-8")
            .json(document)),
        None => Ok(metadata(document)),
    }
}

/// `GET /{tenant}/discovery/instance?api-version=1.1&authorization_endpoint=…`: MSAL's instance
/// discovery (it asks `https://login.microsoftonline.com/common/discovery/instance`). The answer
/// names the authority's tenant discovery document and the aliases of its cloud: Entra's four
/// public names for an authority on one of them, mimic's own host alone for mimic's URL. Any
/// other authority is Entra's `invalid_instance`. Real Entra also lists the national clouds; mimic
/// serves only the public one.
pub async fn instance(
    _: MetadataTenant,
    state: web::Data<AppState>,
    query: web::Query<InstanceQuery>,
) -> Result<HttpResponse, AadError> {
    let endpoint = query.authorization_endpoint.as_deref().unwrap_or_default();
    let authority = url::Url::parse(endpoint).map_err(|_| AadError::InvalidInstance)?;
    let own = url::Url::parse(&state.base_url).ok();
    let host = authority
        .host_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let aliases: Vec<String> = if LOGIN_HOSTS.contains(&host.as_str()) {
        LOGIN_HOSTS.iter().map(ToString::to_string).collect()
    } else if own.as_ref().is_some_and(|own| same_origin(own, &authority)) {
        vec![authority_host(&authority)]
    } else {
        return Err(AadError::InvalidInstance);
    };
    let tenant = authority
        .path_segments()
        .and_then(|mut segments| segments.next())
        .filter(|segment| !segment.is_empty())
        .unwrap_or("common");
    let v2 = authority.path().contains("/oauth2/v2.0/");
    let origin = format!("https://{}", authority_host(&authority));
    let document = match v2 {
        true => format!("{origin}/{tenant}/v2.0/.well-known/openid-configuration"),
        false => format!("{origin}/{tenant}/.well-known/openid-configuration"),
    };
    let network = aliases[0].clone();
    let cache = match aliases.len() {
        1 => network.clone(),
        _ => "login.windows.net".to_string(),
    };
    Ok(metadata(serde_json::json!({
        "tenant_discovery_endpoint": document,
        "api-version": "1.1",
        "metadata": [{"preferred_network": network, "preferred_cache": cache, "aliases": aliases}],
    })))
}

/// The query of [`instance`].
#[derive(Debug, serde::Deserialize)]
pub struct InstanceQuery {
    /// The authority's authorize URL, e.g. `https://login.microsoftonline.com/common/oauth2/v2.0/authorize`.
    pub authorization_endpoint: Option<String>,
}

/// `host[:port]` of a URL (the port only when it is not 443).
fn authority_host(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) if port != 443 => format!("{host}:{port}"),
        _ => host,
    }
}

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme() && authority_host(a) == authority_host(b)
}

fn metadata(document: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, METADATA_CACHE))
        .content_type("application/json; charset=utf-8")
        .json(document)
}

/// The URLs a discovery document names, for one tenant path segment, at the base URL the request
/// came to (`https://login.microsoftonline.com` inside the sandbox, mimic's own URL elsewhere).
struct Urls {
    /// `https://host/{tid or alias}`.
    authority: String,
    /// `https://host/{tid}/v2.0`; `{tenantid}` literally for the aliases, as AAD does.
    v2_issuer: String,
    /// `https://sts.windows.net/{tid}/`, or with `{tenantid}`.
    v1_issuer: String,
}

impl Urls {
    fn new(state: &AppState, base: &str, tenant: TenantRef) -> Self {
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
