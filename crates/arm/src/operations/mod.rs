//! The operation table: every ARM operation mimic serves, declared once.
//!
//! Each resource folder declares its operations as a `pub const OPERATIONS: &[Operation]` — the
//! Azure operationId, the method and path template, the resource type (which carries the
//! api-versions Azure publishes for it), how ARM authorizes it, the handler and a one-line summary
//! — and [`TABLES`] lists the folders. From that one declaration come:
//!
//! - the route ([`configure`]): every path is registered once with all its methods, in table order;
//! - the checks *before* the handler (a middleware on each route): the api-version
//!   against the type's list (400 `InvalidApiVersionParameter` for ARM's own types, 400
//!   `NoRegisteredProviderFound` for provider types, unless `--lenient-api-versions`), then the
//!   RBAC action at the scope the path names — so a handler cannot forget to authorize;
//! - the tracing span `operation{id=…}` around the checks and the handler, and the request log's
//!   `operation` field (the operationId);
//! - `GET /subscriptions/{s}/providers[/{namespace}]` (types and api-versions,
//!   [`crate::resources::providers`]), `GET /providers/{namespace}/operations` and
//!   `GET /providers/Microsoft.Authorization/providerOperations[/{namespace}]`
//!   ([`crate::provider_operations`]);
//! - the ARM table of `docs/coverage.md` ([`coverage_markdown`], checked for drift by a test).
//!
//! Checks that depend on other resources stay in the handlers where Azure makes them: the linked
//! `…/assign/action` on each user-assigned identity a VM write names, for example.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, Route};
use tracing::Instrument;

use crate::extract::{ApiVersion, Caller};
use crate::rbac::Attributes;
use crate::{AppState, ArmError};

pub use mimic_web::Verb;

/// A resource type as a provider registers it with ARM.
#[derive(Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// The provider namespace in canonical case, e.g. `Microsoft.ManagedIdentity`.
    pub namespace: &'static str,
    /// The type below the namespace, e.g. `userAssignedIdentities` or `locations/vmSizes`.
    pub name: &'static str,
    /// The name `providerOperations` shows, e.g. `User Assigned Identities`.
    pub display_name: &'static str,
    /// Whether resources of the type have a location (the provider lists its locations).
    pub regional: bool,
    /// Every api-version Azure publishes for the type, newest first (previews by date).
    pub versions: &'static [&'static str],
}

impl ResourceType {
    /// ARM's own types (`Microsoft.Resources`) answer a wrong api-version with
    /// `InvalidApiVersionParameter`; provider types with `NoRegisteredProviderFound`.
    pub fn is_arm_own(&self) -> bool {
        self.namespace == "Microsoft.Resources"
    }

    /// `Microsoft.ManagedIdentity/userAssignedIdentities`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// Which scope an action is checked at, computed from the request path as the client sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRule {
    /// The whole path: the resource itself.
    Path,
    /// The path without its last `n` segments: `Parent(3)` turns a list under
    /// `…/providers/{namespace}/{type}` into its parent scope, `Parent(4)` turns
    /// `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}` into `{scope}`.
    /// Nothing left is the tenant root `/`.
    Parent(usize),
    /// `/subscriptions/{s}`, for subscription-wide catalogues.
    Subscription,
}

/// Where the request's attributes for a conditional decision come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeSource {
    /// The role-assignment PUT body: `@Request[…roleDefinitionId]` and `…principalType`.
    RoleAssignmentRequest,
    /// The role assignment being deleted: `@Resource[…roleDefinitionId]` and `…principalType`.
    ExistingRoleAssignment,
}

