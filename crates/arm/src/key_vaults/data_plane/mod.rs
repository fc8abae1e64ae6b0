//! Key Vault's data plane (issue 16 item 2): secrets (and keys, [`super::keys`]) of every vault,
//! served on ARM's own HTTPS listener and told apart from ARM's traffic by the `Host` a request
//! names: `{vault}.{keyVaultDns}` (mimic's suffix, [`crate::Settings::key_vault_dns_suffix`]) or
//! `{vault}.vault.azure.net` (Azure's, inside the sandbox). The server certificate names both
//! suffixes with a wildcard, so SNI and certificate checks hold as they do in Azure.
//!
//! Every request goes through [`Vault`] (the extractor) in Key Vault's order: the token first (no
//! token, or one for another audience, issuer or key → 401 with the `WWW-Authenticate` challenge
//! SDKs follow), then `api-version` (400 `BadParameter`), then the vault (404). Handlers then ask
//! [`access::authorize`] for the operation's permission: RBAC vaults check the data action
//! through the RBAC evaluator at the object's scope, access-policy vaults the policies of the
//! caller and its groups. Bodies are read after authentication (SDKs send their first request
//! without one, to get the challenge).

pub mod access;
pub mod backup;
pub mod cors;
pub mod deleted;
pub mod error;
pub mod secrets;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::guard::GuardContext;
use actix_web::http::header::{AUTHORIZATION, HOST};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;

use super::model::Vault as VaultRecord;
use crate::auth::Service;
use crate::extract::Caller;
use crate::{AppState, ArmError};
pub use error::KvError;

/// Azure's vault DNS suffix (`suffixes.keyVaultDns` of the public cloud).
pub const AZURE_SUFFIX: &str = "vault.azure.net";

/// The resource Key Vault names in its challenge and accepts as the audience.
pub const RESOURCE: &str = "https://vault.azure.net";

/// The api-versions of the data plane (azure-rest-api-specs
/// `specification/keyvault/data-plane/Microsoft.KeyVault/{stable,preview}`), oldest first; what the
/// SDKs send: azure-keyvault-secrets 4.10 `7.6`, az 2.91 `7.5`/`7.6`. The date-named stable
/// versions follow 7.6 with its secrets: 2025-06-01 and 2025-07-01 (in the specs; the Rust SDK,
/// azure_security_keyvault_secrets 1.0.0, sends 2025-07-01), and 2026-04-01, which
/// @azure/keyvault-secrets 4.12.0 sends by default (its `KnownVersions`; newer than the specs
/// mimic was checked against). azure-keyvault-keys 4.12 (az 2.91's pin) sends
/// `2026-01-01-preview` by default.
pub const VERSIONS: &[&str] = &[
    "2015-06-01",
    "2016-10-01",
    "7.0",
    "7.1",
    "7.2",
    "7.3",
    "7.4",
    "7.5",
    "7.6",
    "2025-06-01",
    "2025-07-01",
    "2026-04-01",
    "7.3-preview",
    "7.4-preview.1",
    "7.5-preview.1",
    "7.6-preview.1",
    "7.6-preview.2",
    "2026-01-01-preview",
];

/// The vault a `Host` header names under one of the suffixes mimic serves, with the base URL the
/// client used (`https://{host}`, without `:443`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultHost {
    /// The vault's name as the client wrote it (DNS is case-insensitive; names are matched so).
    pub name: String,
    /// `https://{vault}.{suffix}[:port]`, no trailing slash.
    pub base_url: String,
    /// Whether the host is under Azure's suffix (the client reached mimic by Azure's names).
    pub public: bool,
}

