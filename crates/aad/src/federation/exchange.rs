//! The federated token exchange: client credentials whose `client_assertion` is another issuer's
//! token (a Kubernetes service-account token, a GitHub Actions OIDC token, …) rather than one the
//! client signed with its own certificate. Entra trusts it through the client's federated identity
//! credentials: one whose `issuer` is the token's `iss`, whose audiences hold its `aud` and whose
//! subject is its `sub` (or whose expression its claims satisfy), and the token verified with the
//! issuer's published keys. The token then issued is the client's — for a managed identity its
//! `oid` and `xms_mirid`, with no VM (`xms_az_rid`).
//! See <https://learn.microsoft.com/entra/workload-id/workload-identity-federation>.

use mimic_token::{Jws, VerifyError};

use super::matching::Expression;
use super::{FederatedCredential, FicOwner};
use crate::error::AadError;
use crate::principals::model::ServicePrincipal;
use crate::state::AppState;
use crate::token::client_auth::{AuthMethod, Authenticated};

/// Authenticates `principal` by the external token `jws` (its claims `claims`, not yet verified).
pub async fn authenticate(
    state: &AppState,
    principal: ServicePrincipal,
    jws: &Jws<'_>,
    claims: &serde_json::Value,
) -> Result<Authenticated, AadError> {
    let issuer = claims["iss"].as_str().unwrap_or_default().to_string();
    let no_issuer = || AadError::FederatedIssuerNotFound {
        issuer: issuer.clone(),
    };
    let owner = match principal.is_managed_identity() {
        true => FicOwner::ServicePrincipal(principal.id.clone()),
        false => match state.applications.by_app_id(&principal.app_id).await? {
            Some(application) => FicOwner::Application(application.id),
            None => return Err(no_issuer()),
        },
    };
    let credentials = state.federation.for_issuer(&owner, &issuer).await?;
    if credentials.is_empty() {
        return Err(no_issuer());
    }
    let kid = jws.header().kid.clone();
    let keys = match state.issuers.keys_for(&issuer) {
        Some(keys) => keys,
        None => state
            .remote_issuers
            .keys(&issuer, kid.as_deref())
            .await
            .map_err(|error| {
                tracing::warn!(%issuer, error = format!("{error:#}"), "could not fetch an issuer's keys");
                AadError::ExternalOidcEndpointFailed
            })?,
    };
    let key = keys
        .iter()
        .find(|key| kid.is_none() || key.kid() == kid.as_deref())
        .ok_or_else(|| AadError::FederatedKeyNotFound {
            kid: kid.clone().unwrap_or_default(),
            issuer: issuer.clone(),
        })?;
    let verified = key.verify(jws).map_err(|error| match error {
        VerifyError::Signature => AadError::FederatedSignatureInvalid,
        _ => AadError::InvalidJwtToken("JWT token is invalid or malformed."),
    })?;
    crate::token::client_auth::check_time_range(&verified, state.clock.now())?;
    check_lifetime(&verified)?;
    let audiences = audiences(&verified["aud"]);
    let subject = verified["sub"].as_str().unwrap_or_default().to_string();
    let audience_ok = |c: &FederatedCredential| c.audiences.iter().any(|a| audiences.contains(a));
    let subject_ok = |c: &FederatedCredential| subject_matches(c, &subject, &verified);
    if !credentials.iter().any(|c| audience_ok(c) && subject_ok(c)) {
        return Err(
            match (
                credentials.iter().any(audience_ok),
                credentials.iter().any(subject_ok),
            ) {
                (true, _) => AadError::FederatedSubjectNotFound { subject },
                (false, true) => AadError::FederatedAudienceNotFound {
                    audience: audiences.join(", "),
                },
                (false, false) => AadError::FederatedNoMatch {
                    issuer,
                    subject,
                    audience: audiences.join(", "),
                },
            },
        );
    }
    tracing::info!(app_id = %principal.app_id, %issuer, %subject, "federated credential accepted");
    Ok(Authenticated {
        principal,
        method: AuthMethod::Certificate,
        xms_az_rid: None,
    })
}

/// The longest an external token may be valid, from `iat` (else `nbf`) to `exp`: Entra's
/// "1.01:00:00", a day and an hour (AADSTS70023).
pub const MAX_EXTERNAL_LIFETIME: i64 = 25 * 3600;

fn check_lifetime(claims: &serde_json::Value) -> Result<(), AadError> {
    let date = |name: &str| {
        claims[name]
            .as_i64()
            .or_else(|| claims[name].as_f64().map(|v| v as i64))
    };
    let (Some(expires), Some(issued)) = (date("exp"), date("iat").or_else(|| date("nbf"))) else {
        return Ok(());
    };
    if expires - issued > MAX_EXTERNAL_LIFETIME {
        return Err(AadError::ExternalTokenLifetimeTooLong { issued, expires });
    }
    Ok(())
}

fn subject_matches(
    credential: &FederatedCredential,
    subject: &str,
    claims: &serde_json::Value,
) -> bool {
    match (&credential.subject, &credential.claims_matching_expression) {
        (Some(expected), _) => expected == subject,
        (None, Some(expression)) => {
            Expression::parse(&expression.value).is_some_and(|e| e.holds(claims))
        }
        (None, None) => false,
    }
}

/// `aud` as a list (a JWT may carry one string or an array).
fn audiences(aud: &serde_json::Value) -> Vec<String> {
    match aud {
        serde_json::Value::String(one) => vec![one.clone()],
        serde_json::Value::Array(many) => many
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}
