//! The operation table of mimic's Microsoft Graph: every operation declared once.
//!
//! Each entity-set module declares `pub const OPERATIONS: &[Operation]` — Graph's name for the
//! operation (as its reference documentation titles it), the method and path under the version,
//! the permissions Graph requires, the handler and a one-line summary — and [`TABLES`] lists the
//! modules. From that one declaration come:
//!
//! - the routes under `/v1.0` and `/beta` ([`configure`]): each path registered once with all its
//!   methods, Graph's 405 for the others, in table order (literal paths before `{id}` captures);
//! - a middleware on every route that names the operation for the request log (`operation`) and
//!   its tracing span, and enforces its [`Access`] ([`super::permissions`]): a caller without the
//!   permission gets 403 `Authorization_RequestDenied` before the handler runs;
//! - the entity sets Graph's "Resource not found for the segment" answer knows ([`entity_sets`]);
//! - the operations table of `docs/graph.md` ([`markdown`], checked for drift by a test).

use std::fmt::Write as _;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, Route};
use tracing::Instrument;

pub use mimic_web::Verb;

/// What Graph requires of the caller for an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A read of the directory: an app-only caller needs one of these application permissions
    /// (least privileged first); a member user may read by Entra's default user permissions.
    Read(&'static [&'static str]),
    /// A write: an app-only caller needs one of these application permissions; a user needs one
    /// of these directory roles (`roles`), unless Entra's default user permissions allow it to
    /// every member (`members`) or the caller owns the object the URL names (`owners`).
    Write {
        application: &'static [&'static str],
        roles: &'static [&'static str],
        members: Members,
        owners: Option<Owned>,
    },
    /// Only a signed-in user (delegated token); the text says what it returns.
    Delegated(&'static str),
}

/// What Entra's default user permissions let every member user do, without a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    /// Nothing (beyond reading).
    Denied,
    /// Register applications, unless the tenant turned it off (`allowedToCreateApps`).
    CreateApps,
    /// Create security groups, unless the tenant turned it off (`allowedToCreateSecurityGroups`).
    CreateSecurityGroups,
}

impl Members {
    /// The tenant setting (`authorizationPolicy.defaultUserRolePermissions`) that lets members do
    /// it, if any.
    pub fn setting(self) -> Option<&'static str> {
        match self {
            Self::Denied => None,
            Self::CreateApps => Some("allowedToCreateApps"),
            Self::CreateSecurityGroups => Some("allowedToCreateSecurityGroups"),
        }
    }
}

/// Which object's owners may call an operation on it (the URL's `{id}` or `{app_id}`). An app
/// holding only `Application.ReadWrite.OwnedBy` must own it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {
    /// The application (its `owners`).
    Application,
    /// The service principal (the owners of its application).
    ServicePrincipal,
    /// The group (its `owners`).
    Group,
    /// The application's owners, and the application itself (its service principal signed in
    /// with client credentials): `addKey`/`removeKey`, which need no permission for one's own keys.
    ApplicationOrItself,
    /// The service principal's owners, and the service principal itself.
    ServicePrincipalOrItself,
}

impl Owned {
    /// What the object is, in a sentence: `application`, `service principal` or `group`.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Application | Self::ApplicationOrItself => "application",
            Self::ServicePrincipal | Self::ServicePrincipalOrItself => "service principal",
            Self::Group => "group",
        }
    }

    /// Whether the object itself may call, without a permission.
    pub fn includes_itself(self) -> bool {
        matches!(
            self,
            Self::ApplicationOrItself | Self::ServicePrincipalOrItself
        )
    }
}

/// One Graph operation.
#[derive(Debug)]
pub struct Operation {
    /// Graph's name for it, e.g. `List users`.
    pub name: &'static str,
    pub verb: Verb,
    /// The path under `/v1.0` (and `/beta`), as actix matches it, e.g. `/users/{id}`.
    pub path: &'static str,
    pub access: Access,
    /// Attaches the handler: `|route| route.to(handler)`.
    pub handler: fn(Route) -> Route,
    /// One line for `docs/graph.md`.
    pub summary: &'static str,
}

/// Every entity set's operations, in registration order.
pub const TABLES: &[&[Operation]] = &[
    super::applications::OPERATIONS,
    super::federated_identity_credentials::OPERATIONS,
    super::service_principals::OPERATIONS,
    super::users::OPERATIONS,
    super::groups::OPERATIONS,
    super::membership::OPERATIONS,
    super::directory_objects::OPERATIONS,
    super::deleted_items::OPERATIONS,
    super::organization::OPERATIONS,
    super::directory_roles::OPERATIONS,
];

