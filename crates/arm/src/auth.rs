//! Bearer-token authentication: RS256 access tokens from AAD, verified with AAD's JWKS
//! (`{aad}/{tenant}/discovery/v2.0/keys`, fetched over HTTPS and cached).
//!
//! The cache follows a signing-key rollover as resource servers do
//! (<https://learn.microsoft.com/entra/identity-platform/signing-key-rollover>): a token naming a
//! key the cache does not know makes it refetch the keys at once, bounded as client libraries
//! bound it — the same unknown `kid` at most once per [`REFETCH_INTERVAL`], and at most
//! [`MAX_REFETCHES_PER_MINUTE`] such refetches a minute (node's jwks-rsa, `jwksRequestsPerMinute`
//! 10) — so forged key ids cannot make ARM hammer AAD. The document is kept for the `max-age`
//! AAD's response states (a day, as Entra's; shorter while a rolled-over key is about to leave,
//! so a removed key stops verifying once it is gone), counted on the shared clock. If AAD cannot
//! be reached when the document is due, the keys at hand stay in use.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_token::{AccessTokenClaims, Clock, Expectations, Jwks, Verifier, VerifyError};
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

/// Clock skew allowed on `exp` and `nbf`: five minutes, the default `ClockSkew` of
/// Microsoft.IdentityModel's `TokenValidationParameters`, which Azure's services validate with.
pub const LEEWAY_SECONDS: i64 = 300;

/// The least time between two JWKS fetches for the same unknown key id.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// The most JWKS fetches for unknown key ids in any minute.
pub const MAX_REFETCHES_PER_MINUTE: usize = 10;

/// Unknown key ids remembered (a bound on memory; past it the memory starts over).
const MAX_MISSED_KIDS: usize = 1024;

/// AAD's signing keys, fetched lazily and cached.
#[derive(Clone)]
pub struct JwksCache {
    url: String,
    http: reqwest::Client,
    clock: Clock,
    cached: Arc<RwLock<Option<Cached>>>,
    refetches: Arc<Mutex<Refetches>>,
}

/// A fetched document.
#[derive(Clone)]
struct Cached {
    verifier: Arc<Verifier>,
    /// When it is due again (the clock's seconds), if AAD said.
    due: Option<i64>,
}

impl Cached {
    fn fresh(&self, now: i64) -> bool {
        self.due.is_none_or(|due| now < due)
    }
}

/// Which unknown key ids made ARM refetch, and when.
#[derive(Default)]
struct Refetches {
    missed: HashMap<String, Instant>,
    recent: VecDeque<Instant>,
}

impl Refetches {
    /// Whether a token naming the unknown `kid` may make ARM refetch now (and counts it).
    fn allow(&mut self, kid: &str, at: Instant) -> bool {
        let missed_lately = self
            .missed
            .get(kid)
            .is_some_and(|missed| at.duration_since(*missed) < REFETCH_INTERVAL);
        while self
            .recent
            .front()
            .is_some_and(|then| at.duration_since(*then) >= Duration::from_secs(60))
        {
            self.recent.pop_front();
        }
        if missed_lately || self.recent.len() >= MAX_REFETCHES_PER_MINUTE {
            return false;
        }
        self.recent.push_back(at);
        true
    }

    fn missed(&mut self, kid: &str, at: Instant) {
        if self.missed.len() >= MAX_MISSED_KIDS {
            self.missed.clear();
        }
        self.missed.insert(kid.to_string(), at);
    }
}

impl JwksCache {
    /// A cache of the JWKS at `url`, fetched with `http`, its `max-age` counted on `clock`.
    pub fn new(url: String, http: reqwest::Client, clock: Clock) -> Self {
        Self {
            url,
            http,
            clock,
            cached: Arc::default(),
            refetches: Arc::default(),
        }
    }

    /// A verifier that knows `kid` if AAD publishes it (refetching when the document is due or
    /// the key unknown, within the bounds), else the cached one.
    pub async fn verifier_for(&self, kid: &str) -> Result<Arc<Verifier>, ArmError> {
        let now = self.clock.now();
        if let Some(cached) = self.cached.read().await.clone() {
            if cached.fresh(now) && cached.verifier.knows(kid) {
                return Ok(cached.verifier);
            }
        }
        let mut refetches = self.refetches.lock().await;
        let cached = self.cached.read().await.clone();
        if let Some(cached) = &cached {
            let fresh = cached.fresh(now);
            if fresh && (cached.verifier.knows(kid) || !refetches.allow(kid, Instant::now())) {
                return Ok(cached.verifier.clone());
            }
        }
        match self.fetch().await {
            Ok((jwks, max_age)) => {
                let verifier = Arc::new(Verifier::from_jwks(&jwks));
                if !verifier.knows(kid) {
                    refetches.missed(kid, Instant::now());
                }
                let due = max_age.map(|age| now.saturating_add(age));
                *self.cached.write().await = Some(Cached {
                    verifier: verifier.clone(),
                    due,
                });
                Ok(verifier)
            }
            Err(error) => {
                let Some(stale) = cached else {
                    return Err(error.into());
                };
                tracing::warn!(
                    error = format!("{error:#}"),
                    "refreshing AAD's keys; keeping the ones at hand"
                );
                // Try again after a pause, not on every request while AAD is away.
                let retry = now.saturating_add(REFETCH_INTERVAL.as_secs() as i64);
                *self.cached.write().await = Some(Cached {
                    verifier: stale.verifier.clone(),
                    due: Some(retry),
                });
                Ok(stale.verifier)
            }
        }
    }

