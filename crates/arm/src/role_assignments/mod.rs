//! Role assignments: `RoleAssignments_Create` (PUT), `_Get`, `_Delete` and `_ListForScope` at any
//! scope (subscription, resource group, resource).

pub mod model;
pub mod store;

use actix_web::{web, HttpResponse};
use mimic_azure::Scope;

use crate::extract::Caller;
use crate::operations::{AttributeSource, Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::rbac::Attributes;
use crate::{AppState, ArmError};
use model::{Filter, RoleAssignment, RoleAssignmentBody, RoleAssignmentCreateParameters};
use store::Written;

const READ: &str = "Microsoft.Authorization/roleAssignments/read";
const WRITE: &str = "Microsoft.Authorization/roleAssignments/write";
const DELETE: &str = "Microsoft.Authorization/roleAssignments/delete";

/// `Microsoft.Authorization/roleAssignments`.
pub const ROLE_ASSIGNMENTS: ResourceType = ResourceType {
    namespace: "Microsoft.Authorization",
    name: "roleAssignments",
    display_name: "Role Assignment",
    regional: false,
    versions: &[
        "2022-04-01",
        "2022-01-01-preview",
        "2021-04-01-preview",
        "2020-10-01-preview",
        "2020-08-01-preview",
        "2020-04-01-preview",
        "2020-03-01-preview",
        "2019-04-01-preview",
        "2018-12-01-preview",
        "2018-09-01-preview",
        "2018-07-01",
        "2018-01-01-preview",
        "2017-10-01-preview",
        "2017-09-01",
        "2017-05-01",
        "2016-07-01",
        "2015-07-01",
    ],
};

const ITEM: &str =
    "/{scope:.+}/providers/microsoft.authorization/roleassignments/{role_assignment_name}";

/// The role-assignment operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "RoleAssignments_ListForScope",
        verb: Verb::Get,
        path: "/{scope:.+}/providers/microsoft.authorization/roleassignments",
        resource_type: &ROLE_ASSIGNMENTS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list_for_scope),
        summary: "List role assignments",
    },
    Operation {
        id: "RoleAssignments_Create",
        verb: Verb::Put,
        path: ITEM,
        resource_type: &ROLE_ASSIGNMENTS,
        versions: &[],
        authorization: Authorization::Conditional(
            WRITE,
            ScopeRule::Parent(4),
            AttributeSource::RoleAssignmentRequest,
        ),
        handler: |route| route.to(create),
        summary: "Create a role assignment",
    },
    Operation {
        id: "RoleAssignments_Get",
        verb: Verb::Get,
        path: ITEM,
        resource_type: &ROLE_ASSIGNMENTS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(4)),
        handler: |route| route.to(get),
        summary: "Get a role assignment",
    },
    Operation {
        id: "RoleAssignments_Delete",
        verb: Verb::Delete,
        path: ITEM,
        resource_type: &ROLE_ASSIGNMENTS,
        versions: &[],
        authorization: Authorization::Conditional(
            DELETE,
            ScopeRule::Parent(4),
            AttributeSource::ExistingRoleAssignment,
        ),
        handler: |route| route.to(delete),
        summary: "Delete a role assignment",
    },
];

/// The attributes a role-assignment PUT offers conditions (`@Request[…RoleDefinitionId]`,
/// `@Request[…PrincipalType]`, the type defaulting as the handler defaults it). A body that is
/// not a role assignment offers none: the handler answers it with 400.
pub fn request_attributes(body: &[u8]) -> Attributes {
    match serde_json::from_slice::<RoleAssignmentCreateParameters>(body) {
        Ok(parameters) => {
            let principal_type = parameters
                .properties
                .principal_type
                .unwrap_or_else(|| model::DEFAULT_PRINCIPAL_TYPE.to_string());
            Attributes::role_assignment_write(
                model::role_definition_guid(&parameters.properties.role_definition_id),
                &principal_type,
            )
        }
        Err(_) => Attributes::none(),
    }
}

