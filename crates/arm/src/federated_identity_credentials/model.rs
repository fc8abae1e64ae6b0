//! Federated identity credentials of user-assigned identities
//! (`Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`): wire shapes,
//! the domain record and Azure's rules for them.
//! See <https://learn.microsoft.com/rest/api/managedidentity/federated-identity-credentials> and
//! <https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations>.

use serde::{Deserialize, Serialize};

use crate::ArmError;

/// The ARM resource type.
pub const RESOURCE_TYPE: &str =
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";

/// At most this many credentials per identity ("A maximum of 20 federated identity credentials can
/// be added to an application or user-assigned managed identity", Entra's considerations page).
pub const MAX_PER_IDENTITY: usize = 20;

/// The longest name the spec's pattern `^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$` allows.
pub const MAX_NAME_LENGTH: usize = 120;

/// The api-versions whose model has `claimsMatchingExpression` (and an optional `subject`): the
/// 2025-01-31-preview and 2025-05-31-preview specs; 2022-01-31-preview … 2024-11-30 have neither.
pub const FLEXIBLE_VERSIONS: &[&str] = &["2025-05-31-preview", "2025-01-31-preview"];

/// Whether `version` has `claimsMatchingExpression`.
pub fn is_flexible(version: &str) -> bool {
    FLEXIBLE_VERSIONS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(version))
}

/// Flexible matching: an expression over the assertion's claims in place of an exact `subject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimsMatchingExpression {
    /// E.g. `claims['sub'] matches 'system:serviceaccount:ns:*'`.
    pub value: String,
    /// The expression language's version.
    pub language_version: i64,
}

/// The body of `FederatedIdentityCredentials_CreateOrUpdate` (PUT).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CredentialRequest {
    #[serde(default)]
    pub properties: Option<CredentialRequestProperties>,
}

/// `properties` of a PUT: everything optional here, so that a missing field gets Azure's
/// `BadRequest` rather than a deserialization error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialRequestProperties {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub audiences: Option<Vec<String>>,
    #[serde(default)]
    pub claims_matching_expression: Option<ClaimsMatchingExpression>,
}

/// What a valid PUT asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialDraft {
    pub issuer: String,
    /// `None` exactly when `claims_matching_expression` is set.
    pub subject: Option<String>,
    pub audiences: Vec<String>,
    pub claims_matching_expression: Option<ClaimsMatchingExpression>,
}

/// A stored credential.
#[derive(Debug, Clone)]
pub struct FederatedIdentityCredential {
    /// Store key.
    pub key: i64,
    /// As first written (names compare in any case).
    pub name: String,
    pub draft: CredentialDraft,
    /// Seconds since the epoch.
    pub created_time: i64,
    pub changed_time: i64,
}

// Azure's own texts where they are on record (see `ArmError::BadRequest`); the others are mimic's.
const MUST_SPECIFY: &str = "The request format was unexpected. Federated Identity Credential must specify 'issuer', 'subject' and 'audience'.";
const SUBJECT_OR_EXPRESSION: &str = "The request format was unexpected. Federated Identity Credential must specify either 'subject' or 'claimsMatchingExpression', but not both.";
/// The text Azure answers for a second credential with the same issuer and subject.
pub const DUPLICATE_ISSUER_AND_SUBJECT: &str =
    "Issuer and subject combination already exists for this Managed Identity.";

/// The name rule of the spec: 3-120 letters, digits, `-` and `_`, starting with a letter or digit.
pub fn check_name(name: &str) -> Result<(), ArmError> {
    let valid = (3..=MAX_NAME_LENGTH).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    match valid {
        true => Ok(()),
        false => Err(ArmError::InvalidResourceName {
            name: name.to_string(),
            max_length: MAX_NAME_LENGTH,
        }),
    }
}

/// A PUT body checked against Azure's rules for `version`.
pub fn draft(body: &CredentialRequest, version: &str) -> Result<CredentialDraft, ArmError> {
    let bad = |message: &str| ArmError::BadRequest(message.to_string());
    let properties = body.properties.clone().unwrap_or_default();
    let flexible = is_flexible(version);
    // Versions without the property do not read it (ARM passes unknown properties through).
    let expression = properties.claims_matching_expression.filter(|_| flexible);
    let subject = properties.subject.filter(|subject| !subject.is_empty());
    let (Some(issuer), Some(audiences)) = (properties.issuer, properties.audiences) else {
        return Err(bad(MUST_SPECIFY));
    };
    match (&subject, &expression) {
        (None, None) if flexible => return Err(bad(SUBJECT_OR_EXPRESSION)),
        (None, None) => return Err(bad(MUST_SPECIFY)),
        (Some(_), Some(_)) => return Err(bad(SUBJECT_OR_EXPRESSION)),
        _ => {}
    }
    if audiences.len() != 1 {
        return Err(ArmError::InvalidFederatedIdentityCredentialsAudienceLength);
    }
    check_issuer(&issuer)?;
    if let Some(expression) = &expression {
        check_expression(expression)?;
    }
    Ok(CredentialDraft {
        issuer,
        subject,
        audiences,
        claims_matching_expression: expression,
    })
}

