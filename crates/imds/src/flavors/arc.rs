//! Azure Arc (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`): `GET {IDENTITY_ENDPOINT}?api-version=2020-06-01&resource=…`
//! with `Metadata: true` and no credential is answered 401 with
//! `WWW-Authenticate: Basic realm=<key file>`; the client reads that file and repeats the request
//! with `Authorization: Basic <file contents>` ("Authenticate against Azure resources with Azure
//! Arc-enabled servers"). azure-identity, msal and msal-node only read `*.key` files of at most
//! 4096 bytes in `/var/opt/azcmagent/tokens` on Linux, so mimic writes its key files there
//! ([`super::DEFAULT_ARC_KEY_DIR`]; tests use another directory). Each key is fresh per
//! challenge, owner-only readable, valid for [`KEY_LIFETIME`] and good for one token request.
//! The answer is IMDS's body, also echoing `object_id`/`msi_res_id` when asked for (msal checks
//! the echo before it trusts a user-assigned token).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context;
use serde_json::Value;

use super::error::{Envelope, Failure, FlavorError};
use super::{
    has_metadata_header, issue, param, params_of, refuse_forwarded, resource_of, selector_of,
    FlavorState,
};
use crate::error::IdentityError;
use crate::extract::SUPPORTED_API_VERSIONS;
use crate::identity::select::Selector;
use crate::startup::AppState;

/// How long a challenge's key stays valid.
pub(crate) const KEY_LIFETIME: Duration = Duration::from_secs(60);
/// At most this many unanswered challenges are kept (the oldest key goes first).
const MAX_OUTSTANDING: usize = 64;
pub(super) const ENVELOPE: Envelope = Envelope::Imds;

struct IssuedKey {
    path: PathBuf,
    expires: Instant,
}

/// The keys of the challenges this VM's Arc endpoint has issued, by secret.
pub(crate) struct ArcKeys {
    dir: PathBuf,
    keys: Mutex<HashMap<String, IssuedKey>>,
}

impl ArcKeys {
    /// No key yet; files go to `dir` (created when first needed).
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            keys: Mutex::default(),
        }
    }

    /// Writes a fresh key file and returns its path (the challenge's realm).
    fn challenge(&self) -> anyhow::Result<PathBuf> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| anyhow::anyhow!("no randomness"))?;
        let secret = hex::encode(bytes);
        let path = self
            .dir
            .join(format!("{}.key", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        write_private(&path, &secret)?;
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        keys.retain(|_, key| key.expires > now || remove(&key.path));
        while keys.len() >= MAX_OUTSTANDING {
            let oldest = keys
                .iter()
                .min_by_key(|(_, key)| key.expires)
                .map(|(s, _)| s.clone());
            match oldest.and_then(|secret| keys.remove(&secret)) {
                Some(key) => _ = remove(&key.path),
                None => break,
            }
        }
        keys.insert(
            secret,
            IssuedKey {
                path: path.clone(),
                expires: now + KEY_LIFETIME,
            },
        );
        Ok(path)
    }

    /// Whether `authorization` is `Basic <a valid key>`; a valid key is used up.
    fn redeem(&self, authorization: Option<&str>) -> bool {
        let Some(secret) = authorization.and_then(|value| value.strip_prefix("Basic ")) else {
            return false;
        };
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        match keys.remove(secret.trim()) {
            Some(key) => {
                remove(&key.path);
                key.expires > Instant::now()
            }
            None => false,
        }
    }
}

impl Drop for ArcKeys {
    /// A stopped listener leaves no key file behind.
    fn drop(&mut self) {
        let keys = self.keys.get_mut().unwrap_or_else(|e| e.into_inner());
        for (_, key) in keys.drain() {
            remove(&key.path);
        }
    }
}

/// Deletes a key file; always false (for `retain`).
fn remove(path: &std::path::Path) -> bool {
    let _ = std::fs::remove_file(path);
    false
}

fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// `GET /arc/metadata/identity/oauth2/token`.
pub(crate) async fn get_token(
    request: HttpRequest,
    state: web::Data<AppState>,
    flavors: web::Data<FlavorState>,
) -> Result<HttpResponse, Failure> {
    if !has_metadata_header(&request) {
        return Err(ENVELOPE.wrap()(IdentityError::MetadataHeaderMissing));
    }
    // Before the challenge: a forwarded request gets no key file.
    refuse_forwarded(&request).map_err(ENVELOPE.wrap())?;
    let authorization = request.headers().get("authorization");
    if !flavors
        .arc
        .redeem(authorization.and_then(|v| v.to_str().ok()))
    {
        let realm = flavors.arc.challenge().map_err(IdentityError::Unknown);
        let realm = realm.map_err(ENVELOPE.wrap())?;
        let realm = realm.display().to_string();
        return Err(ENVELOPE.wrap()(FlavorError::ArcChallenge { realm }));
    }
    let params = params_of(request.query_string()).map_err(ENVELOPE.wrap())?;
    match param(&params, "api-version") {
        None | Some("") => return Err(ENVELOPE.wrap()(IdentityError::ApiVersionMissing)),
        Some(v) if !SUPPORTED_API_VERSIONS.contains(&v) => {
            return Err(ENVELOPE.wrap()(IdentityError::ApiVersionInvalid))
        }
        Some(_) => {}
    }
    let resource = resource_of(&params).map_err(ENVELOPE.wrap())?;
    let selector = selector_of(
        &params,
        &[
            ("client_id", Selector::ClientId),
            ("object_id", Selector::ObjectId),
            ("msi_res_id", Selector::ResourceId),
        ],
    )
    .map_err(ENVELOPE.wrap())?;
    let mut token = issue(&state, resource, selector)
        .await
        .map_err(ENVELOPE.wrap())?;
    for echoed in ["object_id", "msi_res_id"] {
        if let Some(value) = param(&params, echoed) {
            token.insert(echoed.to_string(), Value::from(value));
        }
    }
    Ok(HttpResponse::Ok().json(token))
}

/// Any method but GET.
pub(crate) async fn method_not_allowed() -> Result<HttpResponse, Failure> {
    Err(ENVELOPE.wrap()(IdentityError::MethodNotAllowed))
}
