//! Entra's directory roles: the built-in roles mimic's Graph checks (by their real template ids),
//! who holds them (role assignments, tenant-wide), and the tenant's default user permissions.
//! Graph's permission model reads them ([`crate::graph::permissions`]); Graph serves them as
//! `directoryRoles` and `roleManagement/directory` ([`crate::graph::directory_roles`]).
//! See <https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference>.

pub mod store;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// A built-in directory role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleTemplate {
    /// The role template id (`roleTemplateId`, and the `roleDefinitionId` of its assignments).
    pub id: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
}

/// Global Administrator's template id: it may do everything.
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";

/// The built-in roles mimic knows: every role the Graph operation table names.
pub const TEMPLATES: &[RoleTemplate] = &[
    RoleTemplate {
        id: GLOBAL_ADMINISTRATOR,
        display_name: "Global Administrator",
        description: "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.",
    },
    RoleTemplate {
        id: "fe930be7-5e62-47db-91af-98c3a49a38b1",
        display_name: "User Administrator",
        description: "Can manage all aspects of users and groups, including resetting passwords for limited admins.",
    },
    RoleTemplate {
        id: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        display_name: "Application Administrator",
        description: "Can create and manage all aspects of app registrations and enterprise apps.",
    },
    RoleTemplate {
        id: "158c047a-c907-4556-b7ef-446551a6b5f7",
        display_name: "Cloud Application Administrator",
        description: "Can create and manage all aspects of app registrations and enterprise apps except App Proxy.",
    },
    RoleTemplate {
        id: "cf1c38e5-3621-4004-a7cb-879624dced7c",
        display_name: "Application Developer",
        description: "Can create application registrations independent of the 'Users can register applications' setting.",
    },
    RoleTemplate {
        id: "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        display_name: "Groups Administrator",
        description: "Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports.",
    },
    RoleTemplate {
        id: "e8611ab8-c189-46e8-94e1-60213ab1f814",
        display_name: "Privileged Role Administrator",
        description: "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.",
    },
    RoleTemplate {
        id: "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        display_name: "Directory Readers",
        description: "Can read basic directory information. Commonly used to grant directory read access to applications and guests.",
    },
];

impl RoleTemplate {
    /// The role with this template id.
    pub fn by_id(id: &str) -> Option<&'static RoleTemplate> {
        TEMPLATES
            .iter()
            .find(|template| template.id.eq_ignore_ascii_case(id))
    }

    /// The role with this display name.
    pub fn by_name(name: &str) -> Option<&'static RoleTemplate> {
        TEMPLATES
            .iter()
            .find(|template| template.display_name.eq_ignore_ascii_case(name))
    }

    /// The tenant's `directoryRole` object id for this role: stable per tenant and role (Entra
    /// makes one object per activated role).
    pub fn directory_role_id(&self, tenant_id: &str) -> String {
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            format!(
                "directoryRole:{}:{}",
                tenant_id.to_ascii_lowercase(),
                self.id
            )
            .as_bytes(),
        );
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest.as_ref()[..16]);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

/// A role assignment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    /// Graph's `unifiedRoleAssignment` id.
    pub id: String,
    pub principal_id: String,
    pub role_template_id: String,
    /// `/`: the whole tenant.
    pub directory_scope_id: String,
    /// ISO 8601 UTC.
    pub created_date_time: String,
}

impl RoleAssignment {
    /// A tenant-wide assignment of `role` to `principal_id`.
    pub fn new(role: &RoleTemplate, principal_id: &str, created_date_time: String) -> Self {
        Self {
            id: assignment_id(role.id, principal_id),
            principal_id: principal_id.to_ascii_lowercase(),
            role_template_id: role.id.to_string(),
            directory_scope_id: "/".into(),
            created_date_time,
        }
    }
}

/// Entra's assignment ids: the role's and the principal's GUID bytes (little endian) together,
/// base64url, then `-1` (e.g. `lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1`).
pub fn assignment_id(role_template_id: &str, principal_id: &str) -> String {
    let mut bytes = Vec::with_capacity(32);
    for id in [role_template_id, principal_id] {
        match uuid::Uuid::parse_str(id) {
            Ok(guid) => bytes.extend_from_slice(&guid.to_bytes_le()),
            Err(_) => bytes.extend_from_slice(id.as_bytes()),
        }
    }
    format!("{}-1", URL_SAFE_NO_PAD.encode(bytes))
}

/// `authorizationPolicy.defaultUserRolePermissions`: what a member user may do without a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultUserRolePermissions {
    /// Register applications (`POST /applications`).
    pub allowed_to_create_apps: bool,
    /// Create security groups (`POST /groups`).
    pub allowed_to_create_security_groups: bool,
}

impl Default for DefaultUserRolePermissions {
    /// Entra's defaults for a new tenant.
    fn default() -> Self {
        Self {
            allowed_to_create_apps: true,
            allowed_to_create_security_groups: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignment_ids_are_entras_shape() {
        let id = assignment_id(GLOBAL_ADMINISTRATOR, "4ab0b690-479b-47ff-af8f-2576cf521872");
        assert_eq!(id, "lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1");
    }

    #[test]
    fn directory_role_ids_are_stable_guids() {
        let role = RoleTemplate::by_name("user administrator").unwrap();
        let id = role.directory_role_id("T");
        assert_eq!(id, role.directory_role_id("t"));
        assert!(uuid::Uuid::parse_str(&id).is_ok());
        assert_ne!(id, TEMPLATES[0].directory_role_id("t"));
    }
}
