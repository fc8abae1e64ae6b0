//! Graph's permission model, enforced from the [`Access`] each operation declares, before its
//! handler runs (the operation table's `admit` middleware). A caller without the permission gets
//! 403 `Authorization_RequestDenied` and nothing changes.
//!
//! - **App-only tokens** (client credentials, managed identities): one of the operation's
//!   application permissions in the token's `roles` claim — the app roles of Microsoft Graph
//!   granted to the principal when the token was issued (a grant reaches the next token, as in
//!   Entra). `X.ReadWrite.…` satisfies `X.Read.…`. A principal holding only
//!   `Application.ReadWrite.OwnedBy` may change only the applications (and their service
//!   principals) it owns. A service principal may also hold directory roles, as in Entra: Global
//!   Administrator may do everything, the roles an operation names may do it, and any directory role
//!   reads the directory.
//! - **Delegated tokens** (users): the user's directory roles, read from the directory on each
//!   call (a role assignment applies at once). Every member user reads the directory and may do
//!   what Entra's default user permissions allow ([`Members`]); owners may change what they own
//!   ([`Owned`]); Global Administrator may do everything. The token's `scp` is not checked: mimic's
//!   user tokens stand for az's and the portal's consented `Directory.AccessAsUser.All`.
//!
//! See <https://learn.microsoft.com/graph/permissions-overview>.

use actix_web::dev::ServiceRequest;
use actix_web::web;
use mimic_token::AccessTokenClaims;

use super::error::GraphError;
use super::operations::{Access, Members, Operation, Owned};
use crate::directory_roles::{RoleTemplate, GLOBAL_ADMINISTRATOR};
use crate::groups::model::Relation;
use crate::state::AppState;

/// The permission an app needs to manage only what it owns.
pub const OWNED_BY: &str = "Application.ReadWrite.OwnedBy";

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller<'a> {
    /// An app-only token: the principal and the Graph app roles it carries.
    App { id: &'a str, roles: &'a [String] },
    /// A delegated token: the signed-in user.
    User { id: &'a str },
}

impl<'a> Caller<'a> {
    /// The caller a token's claims describe.
    pub fn of(claims: &'a AccessTokenClaims) -> Self {
        match claims.idtyp.as_deref() {
            Some("user") => Self::User { id: &claims.oid },
            _ => Self::App {
                id: &claims.oid,
                roles: &claims.roles,
            },
        }
    }

    fn id(&self) -> &str {
        match self {
            Self::App { id, .. } | Self::User { id } => id,
        }
    }
}

/// Checks the caller of `request` against `operation`'s access. A request without a valid token
/// passes: the handler's extractor answers it with 401, as before any permission is checked.
pub async fn admit(operation: &Operation, request: &ServiceRequest) -> Result<(), GraphError> {
    let Ok(caller) = super::auth::authenticate(request.request()) else {
        return Ok(());
    };
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| anyhow::anyhow!("application state is missing"))?;
    let object = request
        .match_info()
        .get("id")
        .or_else(|| request.match_info().get("app_id"));
    let allowed = allows(
        state,
        &operation.access,
        &Caller::of(&caller.claims),
        object,
    )
    .await?;
    if !allowed {
        tracing::info!(operation = operation.name, caller = %caller.claims.oid, "Graph permission denied");
        return Err(GraphError::AuthorizationRequestDenied);
    }
    Ok(())
}

/// Whether `caller` may call an operation declaring `access` on `object` (the URL's key).
pub async fn allows(
    state: &AppState,
    access: &Access,
    caller: &Caller<'_>,
    object: Option<&str>,
) -> Result<bool, GraphError> {
    match (access, caller) {
        // `/me` with an app token is the handler's 400.
        (Access::Delegated(_), _) => Ok(true),
        (Access::Read(_), Caller::User { .. }) => Ok(true),
        (Access::Read(application), Caller::App { id, roles }) => {
            Ok(holds_any(roles, application) || !directory_roles(state, id).await?.is_empty())
        }
        (
            Access::Write {
                application,
                roles,
                members,
                owners,
            },
            caller,
        ) => {
            if let (Some(kind), Some(object), Caller::App { id, .. }) = (owners, object, caller) {
                if kind.includes_itself() && is_itself(state, *kind, object, id).await? {
                    return Ok(true);
                }
            }
            if let Caller::App { roles: held, .. } = caller {
                let full = application
                    .iter()
                    .filter(|needed| **needed != OWNED_BY)
                    .any(|needed| held.iter().any(|role| satisfies(role, needed)));
                if full {
                    return Ok(true);
                }
                let owned_by =
                    application.contains(&OWNED_BY) && held.iter().any(|role| role == OWNED_BY);
                if owned_by {
                    // Creating is allowed (the app owns what it creates); changing needs ownership.
                    let mine = match (owners, object) {
                        (Some(kind), Some(object)) => {
                            owns(state, *kind, object, caller.id()).await?
                        }
                        _ => true,
                    };
                    if mine {
                        return Ok(true);
                    }
                }
            }
            let held = directory_roles(state, caller.id()).await?;
            if held
                .iter()
                .any(|role| role.eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR))
            {
                return Ok(true);
            }
            let by_role = roles.iter().any(|name| {
                RoleTemplate::by_name(name).is_some_and(|template| {
                    held.iter()
                        .any(|role| role.eq_ignore_ascii_case(template.id))
                })
            });
            if by_role {
                return Ok(true);
            }
            if let Caller::User { .. } = caller {
                let policy = state.roles.default_user_permissions().await?;
                let by_default = match members {
                    Members::Denied => false,
                    Members::CreateApps => policy.allowed_to_create_apps,
                    Members::CreateSecurityGroups => policy.allowed_to_create_security_groups,
                };
                if by_default {
                    return Ok(true);
                }
            }
            match (owners, object) {
                (Some(kind), Some(object)) if matches!(caller, Caller::User { .. }) => {
                    owns(state, *kind, object, caller.id()).await
                }
                _ => Ok(false),
            }
        }
    }
}

