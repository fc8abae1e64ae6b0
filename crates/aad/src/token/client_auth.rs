//! Client authentication for the token endpoints: a client secret checked against the principal's
//! hashed password credentials, or a `private_key_jwt` assertion (RS256 or PS256) verified with the
//! key credential its `x5t`/`x5t#S256` header names.
//! See <https://learn.microsoft.com/entra/identity-platform/certificate-credentials>.

use mimic_token::{Algorithm, Jws, VerifyError};

use super::request::ClientCredential;
use crate::credentials::hex_thumbprint;
use crate::error::AadError;
use crate::principals::model::ServicePrincipal;
use crate::state::{AppState, Tenant};
use crate::tenant::TenantRef;

/// Clock skew allowed on an assertion's `exp` and `nbf`, in seconds.
pub const ASSERTION_LEEWAY: i64 = 300;

/// How the client proved its identity; `appidacr` in the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A client secret: `appidacr` "1".
    Secret,
    /// A certificate (client assertion): `appidacr` "2".
    Certificate,
}

/// An authenticated client.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: ServicePrincipal,
    pub method: AuthMethod,
    /// The assertion's `xms_az_rid` (mimic's IMDS names the VM asking for a user-assigned identity).
    pub xms_az_rid: Option<String>,
}

/// Finds the client and checks its credential, with AAD's error for each failure.
pub async fn authenticate(
    state: &AppState,
    client_id: &str,
    credential: Option<&ClientCredential>,
) -> Result<Authenticated, AadError> {
    let Some(principal) = state.store.by_app_id(client_id).await? else {
        // An application without a service principal cannot sign in (Entra: AADSTS7000229).
        return Err(match state.applications.by_app_id(client_id).await? {
            Some(_) => AadError::MissingServicePrincipal {
                app_id: client_id.to_string(),
                tenant_id: state.tenant.id.clone(),
            },
            None => AadError::UnauthorizedClient {
                app_id: client_id.to_string(),
                directory: state.tenant.display_name.clone(),
            },
        });
    };
    if !principal.properties.account_enabled {
        return Err(AadError::ApplicationDisabled {
            app_id: principal.app_id,
            display_name: principal.display_name,
        });
    }
    match credential.ok_or(AadError::MissingClientCredentials)? {
        ClientCredential::Secret(secret) => check_secret(state, principal, secret).await,
        ClientCredential::Assertion(jwt) => check_assertion(state, principal, jwt).await,
    }
}

async fn check_secret(
    state: &AppState,
    principal: ServicePrincipal,
    secret: &str,
) -> Result<Authenticated, AadError> {
    // The principal's own secrets and its application's (Entra keeps them on the application).
    let now = crate::principals::iso_timestamp(state.clock.now());
    let mut hashes = state.store.password_hashes(&principal.id, &now).await?;
    hashes.extend(
        state
            .applications
            .password_hashes(&principal.app_id, &now)
            .await?,
    );
    let matches = match state.verified_secrets.check(&principal.id, &hashes, secret) {
        Some(known) => known,
        None => {
            let secret = secret.to_string();
            // PBKDF2 takes milliseconds: keep it off the async workers.
            let matched = tokio::task::spawn_blocking(move || {
                hashes
                    .into_iter()
                    .find(|hash| hash.verify(&secret))
                    .map(|hash| (hash, secret))
            })
            .await
            .map_err(|e| AadError::Internal(e.into()))?;
            if let Some((hash, secret)) = &matched {
                state.verified_secrets.remember(&principal.id, hash, secret);
            }
            matched.is_some()
        }
    };
    if !matches {
        return Err(AadError::InvalidClientSecret {
            app_id: principal.app_id,
        });
    }
    Ok(Authenticated {
        principal,
        method: AuthMethod::Secret,
        xms_az_rid: None,
    })
}

async fn check_assertion(
    state: &AppState,
    principal: ServicePrincipal,
    jwt: &str,
) -> Result<Authenticated, AadError> {
    let jws = Jws::parse(jwt)
        .map_err(|_| AadError::InvalidJwtToken("JWT token is invalid or malformed."))?;
    // The client signs its own assertion as itself (`iss` = its client id); a token whose `iss` is
    // an OIDC issuer's URL is a federated one, trusted through the client's federated identity
    // credentials (whose issuer must be such a URL).
    let claims = jws
        .unverified_claims()
        .map_err(|_| AadError::InvalidJwtToken("JWT token is invalid or malformed."))?;
    let issuer = claims["iss"].as_str().unwrap_or_default();
    if is_issuer_url(issuer) {
        return crate::federation::exchange::authenticate(state, principal, &jws, &claims).await;
    }
    let header = jws.header();
    let algorithm = Algorithm::from_name(&header.alg).ok_or(AadError::InvalidJwtToken(
        "Invalid JWT token. The token is not signed with RS256 or PS256.",
    ))?;
    let thumbprint = header
        .x5t_s256
        .as_ref()
        .or(header.x5t.as_ref())
        .map(|t| t.trim_end_matches('=').to_string())
        .ok_or(AadError::InvalidJwtToken(
            "Invalid JWT token. No certificate thumbprint specified in token header.",
        ))?;
    let bad_signature = |reason| AadError::InvalidClientAssertionSignature {
        reason,
        thumbprint: hex_thumbprint(&thumbprint),
        app_id: principal.app_id.clone(),
    };
    let certificate = match state.store.certificate(&principal.id, &thumbprint).await? {
        Some(certificate) => Some(certificate),
        None => {
            state
                .applications
                .certificate(&principal.app_id, &thumbprint)
                .await?
        }
    };
    let certificate = certificate.ok_or_else(|| bad_signature("The key was not found."))?;
    let mismatch = "The provided signature value did not match the expected signature value.";
    // A stored RSA key aws-lc-rs refuses cannot have made the signature either.
    let key = certificate
        .public_key(algorithm)
        .map_err(|_| bad_signature(mismatch))?;
    // The signature only; claims are checked by `check_claims` with AAD's codes.
    let claims = jws.verify(&key).map_err(|error| match error {
        VerifyError::Signature => bad_signature(mismatch),
        _ => AadError::InvalidJwtToken("JWT token is invalid or malformed."),
    })?;
    check_claims(&claims, &principal, &state.tenant, state.clock.now())?;
    Ok(Authenticated {
        xms_az_rid: claims["xms_az_rid"].as_str().map(str::to_string),
        principal,
        method: AuthMethod::Certificate,
    })
}

