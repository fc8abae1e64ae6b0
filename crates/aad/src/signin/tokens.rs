//! What a user sign-in returns: a v1 access token for the requested resource (with the user's
//! `oid`, `upn`, `scp`), a v2 id token for the client, a refresh token (signed, self-contained)
//! and `client_info`, in the response shape MSAL reads.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_token::{AccessTokenClaims, Expectations, Jwk, Jwks, Verifier, VerifyError};
use serde::{Deserialize, Serialize};

use crate::error::AadError;
use crate::state::AppState;
use crate::token::group_claims::MembershipClaims;
use crate::users::model::User;

/// OpenID Connect scopes: they ask for an id token or a refresh token, not for a resource.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "offline_access", "email"];

/// `iss` of mimic's refresh tokens; no access token carries it.
const REFRESH_ISSUER: &str = "urn:mimic:aad:refresh_token";
/// Refresh tokens live 90 days, as AAD's do by default.
const REFRESH_LIFETIME: i64 = 90 * 24 * 3600;

/// The resource a user grant asks for, and the scopes AAD reports as granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceScope {
    /// The token's audience (`https://management.core.windows.net/` for `…//.default`).
    pub resource: String,
    /// The `scope` of the response.
    pub granted: String,
}

/// Parses `scope`: one resource (by `…/.default` or `…/permission` scopes) plus OIDC scopes. With
/// only OIDC scopes the resource is Microsoft Graph, as in AAD.
pub fn resource_scope(scope: &str, graph_resource: &str) -> Result<ResourceScope, AadError> {
    let resource_scopes: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| !OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(s)))
        .collect();
    let mut resources = resource_scopes.iter().map(|s| match s.rsplit_once('/') {
        Some((resource, _)) if !resource.is_empty() => Some(resource),
        _ => None,
    });
    let first = match resources.next() {
        None => {
            let resource = graph_resource.to_string();
            let granted = format!("{}User.Read", resource);
            return Ok(ResourceScope { resource, granted });
        }
        Some(first) => first.ok_or_else(|| AadError::InvalidScope(scope.to_string()))?,
    };
    if resources.any(|other| other != Some(first)) {
        return Err(AadError::InvalidScope(scope.to_string()));
    }
    let mut granted: Vec<String> = resource_scopes.iter().map(|s| s.to_string()).collect();
    if granted.iter().any(|s| s.ends_with("/.default")) {
        granted.insert(0, format!("{first}/user_impersonation"));
    }
    Ok(ResourceScope {
        resource: first.to_string(),
        granted: granted.join(" "),
    })
}

/// A v1 access token for a user, as ARM receives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserAccessTokenClaims {
    #[serde(flatten)]
    pub base: AccessTokenClaims,
    pub amr: Vec<String>,
    pub name: String,
    pub scp: String,
    pub unique_name: String,
    pub upn: String,
    /// `groups`, `wids` and the overage claims, as the resource asks for them.
    #[serde(flatten)]
    pub membership: MembershipClaims,
}

/// A v2 id token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub oid: String,
    pub preferred_username: String,
    pub rh: String,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: String,
}

/// What a refresh token carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshClaims {
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub oid: String,
    pub jti: String,
}

/// The success body of a user grant.
#[derive(Debug, Clone, Serialize)]
pub struct UserTokenResponse {
    pub token_type: &'static str,
    pub scope: String,
    pub expires_in: i64,
    pub ext_expires_in: i64,
    pub access_token: String,
    pub refresh_token: String,
    pub id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_info: Option<String>,
}

/// One sign-in to turn into tokens.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub user: &'a User,
    pub client_id: &'a str,
    pub scope: &'a ResourceScope,
    pub nonce: Option<String>,
    pub client_info: bool,
    /// The access token's `groups`/`wids` claims ([`crate::token::group_claims::for_user`]).
    pub membership: MembershipClaims,
    /// The authority's base URL the request came to (`https://login.microsoftonline.com` inside
    /// the sandbox): the id token's `iss` is `{issuer_base}/{tid}/v2.0`.
    pub issuer_base: &'a str,
}

/// Mints the access, id and refresh tokens of `grant` at `now`.
pub fn issue(state: &AppState, grant: &Grant<'_>, now: i64) -> Result<UserTokenResponse, AadError> {
    let lifetime = state.lifetimes.other;
    let user = grant.user;
    let sub = pairwise_subject(&user.id, grant.client_id);
    let access = access_claims(state, grant, &sub, now, lifetime);
    let id = IdTokenClaims {
        aud: grant.client_id.to_ascii_lowercase(),
        iss: format!("{}/{}/v2.0", grant.issuer_base, state.tenant.id),
        iat: now,
        nbf: now,
        exp: now + lifetime,
        name: user.display_name.clone(),
        nonce: grant.nonce.clone(),
        oid: user.id.clone(),
        preferred_username: user.user_principal_name.clone(),
        rh: format!("0.{}.", random_b64(40)),
        sub,
        tid: state.tenant.id.clone(),
        uti: random_b64(16),
        ver: "2.0".into(),
    };
    let refresh = RefreshClaims {
        iss: REFRESH_ISSUER.into(),
        aud: grant.client_id.to_ascii_lowercase(),
        iat: now,
        exp: now + REFRESH_LIFETIME,
        oid: user.id.clone(),
        jti: random_b64(16),
    };
    Ok(UserTokenResponse {
        token_type: "Bearer",
        scope: grant.scope.granted.clone(),
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: sign(state, &access)?,
        refresh_token: sign(state, &refresh)?,
        id_token: sign(state, &id)?,
        client_info: grant
            .client_info
            .then(|| client_info(&user.id, &state.tenant.id)),
    })
}