/// How ARM authorizes an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authorization {
    /// The action is checked at the scope before the handler runs (403 `AuthorizationFailed`).
    Action(&'static str, ScopeRule),
    /// Like [`Authorization::Action`], with the request's attributes for ABAC conditions.
    Conditional(&'static str, ScopeRule, AttributeSource),
    /// A list or read whose answer shows only what the caller may see with the action, as ARM
    /// does (no up-front 403); the handler filters. The text says how.
    Filtered(&'static str, &'static str),
    /// The handler checks the action, because the scope is known only after a lookup. The text
    /// says why.
    InHandler(&'static str, &'static str),
    /// Any authenticated caller (ARM's metadata): no RBAC action. The text says why.
    AnyCaller(&'static str),
}

impl Authorization {
    /// The RBAC action, if the operation has one.
    pub fn action(&self) -> Option<&'static str> {
        match *self {
            Self::Action(action, _)
            | Self::Conditional(action, _, _)
            | Self::Filtered(action, _)
            | Self::InHandler(action, _) => Some(action),
            Self::AnyCaller(_) => None,
        }
    }
}

/// One ARM operation.
#[derive(Debug)]
pub struct Operation {
    /// Azure's operationId, e.g. `UserAssignedIdentities_CreateOrUpdate`.
    pub id: &'static str,
    pub verb: Verb,
    /// The route template with lower-case keywords (see [`crate::routes`]).
    pub path: &'static str,
    pub resource_type: &'static ResourceType,
    /// The api-versions of this operation when narrower than its type's (empty: the type's).
    pub versions: &'static [&'static str],
    pub authorization: Authorization,
    /// Attaches the handler: `|route| route.to(handler)`.
    pub handler: fn(Route) -> Route,
    /// One line for the ledger and `providerOperations` (`displayName`).
    pub summary: &'static str,
}

impl Operation {
    /// The api-versions this operation accepts, newest first.
    pub fn versions(&self) -> &'static [&'static str] {
        match self.versions.is_empty() {
            true => self.resource_type.versions,
            false => self.versions,
        }
    }

    /// Whether `version` is one of them (compared ignoring case, as ARM does).
    pub fn accepts(&self, version: &str) -> bool {
        self.versions()
            .iter()
            .any(|known| known.eq_ignore_ascii_case(version))
    }
}

/// Every resource folder's operations, in registration order (actix matches the first route
/// that fits, so literal paths come before `{scope:.+}` captures within a folder).
pub const TABLES: &[&[Operation]] = &[
    crate::subscriptions::OPERATIONS,
    crate::resource_groups::OPERATIONS,
    crate::async_operations::OPERATIONS,
    crate::resources::OPERATIONS,
    crate::role_definitions::OPERATIONS,
    crate::role_assignments::OPERATIONS,
    crate::permissions::OPERATIONS,
    crate::deny_assignments::OPERATIONS,
    crate::provider_operations::OPERATIONS,
    crate::virtual_machines::OPERATIONS,
    crate::compute_catalog::OPERATIONS,
    crate::virtual_networks::OPERATIONS,
    crate::network_interfaces::OPERATIONS,
    crate::user_assigned_identities::OPERATIONS,
    crate::federated_identity_credentials::OPERATIONS,
    crate::key_vaults::OPERATIONS,
    crate::activity_log::OPERATIONS,
];

/// Every operation, in table order.
pub fn all() -> impl Iterator<Item = &'static Operation> {
    TABLES.iter().flat_map(|table| table.iter())
}

/// Registers every operation: one actix resource per path (all its methods, ARM's 405 for the
/// others), each route behind the checks of `admit`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let operations: Vec<&'static Operation> = all().collect();
    mimic_web::register_by_path(
        cfg,
        &operations,
        |operation| operation.path,
        crate::routes::resource,
        route,
    );
}

fn route(operation: &'static Operation) -> Route {
    (operation.handler)(web::method(operation.verb.method())).wrap(from_fn(
        move |request: ServiceRequest, next: Next<BoxBody>| admit(operation, request, next),
    ))
}

/// What runs before every handler (after [`crate::middleware::gate`] authenticated the caller):
/// names the operation for the request log, checks the api-version, then authorizes; and after
/// it, records the write's `systemData` ([`crate::system_data::after`]).
async fn admit(
    operation: &'static Operation,
    mut request: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    request
        .extensions_mut()
        .insert(mimic_web::telemetry::OperationId(operation.id));
    let span = tracing::info_span!("operation", id = operation.id);
    async move {
        // A write is recorded in the activity log, refused or not ([`crate::activity_log`]).
        let activity =
            crate::activity_log::recorder::Activity::begin(operation, &mut request).await;
        let response = match check(operation, &mut request).await {
            Ok(()) => {
                let response = next.call(request).await?;
                crate::system_data::after(operation, &response).await;
                response.map_into_left_body()
            }
            Err(error) => request.error_response(error).map_into_right_body(),
        };
        Ok(match activity {
            Some(activity) => activity.finish(response).await,
            None => response,
        })
    }
    .instrument(span)
    .await
}