/// Whether `held` grants `needed`: the same permission, or its `ReadWrite` form for a `Read` one
/// (`Directory.ReadWrite.All` reads what `Directory.Read.All` reads).
pub fn satisfies(held: &str, needed: &str) -> bool {
    held.eq_ignore_ascii_case(needed)
        || (held.contains(".ReadWrite.")
            && held
                .replacen(".ReadWrite.", ".Read.", 1)
                .eq_ignore_ascii_case(needed))
}

fn holds_any(held: &[String], needed: &[&str]) -> bool {
    needed
        .iter()
        .any(|needed| held.iter().any(|role| satisfies(role, needed)))
}

async fn directory_roles(state: &AppState, principal_id: &str) -> Result<Vec<String>, GraphError> {
    Ok(state.roles.roles_of(principal_id).await?)
}

/// Whether the app-only caller `principal_id` is the object `key` names: the service principal
/// itself, or the service principal of the application.
async fn is_itself(
    state: &AppState,
    kind: Owned,
    key: &str,
    principal_id: &str,
) -> Result<bool, GraphError> {
    if kind == Owned::ServicePrincipalOrItself {
        return Ok(key.eq_ignore_ascii_case(principal_id));
    }
    let (Some(application), Some(principal)) = (
        state.applications.get(key).await?,
        state.store.get(principal_id).await?,
    ) else {
        return Ok(false);
    };
    Ok(application.app_id.eq_ignore_ascii_case(&principal.app_id))
}

/// Whether `caller` is an owner of the object `key` names (an unknown object: no; the handler
/// then answers 404 to those who may call it).
async fn owns(state: &AppState, kind: Owned, key: &str, caller: &str) -> Result<bool, GraphError> {
    let is_caller = |owner: &String| owner.eq_ignore_ascii_case(caller);
    let application = match kind {
        Owned::Group => {
            let owners = state.groups.references(key, Relation::Owners).await?;
            return Ok(owners.iter().any(|owner| is_caller(&owner.id)));
        }
        Owned::Application | Owned::ApplicationOrItself => match state.applications.get(key).await?
        {
            Some(application) => Some(application),
            None => state.applications.by_app_id(key).await?,
        },
        Owned::ServicePrincipal | Owned::ServicePrincipalOrItself => {
            match state.store.get(key).await? {
                Some(principal) => state.applications.by_app_id(&principal.app_id).await?,
                None => None,
            }
        }
    };
    match application {
        Some(application) => Ok(state
            .applications
            .owners(&application.id)
            .await?
            .iter()
            .any(is_caller)),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_satisfies_read() {
        let cases = [
            ("Directory.ReadWrite.All", "Directory.Read.All", true),
            ("User.ReadWrite.All", "User.Read.All", true),
            ("GroupMember.ReadWrite.All", "GroupMember.Read.All", true),
            (
                "RoleManagement.ReadWrite.Directory",
                "RoleManagement.Read.Directory",
                true,
            ),
            ("User.Read.All", "User.ReadWrite.All", false),
            ("Group.ReadWrite.All", "User.Read.All", false),
            ("user.read.all", "User.Read.All", true),
        ];
        for (held, needed, want) in cases {
            assert_eq!(satisfies(held, needed), want, "{held} for {needed}");
        }
    }

    #[test]
    fn every_declared_permission_and_role_exists() {
        use crate::first_party::GRAPH_APP_ROLES;
        for operation in super::super::operations::all() {
            let (application, roles): (&[&str], &[&str]) = match operation.access {
                Access::Read(application) => (application, &[]),
                Access::Write {
                    application, roles, ..
                } => (application, roles),
                Access::Delegated(_) => (&[], &[]),
            };
            for permission in application {
                assert!(
                    GRAPH_APP_ROLES.iter().any(|role| role.value == *permission),
                    "{}: Microsoft Graph has no app role {permission} in the catalog",
                    operation.name
                );
            }
            for role in roles {
                assert!(
                    RoleTemplate::by_name(role).is_some(),
                    "{}: no directory role {role}",
                    operation.name
                );
            }
        }
    }
}
