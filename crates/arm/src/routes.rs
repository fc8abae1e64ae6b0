//! The URL table of the ARM facade, and the routing contract every resource module follows.
//!
//! # Routing contract (read this before adding routes)
//!
//! **Case-folding happens before routing.** [`crate::middleware::gate`] rewrites every request
//! path (except `/healthz`, `/metadata/endpoints` and `/internal/*`) with
//! [`crate::middleware::canonical_path`]: *keyword* segments — `subscriptions`, `resourceGroups`,
//! `providers`, provider namespaces, resource type names — are lower-cased; *name* segments
//! (subscription ids, group names, resource names, operation ids, locations) keep the client's
//! casing. A trailing `/` is dropped. So routes are registered **with lower-case keywords** and
//! `{placeholders}` for names, e.g.
//!
//! ```text
//! /subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.compute/virtualmachines/{name}
//! /subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.managedidentity/userassignedidentities/{name}
//! /subscriptions/{subscription_id}/providers/microsoft.managedidentity/userassignedidentities
//! /{scope:.+}/providers/microsoft.managedidentity/identities/default
//! ```
//!
//! `{scope:.+}` captures a whole scope *without its leading `/`* (e.g.
//! `subscriptions/S/resourcegroups/G/providers/microsoft.compute/virtualmachines/VM`, keywords
//! lower-cased); turn it into a [`mimic_azure::Scope`] with [`crate::scope::parse_captured`].
//! Names arrive in the client's casing: look them up case-insensitively (store a lower-cased key)
//! and build response ids from the *stored* canonical names ([`mimic_azure::ResourceId`]'s
//! `Display` writes `subscriptions`/`resourceGroups`/`providers`; use canonical namespace and type
//! casing such as `Microsoft.Compute/virtualMachines`).
//!
//! **Before a handler runs**, the gate has already: authenticated the bearer token (401s),
//! checked the token's tenant against the subscription's (401), required a syntactically valid
//! `api-version` (400 `MissingApiVersionParameter` / `InvalidApiVersionParameter`), and checked
//! that `/subscriptions/{id}` is a GUID (400 `InvalidSubscriptionId`); then
//! [`crate::middleware::media_type`] refused a non-JSON PUT/PATCH body (415
//! `UnsupportedMediaType`). `/internal/*` routes get
//! only the internal-key check (401 `InvalidInternalKey`) — no token, no api-version.
//!
//! **Declaring an operation**: add a row to the folder's `OPERATIONS` table
//! ([`crate::operations::Operation`]: Azure's operationId, verb, path with lower-case keywords,
//! resource type, authorization, `|route| route.to(handler)`, summary) and list the folder in
//! [`crate::operations::TABLES`] if it is new. The table registers the route (ARM's 405 for other
//! methods), checks the api-version against the type's list and authorizes the declared action
//! *before* the handler runs, so the handler starts at existence checks:
//! 1. existence: `crate::scope::require_subscription` / `require_resource_group` (404
//!    `SubscriptionNotFound` / `ResourceGroupNotFound`), then your own lookup (`ResourceNotFound`);
//! 2. store, render. Return `Result<HttpResponse, ArmError>`.
//!
//! Take `web::Data<AppState>`, [`crate::extract::Caller`] only if you need the caller (e.g.
//! `createdBy`), `web::Path<…>` and `web::Json<…>` (JSON errors become 400
//! `InvalidRequestContent` through [`json_config`]). Linked-scope checks (an action on *another*
//! resource, such as `…/assign/action` on each identity a VM names) stay explicit in the handler
//! and are listed in [`crate::provider_operations::LINKED_ACTIONS`]. Unknown paths fall through
//! to [`unknown_route`] (404 `NotFound` / `InvalidResourceType`, 400 `InvalidResourceNamespace`),
//! never actix's defaults. Service routes that are not ARM operations (`/healthz`,
//! `/metadata/endpoints`, `/internal/*`, `/portal/*`) are registered in [`configure`] directly.
//!
//! # What ARM core expects from the compute modules
//!
//! - `crate::virtual_machines::OPERATIONS`, `crate::user_assigned_identities::OPERATIONS`,
//!   `crate::resources::OPERATIONS` — their rows of the operation table; `crate::host::configure`
//!   — the internal host API.
//! - `crate::lifecycle::delete_group_contents(&AppState, subscription_id: &str, group: &str) -> Result<(), ArmError>`
//!   — called by resource-group DELETE *before* the group row and the role assignments at or
//!   under it are removed.
//! - `crate::virtual_machines::seed(&AppState, &serde_json::Value /* the fixture's virtualMachines array */) -> Result<(), ArmError>`
//!   — called once by [`crate::fixture`] after subscriptions and groups are stored.
//! - `crate::resources::find_canonical(&AppState, &mimic_azure::ResourceId) -> Result<Option<mimic_azure::ResourceId>, ArmError>`
//!   — the resource's id in canonical case if it exists (VMs, UAMIs; `None` for anything else);
//!   used for role assignments and role definitions at resource scope
//!   ([`crate::scope::resolve`]).
//!
//! When a principal (system- or user-assigned identity) is deleted, its role assignments stay, as
//! Azure leaves them: orphaned, listed, granting nothing (no token carries the deleted object id).

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};

