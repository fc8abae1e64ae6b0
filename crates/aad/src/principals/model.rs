//! Service principals: the internal API's wire types (Graph's names) and the domain rules.

use serde::{Deserialize, Serialize};

use crate::credentials::{Certificate, PasswordHash};
use crate::error::AadError;

/// Graph's `servicePrincipalType`, the values mimic models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    /// An application's service principal (client secret or certificate).
    Application,
    /// A managed identity (certificate only; tokens carry `xms_mirid`).
    ManagedIdentity,
}

impl PrincipalType {
    /// Graph's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "Application",
            Self::ManagedIdentity => "ManagedIdentity",
        }
    }

    /// Parses Graph's spelling (case-insensitive).
    pub fn parse(value: &str) -> Option<Self> {
        [Self::Application, Self::ManagedIdentity]
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(value))
    }
}

/// A service principal as stored (never with its secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePrincipal {
    /// Object id (`oid`/`sub` in tokens).
    pub id: String,
    /// Client id (`appid` in tokens).
    pub app_id: String,
    pub display_name: String,
    pub principal_type: PrincipalType,
    /// The managed identity's ARM id (`xms_mirid`).
    pub managed_identity_resource_id: Option<String>,
    pub alternative_names: Vec<String>,
    /// ISO 8601 UTC.
    pub created_date_time: String,
    /// What Graph lets a client write.
    pub properties: ServicePrincipalProperties,
}

/// The properties of `microsoft.graph.servicePrincipal` a client may write (`PATCH`), with
/// Graph's defaults. Unknown names are refused, as Graph refuses them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ServicePrincipalProperties {
    /// A disabled principal gets no tokens (AADSTS7000112).
    pub account_enabled: bool,
    pub app_role_assignment_required: bool,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub login_url: Option<String>,
    pub logout_url: Option<String>,
    pub notes: Option<String>,
    pub notification_email_addresses: Vec<String>,
    pub preferred_single_sign_on_mode: Option<String>,
    pub reply_urls: Vec<String>,
    pub tags: Vec<String>,
}

impl Default for ServicePrincipalProperties {
    fn default() -> Self {
        Self {
            account_enabled: true,
            app_role_assignment_required: false,
            description: None,
            homepage: None,
            login_url: None,
            logout_url: None,
            notes: None,
            notification_email_addresses: Vec::new(),
            preferred_single_sign_on_mode: None,
            reply_urls: Vec::new(),
            tags: Vec::new(),
        }
    }
}

impl ServicePrincipal {
    /// Whether tokens for this principal are managed-identity tokens.
    pub fn is_managed_identity(&self) -> bool {
        self.principal_type == PrincipalType::ManagedIdentity
    }
}

/// A principal ready to store: the principal, its hashed secrets and its certificates.
#[derive(Debug, Clone)]
pub struct PrincipalDraft {
    pub principal: ServicePrincipal,
    pub passwords: Vec<PasswordHash>,
    pub certificates: Vec<Certificate>,
}

/// `POST /internal/servicePrincipals` body (and a fixture's `servicePrincipals[]` item).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewServicePrincipal {
    /// Optional: fixtures choose stable GUIDs.
    pub id: Option<String>,
    /// Optional: fixtures choose stable GUIDs.
    pub app_id: Option<String>,
    pub display_name: String,
    #[serde(default = "application")]
    pub service_principal_type: String,
    pub managed_identity_resource_id: Option<String>,
    #[serde(default)]
    pub alternative_names: Vec<String>,
    #[serde(default)]
    pub key_credentials: Vec<NewKeyCredential>,
    #[serde(default)]
    pub password_credentials: Vec<NewPasswordCredential>,
}

fn application() -> String {
    PrincipalType::Application.as_str().into()
}

/// `keyCredentials[]`: a PEM certificate (or base64 DER).
#[derive(Debug, Clone, Deserialize)]
pub struct NewKeyCredential {
    pub key: String,
}

/// `passwordCredentials[]`: the secret in clear, hashed before it is stored.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPasswordCredential {
    pub secret_text: String,
}

impl std::fmt::Debug for NewPasswordCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPasswordCredential(<redacted>)")
    }
}

