//! Microsoft's first-party service principals, present in every tenant: Microsoft Graph, Azure
//! Resource Manager, Azure Key Vault and Azure Storage, with their real app ids, the app roles
//! (application permissions) and delegated scopes clients and tutorials use, and the names a token
//! request may give them — Azure's URIs and mimic's own public URLs for the same service.
//!
//! What they are is declared here, in code ([`CATALOG`]); the directory holds one service principal
//! per entry (its object id is the tenant's, made at the first start, [`seed`]), so Graph lists,
//! gets and filters them like any other principal, and app roles of theirs can be granted.
//! Their `servicePrincipalNames` are computed ([`FirstParty::names`]): mimic's URLs are only known
//! once its listeners are bound.
//!
//! App role and scope ids are Microsoft's (the permissions reference:
//! <https://learn.microsoft.com/graph/permissions-reference>).

use anyhow::Context;

use crate::applications::model::{AppRole, PermissionScope};
use crate::principals::iso_timestamp;
use crate::principals::store::Store;
use crate::state::AppState;
use crate::token::group_claims::GroupClaims;

/// Microsoft Graph's application id.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
/// Azure Resource Manager's application id (Entra names it "Windows Azure Service Management API").
pub const ARM_APP_ID: &str = "797f4846-ba00-4fd7-ba43-dac1f8f63013";
/// Azure Key Vault's application id.
pub const KEY_VAULT_APP_ID: &str = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093";
/// Azure Storage's application id.
pub const STORAGE_APP_ID: &str = "e406a681-f3d4-42a8-90b6-c2b029497af1";

/// Which of mimic's own URLs also names a first-party resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MimicUrl {
    /// AAD's public URL (mimic's Graph: the cloud's `microsoftGraphResourceId`).
    Graph,
    /// ARM's URL (the cloud's `resourceManager`).
    ResourceManager,
    /// `https://{keyVaultDns}` of mimic's cloud: the Go SDK (Terraform's azurerm) derives Key
    /// Vault's resource from the cloud's `suffixes.keyVaultDns`
    /// (hashicorp/go-azure-sdk `sdk/environments/endpoint_refresh.go`, `updateFromMetaData`).
    KeyVault,
    /// mimic serves no such service.
    None,
}

/// An application permission of a first-party resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    pub id: &'static str,
    pub value: &'static str,
    pub display_name: &'static str,
}

/// A delegated permission (scope) of a first-party resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub id: &'static str,
    pub value: &'static str,
    pub display_name: &'static str,
    /// `Admin` (admin consent required) or `User`.
    pub kind: &'static str,
}

/// One first-party resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstParty {
    pub app_id: &'static str,
    pub display_name: &'static str,
    /// Azure's names for it (`servicePrincipalNames` besides the app id).
    pub azure_names: &'static [&'static str],
    pub mimic_url: MimicUrl,
    pub app_roles: &'static [Role],
    pub scopes: &'static [Scope],
    /// The `groups`/`wids` claims its users' tokens carry: fixed by Microsoft for first-party
    /// resources, as their tokens show (ARM's carry both, Graph's `wids` only).
    pub group_claims: GroupClaims,
}

const fn role(id: &'static str, value: &'static str, display_name: &'static str) -> Role {
    Role {
        id,
        value,
        display_name,
    }
}

const fn scope(
    id: &'static str,
    value: &'static str,
    display_name: &'static str,
    kind: &'static str,
) -> Scope {
    Scope {
        id,
        value,
        display_name,
        kind,
    }
}