async fn check(
    operation: &'static Operation,
    request: &mut ServiceRequest,
) -> Result<(), ArmError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("AppState is not registered"))?;
    // Long-running operations whose time is up end first, so every answer sees them ended.
    crate::async_operations::settle(&state).await?;
    let version = ApiVersion::from_query(request.query_string())?;
    if !state.settings.lenient_api_versions && !operation.accepts(&version.0) {
        return Err(version_error(operation, &version.0, request).await);
    }
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the gate did not authenticate {}", operation.id))?;
    match operation.authorization {
        Authorization::Action(action, rule) => {
            let scope = scope_of(request, rule);
            crate::rbac::authorize(&state, &caller, action, &scope).await
        }
        Authorization::Conditional(action, rule, source) => {
            let scope = scope_of(request, rule);
            let attributes = attributes(&state, request, source).await?;
            crate::rbac::authorize_with(&state, &caller, action, &scope, &attributes).await
        }
        Authorization::Filtered(..)
        | Authorization::InHandler(..)
        | Authorization::AnyCaller(_) => Ok(()),
    }?;
    refuse_writes_into_a_deleting_group(&state, operation, request.path()).await
}

/// ARM refuses every write into a resource group whose deletion is in progress with 409
/// `ResourceGroupBeingDeleted`, whatever the resource type: az's `appservice plan create`
/// (Azure/azure-cli#21121), a deployment (openshift/openshift-azure#2020) and a tag update
/// (Azure/azure-sdk-tools#5515) all meet it. The group's own operations (its PUT, PATCH, DELETE)
/// decide for themselves ([`crate::resource_groups`]).
async fn refuse_writes_into_a_deleting_group(
    state: &AppState,
    operation: &Operation,
    path: &str,
) -> Result<(), ArmError> {
    if !matches!(operation.verb, Verb::Put | Verb::Patch) {
        return Ok(());
    }
    // The gate has lower-cased the keywords; the names are as the client sent them.
    let mut segments = path.split('/').skip(1);
    let (Some("subscriptions"), Some(subscription), Some("resourcegroups"), Some(group), Some(_)) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Ok(());
    };
    let id = format!("/subscriptions/{subscription}/resourceGroups/{group}");
    if crate::async_operations::pending_kind(state, &id).await?
        != Some(crate::async_operations::OperationKind::Delete)
    {
        return Ok(());
    }
    let name = state
        .rbac
        .resource_group(&state.db, subscription, group)
        .await?
        .map_or_else(|| group.to_string(), |stored| stored.name.clone());
    Err(ArmError::ResourceGroupBeingDeleted(name))
}

/// The request path in ARM's casing (keywords as ARM writes them, names as the client sent them).
pub(crate) fn arm_cased_path(request: &ServiceRequest) -> String {
    scope_of(request, ScopeRule::Path)
}

/// The scope `rule` names in the request path, in ARM's casing: keywords as ARM writes them
/// (`resourceGroups`, `Microsoft.Compute/virtualMachines`), names as the client sent them. The
/// gate has already lower-cased the keywords of `request.path()` and dropped a trailing `/`.
fn scope_of(request: &ServiceRequest, rule: ScopeRule) -> String {
    let segments = arm_cased_segments(request.path());
    let keep = match rule {
        ScopeRule::Path => segments.len(),
        ScopeRule::Parent(drop) => segments.len().saturating_sub(drop),
        ScopeRule::Subscription => segments.len().min(2),
    };
    if keep == 0 {
        return "/".to_string();
    }
    let mut scope = String::with_capacity(request.path().len());
    for segment in &segments[..keep] {
        scope.push('/');
        scope.push_str(segment);
    }
    scope
}

/// The segments of a path whose keywords are lower-case, with the keywords in ARM's casing:
/// after `providers` comes a namespace, after any other keyword a name (kept as it is).
fn arm_cased_segments(path: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let mut expect_name = false;
    let mut after_providers = false;
    for segment in path.split('/').skip(1) {
        let cased = if expect_name {
            expect_name = false;
            segment
        } else if after_providers {
            after_providers = false;
            crate::resources::providers::namespace(segment).map_or(segment, |known| known.namespace)
        } else {
            after_providers = segment == "providers";
            expect_name = !after_providers;
            canonical_keyword(segment).unwrap_or(segment)
        };
        segments.push(cased);
    }
    segments
}

