//! The fixture's `aad` section: service principals created on first start (when the directory is
//! empty), e.g. the operator's application with its client secret, and users (created when there
//! are none) with their passwords; then, once per data dir, what they may do in the directory:
//! app roles granted to principals (e.g. Microsoft Graph's application permissions),
//! directory roles (e.g. Global Administrator) and the default user permissions.
//!
//! ```json
//! {"servicePrincipals":[{"id":"…","appId":"…","displayName":"mimic-operator",
//!   "servicePrincipalType":"Application","passwordCredentials":[{"secretText":"…"}]}],
//!  "appRoleAssignments":[{"principalId":"…","resourceAppId":"00000003-0000-0000-c000-000000000000",
//!   "appRoles":["Directory.ReadWrite.All"]}],
//!  "directoryRoleAssignments":[{"principalId":"…","role":"Global Administrator"}],
//!  "authorizationPolicy":{"defaultUserRolePermissions":{"allowedToCreateApps":true}}}
//! ```
//!
//! A fixture without `appRoleAssignments` (or `directoryRoleAssignments`) gets the defaults that
//! keep `mimic az` working: its first service principal — the operator `mimic az` signs in as —
//! holds [`OPERATOR_GRAPH_ROLES`] of Microsoft Graph, and its first user is Global Administrator.
//! Grants are applied once (a data dir made before grants existed gets them at its next start):
//! a grant revoked later stays revoked.

use anyhow::Context;
use serde::Deserialize;

use crate::applications::store::ApplicationStore;
use crate::directory_roles::store::DirectoryRoleStore;
use crate::directory_roles::{DefaultUserRolePermissions, RoleAssignment, RoleTemplate};
use crate::first_party::{FirstParty, GRAPH_APP_ID};
use crate::principals::assignments::AppRoleAssignment;
use crate::principals::iso_timestamp;
use crate::principals::model::NewServicePrincipal;
use crate::principals::store::Store;
use crate::users::model::NewUser;
use crate::users::store::UserStore;

/// Microsoft Graph's application permissions the operator holds by default: what `mimic az` needs
/// for `az ad …` and `az role assignment create --assignee …`.
pub const OPERATOR_GRAPH_ROLES: [&str; 6] = [
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.ReadWrite.All",
    "Group.ReadWrite.All",
    "User.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
];

/// The name under which the fixture's grants are recorded as applied.
const PERMISSIONS_SEED: &str = "fixture-permissions";

/// The `aad` section of a fixture document.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AadFixture {
    /// Principals to create, with the internal API's body shape.
    #[serde(default)]
    pub service_principals: Vec<NewServicePrincipal>,
    /// Users to create, with `POST /internal/users`'s body shape.
    #[serde(default)]
    pub users: Vec<NewUser>,
    /// App roles to grant; absent: the operator's defaults.
    #[serde(default)]
    pub app_role_assignments: Option<Vec<AppRoleGrant>>,
    /// Directory roles to assign; absent: the first user is Global Administrator.
    #[serde(default)]
    pub directory_role_assignments: Option<Vec<DirectoryRoleGrant>>,
    /// The tenant's authorization policy; absent: Entra's defaults.
    #[serde(default)]
    pub authorization_policy: Option<AuthorizationPolicy>,
}

/// App roles of a resource (by its app id) granted to a principal, by their values.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppRoleGrant {
    pub principal_id: String,
    pub resource_app_id: String,
    pub app_roles: Vec<String>,
}

/// A directory role (display name or template id) assigned to a user or service principal.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectoryRoleGrant {
    pub principal_id: String,
    pub role: String,
}

/// `authorizationPolicy`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizationPolicy {
    #[serde(default)]
    pub default_user_role_permissions: DefaultUserRolePermissionsFixture,
}

/// `authorizationPolicy.defaultUserRolePermissions` (Entra's defaults where absent).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultUserRolePermissionsFixture {
    #[serde(default = "yes")]
    pub allowed_to_create_apps: bool,
    #[serde(default = "yes")]
    pub allowed_to_create_security_groups: bool,
}