/// Microsoft Graph's application permissions mimic's Graph knows (every one its operation table
/// names), by their real ids.
pub const GRAPH_APP_ROLES: &[Role] = &[
    role(
        "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
        "Application.Read.All",
        "Read all applications",
    ),
    role(
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "Application.ReadWrite.All",
        "Read and write all applications",
    ),
    role(
        "18a4783c-866b-4cc7-a460-3d5e5662c884",
        "Application.ReadWrite.OwnedBy",
        "Manage apps that this app creates or owns",
    ),
    role(
        "06b708a9-e830-4db3-a914-8e69da51d44f",
        "AppRoleAssignment.ReadWrite.All",
        "Manage app permission grants and app role assignments",
    ),
    role(
        "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
        "Directory.Read.All",
        "Read directory data",
    ),
    role(
        "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
        "Directory.ReadWrite.All",
        "Read and write directory data",
    ),
    role(
        "bf7b1a76-6e77-406b-b258-bf5c7720e98f",
        "Group.Create",
        "Create groups",
    ),
    role(
        "5b567255-7703-4780-807c-7be8301ae99b",
        "Group.Read.All",
        "Read all groups",
    ),
    role(
        "62a82d76-70ea-41e2-9197-370581804d09",
        "Group.ReadWrite.All",
        "Read and write all groups",
    ),
    role(
        "98830695-27a2-44f7-8c18-0c3ebc9698f6",
        "GroupMember.Read.All",
        "Read all group memberships",
    ),
    role(
        "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
        "GroupMember.ReadWrite.All",
        "Read and write all group memberships",
    ),
    role(
        "498476ce-e0fe-48b0-b801-37ba7e2685c6",
        "Organization.Read.All",
        "Read organization information",
    ),
    role(
        "292d869f-3427-49a8-9dab-8c70152b74e9",
        "Organization.ReadWrite.All",
        "Read and write organization information",
    ),
    role(
        "483bed4a-2ad3-4361-a73b-c83ccdbdc53c",
        "RoleManagement.Read.Directory",
        "Read all directory RBAC settings",
    ),
    role(
        "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
        "RoleManagement.ReadWrite.Directory",
        "Read and write all directory RBAC settings",
    ),
    role(
        "eccc023d-eccf-4e7b-9683-8813ab36cecc",
        "User.DeleteRestore.All",
        "Delete and restore all users",
    ),
    role(
        "df021288-bdef-4463-88db-98f22de89214",
        "User.Read.All",
        "Read all users' full profiles",
    ),
    role(
        "741f803b-c850-494e-b5df-cde7c675a1ca",
        "User.ReadWrite.All",
        "Read and write all users' full profiles",
    ),
];

const GRAPH_SCOPES: &[Scope] = &[
    scope(
        "c79f8feb-a9db-4090-85f9-90d820caa0eb",
        "Application.Read.All",
        "Read applications",
        "Admin",
    ),
    scope(
        "bdfbf15f-ee85-4955-8675-146e8e5296b5",
        "Application.ReadWrite.All",
        "Read and write all applications",
        "Admin",
    ),
    scope(
        "0e263e50-5827-48a4-b97c-d940288653c7",
        "Directory.AccessAsUser.All",
        "Access directory as the signed in user",
        "Admin",
    ),
    scope(
        "06da0dbc-49e2-44d2-8312-53f166ab848a",
        "Directory.Read.All",
        "Read directory data",
        "Admin",
    ),
    scope(
        "c5366453-9fb0-48a5-a156-24f0c49a4b84",
        "Directory.ReadWrite.All",
        "Read and write directory data",
        "Admin",
    ),
    scope(
        "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
        "email",
        "View users' email address",
        "User",
    ),
    scope(
        "5f8c59db-677d-491f-a6b8-5f174b11ec1d",
        "Group.Read.All",
        "Read all groups",
        "Admin",
    ),
    scope(
        "4e46008b-f24c-477d-8fff-7bb4ec7aafe0",
        "Group.ReadWrite.All",
        "Read and write all groups",
        "Admin",
    ),
    scope(
        "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
        "offline_access",
        "Maintain access to data you have given it access to",
        "User",
    ),
    scope(
        "37f7f235-527c-4136-accd-4a02d197296e",
        "openid",
        "Sign users in",
        "User",
    ),
    scope(
        "14dad69e-099b-42c9-810b-d002981feec1",
        "profile",
        "View users' basic profile",
        "User",
    ),
    scope(
        "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
        "User.Read",
        "Sign in and read user profile",
        "User",
    ),
    scope(
        "a154be20-db9c-4678-8ab7-66f6cc099a59",
        "User.Read.All",
        "Read all users' full profiles",
        "Admin",
    ),
    scope(
        "204e0828-b5ca-4ad8-b9f3-f32a958e7cc4",
        "User.ReadWrite.All",
        "Read and write all users' full profiles",
        "Admin",
    ),
];