/// A keyword in ARM's casing, found by its lower-case form: the type names of the operation
/// table and [`KEYWORDS`].
fn canonical_keyword(lower: &str) -> Option<&'static str> {
    static KNOWN: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    KNOWN
        .get_or_init(|| {
            let types = all().flat_map(|operation| operation.resource_type.name.split('/'));
            types
                .chain(KEYWORDS.iter().copied())
                .map(|keyword| (keyword.to_ascii_lowercase(), keyword))
                .collect()
        })
        .get(lower)
        .copied()
}

async fn attributes(
    state: &AppState,
    request: &mut ServiceRequest,
    source: AttributeSource,
) -> Result<Attributes, ArmError> {
    match source {
        AttributeSource::RoleAssignmentRequest => {
            // Read the body once and put it back for the handler's `web::Json`.
            let body = request
                .extract::<web::Bytes>()
                .await
                .map_err(|error| ArmError::InvalidRequestContent(error.to_string()))?;
            request.set_payload(actix_web::dev::Payload::from(body.clone()));
            Ok(crate::role_assignments::request_attributes(&body))
        }
        AttributeSource::ExistingRoleAssignment => {
            let scope = request.match_info().get("scope").unwrap_or_default();
            let name = request
                .match_info()
                .get("role_assignment_name")
                .unwrap_or_default();
            crate::role_assignments::existing_attributes(state, scope, name).await
        }
    }
}

/// ARM's answer to an api-version the operation's type does not publish.
async fn version_error(
    operation: &Operation,
    version: &str,
    request: &mut ServiceRequest,
) -> ArmError {
    let resource_type = operation.resource_type;
    if resource_type.is_arm_own() {
        return ArmError::InvalidApiVersionParameter {
            version: version.to_string(),
            supported: operation.versions().join(","),
        };
    }
    let mut ascending: Vec<&str> = operation.versions().to_vec();
    ascending.sort_unstable();
    let locations = match resource_type.regional {
        true => crate::subscriptions::model::location_names().collect(),
        false => Vec::new(),
    };
    ArmError::NoRegisteredProviderFound {
        location: request_location(resource_type, request).await,
        version: version.to_string(),
        resource_type: resource_type.name.to_string(),
        supported: ascending.join(", "),
        locations: locations.join(", "),
    }
}

/// The location ARM names in `NoRegisteredProviderFound`: the body's for a write of a regional
/// type, else the first location of the subscription (regional) or `global`.
async fn request_location(resource_type: &ResourceType, request: &mut ServiceRequest) -> String {
    if !resource_type.regional {
        return "global".to_string();
    }
    let first = || {
        crate::subscriptions::model::location_names()
            .next()
            .unwrap_or("global")
            .to_string()
    };
    if !matches!(*request.method(), Method::PUT | Method::PATCH) {
        return first();
    }
    let Ok(body) = request.extract::<web::Bytes>().await else {
        return first();
    };
    request.set_payload(actix_web::dev::Payload::from(body.clone()));
    serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| value["location"].as_str().map(str::to_string))
        .map(|location| location.replace(' ', "").to_lowercase())
        .unwrap_or_else(first)
}

/// The ARM table of `docs/coverage.md`, generated from [`TABLES`].
pub fn coverage_markdown() -> String {
    let mut out = String::new();
    out.push_str("| operationId | method and path | RBAC action (scope) | api-versions |\n");
    out.push_str("|---|---|---|---|\n");
    for operation in all() {
        let authorization = match operation.authorization {
            Authorization::Action(action, rule) | Authorization::Conditional(action, rule, _) => {
                let conditional = match operation.authorization {
                    Authorization::Conditional(..) => ", with conditions",
                    _ => "",
                };
                format!("`{action}` ({}{conditional})", rule_text(rule))
            }
            Authorization::Filtered(action, how) => format!("`{action}`: {how}"),
            Authorization::InHandler(action, why) => format!("`{action}`: {why}"),
            Authorization::AnyCaller(why) => format!("none: {why}"),
        };
        let versions = operation.versions();
        let versions = match versions {
            [] => String::new(),
            [only] => (*only).to_string(),
            [newest, .., oldest] => format!("{oldest} … {newest} ({})", versions.len()),
        };
        let _ = writeln!(
            out,
            "| {} | `{} {}` — {} | {} | {} |",
            operation.id,
            operation.verb.as_str(),
            display_path(operation),
            operation.summary,
            authorization,
            versions,
        );
    }
    out
}