fn sign<T: Serialize>(state: &AppState, claims: &T) -> Result<String, AadError> {
    state
        .keys
        .current()
        .sign(claims)
        .map_err(|e| AadError::Internal(anyhow::Error::new(e).context("signing a token")))
}

fn access_claims(
    state: &AppState,
    grant: &Grant<'_>,
    sub: &str,
    now: i64,
    lifetime: i64,
) -> UserAccessTokenClaims {
    let issuer = state.tenant.v1_issuer();
    let user = grant.user;
    UserAccessTokenClaims {
        base: AccessTokenClaims {
            aud: grant.scope.resource.clone(),
            iss: issuer.clone(),
            iat: now,
            nbf: now,
            exp: now + lifetime,
            aio: random_b64(48),
            appid: grant.client_id.to_ascii_lowercase(),
            appidacr: "0".into(),
            // Real AAD omits `idp` for users of the home tenant; ARM's claims type requires it.
            idp: issuer,
            idtyp: Some("user".into()),
            oid: user.id.clone(),
            rh: format!("0.{}.", random_b64(40)),
            sub: sub.to_string(),
            tid: state.tenant.id.clone(),
            uti: random_b64(16),
            ver: "1.0".into(),
            xms_mirid: None,
            xms_az_rid: None,
            xms_cc: None,
            roles: Vec::new(),
        },
        amr: vec!["pwd".into()],
        name: user.display_name.clone(),
        scp: "user_impersonation".into(),
        unique_name: user.user_principal_name.clone(),
        upn: user.user_principal_name.clone(),
        membership: grant.membership.clone(),
    }
}

/// Checks a refresh token issued to `client_id`; the user's object id.
pub fn verify_refresh_token(
    state: &AppState,
    token: &str,
    client_id: &str,
    now: i64,
) -> Result<String, AadError> {
    let verifier = Verifier::from_jwks(&Jwks {
        keys: (state.keys.published(now).iter())
            .map(|key| Jwk::from_key(key, None))
            .collect(),
    });
    let expect = Expectations {
        issuers: vec![REFRESH_ISSUER.into()],
        audiences: vec![client_id.to_ascii_lowercase()],
        leeway: 0,
    };
    match verifier.verify::<RefreshClaims>(token, &expect, now) {
        Ok(claims) => Ok(claims.oid),
        Err(VerifyError::Expired { .. }) => Err(AadError::ExpiredGrant),
        Err(_) => Err(AadError::InvalidGrant),
    }
}

/// `sub`: stable per user and client, and not the object id (AAD's `sub` is pairwise).
pub fn pairwise_subject(oid: &str, client_id: &str) -> String {
    let input = format!(
        "{}:{}",
        oid.to_ascii_lowercase(),
        client_id.to_ascii_lowercase()
    );
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        input.as_bytes(),
    ))
}

/// base64url of `{"uid":"<oid>","utid":"<tid>"}`.
pub fn client_info(oid: &str, tid: &str) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!({"uid": oid, "utid": tid}).to_string())
}

fn random_b64(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    // AWS-LC's RAND_bytes aborts the process rather than return failure.
    aws_lc_rs::rand::fill(&mut buffer).expect("AWS-LC randomness");
    URL_SAFE_NO_PAD.encode(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRAPH: &str = "https://127.0.0.1:8444/";

    #[test]
    fn resource_scope_takes_the_one_resource_and_reports_granted_scopes() {
        let arm = resource_scope(
            "https://management.core.windows.net//.default offline_access openid profile",
            GRAPH,
        )
        .unwrap();
        assert_eq!(arm.resource, "https://management.core.windows.net/");
        assert_eq!(
            arm.granted,
            "https://management.core.windows.net//user_impersonation https://management.core.windows.net//.default"
        );
        let explicit = resource_scope(
            "https://management.azure.com/user_impersonation openid",
            GRAPH,
        )
        .unwrap();
        assert_eq!(explicit.resource, "https://management.azure.com");
        assert_eq!(
            explicit.granted,
            "https://management.azure.com/user_impersonation"
        );
        assert_eq!(
            resource_scope("openid profile", GRAPH).unwrap().resource,
            GRAPH
        );
        assert!(resource_scope("a/.default b/.default", GRAPH).is_err());
        assert!(resource_scope("nonsense", GRAPH).is_err());
    }

    #[test]
    fn client_info_is_base64url_json() {
        let decoded = URL_SAFE_NO_PAD.decode(client_info("o", "t")).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&decoded).unwrap();
        assert_eq!(value, serde_json::json!({"uid": "o", "utid": "t"}));
    }

    #[test]
    fn pairwise_subject_differs_per_client() {
        assert_ne!(pairwise_subject("o", "a"), pairwise_subject("o", "b"));
        assert_eq!(pairwise_subject("O", "A"), pairwise_subject("o", "a"));
    }
}