/// Entra trusts `https` issuers only. mimic also trusts `http` on a loopback host (its own local
/// OIDC issuers and test issuers serve plain HTTP on 127.0.0.1). Text: mimic's (no recorded Azure
/// answer found).
fn check_issuer(issuer: &str) -> Result<(), ArmError> {
    let parsed = url::Url::parse(issuer).ok();
    let allowed = parsed.as_ref().is_some_and(|url| match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    });
    match allowed {
        true => Ok(()),
        false => Err(ArmError::BadRequest(format!(
            "The issuer '{issuer}' is invalid. Federated Identity Credential issuer must be a valid URL that uses the 'https' scheme."
        ))),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Text: mimic's (no recorded Azure answer found).
fn check_expression(expression: &ClaimsMatchingExpression) -> Result<(), ArmError> {
    if expression.value.trim().is_empty() || expression.language_version != 1 {
        return Err(ArmError::BadRequest(
            "The request format was unexpected. 'claimsMatchingExpression' must have a non-empty 'value' and 'languageVersion' 1.".to_string(),
        ));
    }
    Ok(())
}

/// A credential as the MSI provider returns it (no `systemData`: Azure's examples show none).
#[derive(Debug, Clone, Serialize)]
pub struct CredentialResponse {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub properties: CredentialResponseProperties,
}

/// `properties` of a credential response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialResponseProperties {
    pub issuer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub audiences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claims_matching_expression: Option<ClaimsMatchingExpression>,
}

impl CredentialResponse {
    /// The credential of the identity `identity_id` as `version` shows it.
    pub fn of(identity_id: &str, credential: &FederatedIdentityCredential, version: &str) -> Self {
        let draft = &credential.draft;
        Self {
            id: format!(
                "{identity_id}/federatedIdentityCredentials/{}",
                credential.name
            ),
            name: credential.name.clone(),
            kind: RESOURCE_TYPE,
            properties: CredentialResponseProperties {
                issuer: draft.issuer.clone(),
                subject: draft.subject.clone(),
                audiences: draft.audiences.clone(),
                claims_matching_expression: draft
                    .claims_matching_expression
                    .clone()
                    .filter(|_| is_flexible(version)),
            },
        }
    }
}

/// A page of credentials.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialList {
    pub value: Vec<CredentialResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(properties: serde_json::Value) -> CredentialRequest {
        serde_json::from_value(json!({ "properties": properties })).unwrap()
    }

    #[test]
    fn check_name_follows_the_spec_pattern() {
        for good in ["abc", "fic-1_a", "1ab", &"a".repeat(120)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["ab", "-ab", "_ab", "a.b1", "a b1", "abé", &"a".repeat(121)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn draft_applies_azures_rules_per_version() {
        let good = json!({"issuer": "https://issuer.example", "subject": "s",
            "audiences": ["api://AzureADTokenExchange"]});
        let expression = json!({"issuer": "https://issuer.example", "audiences": ["a"],
            "claimsMatchingExpression": {"value": "claims['sub'] matches 'x*'", "languageVersion": 1}});
        assert!(draft(&request(good.clone()), "2023-01-31").is_ok());
        assert!(draft(&request(expression.clone()), "2025-01-31-preview").is_ok());
        // An old version does not read the expression: the subject is missing.
        assert!(draft(&request(expression), "2024-11-30").is_err());
        let loopback =
            json!({"issuer": "http://127.0.0.1:8080/x", "subject": "s", "audiences": ["a"]});
        assert!(draft(&request(loopback), "2024-11-30").is_ok());
        let cases = [
            (
                json!({"issuer": "http://issuer.example", "subject": "s", "audiences": ["a"]}),
                "BadRequest",
            ),
            (
                json!({"issuer": "not a url", "subject": "s", "audiences": ["a"]}),
                "BadRequest",
            ),
            (json!({"subject": "s", "audiences": ["a"]}), "BadRequest"),
            (
                json!({"issuer": "https://i", "audiences": ["a"]}),
                "BadRequest",
            ),
            (
                json!({"issuer": "https://i", "subject": "s", "audiences": []}),
                "InvalidFederatedIdentityCredentialsAudienceLength",
            ),
            (
                json!({"issuer": "https://i", "subject": "s", "audiences": ["a", "b"]}),
                "InvalidFederatedIdentityCredentialsAudienceLength",
            ),
        ];
        for (properties, code) in cases {
            let error = draft(&request(properties.clone()), "2025-01-31-preview").unwrap_err();
            assert_eq!(error.code(), code, "{properties}");
        }
    }
}
