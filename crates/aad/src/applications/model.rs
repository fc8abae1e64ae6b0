//! Applications as mimic stores them: the keys it searches on, and the writable properties Graph
//! returns, typed (Graph's names) so that a write with a wrong shape is refused before it is stored.
//! See <https://learn.microsoft.com/graph/api/resources/application>.

use serde::{Deserialize, Serialize};

/// `signInAudience` of an application created through Graph without one (what Graph answers).
pub const DEFAULT_SIGN_IN_AUDIENCE: &str = "AzureADandPersonalMicrosoftAccount";

/// An application (app registration).
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    /// Object id.
    pub id: String,
    /// Client id.
    pub app_id: String,
    pub display_name: String,
    /// ISO 8601 UTC.
    pub created_date_time: String,
    /// Unique across the tenant's applications.
    pub identifier_uris: Vec<String>,
    pub properties: ApplicationProperties,
}

impl Application {
    /// The token version the application's API accepts: 2 → `aud` is the app id, else the
    /// resource as requested (Entra's `api.requestedAccessTokenVersion`).
    pub fn accepts_v2_tokens(&self) -> bool {
        self.properties.api.requested_access_token_version == Some(2)
    }
}

/// The properties of `microsoft.graph.application` a client may write, with Graph's defaults.
/// Unknown names are refused at every level (`deny_unknown_fields`), as Graph refuses them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ApplicationProperties {
    pub description: Option<String>,
    pub group_membership_claims: Option<String>,
    pub is_device_only_auth_supported: Option<bool>,
    pub is_fallback_public_client: Option<bool>,
    pub notes: Option<String>,
    pub service_management_reference: Option<String>,
    pub sign_in_audience: String,
    pub tags: Vec<String>,
    pub token_encryption_key_id: Option<String>,
    pub saml_metadata_url: Option<String>,
    pub default_redirect_uri: Option<String>,
    pub optional_claims: Option<serde_json::Value>,
    pub add_ins: Vec<serde_json::Value>,
    pub api: ApiApplication,
    pub app_roles: Vec<AppRole>,
    pub info: Info,
    pub parental_control_settings: ParentalControlSettings,
    pub public_client: RedirectUris,
    pub required_resource_access: Vec<RequiredResourceAccess>,
    pub web: WebApplication,
    pub spa: RedirectUris,
}

impl Default for ApplicationProperties {
    fn default() -> Self {
        Self {
            description: None,
            group_membership_claims: None,
            is_device_only_auth_supported: None,
            is_fallback_public_client: None,
            notes: None,
            service_management_reference: None,
            sign_in_audience: DEFAULT_SIGN_IN_AUDIENCE.into(),
            tags: Vec::new(),
            token_encryption_key_id: None,
            saml_metadata_url: None,
            default_redirect_uri: None,
            optional_claims: None,
            add_ins: Vec::new(),
            api: ApiApplication::default(),
            app_roles: Vec::new(),
            info: Info::default(),
            parental_control_settings: ParentalControlSettings::default(),
            public_client: RedirectUris::default(),
            required_resource_access: Vec::new(),
            web: WebApplication::default(),
            spa: RedirectUris::default(),
        }
    }
}

/// `api`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ApiApplication {
    pub accept_mapped_claims: Option<bool>,
    pub known_client_applications: Vec<String>,
    /// Graph sets 2 for applications it creates (their default audience includes personal
    /// accounts, which only v2 tokens serve).
    pub requested_access_token_version: Option<i64>,
    pub oauth2_permission_scopes: Vec<PermissionScope>,
    pub pre_authorized_applications: Vec<serde_json::Value>,
}

impl Default for ApiApplication {
    fn default() -> Self {
        Self {
            accept_mapped_claims: None,
            known_client_applications: Vec::new(),
            requested_access_token_version: Some(2),
            oauth2_permission_scopes: Vec::new(),
            pre_authorized_applications: Vec::new(),
        }
    }
}

/// `api.oauth2PermissionScopes[]`: a delegated permission the API exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PermissionScope {
    pub id: String,
    #[serde(default)]
    pub admin_consent_description: Option<String>,
    #[serde(default)]
    pub admin_consent_display_name: Option<String>,
    #[serde(default = "enabled")]
    pub is_enabled: bool,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub user_consent_description: Option<String>,
    #[serde(default)]
    pub user_consent_display_name: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

/// `appRoles[]`: an app role the application's service principal can grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppRole {
    /// `User`, `Application`, or both.
    pub allowed_member_types: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    pub id: String,
    #[serde(default = "enabled")]
    pub is_enabled: bool,
    #[serde(default)]
    pub origin: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

fn enabled() -> bool {
    true
}

/// `info`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Info {
    pub logo_url: Option<String>,
    pub marketing_url: Option<String>,
    pub privacy_statement_url: Option<String>,
    pub support_url: Option<String>,
    pub terms_of_service_url: Option<String>,
}

/// `parentalControlSettings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ParentalControlSettings {
    pub countries_blocked_for_minors: Vec<String>,
    pub legal_age_group_rule: String,
}

impl Default for ParentalControlSettings {
    fn default() -> Self {
        Self {
            countries_blocked_for_minors: Vec::new(),
            legal_age_group_rule: "Allow".into(),
        }
    }
}

