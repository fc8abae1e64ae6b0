//! Token acquisition for one VM: the token cache per (principal, resource) in front of AAD's
//! internal managed-identity token endpoint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mimic_token::Clock;
use serde::Serialize;

use super::select::Selector;
use crate::aad::{AadClient, IssuedToken};
use crate::error::IdentityError;
use crate::extract::ImdsQuery;
use crate::host_api::HostIdentity;

/// A cached token is reused until this many seconds before it expires.
const REFRESH_MARGIN: i64 = 300;
/// Most tokens one VM's listener keeps (identities × resources).
pub const MAX_CACHED_TOKENS: usize = 4096;

/// A parsed token request.
#[derive(Debug, Clone)]
pub(crate) struct TokenRequest {
    /// The audience, verbatim.
    pub resource: String,
    pub selector: Selector,
    /// `bypass_cache=true`: always ask AAD.
    pub bypass_cache: bool,
}

impl TokenRequest {
    /// Validates the query in IMDS's order: api-version, resource, selector.
    pub fn from_query(query: &ImdsQuery) -> Result<Self, IdentityError> {
        query.api_version()?;
        let resource = query
            .get("resource")
            .filter(|resource| !resource.is_empty())
            .ok_or(IdentityError::AudienceMissing)?;
        Ok(Self {
            resource: resource.to_string(),
            selector: selector(query)?,
            bypass_cache: query
                .get("bypass_cache")
                .is_some_and(|value| value.eq_ignore_ascii_case("true")),
        })
    }
}

fn selector(query: &ImdsQuery) -> Result<Selector, IdentityError> {
    let given: Vec<Selector> = [
        query.get("client_id").map(|v| Selector::ClientId(v.into())),
        query.get("object_id").map(|v| Selector::ObjectId(v.into())),
        query
            .get("msi_res_id")
            .map(|v| Selector::ResourceId(v.into())),
        query
            .get("mi_res_id")
            .map(|v| Selector::ResourceId(v.into())),
    ]
    .into_iter()
    .flatten()
    .collect();
    match given.as_slice() {
        [] => Ok(Selector::Default),
        [one] => Ok(one.clone()),
        _ => Err(IdentityError::ConflictingSelectors),
    }
}

/// The success body, every value a string as real IMDS sends it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TokenResponse {
    access_token: String,
    client_id: String,
    expires_in: String,
    expires_on: String,
    ext_expires_in: String,
    not_before: String,
    resource: String,
    token_type: &'static str,
}

impl TokenResponse {
    fn new(token: &IssuedToken, identity: &HostIdentity, resource: &str, now: i64) -> Self {
        let expires_in = (token.expires_on - now).max(0).to_string();
        Self {
            access_token: token.access_token.clone(),
            client_id: identity.client_id.clone(),
            ext_expires_in: expires_in.clone(),
            expires_in,
            expires_on: token.expires_on.to_string(),
            not_before: token.not_before.to_string(),
            resource: resource.to_string(),
            token_type: "Bearer",
        }
    }
}

/// (principal id lower-cased, resource verbatim). The principal id, not the client id or the
/// selector: a system-assigned identity that is disabled and enabled again has a new principal,
/// so it never gets the old one's token.
type TokenKey = (String, String);