impl VaultHost {
    /// The vault `host` names, if it is `{one label}.{suffix}[:port]` for `suffix` mimic's or
    /// Azure's.
    pub fn parse(host: &str, own_suffix: &str) -> Option<Self> {
        // Every ARM request asks: most `Host`s (an IP, management.azure.com) are turned away
        // before anything is allocated. Both suffixes' first label is `vault`.
        let names_vault = host
            .as_bytes()
            .windows(7)
            .any(|window| window.eq_ignore_ascii_case(b".vault."));
        if !names_vault {
            return None;
        }
        let host = host.trim().to_ascii_lowercase();
        let host = host.strip_suffix(":443").unwrap_or(&host).to_string();
        let bare = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host.as_str(),
        };
        let (label, suffix) = bare.split_once('.')?;
        let public = suffix == AZURE_SUFFIX;
        if !(public || suffix.eq_ignore_ascii_case(own_suffix)) || label.is_empty() {
            return None;
        }
        Some(Self {
            name: label.to_string(),
            base_url: format!("https://{host}"),
            public,
        })
    }

    /// The vault a request names by its `Host` (HTTP/1.1) or `:authority` (HTTP/2).
    pub fn of_request(request: &HttpRequest, own_suffix: &str) -> Option<Self> {
        let host = match request.headers().get(HOST) {
            Some(value) => value.to_str().ok()?.to_string(),
            None => request.uri().authority()?.to_string(),
        };
        Self::parse(&host, own_suffix)
    }
}

/// Whether a request is for the data plane (its `Host` names a vault); ARM's middleware lets such
/// requests through untouched.
pub fn is_vault_request(request: &actix_web::dev::ServiceRequest) -> bool {
    let Some(state) = request.app_data::<web::Data<AppState>>() else {
        return false;
    };
    VaultHost::of_request(request.request(), &state.settings.key_vault_dns_suffix).is_some()
}

fn guard(context: &GuardContext<'_>) -> bool {
    let Some(state) = context.app_data::<web::Data<AppState>>() else {
        return false;
    };
    let host = match context.head().headers().get(HOST) {
        Some(value) => value.to_str().ok().map(str::to_string),
        None => context.head().uri.authority().map(ToString::to_string),
    };
    host.and_then(|host| VaultHost::parse(&host, &state.settings.key_vault_dns_suffix))
        .is_some()
}

/// The data plane's routes, guarded by the `Host`; registered before ARM's.
pub fn service() -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<
            actix_web::body::EitherBody<actix_web::body::BoxBody>,
        >,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("")
        .guard(actix_web::guard::fn_guard(guard))
        .wrap(actix_web::middleware::from_fn(cors::portal))
        .configure(secrets::configure)
        .configure(super::keys::configure)
        .default_service(web::to(unknown))
}

/// A path the data plane does not serve: 401 without a token (Key Vault authenticates first),
/// else 404 `NotFound`.
async fn unknown(request: HttpRequest) -> Result<HttpResponse, KvError> {
    Vault::authenticate_only(&request).await?;
    Err(KvError::NotFound {
        code: "NotFound",
        message: format!("The resource '{}' was not found.", request.path()),
    })
}

/// A data-plane request past authentication: the caller, the vault it names, the base URL the
/// client used and the api-version.
pub struct Vault {
    /// The authenticated caller.
    pub caller: Caller,
    /// The vault (live).
    pub record: VaultRecord,
    /// `https://{vault}.{suffix}[:port]`: object ids are built on it.
    pub base_url: String,
    /// The request's `api-version`.
    pub api_version: String,
    /// The state.
    pub state: web::Data<AppState>,
}

impl Vault {
    /// The vault's ARM id in lower case, as Key Vault's messages write resources.
    pub fn scope(&self) -> String {
        self.record.id()
    }

    /// `{vault};location={location}`, as Key Vault's messages name a vault.
    pub fn display(&self) -> String {
        format!("{};location={}", self.record.name, self.record.location)
    }

