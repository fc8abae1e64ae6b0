//! Bearer-token authentication: RS256 access tokens from AAD, verified with AAD's JWKS
//! (`{aad}/{tenant}/discovery/v2.0/keys`, fetched over HTTPS and cached; refetched when a token
//! names an unknown `kid`, at most once per [`REFETCH_INTERVAL`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_token::{AccessTokenClaims, Expectations, Jwks, Verifier, VerifyError};
use tokio::sync::{Mutex, RwLock};
use tokio::time::Instant;

use crate::error::{AUTHORIZATION_HEADER_INVALID, AUTHORIZATION_HEADER_MISSING};
use crate::extract::Caller;
use crate::{AppState, ArmError};

/// Azure's audiences for ARM (wire contract §1 item 7). ARM also accepts its own public URL, with
/// and without the trailing slash ([`audiences`]): clients built on the Go SDK pattern and Ansible's
/// azure collection ask for `{resourceManager}/.default`.
pub const AUDIENCES: [&str; 4] = [
    "https://management.core.windows.net/",
    "https://management.core.windows.net",
    "https://management.azure.com/",
    "https://management.azure.com",
];

/// Clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECONDS: i64 = 300;

/// The least time between two JWKS fetches triggered by unknown key ids.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// AAD's signing keys, fetched lazily and cached.
#[derive(Clone)]
pub struct JwksCache {
    url: String,
    http: reqwest::Client,
    verifier: Arc<RwLock<Option<Arc<Verifier>>>>,
    last_fetch: Arc<Mutex<Option<Instant>>>,
}

impl JwksCache {
    /// A cache of the JWKS at `url`, fetched with `http`.
    pub fn new(url: String, http: reqwest::Client) -> Self {
        Self {
            url,
            http,
            verifier: Arc::default(),
            last_fetch: Arc::default(),
        }
    }

    /// A verifier that knows `kid` if AAD publishes it (possibly refetching), else the cached one.
    pub async fn verifier_for(&self, kid: &str) -> Result<Arc<Verifier>, ArmError> {
        if let Some(verifier) = self.verifier.read().await.clone() {
            if verifier.knows(kid) {
                return Ok(verifier);
            }
        }
        let mut last_fetch = self.last_fetch.lock().await;
        let cached = self.verifier.read().await.clone();
        if let Some(verifier) = &cached {
            let recently = last_fetch.is_some_and(|at| at.elapsed() < REFETCH_INTERVAL);
            if verifier.knows(kid) || recently {
                return Ok(verifier.clone());
            }
        }
        *last_fetch = Some(Instant::now());
        let verifier = Arc::new(Verifier::from_jwks(&self.fetch().await?));
        *self.verifier.write().await = Some(verifier.clone());
        Ok(verifier)
    }

    /// Whether `verifier` is still the one AAD's current keys give (no refetch since).
    pub async fn is_current(&self, verifier: &Arc<Verifier>) -> bool {
        self.verifier
            .read()
            .await
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, verifier))
    }

    async fn fetch(&self) -> anyhow::Result<Jwks> {
        let response = self
            .http
            .get(&self.url)
            .send()
            .await
            .with_context(|| format!("fetching AAD's keys from {}", self.url))?
            .error_for_status()
            .context("AAD refused the keys request")?;
        response.json().await.context("reading AAD's JWKS")
    }
}

/// Every audience ARM accepts: Azure's four and ARM's public URL with and without a trailing slash.
pub fn audiences(public_url: &str) -> Vec<String> {
    let own = public_url.trim_end_matches('/');
    AUDIENCES
        .iter()
        .map(ToString::to_string)
        .chain([own.to_string(), format!("{own}/")])
        .collect()
}

/// Bearer tokens already verified, so each token's RS256 signature is checked once, not on every
/// request. An entry is used only while the token is unexpired and AAD's keys are the ones it was
/// verified with (a JWKS refetch — key rollover — retires every entry); anything else goes through
/// full verification, which words the error. Bounded: beyond [`TokenCache::CAPACITY`] it starts
/// over. Keyed by the whole token, so no collision can confuse two tokens.
#[derive(Default)]
pub struct TokenCache {
    entries: std::sync::Mutex<HashMap<Arc<str>, Verified>>,
}

#[derive(Clone)]
struct Verified {
    caller: Caller,
    exp: i64,
    verifier: Arc<Verifier>,
    /// The service whose audiences the token was verified against: a token verified for ARM is
    /// not thereby good for Key Vault.
    service: Service,
}

/// The services whose tokens ARM's process verifies, each with its own audiences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Azure Resource Manager ([`audiences`]).
    Arm,
    /// Key Vault's data plane ([`KEY_VAULT_AUDIENCES`]).
    KeyVault,
}

/// The audiences Key Vault accepts: its resource, with and without the trailing slash.
pub const KEY_VAULT_AUDIENCES: [&str; 2] = ["https://vault.azure.net", "https://vault.azure.net/"];

impl TokenCache {
    /// Most tokens kept.
    pub const CAPACITY: usize = 4096;

    fn get(&self, token: &str) -> Option<Verified> {
        self.lock().get(token).cloned()
    }

