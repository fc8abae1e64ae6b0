//! The other managed-identity sources, served by every VM's listener next to IMDS (wire contract
//! §2.1): code written for App Service / Functions / Container Apps, Cloud Shell, Azure ML, Azure
//! Arc or the VM-extension endpoint gets tokens for the same VM identities, from the same
//! selection (`crate::identity::select`), token cache and AAD call
//! (`crate::identity::tokens::TokenService`) as IMDS. Each flavor only shapes and authenticates
//! the request and the response its own way:
//!
//! | flavor | route | authentication | module |
//! |---|---|---|---|
//! | App Service | `GET /msi/token?api-version=2019-08-01` | `X-IDENTITY-HEADER` = [`identity_header`] | `app_service` |
//! | Azure ML | `GET /machinelearning/msi/token?api-version=2017-09-01` | `secret` = [`msi_secret`] | `azure_ml` |
//! | Cloud Shell | `POST /oauth2/token` (form) | `Metadata: true` | `cloud_shell` |
//! | VM extension | `GET /oauth2/token` | `Metadata: true` | `vm_extension` |
//! | Azure Arc | `GET /arc/metadata/identity/oauth2/token` | 401 challenge, key file | `arc` |
//!
//! Every route draws from the VM's one managed-identity rate-limit budget (`crate::limits`),
//! answering 429 in its own envelope, and refuses `X-Forwarded-For` as IMDS does
//! (`refuse_forwarded`) after its own authentication check.
//!
//! `mimic vm env NAME --flavor …` prints the environment that makes clients use each route.

mod app_service;
mod arc;
mod azure_ml;
mod cloud_shell;
mod error;
mod vm_extension;

use std::path::PathBuf;

use actix_web::web;
use mimic_web::InternalKey;

pub(crate) use error::{Envelope, Failure};
use serde_json::{Map, Value};

use crate::error::IdentityError;
use crate::identity::select::Selector;
use crate::identity::tokens::TokenRequest;
use crate::limits::Budget;
use crate::startup::AppState;
use crate::Settings;

/// App Service's token path (`IDENTITY_ENDPOINT` = listener URL + this).
pub const APP_SERVICE_PATH: &str = "/msi/token";
/// Azure ML's token path (`MSI_ENDPOINT` = listener URL + this).
pub const AZURE_ML_PATH: &str = "/machinelearning/msi/token";
/// Cloud Shell's (POST) and the VM extension's (GET) token path, as on `localhost:50342`.
pub const LOCAL_TOKEN_PATH: &str = "/oauth2/token";
/// Azure Arc's prefix (`IMDS_ENDPOINT` = listener URL + this).
pub const ARC_PREFIX: &str = "/arc";
/// Azure Arc's token path (`IDENTITY_ENDPOINT` = listener URL + this).
pub const ARC_PATH: &str = "/arc/metadata/identity/oauth2/token";
/// Where Azure Arc's key files must be: azure-identity, msal and msal-node only read a
/// challenge's key file from this directory (on Linux).
pub const DEFAULT_ARC_KEY_DIR: &str = "/var/opt/azcmagent/tokens";

/// The `IDENTITY_HEADER` secret of the VM `vm_id`'s App Service endpoint: stable per VM and
/// data dir (HMAC-SHA256 of the lower-cased VM id under the internal key, hex), never the key.
pub fn identity_header(key: &InternalKey, vm_id: &str) -> String {
    derive(key, "app-service-identity-header", vm_id)
}

/// The `MSI_SECRET` of the VM `vm_id`'s Azure ML endpoint, derived like [`identity_header`].
pub fn msi_secret(key: &InternalKey, vm_id: &str) -> String {
    derive(key, "azure-ml-msi-secret", vm_id)
}

fn derive(key: &InternalKey, purpose: &str, vm_id: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.expose().as_bytes());
    let message = format!("mimic/{purpose}/{}", vm_id.to_ascii_lowercase());
    hex::encode(aws_lc_rs::hmac::sign(&key, message.as_bytes()).as_ref())
}

/// What the flavors need beyond [`AppState`]: their secrets and Arc's outstanding keys.
pub(crate) struct FlavorState {
    identity_header: String,
    msi_secret: String,
    arc: arc::ArcKeys,
}

impl FlavorState {
    /// The secrets of `settings.vm_id`; Arc key files go to `settings.arc_key_dir`.
    pub fn new(settings: &Settings) -> Self {
        Self {
            identity_header: identity_header(&settings.internal_key, &settings.vm_id),
            msi_secret: msi_secret(&settings.internal_key, &settings.vm_id),
            arc: arc::ArcKeys::new(PathBuf::from(&settings.arc_key_dir)),
        }
    }
}