impl Default for DefaultUserRolePermissionsFixture {
    fn default() -> Self {
        Self {
            allowed_to_create_apps: true,
            allowed_to_create_security_groups: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// The stores a fixture writes to.
#[derive(Debug, Clone, Copy)]
pub struct Directory<'a> {
    pub principals: &'a Store,
    pub users: &'a UserStore,
    pub applications: &'a ApplicationStore,
    pub roles: &'a DirectoryRoleStore,
}

impl AadFixture {
    /// Reads the `aad` section.
    pub fn from_value(section: &serde_json::Value) -> anyhow::Result<Self> {
        serde_json::from_value(section.clone()).context("reading the fixture's aad section")
    }

    /// Creates the principals if there are none, and the users if there are none (so a data dir
    /// made before users existed gets them); returns how many objects were created.
    pub async fn apply(&self, store: &Store, users: &UserStore, now: i64) -> anyhow::Result<usize> {
        let mut created = 0;
        if store.count().await.map_err(to_anyhow)? == 0 {
            for principal in &self.service_principals {
                let draft = principal
                    .clone()
                    .into_draft(iso_timestamp(now))
                    .map_err(to_anyhow)?;
                store.create(&draft).await.map_err(to_anyhow)?;
                created += 1;
            }
        }
        if users.total().await.map_err(to_anyhow)? == 0 {
            for user in &self.users {
                let draft = user
                    .clone()
                    .into_draft(iso_timestamp(now))
                    .map_err(to_anyhow)?;
                users.create(&draft).await.map_err(to_anyhow)?;
                created += 1;
            }
        }
        Ok(created)
    }

    /// Applies the grants once per data dir (see the module docs); `true` if they were applied now.
    pub async fn grant(&self, directory: Directory<'_>, now: i64) -> anyhow::Result<bool> {
        if directory
            .roles
            .seed_applied(PERMISSIONS_SEED)
            .await
            .map_err(to_anyhow)?
        {
            return Ok(false);
        }
        let created = iso_timestamp(now);
        for grant in self.app_role_grants() {
            grant_app_roles(directory, &grant, &created).await?;
        }
        for grant in self.directory_role_grants() {
            let role = RoleTemplate::by_name(&grant.role)
                .or_else(|| RoleTemplate::by_id(&grant.role))
                .with_context(|| {
                    format!(
                        "the fixture names an unknown directory role '{}'",
                        grant.role
                    )
                })?;
            let assignment = RoleAssignment::new(role, &grant.principal_id, created.clone());
            directory
                .roles
                .assign(&assignment)
                .await
                .map_err(to_anyhow)?;
        }
        if let Some(policy) = &self.authorization_policy {
            let permissions = &policy.default_user_role_permissions;
            directory
                .roles
                .set_default_user_permissions(DefaultUserRolePermissions {
                    allowed_to_create_apps: permissions.allowed_to_create_apps,
                    allowed_to_create_security_groups: permissions
                        .allowed_to_create_security_groups,
                })
                .await
                .map_err(to_anyhow)?;
        }
        directory
            .roles
            .mark_seed(PERMISSIONS_SEED, &created)
            .await
            .map_err(to_anyhow)?;
        Ok(true)
    }

    /// The fixture's app-role grants, or the operator's defaults.
    fn app_role_grants(&self) -> Vec<AppRoleGrant> {
        match (&self.app_role_assignments, self.service_principals.first()) {
            (Some(grants), _) => grants.clone(),
            (None, Some(operator)) => operator
                .id
                .iter()
                .map(|id| AppRoleGrant {
                    principal_id: id.clone(),
                    resource_app_id: GRAPH_APP_ID.into(),
                    app_roles: OPERATOR_GRAPH_ROLES.iter().map(|r| r.to_string()).collect(),
                })
                .collect(),
            (None, None) => Vec::new(),
        }
    }

    /// The fixture's directory-role grants, or Global Administrator for the first user.
    fn directory_role_grants(&self) -> Vec<DirectoryRoleGrant> {
        match (&self.directory_role_assignments, self.users.first()) {
            (Some(grants), _) => grants.clone(),
            (None, Some(admin)) => admin
                .id
                .iter()
                .map(|id| DirectoryRoleGrant {
                    principal_id: id.clone(),
                    role: "Global Administrator".into(),
                })
                .collect(),
            (None, None) => Vec::new(),
        }
    }
}

/// Grants `grant`'s roles; a principal or resource the directory lacks is skipped (a data dir
/// whose objects were deleted before its upgrade), an unknown role value is an error.
async fn grant_app_roles(
    directory: Directory<'_>,
    grant: &AppRoleGrant,
    created: &str,
) -> anyhow::Result<()> {
    let store = directory.principals;
    let (Some(holder), Some(resource)) = (
        store.get(&grant.principal_id).await.map_err(to_anyhow)?,
        store
            .by_app_id(&grant.resource_app_id)
            .await
            .map_err(to_anyhow)?,
    ) else {
        tracing::warn!(principal = %grant.principal_id, resource = %grant.resource_app_id, "fixture grant skipped: no such principal");
        return Ok(());
    };
    let application = directory
        .applications
        .by_app_id(&resource.app_id)
        .await
        .map_err(to_anyhow)?;
    for value in &grant.app_roles {
        let first_party = FirstParty::by_app_id(&resource.app_id)
            .and_then(|entry| entry.app_roles.iter().find(|role| role.value == value))
            .map(|role| role.id.to_string());
        let own = application
            .iter()
            .flat_map(|a| &a.properties.app_roles)
            .find(|role| role.value.as_deref() == Some(value.as_str()));
        let role_id = first_party
            .or_else(|| own.map(|role| role.id.clone()))
            .with_context(|| {
                format!(
                    "the fixture grants '{value}', which {} does not define",
                    resource.display_name
                )
            })?;
        let assignment = AppRoleAssignment {
            id: crate::graph::app_role_assignments::assignment_id(&holder.id)
                .map_err(|error| anyhow::anyhow!("{error}"))?,
            principal_id: holder.id.clone(),
            principal_type: "ServicePrincipal".into(),
            principal_display_name: holder.display_name.clone(),
            resource_id: resource.id.clone(),
            app_role_id: role_id,
            created_date_time: created.to_string(),
        };
        store
            .assign_app_role(&assignment)
            .await
            .map_err(to_anyhow)?;
    }
    Ok(())
}

fn to_anyhow(error: crate::AadError) -> anyhow::Error {
    match error {
        crate::AadError::Internal(error) => error,
        other => anyhow::anyhow!("applying the aad fixture: {other}"),
    }
}