/// Every first-party resource of every tenant.
pub const CATALOG: &[FirstParty] = &[
    FirstParty {
        app_id: GRAPH_APP_ID,
        display_name: "Microsoft Graph",
        azure_names: &[
            "https://graph.microsoft.com",
            "https://graph.microsoft.com/",
            "https://canary.graph.microsoft.com",
        ],
        mimic_url: MimicUrl::Graph,
        app_roles: GRAPH_APP_ROLES,
        scopes: GRAPH_SCOPES,
        group_claims: GroupClaims::DIRECTORY_ROLE,
    },
    FirstParty {
        app_id: ARM_APP_ID,
        display_name: "Windows Azure Service Management API",
        azure_names: &[
            "https://management.core.windows.net/",
            "https://management.core.windows.net",
            "https://management.azure.com/",
            "https://management.azure.com",
        ],
        mimic_url: MimicUrl::ResourceManager,
        app_roles: &[],
        scopes: &[scope(
            "41094075-9dad-400e-a0bd-54e686782033",
            "user_impersonation",
            "Access Azure Service Management as organization users (preview)",
            "User",
        )],
        group_claims: GroupClaims::SECURITY_GROUP,
    },
    FirstParty {
        app_id: KEY_VAULT_APP_ID,
        display_name: "Azure Key Vault",
        azure_names: &["https://vault.azure.net", "https://vault.azure.net/"],
        mimic_url: MimicUrl::KeyVault,
        app_roles: &[],
        scopes: &[scope(
            "f53da476-18e3-4152-8e01-aec403e6edc0",
            "user_impersonation",
            "Have full access to the Azure Key Vault service",
            "User",
        )],
        group_claims: GroupClaims::NONE,
    },
    FirstParty {
        app_id: STORAGE_APP_ID,
        display_name: "Azure Storage",
        azure_names: &["https://storage.azure.com", "https://storage.azure.com/"],
        mimic_url: MimicUrl::None,
        app_roles: &[],
        scopes: &[scope(
            "03e0da56-190b-40ad-a80c-ea378c433f7f",
            "user_impersonation",
            "Access Azure Storage",
            "User",
        )],
        group_claims: GroupClaims::NONE,
    },
];

/// mimic's own public URLs, which name the first-party resources it serves.
#[derive(Debug, Clone, Default)]
pub struct MimicUrls {
    /// AAD's public URL (Graph's base URL), without a trailing slash.
    pub graph: String,
    /// ARM's URLs: the host API's, once known, and the public one when it differs.
    pub resource_manager: Vec<String>,
    /// `https://{keyVaultDns}` of mimic's cloud (e.g. `https://vault.mimic.test`).
    pub key_vault: String,
}

impl MimicUrls {
    /// The URLs of `state`'s mimic.
    pub fn of(state: &AppState) -> Self {
        Self {
            graph: state.base_url.trim_end_matches('/').to_string(),
            resource_manager: state
                .arm
                .url()
                .into_iter()
                .chain(state.arm_public_url.as_deref())
                .map(|url| url.trim_end_matches('/').to_string())
                .collect(),
            key_vault: format!("https://{}", state.key_vault_dns_suffix),
        }
    }
}