/// The attributes of the assignment a DELETE names (`@Resource[…]`), none when there is none.
pub async fn existing_attributes(
    state: &AppState,
    scope: &str,
    name: &str,
) -> Result<Attributes, ArmError> {
    let Ok(scope) = crate::scope::parse_captured(scope) else {
        return Ok(Attributes::none());
    };
    let found = store::find(&state.db, name)
        .await?
        .filter(|assignment| assignment.scope_key() == scope.key());
    Ok(found.map_or_else(Attributes::none, |assignment| {
        Attributes::role_assignment_delete(&assignment.role_definition, &assignment.principal_type)
    }))
}

/// `{scope}/…/roleAssignments/{name}`.
type AssignmentPath = web::Path<(String, String)>;

/// `PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`: 201 when created;
/// 200 when the name already holds the same grant (principal, role, scope), whose `description`,
/// `condition` and `conditionVersion` then take the new values. Another grant under the name is
/// `RoleAssignmentUpdateNotPermitted`; the same grant under another name `RoleAssignmentExists`.
/// As in Azure, the 201 body has `createdBy: null` (only `updatedBy` names the caller); later
/// reads show the creator.
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: AssignmentPath,
    body: web::Json<RoleAssignmentCreateParameters>,
) -> Result<HttpResponse, ArmError> {
    let (scope, name) = path.into_inner();
    let name = model::parse_name(&name)?;
    let scope = crate::scope::parse_captured(&scope)?;
    let body = body.into_inner();
    let scope = crate::scope::resolve(&state, &scope).await?;
    let assignment = new_assignment(&state, &caller, &scope, name, body).await?;
    match store::create_or_update(&state.db, &assignment).await? {
        Written::Created(created) => {
            state
                .reality
                .assignment_created(&created, state.clock.now());
            Ok(
                HttpResponse::Created().json(RoleAssignmentBody::from(RoleAssignment {
                    created_by: None,
                    ..created
                })),
            )
        }
        Written::Updated(updated) => Ok(HttpResponse::Ok().json(RoleAssignmentBody::from(updated))),
        Written::UpdateNotPermitted => Err(ArmError::RoleAssignmentUpdateNotPermitted),
        Written::Duplicate => Err(ArmError::RoleAssignmentExists),
    }
}

/// Checks the role definition and the principal, and builds the assignment to store.
async fn new_assignment(
    state: &AppState,
    caller: &Caller,
    scope: &Scope,
    name: String,
    body: RoleAssignmentCreateParameters,
) -> Result<RoleAssignment, ArmError> {
    let properties = body.properties;
    let guid = model::role_definition_guid(&properties.role_definition_id);
    let definition = crate::role_definitions::lookup(state, guid)
        .await?
        .ok_or_else(|| ArmError::RoleDefinitionDoesNotExist {
            id: guid.to_string(),
            requested: false,
        })?;
    let principal_id = properties.principal_id.trim().to_lowercase();
    let found = directory_type(state, &principal_id).await?;
    let principal_type = match (found, properties.principal_type) {
        (Some(actual), Some(given)) if !actual.eq_ignore_ascii_case(&given) => {
            return Err(ArmError::UnmatchedPrincipalType {
                principal_id: principal_id.replace('-', ""),
                actual,
                given,
            })
        }
        (Some(_), Some(given)) => given,
        // A service principal the directory does not show yet: taken as given.
        (None, Some(given)) if skips_replication_check(&principal_id, &given) => given,
        // Left out: the directory's type, as ARM resolves it.
        (Some(actual), None) => actual,
        (None, _) => {
            return Err(ArmError::PrincipalNotFound {
                principal_id: properties.principal_id,
                tenant_id: state.settings.tenant_id.clone(),
            })
        }
    };
    let now = mimic_azure::time::arm_timestamp(state.clock.now());
    Ok(RoleAssignment {
        name,
        scope: scope.to_string(),
        role_definition: definition.name,
        principal_id,
        principal_type,
        description: properties.description,
        condition: properties.condition,
        condition_version: properties.condition_version,
        created_on: now.clone(),
        updated_on: now,
        created_by: Some(caller.oid.clone()),
        updated_by: Some(caller.oid.clone()),
    })
}