    fn put(&self, token: &str, verified: Verified) {
        let mut entries = self.lock();
        if entries.len() >= Self::CAPACITY {
            entries.clear();
        }
        entries.insert(Arc::from(token), verified);
    }

    /// Forgets every token (snapshot restore, reset).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Arc<str>, Verified>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Authenticates an ARM request from its `Authorization` header value.
pub async fn authenticate(state: &AppState, header: Option<&str>) -> Result<Caller, ArmError> {
    let header = header.ok_or(ArmError::AuthenticationFailed(AUTHORIZATION_HEADER_MISSING))?;
    let token = bearer_token(header)?;
    authenticate_token(state, token, Service::Arm).await
}

/// Verifies a bearer token (signature against AAD's keys, the v1 issuer of its tenant, an
/// audience of `service`, expiry and not-before with [`LEEWAY_SECONDS`]) and names its caller.
pub async fn authenticate_token(
    state: &AppState,
    token: &str,
    service: Service,
) -> Result<Caller, ArmError> {
    if let Some(hit) = state.tokens.get(token) {
        let current = state.keys.is_current(&hit.verifier).await;
        if hit.service == service && current && state.clock.now() < hit.exp {
            return Ok(hit.caller);
        }
    }
    let unverified = peek_claims(token)?;
    let kid = Verifier::kid_of(token)
        .map_err(|_| ArmError::InvalidAuthenticationToken)?
        .unwrap_or_default();
    let verifier = state.keys.verifier_for(&kid).await?;
    let expect = Expectations {
        issuers: vec![issuer_of(&unverified.tid)],
        audiences: match service {
            Service::Arm => audiences(&state.public_url),
            Service::KeyVault => KEY_VAULT_AUDIENCES.map(str::to_string).to_vec(),
        },
        leeway: LEEWAY_SECONDS,
    };
    let now = state.clock.now();
    let claims: AccessTokenClaims = verifier
        .verify(token, &expect, now)
        .map_err(|error| verify_error(error, &unverified, now))?;
    let exp = claims.exp;
    let caller = Caller {
        oid: claims.oid.clone(),
        appid: claims.appid.clone(),
        tid: claims.tid.clone(),
        upn: unverified.upn.or(unverified.unique_name),
        claims,
    };
    state.tokens.put(
        token,
        Verified {
            caller: caller.clone(),
            exp,
            verifier,
            service,
        },
    );
    Ok(caller)
}

/// The v1 issuer AAD puts in tokens of `tenant`.
pub fn issuer_of(tenant: &str) -> String {
    format!("https://sts.windows.net/{tenant}/")
}

/// The token of an `Authorization: Bearer …` header value.
pub fn bearer_token(header: &str) -> Result<&str, ArmError> {
    let invalid = ArmError::AuthenticationFailed(AUTHORIZATION_HEADER_INVALID);
    let (scheme, token) = header.trim().split_once(' ').ok_or(invalid)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ArmError::AuthenticationFailed(AUTHORIZATION_HEADER_INVALID));
    }
    Ok(token)
}

/// The claims needed before the signature is checked (to pick the issuer and word the errors).
#[derive(serde::Deserialize)]
struct UnverifiedClaims {
    #[serde(default)]
    tid: String,
    #[serde(default)]
    aud: serde_json::Value,
    /// A user token's sign-in name (`upn`, else `unique_name`): read here because the verified
    /// claims type (shared with app tokens) has no such claim; trusted once the signature is.
    #[serde(default)]
    upn: Option<String>,
    #[serde(default)]
    unique_name: Option<String>,
}

fn peek_claims(token: &str) -> Result<UnverifiedClaims, ArmError> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or(ArmError::InvalidAuthenticationToken)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| ArmError::InvalidAuthenticationToken)?;
    serde_json::from_slice(&bytes).map_err(|_| ArmError::InvalidAuthenticationToken)
}

fn verify_error(error: VerifyError, claims: &UnverifiedClaims, now: i64) -> ArmError {
    match error {
        VerifyError::Expired { exp } => ArmError::ExpiredAuthenticationToken {
            expiry: mimic_azure::time::token_error_time(exp),
            now: mimic_azure::time::token_error_time(now),
        },
        VerifyError::Audience(audience) => ArmError::InvalidAuthenticationTokenAudience(
            claims.aud.as_str().map(str::to_string).unwrap_or(audience),
        ),
        VerifyError::Malformed
        | VerifyError::Algorithm(_)
        | VerifyError::UnknownKey(_)
        | VerifyError::Signature
        | VerifyError::NotYetValid { .. }
        | VerifyError::Issuer(_) => ArmError::InvalidAuthenticationToken,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_token_requires_the_bearer_scheme_and_a_token() {
        assert_eq!(bearer_token("Bearer abc").ok(), Some("abc"));
        assert_eq!(bearer_token("bearer  abc ").ok(), Some("abc"));
        for bad in ["Basic abc", "Bearer", "Bearer ", "abc"] {
            assert!(bearer_token(bad).is_err(), "{bad}");
        }
    }
}