    /// Parses a JSON body (read after authentication) into `T`, or 400 `BadParameter`.
    pub fn body<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, KvError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(KvError::BadParameter(
                "The request body is missing or empty.".to_string(),
            ));
        }
        serde_json::from_slice(bytes)
            .map_err(|error| KvError::BadParameter(format!("The request body is invalid: {error}")))
    }

    /// Authenticates the request without reading the vault or api-version (for 404/405 answers,
    /// which Key Vault gives only to authenticated callers).
    pub async fn authenticate_only(request: &HttpRequest) -> Result<Caller, KvError> {
        let state = request
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("AppState is not registered"))?;
        let host = VaultHost::of_request(request, &state.settings.key_vault_dns_suffix)
            .ok_or_else(|| anyhow::anyhow!("a data-plane route without a vault host"))?;
        authenticate(&state, request, &host).await
    }

    async fn extract(request: HttpRequest) -> Result<Self, KvError> {
        let state = request
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("AppState is not registered"))?;
        let host = VaultHost::of_request(&request, &state.settings.key_vault_dns_suffix)
            .ok_or_else(|| anyhow::anyhow!("a data-plane route without a vault host"))?;
        let caller = authenticate(&state, &request, &host).await?;
        request
            .extensions_mut()
            .insert(mimic_web::telemetry::Principal {
                oid: caller.oid.clone(),
                appid: caller.appid.clone(),
            });
        let api_version = api_version(request.query_string())?;
        let record = super::store::find_name(&state.db, &host.name)
            .await?
            .filter(|vault| vault.deleted_time.is_none())
            .ok_or_else(|| KvError::NotFound {
                code: "VaultNotFound",
                message: format!("The vault '{}' was not found.", host.name),
            })?;
        Ok(Self {
            caller,
            record,
            base_url: host.base_url,
            api_version,
            state,
        })
    }
}

impl FromRequest for Vault {
    type Error = KvError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, KvError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(Self::extract(request.clone()))
    }
}

/// The stored name (in its own case) of the live secret or key `name` of a vault, for scopes.
pub async fn object_name(
    state: &AppState,
    vault: i64,
    kind: &str,
    name: &str,
) -> Result<Option<String>, sqlx::Error> {
    let (table, deleted_kind) = match kind {
        "secrets" => ("key_vault_secrets", "secret"),
        _ => ("key_vault_keys", "key"),
    };
    sqlx::query_scalar(&format!(
        "SELECT name FROM {table} t WHERE vault_id = ?1 AND name_key = ?2 AND NOT EXISTS \
         (SELECT 1 FROM key_vault_deleted_objects d WHERE d.vault_id = ?1 AND d.kind = ?3 \
         AND d.name_key = ?2) LIMIT 1"
    ))
    .bind(vault)
    .bind(name.to_lowercase())
    .bind(deleted_kind)
    .fetch_optional(&state.db)
    .await
}

/// The `WWW-Authenticate` challenge: the authority to ask (the public one when the client came by
/// Azure's names) and the resource.
fn challenge(state: &AppState, host: &VaultHost) -> String {
    let authority = match host.public {
        true => format!(
            "https://{}",
            mimic_web::hostnames::LOGIN_HOSTS
                .first()
                .copied()
                .unwrap_or_default()
        ),
        false => state.settings.aad_url.trim_end_matches('/').to_string(),
    };
    format!(
        "Bearer authorization=\"{authority}/{}\", resource=\"{RESOURCE}\"",
        state.settings.tenant_id
    )
}

async fn authenticate(
    state: &AppState,
    request: &HttpRequest,
    host: &VaultHost,
) -> Result<Caller, KvError> {
    let unauthorized = |message: String| KvError::Unauthorized {
        message,
        challenge: challenge(state, host),
    };
    let missing = || unauthorized("AKV10000: Request is missing a Bearer or PoP token.".into());
    let mut headers = request.headers().get_all(AUTHORIZATION);
    let header = headers.next().ok_or_else(missing)?;
    if headers.next().is_some() {
        return Err(missing());
    }
    let token = header
        .to_str()
        .ok()
        .and_then(|header| crate::auth::bearer_token(header).ok())
        .ok_or_else(missing)?;
    crate::auth::authenticate_token(state, token, Service::KeyVault)
        .await
        .map_err(|error| match error {
            ArmError::InvalidAuthenticationTokenAudience(audience) => unauthorized(format!(
                "AKV10022: Invalid audience. Expected {RESOURCE}, found: {audience}."
            )),
            ArmError::ExpiredAuthenticationToken { .. } => {
                unauthorized("AKV10000: The access token has expired.".into())
            }
            ArmError::Internal(error) => KvError::Internal(error),
            _ => unauthorized(
                "AKV10046: Unable to resolve the key used for signature validation.".into(),
            ),
        })
}

