//! Graph's wire types for app registrations: `microsoft.graph.application` (every property Graph
//! returns by default, in Graph's order), `microsoft.graph.appRoleAssignment`, and the
//! `passwordCredential` `addPassword` answers with.
//! See <https://learn.microsoft.com/graph/api/resources/application>.

use serde::Serialize;

use super::model::{KeyCredential, PasswordCredential, VerifiedPublisher};
use crate::applications::model::{
    ApiApplication, AppRole, Application, Info, ParentalControlSettings, RedirectUris,
    RequiredResourceAccess, WebApplication,
};
use crate::principals::assignments::AppRoleAssignment;

/// `microsoft.graph.application`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationResource {
    pub id: String,
    pub deleted_date_time: Option<String>,
    pub app_id: String,
    pub application_template_id: Option<String>,
    pub disabled_by_microsoft_status: Option<String>,
    pub created_date_time: String,
    pub display_name: String,
    pub description: Option<String>,
    pub group_membership_claims: Option<String>,
    pub identifier_uris: Vec<String>,
    pub is_device_only_auth_supported: Option<bool>,
    pub is_fallback_public_client: Option<bool>,
    pub notes: Option<String>,
    /// The tenant's default domain.
    pub publisher_domain: String,
    pub service_management_reference: Option<String>,
    pub sign_in_audience: String,
    pub tags: Vec<String>,
    pub token_encryption_key_id: Option<String>,
    pub saml_metadata_url: Option<String>,
    pub default_redirect_uri: Option<String>,
    pub certification: Option<serde_json::Value>,
    pub optional_claims: Option<serde_json::Value>,
    pub service_principal_lock_configuration: Option<serde_json::Value>,
    pub request_signature_verification: Option<serde_json::Value>,
    pub add_ins: Vec<serde_json::Value>,
    pub api: ApiApplication,
    pub app_roles: Vec<AppRole>,
    pub info: Info,
    pub key_credentials: Vec<KeyCredential>,
    pub parental_control_settings: ParentalControlSettings,
    pub password_credentials: Vec<PasswordCredential>,
    pub public_client: RedirectUris,
    pub required_resource_access: Vec<RequiredResourceAccess>,
    pub verified_publisher: VerifiedPublisher,
    pub web: WebApplication,
    pub spa: RedirectUris,
}

impl ApplicationResource {
    /// The resource for `application` of the tenant whose default domain is `domain`.
    pub fn new(
        application: Application,
        domain: &str,
        keys: Vec<KeyCredential>,
        passwords: Vec<PasswordCredential>,
    ) -> Self {
        let properties = application.properties;
        Self {
            id: application.id,
            deleted_date_time: None,
            app_id: application.app_id,
            application_template_id: None,
            disabled_by_microsoft_status: None,
            created_date_time: application.created_date_time,
            display_name: application.display_name,
            description: properties.description,
            group_membership_claims: properties.group_membership_claims,
            identifier_uris: application.identifier_uris,
            is_device_only_auth_supported: properties.is_device_only_auth_supported,
            is_fallback_public_client: properties.is_fallback_public_client,
            notes: properties.notes,
            publisher_domain: domain.to_string(),
            service_management_reference: properties.service_management_reference,
            sign_in_audience: properties.sign_in_audience,
            tags: properties.tags,
            token_encryption_key_id: properties.token_encryption_key_id,
            saml_metadata_url: properties.saml_metadata_url,
            default_redirect_uri: properties.default_redirect_uri,
            certification: None,
            optional_claims: properties.optional_claims,
            service_principal_lock_configuration: None,
            request_signature_verification: None,
            add_ins: properties.add_ins,
            api: properties.api,
            app_roles: properties.app_roles,
            info: properties.info,
            key_credentials: keys,
            parental_control_settings: properties.parental_control_settings,
            password_credentials: passwords,
            public_client: properties.public_client,
            required_resource_access: properties.required_resource_access,
            verified_publisher: VerifiedPublisher::default(),
            web: properties.web,
            spa: properties.spa,
        }
    }
}

/// `microsoft.graph.passwordCredential` as `addPassword` returns it: the only time `secretText`
/// is ever sent.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewPasswordCredential {
    #[serde(rename = "@odata.context")]
    pub context: String,
    pub custom_key_identifier: Option<String>,
    pub display_name: Option<String>,
    pub end_date_time: String,
    pub hint: Option<String>,
    pub key_id: String,
    pub secret_text: String,
    pub start_date_time: String,
}

impl std::fmt::Debug for NewPasswordCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPasswordCredential")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// `microsoft.graph.appRoleAssignment`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleAssignmentResource {
    pub id: String,
    pub deleted_date_time: Option<String>,
    pub app_role_id: String,
    pub created_date_time: String,
    pub principal_display_name: String,
    pub principal_id: String,
    pub principal_type: String,
    pub resource_display_name: String,
    pub resource_id: String,
}

impl AppRoleAssignmentResource {
    /// The resource for `assignment`, naming its resource `resource_display_name`.
    pub fn new(assignment: AppRoleAssignment, resource_display_name: String) -> Self {
        Self {
            id: assignment.id,
            deleted_date_time: None,
            app_role_id: assignment.app_role_id,
            created_date_time: assignment.created_date_time,
            principal_display_name: assignment.principal_display_name,
            principal_id: assignment.principal_id,
            principal_type: assignment.principal_type,
            resource_display_name,
            resource_id: assignment.resource_id,
        }
    }
}