/// Whether ARM creates the assignment even when the directory does not know the principal (yet):
/// a GUID with `principalType: ServicePrincipal`. Azure looks the principal up in every case,
/// but for a service principal it takes "not found" for replication delay and goes on; a `User`
/// or `Group` it does not find is still `PrincipalNotFound` (the Authorization service team, in
/// <https://github.com/hashicorp/terraform-provider-azurerm/pull/4168>: "Only for
/// `ServicePrincipal`, if AAD returns principal not found, then role assignment" is created;
/// "Set principalType … to avoid replication delay",
/// <https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---role-assignments-for-new-principal-fail>).
fn skips_replication_check(principal_id: &str, principal_type: &str) -> bool {
    uuid::Uuid::parse_str(principal_id).is_ok()
        && principal_type.eq_ignore_ascii_case("ServicePrincipal")
}

/// The directory's type of the principal (`User`, `ServicePrincipal` — managed identities
/// included — or `Group`), `None` when AAD does not show it (yet).
async fn directory_type(state: &AppState, principal_id: &str) -> Result<Option<String>, ArmError> {
    if uuid::Uuid::parse_str(principal_id).is_err() {
        return Ok(None);
    }
    let aad = crate::aad_client::AadClient::new(state);
    Ok(aad.principal_type(principal_id).await?)
}

/// `GET {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
pub async fn get(
    state: web::Data<AppState>,
    path: AssignmentPath,
) -> Result<HttpResponse, ArmError> {
    let (scope, name) = path.into_inner();
    let scope = crate::scope::parse_captured(&scope)?;
    let assignment = store::find(&state.db, &name)
        .await?
        .filter(|assignment| assignment.scope_key() == scope.key())
        .ok_or(ArmError::RoleAssignmentNotFound(name))?;
    Ok(HttpResponse::Ok().json(RoleAssignmentBody::from(assignment)))
}

/// `DELETE {scope}/providers/Microsoft.Authorization/roleAssignments/{name}`: 200 with the
/// deleted assignment, 204 when there was none. Conditions see the assignment being deleted as
/// `@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId]` (and `PrincipalType`).
pub async fn delete(
    state: web::Data<AppState>,
    path: AssignmentPath,
) -> Result<HttpResponse, ArmError> {
    let (scope, name) = path.into_inner();
    let scope = crate::scope::parse_captured(&scope)?;
    let found = store::find(&state.db, &name)
        .await?
        .filter(|assignment| assignment.scope_key() == scope.key());
    let Some(assignment) = found else {
        return Ok(HttpResponse::NoContent().finish());
    };
    store::delete(&state.db, &assignment.name).await?;
    state
        .reality
        .assignment_deleted(&assignment, state.clock.now());
    Ok(HttpResponse::Ok().json(RoleAssignmentBody::from(assignment)))
}

/// `GET {scope}/providers/Microsoft.Authorization/roleAssignments[?$filter=…]`: no filter →
/// at, above and below the scope; `atScope()` → at and above; `principalId eq '…'` → that
/// principal's, at, above and below; `assignedTo('…')` → the same for the principal and every
/// group it is in. Pages of [`crate::paging::DEFAULT`] with a `nextLink` (key: the name).
pub async fn list_for_scope(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    path: web::Path<String>,
    query: web::Query<crate::extract::FilterQuery>,
) -> Result<HttpResponse, ArmError> {
    let scope = crate::scope::parse_captured(&path)?;
    let filter = Filter::parse(query.filter.as_deref())?;
    let scope = crate::scope::resolve(&state, &scope).await?;
    let scope_key = scope.key();
    // `assignedTo` lists the principal's assignments and its groups', as ARM does.
    let principals = match &filter {
        Filter::AssignedTo(id) => crate::rbac::principal_and_groups(&state, id).await,
        _ => Vec::new(),
    };
    let value: Vec<RoleAssignmentBody> = store::list(&state.db)
        .await?
        .into_iter()
        .filter(|assignment| filter.keeps_for(assignment, &scope_key, &principals))
        .map(RoleAssignmentBody::from)
        .collect();
    let page = crate::paging::page(&state, &request, value, |body| body.name.clone())?;
    Ok(HttpResponse::Ok().json(page))
}