/// Every operation, in table order.
pub fn all() -> impl Iterator<Item = &'static Operation> {
    TABLES.iter().flat_map(|table| table.iter())
}

/// The entity sets (and singletons) of the table: the first segment of each path, without a key
/// in parentheses (`servicePrincipals(appId='…')` → `servicePrincipals`).
pub fn entity_sets() -> impl Iterator<Item = &'static str> {
    all().map(|operation| {
        let first = operation.path.trim_start_matches('/');
        let first = first.split('/').next().unwrap_or_default();
        first.split('(').next().unwrap_or_default()
    })
}

/// Registers every operation under one version's scope: one actix resource per path (all its
/// methods, Graph's 405 for the others), each route behind `admit`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let operations: Vec<&'static Operation> = all().collect();
    mimic_web::register_by_path(
        cfg,
        &operations,
        |operation| operation.path,
        |path| web::resource(path).default_service(web::to(super::method_not_allowed)),
        route,
    );
}

fn route(operation: &'static Operation) -> Route {
    (operation.handler)(web::method(operation.verb.method())).wrap(from_fn(
        move |request: ServiceRequest, next: Next<BoxBody>| admit(operation, request, next),
    ))
}

/// Names the operation for the request log and the tracing span, checks the caller's permission
/// (403 `Authorization_RequestDenied` without it; a request without a valid token goes on to the
/// handler, whose extractor answers 401), then runs the handler.
async fn admit(
    operation: &'static Operation,
    request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    request
        .extensions_mut()
        .insert(mimic_web::telemetry::OperationId(operation.name));
    let span = tracing::info_span!("operation", id = operation.name);
    let verdict = super::permissions::admit(operation, &request)
        .instrument(span.clone())
        .await;
    match verdict {
        Ok(()) => next.call(request).instrument(span).await,
        Err(error) => Ok(request.error_response(error)),
    }
}

/// The operations table of `docs/graph.md`, generated from [`TABLES`].
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("| operation | method and path | what Graph requires |\n");
    out.push_str("|---|---|---|\n");
    for operation in all() {
        let list = |names: &[&str]| {
            names
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let access = match operation.access {
            Access::Read(application) => {
                format!("application: {}; users: any member", list(application))
            }
            Access::Write {
                application,
                roles,
                members,
                owners,
            } => {
                let mut users = match roles.is_empty() {
                    true => "Global Administrator".to_string(),
                    false => format!("directory role {}", list(roles)),
                };
                match members {
                    Members::Denied => {}
                    Members::CreateApps => {
                        users.push_str(", any member (unless `allowedToCreateApps` is off)")
                    }
                    Members::CreateSecurityGroups => users
                        .push_str(", any member (unless `allowedToCreateSecurityGroups` is off)"),
                }
                if owners.is_some() {
                    users.push_str(", its owners");
                }
                let itself = match owners {
                    Some(owned) if owned.includes_itself() => "; the object itself",
                    _ => "",
                };
                format!("application: {}; users: {users}{itself}", list(application))
            }
            Access::Delegated(what) => format!("a signed-in user: {what}"),
        };
        let _ = writeln!(
            out,
            "| {} | `{} {}` — {} | {} |",
            operation.name,
            operation.verb.as_str(),
            operation.path.replace('|', "\\|"),
            operation.summary,
            access,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_and_path_is_declared_once() {
        let mut seen = std::collections::HashSet::new();
        for operation in all() {
            assert!(
                seen.insert((operation.verb, operation.path)),
                "{} {} is declared twice",
                operation.verb.as_str(),
                operation.path
            );
        }
    }

    #[test]
    fn docs_graph_has_the_generated_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/graph.md");
        let text = std::fs::read_to_string(path).expect("docs/graph.md");
        let (before, rest) = text
            .split_once(BEGIN)
            .expect("docs/graph.md has the generated-table marker");
        let (_, after) = rest.split_once(END).expect("and its end marker");
        let expected = format!("{before}{BEGIN}\n{}{END}{after}", markdown());
        if std::env::var_os("MIMIC_BLESS").is_some() {
            std::fs::write(path, &expected).expect("write docs/graph.md");
            return;
        }
        assert!(
            text == expected,
            "docs/graph.md's operations table is not what the operation table declares; \
             regenerate it: MIMIC_BLESS=1 cargo test -p mimic-aad --lib docs_graph"
        );
    }

    const BEGIN: &str = "<!-- BEGIN generated by `MIMIC_BLESS=1 cargo test -p mimic-aad --lib docs_graph` from the operation table; do not edit -->";
    const END: &str = "<!-- END generated -->";
}
