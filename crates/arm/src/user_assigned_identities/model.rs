//! User-assigned managed identities (`Microsoft.ManagedIdentity/userAssignedIdentities`): wire
//! shapes, the domain record and the name rule.
//! See <https://learn.microsoft.com/rest/api/managedidentity/user-assigned-identities>.

use serde::{Deserialize, Serialize};

use mimic_azure::Tags;

/// The ARM resource type.
pub const RESOURCE_TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

/// The body of `UserAssignedIdentities_CreateOrUpdate` (PUT).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityCreateRequest {
    /// Required.
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub tags: Option<Tags>,
    #[serde(default)]
    pub properties: Option<IdentityRequestProperties>,
}

/// The body of `UserAssignedIdentities_Update` (PATCH).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityUpdateRequest {
    #[serde(default)]
    pub tags: Option<Tags>,
    #[serde(default)]
    pub properties: Option<IdentityRequestProperties>,
}

/// The writable properties.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityRequestProperties {
    /// `None` or `Regional`.
    #[serde(default)]
    pub isolation_scope: Option<String>,
}

/// A stored user-assigned identity.
#[derive(Debug, Clone)]
pub struct UserAssignedIdentity {
    /// Store key.
    pub key: i64,
    pub subscription_id: String,
    /// The group's canonical name.
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub tags: Tags,
    pub tenant_id: String,
    pub principal_id: String,
    pub client_id: String,
    pub isolation_scope: String,
    /// Seconds since the epoch.
    pub created_time: i64,
    pub changed_time: i64,
}

impl UserAssignedIdentity {
    /// The canonical ARM id.
    pub fn id(&self) -> String {
        identity_id_of(&self.subscription_id, &self.resource_group, &self.name)
    }
}

/// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}`.
///
/// The real MSI provider writes `resourcegroups` in lower case; mimic uses one canonical spelling
/// for every id so that ids compare equal as strings across its resource types.
pub fn identity_id_of(subscription_id: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{RESOURCE_TYPE}/{name}"
    )
}

/// An identity as the MSI provider returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityResponse {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub location: String,
    pub tags: Tags,
    /// From 2023-01-31 ([`crate::system_data`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_data: Option<crate::system_data::SystemData>,
    pub properties: IdentityResponseProperties,
}

/// `properties` of an identity response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityResponseProperties {
    pub isolation_scope: String,
    pub tenant_id: String,
    pub principal_id: String,
    pub client_id: String,
}

impl IdentityResponse {
    /// The response with `systemData` (when the api-version shows it).
    pub fn with_system_data(mut self, system_data: Option<crate::system_data::SystemData>) -> Self {
        self.system_data = system_data;
        self
    }
}

impl From<&UserAssignedIdentity> for IdentityResponse {
    fn from(identity: &UserAssignedIdentity) -> Self {
        Self {
            id: identity.id(),
            name: identity.name.clone(),
            kind: RESOURCE_TYPE,
            location: identity.location.clone(),
            tags: identity.tags.clone(),
            system_data: None,
            properties: IdentityResponseProperties {
                isolation_scope: identity.isolation_scope.clone(),
                tenant_id: identity.tenant_id.clone(),
                principal_id: identity.principal_id.clone(),
                client_id: identity.client_id.clone(),
            },
        }
    }
}

/// `{scope}/providers/Microsoft.ManagedIdentity/identities/default`: a resource's
/// system-assigned identity as the MSI provider shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemAssignedIdentityResponse {
    pub id: String,
    pub name: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub location: String,
    pub tags: Tags,
    pub properties: SystemAssignedIdentityProperties,
}

impl SystemAssignedIdentityResponse {
    /// The system-assigned identity of a VM, `None` when it has none.
    pub fn of(vm: &crate::virtual_machines::model::VirtualMachine) -> Option<Self> {
        let system = vm.system_identity.as_ref()?;
        Some(Self {
            id: format!(
                "{}/providers/Microsoft.ManagedIdentity/identities/default",
                vm.id()
            ),
            name: "default",
            kind: "Microsoft.ManagedIdentity/Identities",
            location: vm.location.clone(),
            tags: vm.tags.clone(),
            properties: SystemAssignedIdentityProperties {
                tenant_id: system.tenant_id.clone(),
                principal_id: system.principal_id.clone(),
                client_id: system.client_id.clone(),
            },
        })
    }
}

/// `properties` of a system-assigned identity.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemAssignedIdentityProperties {
    pub tenant_id: String,
    pub principal_id: String,
    pub client_id: String,
}

/// Normalises `isolationScope`: `None` (default) or `Regional`, case-insensitive.
pub fn isolation_scope(requested: Option<&str>) -> Option<String> {
    match requested {
        None => Some("None".to_string()),
        Some(value) if value.eq_ignore_ascii_case("None") => Some("None".to_string()),
        Some(value) if value.eq_ignore_ascii_case("Regional") => Some("Regional".to_string()),
        Some(_) => None,
    }
}

/// The MSI name rule: 3-128 characters, letters, digits, hyphens and underscores, starting with a
/// letter or digit.
pub fn is_valid_name(name: &str) -> bool {
    let length = name.chars().count();
    (3..=128).contains(&length)
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_valid_name_follows_the_msi_rule() {
        for good in ["id1", "my-identity_2", "1ab", &"a".repeat(128)] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["ab", "-id", "_id", "id.1", "id 1", "idé1", &"a".repeat(129)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn isolation_scope_defaults_to_none_and_rejects_unknown_values() {
        assert_eq!(isolation_scope(None).as_deref(), Some("None"));
        assert_eq!(
            isolation_scope(Some("regional")).as_deref(),
            Some("Regional")
        );
        assert_eq!(isolation_scope(Some("Global")), None);
    }
}