    /// Whether `verifier` is still the one AAD's current keys give (no refetch since, and the
    /// document not yet due).
    pub async fn is_current(&self, verifier: &Arc<Verifier>) -> bool {
        let now = self.clock.now();
        self.cached
            .read()
            .await
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(&current.verifier, verifier) && current.fresh(now))
    }

    /// The document and its `max-age` in seconds, if AAD stated one.
    async fn fetch(&self) -> anyhow::Result<(Jwks, Option<i64>)> {
        let response = self
            .http
            .get(&self.url)
            .send()
            .await
            .with_context(|| format!("fetching AAD's keys from {}", self.url))?
            .error_for_status()
            .context("AAD refused the keys request")?;
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|value| value.to_str().ok())
            .and_then(max_age);
        let jwks = response.json().await.context("reading AAD's JWKS")?;
        Ok((jwks, max_age))
    }
}

/// The `max-age` of a `Cache-Control` value.
fn max_age(cache_control: &str) -> Option<i64> {
    cache_control.split(',').find_map(|directive| {
        let (name, value) = directive.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| value.trim().trim_matches('"').parse::<i64>().ok())
            .flatten()
            .filter(|age| *age >= 0)
    })
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
    /// Key Vault's data plane ([`key_vault_audiences`]).
    KeyVault,
}

/// Azure's Key Vault audiences: its resource, with and without the trailing slash.
pub const KEY_VAULT_AUDIENCES: [&str; 2] = ["https://vault.azure.net", "https://vault.azure.net/"];

/// Every audience Key Vault accepts: Azure's two and `https://{keyVaultDns}` of mimic's cloud,
/// with and without the trailing slash. The Go SDK (Terraform's azurerm) asks for
/// `https://{suffixes.keyVaultDns}/.default` (hashicorp/go-azure-sdk
/// `sdk/environments/endpoint_refresh.go`: "Key Vault resource ID is missing in metadata, so make
/// a best-effort guess from the domain suffix"); in Azure that is `https://vault.azure.net` too.
pub fn key_vault_audiences(dns_suffix: &str) -> Vec<String> {
    let own = format!("https://{}", dns_suffix.trim_matches('.'));
    KEY_VAULT_AUDIENCES
        .iter()
        .map(ToString::to_string)
        .chain([own.clone(), format!("{own}/")])
        .collect()
}

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
            Service::KeyVault => key_vault_audiences(&state.settings.key_vault_dns_suffix),
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
    fn max_age_is_read_from_cache_control() {
        assert_eq!(max_age("max-age=86400, private"), Some(86400));
        assert_eq!(max_age("private, MAX-AGE=12"), Some(12));
        assert_eq!(max_age("no-cache"), None);
        assert_eq!(max_age("max-age=-1"), None);
    }

    #[test]
    fn unknown_kids_refetch_once_per_interval_and_ten_times_a_minute() {
        let mut refetches = Refetches::default();
        let start = Instant::now();
        assert!(refetches.allow("a", start));
        refetches.missed("a", start);
        assert!(
            !refetches.allow("a", start + Duration::from_secs(9)),
            "same kid, too soon"
        );
        assert!(refetches.allow("a", start + REFETCH_INTERVAL));
        for n in 0..8 {
            assert!(
                refetches.allow(&format!("k{n}"), start + REFETCH_INTERVAL),
                "{n}"
            );
        }
        assert!(
            !refetches.allow("new", start + REFETCH_INTERVAL),
            "ten in a minute"
        );
        assert!(refetches.allow("new", start + Duration::from_secs(60)));
    }

    #[test]
    fn bearer_token_requires_the_bearer_scheme_and_a_token() {
        assert_eq!(bearer_token("Bearer abc").ok(), Some("abc"));
        assert_eq!(bearer_token("bearer  abc ").ok(), Some("abc"));
        for bad in ["Basic abc", "Bearer", "Bearer ", "abc"] {
            assert!(bearer_token(bad).is_err(), "{bad}");
        }
    }
}
