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
//! Every decision is recorded with what decided it — the application permission, the directory
//! role, ownership, the object itself or Entra's default user permissions; for a denial, what the
//! caller holds and what would grant it ([`Verdict`], [`super::decisions`]) — and a denial writes
//! a log line. The 403 body stays Graph's.
//!
//! See <https://learn.microsoft.com/graph/permissions-overview>.

use actix_web::dev::ServiceRequest;
use actix_web::web;
use mimic_token::AccessTokenClaims;

use super::decisions::Asked;
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

/// Checks the caller of `request` against `operation`'s access and records the decision with
/// what decided it ([`super::decisions`]). A request without a valid token passes: the handler's
/// extractor answers it with 401, as before any permission is checked.
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
    let verdict = decide(
        state,
        &operation.access,
        &Caller::of(&caller.claims),
        object,
    )
    .await?;
    let asked = Asked {
        operation: operation.name,
        method: request.method().as_str(),
        path: request.path(),
        object,
    };
    let allowed = verdict.allowed;
    super::decisions::record(state, &caller.claims, asked, verdict);
    match allowed {
        true => Ok(()),
        false => Err(GraphError::AuthorizationRequestDenied),
    }
}

/// Whether a caller may call an operation, and what decided it (for the record).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the caller may.
    pub allowed: bool,
    /// What decided it, in one sentence.
    pub reason: String,
    /// A denial of an app-only caller: the application permissions in the token's `roles`.
    pub permissions_held: Vec<String>,
    /// A denial: the caller's directory roles (display names).
    pub directory_roles_held: Vec<String>,
    /// A denial of an app-only caller: the operation's application permissions, least
    /// privileged first.
    pub permissions_that_grant: Vec<String>,
    /// A denial: the directory roles that would grant it.
    pub directory_roles_that_grant: Vec<String>,
}

impl Verdict {
    fn allowed(reason: impl Into<String>) -> Self {
        Self {
            allowed: true,
            reason: reason.into(),
            ..Self::default()
        }
    }
}

/// Whether `caller` may call an operation declaring `access` on `object` (the URL's key), and
/// what decided it: the first of the rules below that grants it, or, for a denial, what the caller
/// holds and what would grant it.
pub async fn decide(
    state: &AppState,
    access: &Access,
    caller: &Caller<'_>,
    object: Option<&str>,
) -> Result<Verdict, GraphError> {
    match (access, caller) {
        (Access::Delegated(_), Caller::User { .. }) => Ok(Verdict::allowed(
            "the operation serves the signed-in user's own data; no permission is needed",
        )),
        // `/me` with an app token is the handler's 400.
        (Access::Delegated(_), Caller::App { .. }) => Ok(Verdict::allowed(
            "no permission is checked: the operation needs a signed-in user (Graph answers an app-only token with 400)",
        )),
        (Access::Read(_), Caller::User { .. }) => Ok(Verdict::allowed(
            "Entra's default user permissions let every member user read the directory",
        )),
        (Access::Read(application), Caller::App { id, roles }) => {
            read_as_app(state, application, id, roles).await
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
            let rule = WriteRule {
                application,
                roles,
                members: *members,
                owners: *owners,
            };
            write(state, &rule, caller, object).await
        }
    }
}

async fn read_as_app(
    state: &AppState,
    application: &[&str],
    id: &str,
    held: &[String],
) -> Result<Verdict, GraphError> {
    if let Some(grant) = granting(held, application.iter().copied()) {
        return Ok(Verdict::allowed(format!("{grant} grants it")));
    }
    let roles = role_names(&directory_roles(state, id).await?);
    if let Some(role) = roles.first() {
        return Ok(Verdict::allowed(format!(
            "its directory role {role} reads the directory"
        )));
    }
    Ok(Verdict {
        allowed: false,
        reason: format!(
            "{}; it holds no directory role; one of the application permissions {} or any directory role (e.g. {DIRECTORY_READERS}) would grant it",
            permissions_text(held),
            application.join(", ")
        ),
        permissions_held: held.to_vec(),
        directory_roles_held: Vec::new(),
        permissions_that_grant: application.iter().map(|name| name.to_string()).collect(),
        directory_roles_that_grant: vec![DIRECTORY_READERS.to_string()],
    })
}

/// The directory role named for reads: the least privileged that reads the directory.
const DIRECTORY_READERS: &str = "Directory Readers";

/// An [`Access::Write`]'s parts.
struct WriteRule<'a> {
    application: &'a [&'a str],
    roles: &'a [&'a str],
    members: Members,
    owners: Option<Owned>,
}

