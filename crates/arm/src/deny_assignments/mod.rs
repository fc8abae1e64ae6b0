//! Deny assignments: `DenyAssignments_ListForScope`, `_Get` and `_GetById` (read-only, as in
//! Azure). They come from the ARM fixture's `denyAssignments` and are evaluated by
//! [`crate::rbac`]: a matching deny assignment wins over any role assignment.

pub mod model;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::extract::Caller;
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::rbac::authorize;
use crate::{AppState, ArmError};
use model::{DenyAssignmentBody, Filter};

const READ: &str = "Microsoft.Authorization/denyAssignments/read";

/// `Microsoft.Authorization/denyAssignments`.
pub const DENY_ASSIGNMENTS: ResourceType = ResourceType {
    namespace: "Microsoft.Authorization",
    name: "denyAssignments",
    display_name: "Deny Assignment",
    regional: false,
    versions: &["2022-04-01", "2018-07-01-preview"],
};

/// The deny-assignment operations (the tenant-root forms first: `{scope:.+}` would take them).
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "DenyAssignments_ListForScope",
        verb: Verb::Get,
        path: "/providers/microsoft.authorization/denyassignments",
        resource_type: &DENY_ASSIGNMENTS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list_at_root),
        summary: "List deny assignments at the tenant root",
    },
    Operation {
        id: "DenyAssignments_GetById",
        verb: Verb::Get,
        path: "/providers/microsoft.authorization/denyassignments/{deny_assignment_id}",
        resource_type: &DENY_ASSIGNMENTS,
        versions: &[],
        authorization: Authorization::InHandler(
            READ,
            "at the deny assignment's own scope, known after the lookup",
        ),
        handler: |route| route.to(get_by_guid),
        summary: "Get a deny assignment by its id",
    },
    Operation {
        id: "DenyAssignments_ListForScope",
        verb: Verb::Get,
        path: "/{scope:.+}/providers/microsoft.authorization/denyassignments",
        resource_type: &DENY_ASSIGNMENTS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list_for_scope),
        summary: "List deny assignments",
    },
    Operation {
        id: "DenyAssignments_Get",
        verb: Verb::Get,
        path: "/{scope:.+}/providers/microsoft.authorization/denyassignments/{deny_assignment_id}",
        resource_type: &DENY_ASSIGNMENTS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(4)),
        handler: |route| route.to(get),
        summary: "Get a deny assignment",
    },
];

/// `GET {scope}/providers/Microsoft.Authorization/denyAssignments[?$filter=…]`: at, above and
/// below the scope; `atScope()` → at and above; `principalId eq '…'`, `denyAssignmentName eq '…'`.
pub async fn list_for_scope(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<crate::extract::FilterQuery>,
) -> Result<HttpResponse, ArmError> {
    let scope = crate::scope::parse_captured(&path)?;
    let filter = Filter::parse(query.filter.as_deref())?;
    let scope = crate::scope::resolve(&state, &scope).await?;
    list(&state, &request, &filter, &scope.key())
}

/// `GET /providers/Microsoft.Authorization/denyAssignments[?$filter=…]` (the tenant root).
pub async fn list_at_root(
    state: web::Data<AppState>,
    request: HttpRequest,
    query: web::Query<crate::extract::FilterQuery>,
) -> Result<HttpResponse, ArmError> {
    let filter = Filter::parse(query.filter.as_deref())?;
    list(&state, &request, &filter, "/")
}

/// The deny assignments `filter` keeps at `scope_key`, paged ([`crate::paging`]) by id.
fn list(
    state: &AppState,
    request: &HttpRequest,
    filter: &Filter,
    scope_key: &str,
) -> Result<HttpResponse, ArmError> {
    let value: Vec<DenyAssignmentBody> = state
        .deny_assignments
        .iter()
        .filter(|assignment| filter.keeps(assignment, scope_key))
        .map(DenyAssignmentBody::from)
        .collect();
    let page = crate::paging::page(state, request, value, |body| body.id.clone())?;
    Ok(HttpResponse::Ok().json(page))
}

/// `GET {scope}/providers/Microsoft.Authorization/denyAssignments/{guid}`: the deny assignment
/// at exactly that scope, else 404 `DenyAssignmentNotFound`.
pub async fn get(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ArmError> {
    let (scope, name) = path.into_inner();
    let scope = crate::scope::parse_captured(&scope)?;
    let key = scope.key();
    state
        .deny_assignments
        .iter()
        .find(|assignment| {
            assignment.name().eq_ignore_ascii_case(&name)
                && assignment.scope().to_lowercase() == key
        })
        .map(|assignment| HttpResponse::Ok().json(DenyAssignmentBody::from(assignment)))
        .ok_or(ArmError::DenyAssignmentNotFound(name))
}

/// `GET /providers/Microsoft.Authorization/denyAssignments/{guid}`: the deny assignment with
/// that GUID wherever its scope; the caller needs `denyAssignments/read` at that scope.
pub async fn get_by_guid(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ArmError> {
    let name = path.into_inner();
    let found = state
        .deny_assignments
        .iter()
        .find(|assignment| assignment.name().eq_ignore_ascii_case(&name));
    let Some(assignment) = found else {
        return Err(ArmError::DenyAssignmentNotFound(name));
    };
    authorize(&state, &caller, READ, &assignment.scope()).await?;
    Ok(HttpResponse::Ok().json(DenyAssignmentBody::from(assignment)))
}