/// Registers the flavors' routes, each in the VM's identity budget with its own 429 envelope.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(APP_SERVICE_PATH)
            .route(web::get().to(app_service::get_token))
            .default_service(web::to(app_service::method_not_allowed))
            .wrap(Budget::Identity(app_service::ENVELOPE)),
    )
    .service(
        web::resource(AZURE_ML_PATH)
            .route(web::get().to(azure_ml::get_token))
            .default_service(web::to(azure_ml::method_not_allowed))
            .wrap(Budget::Identity(azure_ml::ENVELOPE)),
    )
    // Two sources share this path, so each route carries its own envelope.
    .service(
        web::resource(LOCAL_TOKEN_PATH)
            .route(
                web::post()
                    .to(cloud_shell::post_token)
                    .wrap(Budget::Identity(cloud_shell::ENVELOPE)),
            )
            .route(
                web::get()
                    .to(vm_extension::get_token)
                    .wrap(Budget::Identity(vm_extension::ENVELOPE)),
            )
            .default_service(
                web::to(vm_extension::method_not_allowed)
                    .wrap(Budget::Identity(vm_extension::ENVELOPE)),
            ),
    )
    .service(
        web::resource(ARC_PATH)
            .route(web::get().to(arc::get_token))
            .default_service(web::to(arc::method_not_allowed))
            .wrap(Budget::Identity(arc::ENVELOPE)),
    );
}

/// A token for the identity `selector` names among the VM's current identities, as IMDS's
/// success body (an object of strings) — each flavor reshapes it.
pub(crate) async fn issue(
    state: &AppState,
    resource: &str,
    selector: Selector,
) -> Result<Map<String, Value>, IdentityError> {
    let request = TokenRequest {
        resource: resource.to_string(),
        selector,
        bypass_cache: false,
    };
    let token = crate::identity::issue(state, &request).await?;
    match serde_json::to_value(token) {
        Ok(Value::Object(body)) => Ok(body),
        _ => Err(IdentityError::Unknown(anyhow::anyhow!(
            "the token response is not an object"
        ))),
    }
}

/// A selector parameter's name and the kind of id it carries.
pub(crate) type SelectorParam = (&'static str, fn(String) -> Selector);

/// The selector named by at most one of `names` (query or form parameters, in order of
/// precedence). Each name maps to the kind of id it carries.
pub(crate) fn selector_of(
    params: &[(String, String)],
    names: &[SelectorParam],
) -> Result<Selector, IdentityError> {
    let mut given = names.iter().filter_map(|(name, make)| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| make(value.clone()))
    });
    match (given.next(), given.next()) {
        (None, _) => Ok(Selector::Default),
        (Some(one), None) => Ok(one),
        (Some(_), Some(_)) => Err(IdentityError::ConflictingSelectors),
    }
}

/// The decoded parameters of a query string or form body; a repeated name is refused.
pub(crate) fn params_of(encoded: &str) -> Result<Vec<(String, String)>, IdentityError> {
    let mut params: Vec<(String, String)> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(encoded.as_bytes()) {
        if params.iter().any(|(seen, _)| *seen == name) {
            return Err(IdentityError::DuplicateParameter(name.into_owned()));
        }
        params.push((name.into_owned(), value.into_owned()));
    }
    Ok(params)
}

/// The value of parameter `name`.
pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The non-empty `resource` parameter.
pub(crate) fn resource_of(params: &[(String, String)]) -> Result<&str, IdentityError> {
    param(params, "resource")
        .filter(|resource| !resource.is_empty())
        .ok_or(IdentityError::AudienceMissing)
}

/// Whether the request carries `Metadata: true`.
pub(crate) fn has_metadata_header(request: &actix_web::HttpRequest) -> bool {
    request
        .headers()
        .get("metadata")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
}

/// IMDS's SSRF defence, on every token route: a request that came through a proxy (it carries
/// `X-Forwarded-For`) gets no token. IMDS refuses it with 400 (wire contract §2.2); how App
/// Service, Azure ML, Cloud Shell and Arc answer it is undocumented (UNVERIFIED), so each answers
/// IMDS's 400 in its own envelope.
pub(crate) fn refuse_forwarded(request: &actix_web::HttpRequest) -> Result<(), IdentityError> {
    match request.headers().contains_key("x-forwarded-for") {
        true => Err(IdentityError::ForwardedRequest),
        false => Ok(()),
    }
}

/// Constant-time comparison of a presented secret with the expected one.
pub(crate) fn secret_matches(given: Option<&str>, expected: &str) -> bool {
    given.is_some_and(|given| {
        let (given, expected) = (given.trim().as_bytes(), expected.as_bytes());
        given.len() == expected.len()
            && given
                .iter()
                .zip(expected)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_stable_per_vm_and_differ_by_purpose_vm_and_key() {
        let key = InternalKey::new("k1");
        let vm =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
        assert_eq!(
            identity_header(&key, vm),
            identity_header(&key, &vm.to_uppercase())
        );
        assert_eq!(identity_header(&key, vm).len(), 64);
        assert_ne!(identity_header(&key, vm), msi_secret(&key, vm));
        assert_ne!(
            identity_header(&key, vm),
            identity_header(&key, &format!("{vm}2"))
        );
        assert_ne!(
            identity_header(&key, vm),
            identity_header(&InternalKey::new("k2"), vm)
        );
        assert!(!identity_header(&key, vm).contains("k1"));
    }

    #[test]
    fn selector_of_takes_at_most_one_named_parameter() {
        let names: &[SelectorParam] = &[
            ("client_id", Selector::ClientId),
            ("object_id", Selector::ObjectId),
        ];
        let params = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(selector_of(&params(&[]), names).unwrap(), Selector::Default);
        assert_eq!(
            selector_of(&params(&[("object_id", "o"), ("other", "x")]), names).unwrap(),
            Selector::ObjectId("o".into())
        );
        assert!(selector_of(&params(&[("object_id", "o"), ("client_id", "c")]), names).is_err());
    }
}