fn rule_text(rule: ScopeRule) -> &'static str {
    match rule {
        ScopeRule::Path => "the resource",
        ScopeRule::Parent(3) => "the parent scope",
        ScopeRule::Parent(_) => "the scope",
        ScopeRule::Subscription => "the subscription",
    }
}

/// The route template in ARM's casing: `providers/Microsoft.Compute/virtualMachines`, `{scope}`.
fn display_path(operation: &Operation) -> String {
    let (mut out, path) = match operation.path.strip_prefix("/{scope:.+}") {
        Some(rest) => ("/{scope}".to_string(), rest),
        None => (String::new(), operation.path),
    };
    for segment in arm_cased_segments(path) {
        out.push('/');
        out.push_str(segment);
    }
    out
}

/// Keywords that are not the name of a type in the table.
const KEYWORDS: &[&str] = &[
    "subscriptions",
    "providers",
    "resourceGroups",
    "roleDefinitions",
    "roleAssignments",
    "denyAssignments",
    "providerOperations",
    "userAssignedIdentities",
    "listAssociatedResources",
    "virtualMachines",
    "artifacttypes",
    "publishers",
    "offers",
    "skus",
    "versions",
    "vmSizes",
    "locations",
    "operations",
    "identities",
    "virtualNetworks",
    "instanceView",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_declared_completely_and_each_route_once() {
        let mut routes = std::collections::HashSet::new();
        for operation in all() {
            let (group, name) = operation
                .id
                .split_once('_')
                .unwrap_or_else(|| panic!("{} is not Group_Name", operation.id));
            assert!(
                !group.is_empty() && name.chars().next().is_some_and(char::is_uppercase),
                "{}",
                operation.id
            );
            assert!(operation.path.starts_with('/'), "{}", operation.id);
            assert_eq!(
                operation.path,
                operation.path.to_lowercase(),
                "{}: keywords are registered lower-case",
                operation.id
            );
            assert!(!operation.versions().is_empty(), "{}", operation.id);
            assert!(!operation.summary.is_empty(), "{}", operation.id);
            if let Some(action) = operation.authorization.action() {
                // `*/register/action`: a namespace's own action, named from the request.
                assert!(
                    action.starts_with(operation.resource_type.namespace)
                        || action.starts_with("*/"),
                    "{}: {action} is not an action of {}",
                    operation.id,
                    operation.resource_type.namespace
                );
            }
            assert!(
                routes.insert((operation.verb.as_str(), operation.path)),
                "{} {} is declared twice",
                operation.verb.as_str(),
                operation.path
            );
        }
    }

    #[test]
    fn narrowed_versions_belong_to_the_type() {
        for operation in all().filter(|operation| !operation.versions.is_empty()) {
            for version in operation.versions {
                assert!(
                    operation.resource_type.versions.contains(version),
                    "{}: {version}",
                    operation.id
                );
            }
        }
    }

    #[test]
    fn versions_are_newest_first() {
        for operation in all() {
            let dates: Vec<&str> = operation.versions().iter().map(|v| &v[..10]).collect();
            let mut sorted = dates.clone();
            sorted.sort_by(|a, b| b.cmp(a));
            assert_eq!(dates, sorted, "{}", operation.id);
        }
    }

    #[test]
    fn docs_coverage_has_the_generated_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/coverage.md");
        let text = std::fs::read_to_string(path).expect("docs/coverage.md");
        let generated = coverage_markdown();
        let (before, rest) = text
            .split_once(BEGIN)
            .expect("docs/coverage.md has the generated-table marker");
        let (_, after) = rest.split_once(END).expect("and its end marker");
        let expected = format!("{before}{BEGIN}\n{generated}{END}{after}");
        if std::env::var_os("MIMIC_BLESS").is_some() {
            std::fs::write(path, &expected).expect("write docs/coverage.md");
            return;
        }
        assert!(
            text == expected,
            "docs/coverage.md's ARM table is not what the operation table declares; \
             regenerate it: MIMIC_BLESS=1 cargo test -p mimic-arm --lib docs_coverage"
        );
    }

    const BEGIN: &str = "<!-- BEGIN generated by `MIMIC_BLESS=1 cargo test -p mimic-arm --lib docs_coverage` from the operation table; do not edit -->";
    const END: &str = "<!-- END generated -->";
}