impl FirstParty {
    /// The catalog entry with this app id.
    pub fn by_app_id(app_id: &str) -> Option<&'static FirstParty> {
        CATALOG
            .iter()
            .find(|entry| entry.app_id.eq_ignore_ascii_case(app_id))
    }

    /// The entry a token request's resource names: its app id, one of Azure's names for it, or
    /// mimic's URL for it, with or without a trailing slash and in any case.
    pub fn named(resource: &str, urls: &MimicUrls) -> Option<&'static FirstParty> {
        let wanted = normalise(resource);
        CATALOG.iter().find(|entry| {
            entry
                .names(urls)
                .iter()
                .any(|name| normalise(name) == wanted)
        })
    }

    /// `servicePrincipalNames`: the app id, Azure's names, then mimic's URL with and without a
    /// trailing slash.
    pub fn names(&self, urls: &MimicUrls) -> Vec<String> {
        let mimic = match self.mimic_url {
            MimicUrl::Graph => vec![urls.graph.clone()],
            MimicUrl::ResourceManager => urls.resource_manager.clone(),
            MimicUrl::KeyVault => vec![urls.key_vault.clone()],
            MimicUrl::None => Vec::new(),
        };
        std::iter::once(self.app_id.to_string())
            .chain(self.azure_names.iter().map(|name| name.to_string()))
            .chain(mimic.into_iter().flat_map(|url| [format!("{url}/"), url]))
            .collect()
    }

    /// The enabled app role with this id.
    pub fn app_role(&self, id: &str) -> Option<&'static Role> {
        self.app_roles
            .iter()
            .find(|role| role.id.eq_ignore_ascii_case(id))
    }

    /// `appRoles` as Graph shows them.
    pub fn graph_app_roles(&self) -> Vec<AppRole> {
        self.app_roles
            .iter()
            .map(|role| AppRole {
                allowed_member_types: vec!["Application".into()],
                description: Some(format!(
                    "Allows the app to {} without a signed-in user.",
                    lower_first(role.display_name)
                )),
                display_name: Some(role.display_name.into()),
                id: role.id.into(),
                is_enabled: true,
                origin: Some("Application".into()),
                value: Some(role.value.into()),
            })
            .collect()
    }

    /// `oauth2PermissionScopes` as Graph shows them.
    pub fn graph_scopes(&self) -> Vec<PermissionScope> {
        self.scopes
            .iter()
            .map(|scope| PermissionScope {
                id: scope.id.into(),
                admin_consent_description: Some(format!(
                    "Allows the app to {} on behalf of the signed-in user.",
                    lower_first(scope.display_name)
                )),
                admin_consent_display_name: Some(scope.display_name.into()),
                is_enabled: true,
                kind: Some(scope.kind.into()),
                user_consent_description: None,
                user_consent_display_name: None,
                value: Some(scope.value.into()),
            })
            .collect()
    }
}

/// Resource names compare without case and without trailing slashes.
fn normalise(name: &str) -> String {
    name.trim_end_matches('/').to_ascii_lowercase()
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Gives the directory a service principal for every catalog entry it lacks (a new data dir, or
/// one made before first-party principals existed); returns how many it created.
pub async fn seed(store: &Store, now: i64) -> anyhow::Result<usize> {
    let mut created = 0;
    for entry in CATALOG {
        let added = store
            .seed_first_party(
                &uuid::Uuid::new_v4().to_string(),
                entry.app_id,
                entry.display_name,
                &iso_timestamp(now),
            )
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))
            .with_context(|| format!("seeding the {} service principal", entry.display_name))?;
        created += usize::from(added);
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> MimicUrls {
        MimicUrls {
            graph: "https://127.0.0.1:8444".into(),
            resource_manager: vec!["https://127.0.0.1:8443".into()],
            key_vault: "https://vault.mimic.test".into(),
        }
    }

    #[test]
    fn every_name_of_a_resource_finds_it() {
        let cases = [
            ("https://graph.microsoft.com/", GRAPH_APP_ID),
            ("00000003-0000-0000-C000-000000000000", GRAPH_APP_ID),
            ("https://127.0.0.1:8444/", GRAPH_APP_ID),
            ("https://127.0.0.1:8444", GRAPH_APP_ID),
            ("https://management.core.windows.net/", ARM_APP_ID),
            ("https://management.azure.com", ARM_APP_ID),
            ("https://127.0.0.1:8443/", ARM_APP_ID),
            ("https://vault.azure.net", KEY_VAULT_APP_ID),
            ("https://vault.mimic.test", KEY_VAULT_APP_ID),
            ("https://vault.mimic.test/", KEY_VAULT_APP_ID),
            ("https://storage.azure.com/", STORAGE_APP_ID),
        ];
        for (name, app_id) in cases {
            let found = FirstParty::named(name, &urls()).map(|entry| entry.app_id);
            assert_eq!(found, Some(app_id), "{name}");
        }
        for unknown in ["https://example.com", "api://x", "https://127.0.0.1:9999/"] {
            assert!(FirstParty::named(unknown, &urls()).is_none(), "{unknown}");
        }
    }

    #[test]
    fn ids_are_guids_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for entry in CATALOG {
            let ids = std::iter::once(entry.app_id)
                .chain(entry.app_roles.iter().map(|role| role.id))
                .chain(entry.scopes.iter().map(|scope| scope.id));
            for id in ids {
                assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
                assert!(seen.insert(id), "{id} twice");
            }
        }
    }
}