use crate::extract::ApiVersion;
use crate::{subscriptions, ArmError};

/// The whole URL table: mimic's own service routes and ARM's batch API ([`crate::batch`]: each
/// request inside passes the operation table on its own), then every ARM operation from the
/// operation table ([`crate::operations`]), then the internal and portal routes (not ARM
/// operations: no RBAC action, no api-version).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").route(web::get().to(health)))
        .service(
            resource("/metadata/endpoints").route(web::get().to(subscriptions::metadata_endpoints)),
        )
        .service(resource("/batch").route(web::post().to(crate::batch::post)));
    crate::operations::configure(cfg);
    crate::host::configure(cfg);
    crate::key_vaults::internal::configure(cfg);
    crate::rbac::internal::configure(cfg);
    crate::reality::internal::configure(cfg);
    crate::snapshots::configure(cfg);
    crate::portal::configure(cfg);
}

/// `web::resource(path)` whose unsupported methods answer ARM's 405 envelope.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed(request: HttpRequest) -> Result<HttpResponse, ArmError> {
    Err(ArmError::MethodNotAllowed {
        method: request.method().to_string(),
    })
}

/// `GET /healthz`: `{"status":"ok"}`, no authentication.
async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Every path no route matched: ARM's envelope, never actix's default 404.
/// An unknown provider namespace is 400 `InvalidResourceNamespace`; an unknown type in a known
/// namespace is 404 `InvalidResourceType`; anything else is 404 `NotFound`.
pub async fn unknown_route(request: HttpRequest) -> Result<HttpResponse, ArmError> {
    Err(unknown_route_error(&request))
}

fn unknown_route_error(request: &HttpRequest) -> ArmError {
    let original = request
        .extensions()
        .get::<crate::middleware::OriginalPath>()
        .map(|path| path.0.clone());
    let path = original.as_deref().unwrap_or(request.path());
    let segments: Vec<&str> = path.split('/').collect();
    let last_provider = segments
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"));
    if let Some(at) = last_provider {
        if let Some(namespace) = segments.get(at + 1) {
            let known = crate::resources::providers::namespace(namespace);
            let Some(known) = known.map(|known| known.namespace) else {
                return ArmError::InvalidResourceNamespace((*namespace).to_string());
            };
            // A nested type is named in full, as ARM does: `userAssignedIdentities/
            // federatedIdentityCredentials` for `…/userAssignedIdentities/id1/federatedIdentityCredentials/f1`.
            let type_segments: Vec<&str> = segments
                .iter()
                .skip(at + 2)
                .step_by(2)
                .copied()
                .filter(|segment| !segment.is_empty())
                .collect();
            if !type_segments.is_empty() {
                return ArmError::InvalidResourceType {
                    resource_type: type_segments.join("/"),
                    namespace: known.to_string(),
                    api_version: ApiVersion::from_query(request.query_string())
                        .map(|version| version.0)
                        .unwrap_or_default(),
                };
            }
        }
    }
    ArmError::NotFound(path.to_string())
}

/// JSON bodies, errors as 400 `InvalidRequestContent`. The content type is not checked here:
/// [`crate::middleware::media_type`] has already refused a PUT/PATCH whose `Content-Type` is
/// present and not JSON (415), and a body without one is read as JSON.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1 << 20)
        .content_type_required(false)
        .error_handler(|error: JsonPayloadError, _| {
            let detail = match &error {
                JsonPayloadError::Deserialize(inner) => inner.to_string(),
                other => other.to_string(),
            };
            ArmError::InvalidRequestContent(detail).into()
        })
}

/// Query strings: errors as 400 `InvalidRequestContent`.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error: QueryPayloadError, _| {
        ArmError::InvalidRequestContent(error.to_string()).into()
    })
}

/// Path segments: errors as 404 `NotFound`.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_: PathError, request| {
        ArmError::NotFound(request.path().to_string()).into()
    })
}