impl NewServicePrincipal {
    /// Checks the request and hashes its secrets; ids are lower-cased or generated.
    pub fn into_draft(self, created_date_time: String) -> Result<PrincipalDraft, AadError> {
        let invalid = AadError::InvalidServicePrincipal;
        if self.display_name.trim().is_empty() {
            return Err(invalid("displayName is required".into()));
        }
        let principal_type =
            PrincipalType::parse(&self.service_principal_type).ok_or_else(|| {
                invalid(format!(
                    "servicePrincipalType '{}' is not one of Application, ManagedIdentity",
                    self.service_principal_type
                ))
            })?;
        let certificates = self
            .key_credentials
            .iter()
            .map(|credential| Certificate::parse(&credential.key))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("keyCredentials: {e}")))?;
        let passwords = self
            .password_credentials
            .iter()
            .map(|credential| PasswordHash::new(&credential.secret_text))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let principal = ServicePrincipal {
            id: guid_or_new(self.id.as_deref(), "id")?,
            app_id: guid_or_new(self.app_id.as_deref(), "appId")?,
            display_name: self.display_name,
            principal_type,
            managed_identity_resource_id: self.managed_identity_resource_id,
            alternative_names: self.alternative_names,
            created_date_time,
            properties: ServicePrincipalProperties::default(),
        };
        Ok(PrincipalDraft {
            principal,
            passwords,
            certificates,
        })
    }
}

fn guid_or_new(value: Option<&str>, field: &str) -> Result<String, AadError> {
    match value {
        None => Ok(uuid::Uuid::new_v4().to_string()),
        Some(value) => uuid::Uuid::parse_str(value)
            .map(|guid| guid.to_string())
            .map_err(|_| {
                AadError::InvalidServicePrincipal(format!("{field} '{value}' is not a GUID"))
            }),
    }
}

/// A service principal as the internal API returns it (Graph's names, never secrets).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipalView {
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub service_principal_type: String,
    /// `[appId]`, plus the ARM id for managed identities, as Graph lists them.
    pub service_principal_names: Vec<String>,
    pub alternative_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_identity_resource_id: Option<String>,
}

impl From<ServicePrincipal> for ServicePrincipalView {
    fn from(principal: ServicePrincipal) -> Self {
        let names = std::iter::once(principal.app_id.clone())
            .chain(principal.managed_identity_resource_id.clone())
            .collect();
        Self {
            id: principal.id,
            app_id: principal.app_id,
            display_name: principal.display_name,
            service_principal_type: principal.principal_type.as_str().into(),
            service_principal_names: names,
            alternative_names: principal.alternative_names,
            managed_identity_resource_id: principal.managed_identity_resource_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: serde_json::Value) -> NewServicePrincipal {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn into_draft_normalises_ids_and_hashes_secrets() {
        let draft = request(serde_json::json!({
            "displayName": "op", "id": "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D",
            "passwordCredentials": [{"secretText": "s"}]
        }))
        .into_draft("2026-11-23T13:00:00Z".into())
        .unwrap();
        assert_eq!(draft.principal.id, "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d");
        assert_eq!(draft.principal.principal_type, PrincipalType::Application);
        assert!(uuid::Uuid::parse_str(&draft.principal.app_id).is_ok());
        assert!(draft.passwords[0].verify("s"));
    }

    #[test]
    fn into_draft_rejects_each_invalid_field() {
        let cases = [
            serde_json::json!({"displayName": " "}),
            serde_json::json!({"displayName": "x", "servicePrincipalType": "User"}),
            serde_json::json!({"displayName": "x", "id": "not-a-guid"}),
            serde_json::json!({"displayName": "x", "keyCredentials": [{"key": "junk"}]}),
        ];
        for case in cases {
            let result = request(case.clone()).into_draft(String::new());
            assert!(
                matches!(result, Err(AadError::InvalidServicePrincipal(_))),
                "{case}"
            );
        }
    }

    #[test]
    fn view_lists_the_resource_id_among_service_principal_names() {
        let principal = ServicePrincipal {
            id: "o".into(),
            app_id: "a".into(),
            display_name: "vm1".into(),
            principal_type: PrincipalType::ManagedIdentity,
            managed_identity_resource_id: Some("/subscriptions/s/vm1".into()),
            alternative_names: vec![],
            created_date_time: String::new(),
            properties: ServicePrincipalProperties::default(),
        };
        let view = ServicePrincipalView::from(principal);
        assert_eq!(
            view.service_principal_names,
            vec!["a", "/subscriptions/s/vm1"]
        );
        assert_eq!(view.service_principal_type, "ManagedIdentity");
    }
}
