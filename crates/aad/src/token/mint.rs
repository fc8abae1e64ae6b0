//! Minting v1.0 access tokens for an authenticated client, with the claims real AAD puts in
//! service-principal and managed-identity tokens (wire contract §3.5).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_token::AccessTokenClaims;

use super::client_auth::{AuthMethod, Authenticated};
use crate::error::AadError;
use crate::state::AppState;

/// A signed token and the times the response reports.
#[derive(Debug, Clone)]
pub struct Issued {
    pub access_token: String,
    /// Seconds from now to `exp`.
    pub expires_in: i64,
    /// `exp`.
    pub expires_on: i64,
    /// `nbf`.
    pub not_before: i64,
    /// The audience.
    pub resource: String,
}

/// Signs a token for `client` and `resource` carrying the app `roles` it holds there, valid from
/// `now`.
pub fn mint(
    state: &AppState,
    client: &Authenticated,
    resource: &str,
    roles: Vec<String>,
    cp1: bool,
    now: i64,
) -> Result<Issued, AadError> {
    let mut claims = claims(state, client, resource, cp1, now);
    claims.roles = roles;
    let access_token = state
        .keys
        .current()
        .sign(&claims)
        .map_err(|e| AadError::Internal(anyhow::Error::new(e).context("signing a token")))?;
    Ok(Issued {
        access_token,
        expires_in: claims.exp - now,
        expires_on: claims.exp,
        not_before: claims.nbf,
        resource: resource.to_string(),
    })
}

/// The claims of a token for `client` and `resource` issued at `now`.
pub fn claims(
    state: &AppState,
    client: &Authenticated,
    resource: &str,
    cp1: bool,
    now: i64,
) -> AccessTokenClaims {
    let principal = &client.principal;
    let managed = principal.is_managed_identity();
    let lifetime = if managed {
        state.lifetimes.managed_identity
    } else {
        state.lifetimes.other
    };
    let issuer = state.tenant.v1_issuer();
    AccessTokenClaims {
        aud: resource.to_string(),
        iss: issuer.clone(),
        iat: now,
        nbf: now,
        exp: now + lifetime,
        aio: random_b64(48),
        appid: principal.app_id.clone(),
        appidacr: match client.method {
            AuthMethod::Secret => "1",
            AuthMethod::Certificate => "2",
        }
        .into(),
        idp: issuer,
        idtyp: Some("app".into()),
        oid: principal.id.clone(),
        rh: format!("0.{}.", random_b64(40)),
        sub: principal.id.clone(),
        tid: state.tenant.id.clone(),
        uti: random_b64(16),
        ver: "1.0".into(),
        xms_mirid: principal
            .managed_identity_resource_id
            .clone()
            .filter(|_| managed),
        xms_az_rid: client.xms_az_rid.clone().filter(|_| managed),
        xms_cc: cp1.then(|| vec!["CP1".to_string()]),
        roles: Vec::new(),
    }
}

/// `bytes` random bytes, base64url: AAD's opaque `uti`, `aio` and `rh` look like this.
fn random_b64(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    // AWS-LC's RAND_bytes aborts the process rather than return failure.
    aws_lc_rs::rand::fill(&mut buffer).expect("AWS-LC randomness");
    URL_SAFE_NO_PAD.encode(buffer)
}