/// `iss` = `sub` = client id, `aud` = a token endpoint of this tenant, `exp`/`nbf` around now.
fn check_claims(
    claims: &serde_json::Value,
    principal: &ServicePrincipal,
    tenant: &Tenant,
    now: i64,
) -> Result<(), AadError> {
    let issuer = claims["iss"].as_str().unwrap_or_default();
    if !issuer.eq_ignore_ascii_case(&principal.app_id) {
        return Err(AadError::ClientAssertionIssuerMismatch);
    }
    if claims["sub"].as_str() != Some(issuer) {
        return Err(AadError::SubjectMismatchesIssuer);
    }
    if !audience_is_token_endpoint(&claims["aud"], tenant) {
        return Err(AadError::ClientAssertionAudienceMismatch);
    }
    check_time_range(claims, now)
}

/// `exp` (required) and `nbf` (optional) around `now`, with [`ASSERTION_LEEWAY`]; AADSTS700024
/// otherwise.
pub fn check_time_range(claims: &serde_json::Value, now: i64) -> Result<(), AadError> {
    let exp = numeric_date(&claims["exp"]).ok_or(AadError::InvalidJwtToken(
        "JWT token is invalid or malformed.",
    ))?;
    let nbf = numeric_date(&claims["nbf"]);
    if now > exp + ASSERTION_LEEWAY || nbf.is_some_and(|nbf| now + ASSERTION_LEEWAY < nbf) {
        return Err(AadError::ClientAssertionNotInTimeRange {
            now: iso_with_ticks(now),
            valid_from: iso_with_ticks(nbf.unwrap_or(0)),
            expiry: iso_with_ticks(exp),
        });
    }
    Ok(())
}

/// Whether an assertion's `iss` is an OIDC issuer's URL (`https://…`, or `http://` for a loopback
/// issuer) rather than a client id.
fn is_issuer_url(iss: &str) -> bool {
    url::Url::parse(iss)
        .is_ok_and(|url| matches!(url.scheme(), "https" | "http") && url.host().is_some())
}

/// A JWT NumericDate: seconds since the epoch, which RFC 7519 §2 allows to be non-integer. msal
/// (Python) sends `exp`/`iat` as floats (`time.time() + 600`), and AAD accepts them.
fn numeric_date(value: &serde_json::Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|v| v.is_finite()).map(|v| v as i64))
}

/// Whether `aud` (a string or an array) names `/{tenant}/oauth2/token` or
/// `/{tenant}/oauth2/v2.0/token` of this tenant, on any host.
pub fn audience_is_token_endpoint(aud: &serde_json::Value, tenant: &Tenant) -> bool {
    let names_endpoint = |aud: &str| {
        let Ok(url) = url::Url::parse(aud) else {
            return false;
        };
        let segments: Vec<&str> = url.path().trim_matches('/').split('/').collect();
        match segments.as_slice() {
            [t, "oauth2", "token"] | [t, "oauth2", "v2.0", "token"] => {
                TenantRef::resolve(t, tenant) == Some(TenantRef::Ours)
            }
            _ => false,
        }
    };
    match aud {
        serde_json::Value::String(one) => names_endpoint(one),
        serde_json::Value::Array(many) => {
            many.iter().filter_map(|a| a.as_str()).any(names_endpoint)
        }
        _ => false,
    }
}

/// `2024-10-02T22:05:03.0000000Z`, as AADSTS700024 prints times.
fn iso_with_ticks(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S.0000000Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience_is_token_endpoint_matches_path_on_any_host() {
        let tenant = Tenant {
            id: "7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e".into(),
            domain: "mimic.onmicrosoft.com".into(),
            display_name: "mimic".into(),
        };
        let t = &tenant.id;
        let cases = [
            (
                serde_json::json!(format!("https://127.0.0.1:8444/{t}/oauth2/token")),
                true,
            ),
            (
                serde_json::json!(format!("https://aad:8444/{t}/oauth2/v2.0/token")),
                true,
            ),
            (
                serde_json::json!("https://x/MIMIC.onmicrosoft.com/oauth2/v2.0/token/"),
                true,
            ),
            (
                serde_json::json!(["other", format!("https://x/{t}/oauth2/token")]),
                true,
            ),
            (serde_json::json!("https://x/common/oauth2/token"), false),
            (
                serde_json::json!(format!("https://x/{t}/oauth2/authorize")),
                false,
            ),
            (serde_json::json!(format!("https://x/{t}/v2.0")), false),
            (serde_json::json!(42), false),
        ];
        for (aud, want) in cases {
            assert_eq!(audience_is_token_endpoint(&aud, &tenant), want, "{aud}");
        }
    }
}