/// Tokens for one VM's identities.
pub(crate) struct TokenService {
    aad: AadClient,
    clock: Clock,
    tokens: Mutex<HashMap<TokenKey, IssuedToken>>,
    /// Every identity a token was issued for, by principal id: what `token-cache-realism`
    /// selects among once an identity is no longer on the VM ([`TokenService::retained`]).
    served: Mutex<HashMap<String, HostIdentity>>,
    /// Single flight: one lock per key being fetched. Concurrent misses for one key queue on it,
    /// and all but the first find the token the first one stored, so they make one AAD call.
    fetching: Mutex<HashMap<TokenKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl TokenService {
    /// An empty cache in front of `aad`.
    pub fn new(aad: AadClient, clock: Clock) -> Self {
        Self {
            aad,
            clock,
            tokens: Mutex::default(),
            served: Mutex::default(),
            fetching: Mutex::default(),
        }
    }

    /// A token for `identity`: cached while valid for more than [`REFRESH_MARGIN`] seconds,
    /// else from AAD, which checks that the identity is on `vm_id`.
    pub async fn token_for(
        &self,
        identity: &HostIdentity,
        vm_id: &str,
        request: &TokenRequest,
    ) -> Result<TokenResponse, IdentityError> {
        let now = self.clock.now();
        let key = (
            identity.principal_id.to_ascii_lowercase(),
            request.resource.clone(),
        );
        let token = match request.bypass_cache {
            true => {
                let token = self.fetch(identity, vm_id, &request.resource, now).await?;
                self.store(key, token.clone(), now);
                token
            }
            false => match self.cached(&key, now) {
                Some(token) => token,
                None => self.fetch_once(key, identity, vm_id, now).await?,
            },
        };
        self.remember(identity);
        // `now` from the start of the request: a fresh token shows AAD's full lifetime.
        Ok(TokenResponse::new(&token, identity, &request.resource, now))
    }

    fn remember(&self, identity: &HostIdentity) {
        let mut served = self.served.lock().unwrap_or_else(|e| e.into_inner());
        if served.len() >= MAX_CACHED_TOKENS {
            served.clear();
        }
        served.insert(identity.principal_id.to_ascii_lowercase(), identity.clone());
    }

    /// `token-cache-realism`: the token this listener already holds for an identity the request
    /// selects among those it served before, while that token has not expired — what Azure's
    /// IMDS does for an identity removed from its VM, whose cached token keeps being served
    /// until it expires. `None` when the request bypasses the cache or nothing is held.
    pub fn retained(&self, request: &TokenRequest) -> Option<TokenResponse> {
        if request.bypass_cache {
            return None;
        }
        let now = self.clock.now();
        let served: Vec<HostIdentity> = self
            .served
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        let identity = super::select::identity(&served, &request.selector).ok()?;
        let key = (
            identity.principal_id.to_ascii_lowercase(),
            request.resource.clone(),
        );
        let token = self
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .filter(|token| token.expires_on > now)
            .cloned()?;
        tracing::info!(principal = %identity.principal_id, "token-cache-realism: serving the cached token of an identity no longer on the VM");
        Some(TokenResponse::new(&token, identity, &request.resource, now))
    }

    /// A cache miss: fetches the token unless a concurrent request for the same key already did.
    async fn fetch_once(
        &self,
        key: TokenKey,
        identity: &HostIdentity,
        vm_id: &str,
        now: i64,
    ) -> Result<IssuedToken, IdentityError> {
        let gate = {
            let mut fetching = self.fetching.lock().unwrap_or_else(|e| e.into_inner());
            fetching.entry(key.clone()).or_default().clone()
        };
        let result = {
            let _turn = gate.lock().await;
            match self.cached(&key, now) {
                Some(token) => Ok(token),
                None => {
                    let fetched = self.fetch(identity, vm_id, &key.1, now).await;
                    if let Ok(token) = &fetched {
                        self.store(key.clone(), token.clone(), now);
                    }
                    fetched
                }
            }
        };
        let mut fetching = self.fetching.lock().unwrap_or_else(|e| e.into_inner());
        // The map and this request hold the gate: nobody else waits on it, so drop it. (A
        // request cancelled while waiting leaves the entry behind; the next miss drops it.)
        if Arc::strong_count(&gate) == 2 {
            fetching.remove(&key);
        }
        result
    }

    fn cached(&self, key: &TokenKey, now: i64) -> Option<IssuedToken> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens
            .get(key)
            .filter(|token| token.expires_on - now > REFRESH_MARGIN)
            .cloned()
    }

    fn store(&self, key: TokenKey, token: IssuedToken, now: i64) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        // Resources are caller-chosen strings: drop expired entries so the map stays small, and
        // start over past a bound (a refetch is one AAD call; memory stays bounded).
        tokens.retain(|_, cached| cached.expires_on > now);
        if tokens.len() >= MAX_CACHED_TOKENS {
            tokens.clear();
        }
        tokens.insert(key, token);
    }

    async fn fetch(
        &self,
        identity: &HostIdentity,
        vm_id: &str,
        resource: &str,
        now: i64,
    ) -> Result<IssuedToken, IdentityError> {
        self.aad
            .managed_identity_token(vm_id, &identity.principal_id, resource, now)
            .await
    }
}