/// The request's `api-version`, one of [`VERSIONS`].
fn api_version(query: &str) -> Result<String, KvError> {
    let value = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("api-version"))
        .map(|(_, value)| value)
        .ok_or_else(|| {
            KvError::BadParameter("The 'api-version' query parameter is required.".into())
        })?;
    match VERSIONS.contains(&value.as_str()) {
        true => Ok(value),
        false => Err(KvError::BadParameter(format!(
            "The specified version ({value}) is not recognized. Consider using the latest supported version (7.6)."
        ))),
    }
}

/// `maxresults` and `$skiptoken` of a list, and the page they select from `items`; `next` is the
/// nextLink (`{base}{path}?api-version=…&$skiptoken=…&maxresults=…`) or `None` on the last page.
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The next page's URL.
    pub next: Option<String>,
}

/// Key Vault's page size without `maxresults`, and its largest.
pub const MAX_RESULTS: usize = 25;

/// Pages `items` by the request's `maxresults` (1–25) and `$skiptoken` (an offset, opaque to
/// clients).
pub fn page<T>(items: Vec<T>, request: &HttpRequest, vault: &Vault) -> Result<Page<T>, KvError> {
    let query: Vec<(String, String)> =
        serde_urlencoded::from_str(request.query_string()).unwrap_or_default();
    let get = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    let size = match get("maxresults") {
        None => MAX_RESULTS,
        Some(value) => match value.parse::<usize>() {
            Ok(size) if (1..=MAX_RESULTS).contains(&size) => size,
            _ => {
                return Err(KvError::BadParameter(format!(
                    "Invalid value for maxresults: {value}. The value must be between 1 and {MAX_RESULTS}."
                )))
            }
        },
    };
    let start = match get("$skiptoken") {
        None => 0,
        Some(token) => token
            .parse::<usize>()
            .map_err(|_| KvError::BadParameter(format!("Invalid skip token: {token}")))?,
    };
    let total = items.len();
    let items: Vec<T> = items.into_iter().skip(start).take(size).collect();
    let end = start + items.len();
    let next = (end < total).then(|| {
        format!(
            "{}{}?api-version={}&$skiptoken={end}&maxresults={size}",
            vault.base_url,
            request.path(),
            vault.api_version
        )
    });
    Ok(Page { items, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_hosts_are_one_label_under_a_served_suffix() {
        let cases = [
            (
                "kv1.vault.mimic.test:8443",
                Some(("kv1", "https://kv1.vault.mimic.test:8443", false)),
            ),
            (
                "KV1.Vault.Azure.Net",
                Some(("kv1", "https://kv1.vault.azure.net", true)),
            ),
            (
                "kv1.vault.azure.net:443",
                Some(("kv1", "https://kv1.vault.azure.net", true)),
            ),
            ("a.b.vault.azure.net", None),
            ("vault.azure.net", None),
            ("127.0.0.1:8443", None),
            ("management.azure.com", None),
            ("kv1.vault.mimic.test.evil", None),
        ];
        for (host, want) in cases {
            let got = VaultHost::parse(host, "vault.mimic.test");
            let got = got
                .as_ref()
                .map(|h| (h.name.as_str(), h.base_url.as_str(), h.public));
            assert_eq!(got, want, "{host}");
        }
    }

    #[test]
    fn api_versions_are_checked() {
        assert_eq!(api_version("api-version=7.5").unwrap(), "7.5");
        assert!(matches!(api_version(""), Err(KvError::BadParameter(_))));
        assert!(matches!(
            api_version("api-version=2099-01-01"),
            Err(KvError::BadParameter(_))
        ));
    }
}
