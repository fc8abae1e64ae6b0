//! Client of AAD's internal managed-identity token endpoint (docs/internal-apis.md,
//! "Managed-identity tokens"): the IMDS host names the VM, the identity's principal and the
//! resource, with the internal key; AAD checks with ARM that the identity is on the VM and issues
//! the token. No identity key exists anywhere for IMDS to hold.

use anyhow::{anyhow, Context};
use mimic_web::{InternalKey, INTERNAL_KEY_HEADER};
use serde::Deserialize;

use crate::error::IdentityError;

/// A token AAD issued, with absolute times on IMDS's clock.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub access_token: String,
    /// Epoch seconds.
    pub expires_on: i64,
    /// Epoch seconds.
    pub not_before: i64,
}

/// AAD's internal managed-identity token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct AadClient {
    client: reqwest::Client,
    aad_url: String,
    key: InternalKey,
}

/// AAD's v1 success body. v1 sends numbers as strings, mimic's AAD as numbers: accept both.
#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    expires_in: Option<NumberOrString>,
    expires_on: Option<NumberOrString>,
    not_before: Option<NumberOrString>,
}

/// An OAuth error body.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(i64),
    Text(String),
}

impl NumberOrString {
    fn value(&self) -> Option<i64> {
        match self {
            Self::Number(number) => Some(*number),
            Self::Text(text) => text.trim().parse().ok(),
        }
    }
}

impl AadClient {
    /// A client of the AAD at `aad_url`, authenticated by the internal key.
    pub fn new(client: reqwest::Client, aad_url: &str, key: InternalKey) -> Self {
        Self {
            client,
            aad_url: aad_url.trim_end_matches('/').to_string(),
            key,
        }
    }

    /// A token for the managed identity `principal_id` on the VM `vm_id`, for `resource`. AAD's
    /// "Identity not found" (the identity left the VM meanwhile) becomes
    /// [`IdentityError::IdentityNotFound`]; a 429 [`IdentityError::TooManyRequests`]; another 4xx
    /// OAuth error [`IdentityError::Aad`];
    /// anything else unexpected is `Unknown`.
    pub async fn managed_identity_token(
        &self,
        vm_id: &str,
        principal_id: &str,
        resource: &str,
        now: i64,
    ) -> Result<IssuedToken, IdentityError> {
        let body = serde_json::json!({
            "vmId": vm_id,
            "principalId": principal_id,
            "resource": resource,
        });
        let response = self
            .client
            .post(format!("{}/internal/managedIdentities/token", self.aad_url))
            .header(INTERNAL_KEY_HEADER, self.key.expose())
            .json(&body)
            .send()
            .await
            .context("calling AAD's managed-identity token endpoint")?;
        let status = response.status();
        let body = response.bytes().await.context("reading AAD's answer")?;
        if status.is_success() {
            return Ok(issued(&body, now)?);
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(error) if error.error_description.starts_with("Identity not found") => {
                Err(IdentityError::IdentityNotFound)
            }
            // Entra throttling the identity: IMDS says 429 too (IMDS doc, error handling: "IMDS
            // and/or Azure AD may return a rate limit error (429)"), which clients retry.
            Ok(_) if status.as_u16() == 429 => Err(IdentityError::TooManyRequests),
            Ok(error) if status.is_client_error() && status.as_u16() != 401 => {
                Err(IdentityError::Aad {
                    error: error.error,
                    description: error.error_description,
                })
            }
            _ => Err(anyhow!("AAD answered {status}: {}", String::from_utf8_lossy(&body)).into()),
        }
    }
}

/// Reads a success body; the lifetime is taken from `expires_in` (relative, so immune to clock
/// differences between AAD and IMDS), else from `expires_on`.
fn issued(body: &[u8], now: i64) -> anyhow::Result<IssuedToken> {
    let token: TokenBody = serde_json::from_slice(body).context("parsing AAD's token response")?;
    let expires_in = token.expires_in.as_ref().and_then(NumberOrString::value);
    let expires_on = token.expires_on.as_ref().and_then(NumberOrString::value);
    let expires_on = match (expires_in, expires_on) {
        (Some(seconds), _) => now + seconds,
        (None, Some(epoch)) => epoch,
        (None, None) => return Err(anyhow!("AAD's token response has no expiry")),
    };
    if token.access_token.is_empty() {
        return Err(anyhow!("AAD's token response has an empty access_token"));
    }
    let not_before = token
        .not_before
        .as_ref()
        .and_then(NumberOrString::value)
        .unwrap_or(now);
    Ok(IssuedToken {
        access_token: token.access_token,
        expires_on,
        not_before,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_accepts_numbers_and_strings() {
        let number = issued(br#"{"access_token":"t","expires_in":3599}"#, 1000).unwrap();
        assert_eq!((number.expires_on, number.not_before), (4599, 1000));
        let text = issued(
            br#"{"access_token":"t","expires_in":"3599","expires_on":"9","not_before":"990"}"#,
            1000,
        )
        .unwrap();
        assert_eq!((text.expires_on, text.not_before), (4599, 990));
        let only_on = issued(br#"{"access_token":"t","expires_on":5000}"#, 1000).unwrap();
        assert_eq!(only_on.expires_on, 5000);
    }

    #[test]
    fn issued_without_expiry_or_token_is_an_error() {
        assert!(issued(br#"{"access_token":"t"}"#, 0).is_err());
        assert!(issued(br#"{"access_token":"","expires_in":1}"#, 0).is_err());
        assert!(issued(b"not json", 0).is_err());
    }
}