/// `publicClient` and `spa`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RedirectUris {
    pub redirect_uris: Vec<String>,
}

/// `web`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct WebApplication {
    pub home_page_url: Option<String>,
    pub logout_url: Option<String>,
    pub redirect_uris: Vec<String>,
    pub implicit_grant_settings: ImplicitGrantSettings,
    pub redirect_uri_settings: Vec<serde_json::Value>,
}

/// `web.implicitGrantSettings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ImplicitGrantSettings {
    pub enable_access_token_issuance: bool,
    pub enable_id_token_issuance: bool,
}

/// `requiredResourceAccess[]`: the permissions the application asks of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequiredResourceAccess {
    pub resource_app_id: String,
    #[serde(default)]
    pub resource_access: Vec<ResourceAccess>,
}

/// `requiredResourceAccess[].resourceAccess[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceAccess {
    pub id: String,
    /// `Scope` (delegated) or `Role` (application).
    #[serde(rename = "type")]
    pub kind: String,
}

impl ApplicationProperties {
    /// Checks what the types alone do not: GUID ids, known member types, unique ids and values.
    /// The error names the offending property, as Graph's `Invalid value specified for property
    /// '…' of resource 'Application'` does.
    pub fn check(&self) -> Result<(), &'static str> {
        let guid = |id: &str| uuid::Uuid::parse_str(id).is_ok();
        let roles = &self.app_roles;
        let member_types_ok = |role: &AppRole| {
            !role.allowed_member_types.is_empty()
                && role
                    .allowed_member_types
                    .iter()
                    .all(|t| t == "User" || t == "Application")
        };
        if roles.iter().any(|r| !guid(&r.id) || !member_types_ok(r))
            || has_duplicates(roles.iter().map(|r| r.id.to_ascii_lowercase()))
            || has_duplicates(roles.iter().filter_map(|r| r.value.clone()))
        {
            return Err("appRoles");
        }
        let scopes = &self.api.oauth2_permission_scopes;
        if scopes.iter().any(|s| !guid(&s.id))
            || has_duplicates(scopes.iter().map(|s| s.id.to_ascii_lowercase()))
            || has_duplicates(scopes.iter().filter_map(|s| s.value.clone()))
        {
            return Err("api.oauth2PermissionScopes");
        }
        let access_ok = |access: &RequiredResourceAccess| {
            guid(&access.resource_app_id)
                && access
                    .resource_access
                    .iter()
                    .all(|a| guid(&a.id) && (a.kind == "Scope" || a.kind == "Role"))
        };
        if !self.required_resource_access.iter().all(access_ok) {
            return Err("requiredResourceAccess");
        }
        if !matches!(
            self.api.requested_access_token_version,
            None | Some(1) | Some(2)
        ) {
            return Err("api.requestedAccessTokenVersion");
        }
        Ok(())
    }
}

fn has_duplicates(values: impl Iterator<Item = String>) -> bool {
    let mut seen = std::collections::HashSet::new();
    values.into_iter().any(|value| !seen.insert(value))
}

/// A password credential's metadata (the hash stays in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordMetadata {
    pub key_id: String,
    pub display_name: Option<String>,
    /// The secret's first three characters, as Graph shows them.
    pub hint: Option<String>,
    pub start_date_time: String,
    pub end_date_time: String,
}

/// A key credential: a certificate and Graph's metadata for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMetadata {
    pub key_id: String,
    pub display_name: Option<String>,
    pub start_date_time: String,
    pub end_date_time: String,
    /// The certificate, PEM.
    pub certificate_pem: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_what_graph_answers_for_a_new_application() {
        let json = serde_json::to_value(ApplicationProperties::default()).unwrap();
        assert_eq!(json["signInAudience"], "AzureADandPersonalMicrosoftAccount");
        assert_eq!(json["api"]["requestedAccessTokenVersion"], 2);
        assert_eq!(
            json["parentalControlSettings"]["legalAgeGroupRule"],
            "Allow"
        );
        assert_eq!(
            json["web"]["implicitGrantSettings"],
            serde_json::json!({"enableAccessTokenIssuance": false, "enableIdTokenIssuance": false})
        );
    }

    #[test]
    fn check_refuses_each_bad_collection() {
        let role = |id: &str, types: &[&str], value: &str| AppRole {
            allowed_member_types: types.iter().map(|t| t.to_string()).collect(),
            description: None,
            display_name: None,
            id: id.into(),
            is_enabled: true,
            origin: None,
            value: Some(value.into()),
        };
        let id = "5d4ad3a7-0000-4000-8000-000000000001";
        let other = "5d4ad3a7-0000-4000-8000-000000000002";
        let cases = [
            (vec![role("x", &["Application"], "a")], Some("appRoles")),
            (vec![role(id, &[], "a")], Some("appRoles")),
            (vec![role(id, &["Robot"], "a")], Some("appRoles")),
            (
                vec![role(id, &["User"], "a"), role(other, &["User"], "a")],
                Some("appRoles"),
            ),
            (
                vec![role(id, &["User"], "a"), role(other, &["Application"], "b")],
                None,
            ),
        ];
        for (roles, want) in cases {
            let properties = ApplicationProperties {
                app_roles: roles.clone(),
                ..Default::default()
            };
            assert_eq!(properties.check().err(), want, "{roles:?}");
        }
    }
}