async fn write(
    state: &AppState,
    rule: &WriteRule<'_>,
    caller: &Caller<'_>,
    object: Option<&str>,
) -> Result<Verdict, GraphError> {
    // Why a rule that could have applied did not, for a denial's reason.
    let mut notes: Vec<String> = Vec::new();
    if let (Some(kind), Some(object), Caller::App { id, .. }) = (rule.owners, object, caller) {
        if kind.includes_itself() && is_itself(state, kind, object, id).await? {
            return Ok(Verdict::allowed(format!(
                "the caller is the {} {object} itself, which needs no permission to roll its own keys",
                kind.noun()
            )));
        }
    }
    if let Caller::App { roles: held, .. } = caller {
        let full = rule
            .application
            .iter()
            .copied()
            .filter(|needed| *needed != OWNED_BY);
        if let Some(grant) = granting(held, full) {
            return Ok(Verdict::allowed(format!("{grant} grants it")));
        }
        let owned_by =
            rule.application.contains(&OWNED_BY) && held.iter().any(|role| role == OWNED_BY);
        if owned_by {
            // Creating is allowed (the app owns what it creates); changing needs ownership.
            match (rule.owners, object) {
                (Some(kind), Some(object)) => {
                    if owns(state, kind, object, caller.id()).await? {
                        return Ok(Verdict::allowed(format!(
                            "application permission {OWNED_BY} in the token's roles grants it on what the app owns, and it owns the {} {object}",
                            kind.noun()
                        )));
                    }
                    notes.push(format!(
                        "{OWNED_BY} grants it only on what the app owns, and it does not own the {} {object}",
                        kind.noun()
                    ));
                }
                _ => {
                    return Ok(Verdict::allowed(format!(
                        "application permission {OWNED_BY} in the token's roles grants it (the app owns what it creates)"
                    )))
                }
            }
        }
    }
    let held = directory_roles(state, caller.id()).await?;
    if held
        .iter()
        .any(|role| role.eq_ignore_ascii_case(GLOBAL_ADMINISTRATOR))
    {
        return Ok(Verdict::allowed(
            "its directory role Global Administrator may do everything",
        ));
    }
    let by_role = rule.roles.iter().find(|name| {
        RoleTemplate::by_name(name).is_some_and(|template| {
            held.iter()
                .any(|role| role.eq_ignore_ascii_case(template.id))
        })
    });
    if let Some(role) = by_role {
        return Ok(Verdict::allowed(format!(
            "its directory role {role} grants it"
        )));
    }
    if let (Caller::User { .. }, Some(setting)) = (caller, rule.members.setting()) {
        let policy = state.roles.default_user_permissions().await?;
        let on = match rule.members {
            Members::Denied => false,
            Members::CreateApps => policy.allowed_to_create_apps,
            Members::CreateSecurityGroups => policy.allowed_to_create_security_groups,
        };
        if on {
            return Ok(Verdict::allowed(format!(
                "Entra's default user permissions let every member user do it (the tenant's {setting} is on)"
            )));
        }
        notes.push(format!(
            "Entra's default user permissions would let members do it, but the tenant's {setting} is off"
        ));
    }
    if let (Some(kind), Some(object), Caller::User { .. }) = (rule.owners, object, caller) {
        if owns(state, kind, object, caller.id()).await? {
            return Ok(Verdict::allowed(format!(
                "it owns the {} {object}",
                kind.noun()
            )));
        }
        notes.push(format!(
            "it is not an owner of the {} {object}",
            kind.noun()
        ));
    }
    Ok(write_denied(rule, caller, role_names(&held), notes))
}

/// A denied write: what the caller holds, why the rules that could have applied did not, and what
/// would grant it.
fn write_denied(
    rule: &WriteRule<'_>,
    caller: &Caller<'_>,
    roles_held: Vec<String>,
    notes: Vec<String>,
) -> Verdict {
    let mut roles_that_grant: Vec<String> =
        rule.roles.iter().map(|name| name.to_string()).collect();
    if !rule.roles.contains(&GLOBAL_ADMINISTRATOR_NAME) {
        roles_that_grant.push(GLOBAL_ADMINISTRATOR_NAME.to_string());
    }
    let mut parts = Vec::new();
    let (permissions_held, permissions_that_grant) = match caller {
        Caller::App { roles, .. } => {
            parts.push(permissions_text(roles));
            let needed: Vec<String> = rule
                .application
                .iter()
                .map(|name| name.to_string())
                .collect();
            (roles.to_vec(), needed)
        }
        Caller::User { .. } => (Vec::new(), Vec::new()),
    };
    parts.push(match roles_held.is_empty() {
        true => "it holds no directory role".to_string(),
        false => format!(
            "its directory roles ({}) do not grant it",
            roles_held.join(", ")
        ),
    });
    parts.extend(notes);
    let would = match permissions_that_grant.is_empty() {
        true => format!(
            "one of the directory roles {} would grant it",
            roles_that_grant.join(", ")
        ),
        false => format!(
            "one of the application permissions {} or directory roles {} would grant it",
            permissions_that_grant.join(", "),
            roles_that_grant.join(", ")
        ),
    };
    parts.push(would);
    Verdict {
        allowed: false,
        reason: parts.join("; "),
        permissions_held,
        directory_roles_held: roles_held,
        permissions_that_grant,
        directory_roles_that_grant: roles_that_grant,
    }
}

/// Global Administrator's display name, as operations name roles.
const GLOBAL_ADMINISTRATOR_NAME: &str = "Global Administrator";

/// What the token's `roles` hold, for a denial's reason.
fn permissions_text(held: &[String]) -> String {
    match held.is_empty() {
        true => "the token carries no application permission (no `roles` claim)".to_string(),
        false => format!("the token's roles hold {}", held.join(", ")),
    }
}

/// The first of `needed` (least privileged first) that `held` grants, described for a reason.
fn granting<'a>(held: &[String], needed: impl IntoIterator<Item = &'a str>) -> Option<String> {
    needed.into_iter().find_map(|needed| {
        let role = held.iter().find(|role| satisfies(role, needed))?;
        Some(match role.eq_ignore_ascii_case(needed) {
            true => format!("application permission {role} in the token's roles"),
            false => format!(
                "application permission {role} in the token's roles (which includes {needed})"
            ),
        })
    })
}

/// Directory roles' display names, from their template ids.
fn role_names(template_ids: &[String]) -> Vec<String> {
    template_ids
        .iter()
        .map(|id| {
            RoleTemplate::by_id(id)
                .map(|template| template.display_name.to_string())
                .unwrap_or_else(|| id.clone())
        })
        .collect()
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
