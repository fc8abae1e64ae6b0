//! App-role assignments on service principals: grant an app role of a resource service principal
//! to a service principal (a managed identity or an application) — the admin-consent step of
//! "call Graph from a managed identity" — list and revoke them, from either end.
//! See <https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignments>.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::application_resource::AppRoleAssignmentResource;
use super::applications::with_status;
use super::auth::GraphCaller;
use super::credential_writes::parse_body;
use super::error::{GraphError, RequestBadRequest};
use super::model::{Collection, Entity};
use super::query::ODataQuery;
use super::{not_found_error, object_id};
use crate::principals::assignments::{AppRoleAssignment, AssignmentSide};
use crate::principals::iso_timestamp;
use crate::principals::model::ServicePrincipal;
use crate::state::AppState;

/// The default access role: every resource grants it, without declaring it.
pub const DEFAULT_ACCESS: &str = "00000000-0000-0000-0000-000000000000";

/// The body of a grant.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantRequest {
    pub principal_id: String,
    pub resource_id: String,
    pub app_role_id: String,
}

/// `GET /v1.0/servicePrincipals/{id}/appRoleAssignments`.
pub async fn list_assignments(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    list(&caller, &query, &state, &key, AssignmentSide::Principal).await
}

/// `GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo`.
pub async fn list_assigned_to(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    list(&caller, &query, &state, &key, AssignmentSide::Resource).await
}

/// `POST /v1.0/servicePrincipals/{id}/appRoleAssignments`.
pub async fn grant_assignment(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    grant(&caller, &state, &key, &body, AssignmentSide::Principal).await
}

/// `POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo`.
pub async fn grant_assigned_to(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    grant(&caller, &state, &key, &body, AssignmentSide::Resource).await
}

/// `DELETE /v1.0/servicePrincipals/{id}/appRoleAssignments/{assignmentId}`.
pub async fn delete_assignment(
    _: GraphCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    let (key, assignment) = path.into_inner();
    delete(&state, &key, &assignment, AssignmentSide::Principal).await
}

/// `DELETE /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}`.
pub async fn delete_assigned_to(
    _: GraphCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    let (key, assignment) = path.into_inner();
    delete(&state, &key, &assignment, AssignmentSide::Resource).await
}

async fn list(
    caller: &GraphCaller,
    query: &ODataQuery,
    state: &AppState,
    key: &str,
    side: AssignmentSide,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let principal = principal(state, key).await?;
    let assignments = state
        .store
        .app_role_assignments(side, &principal.id)
        .await?;
    let mut items = Vec::with_capacity(assignments.len());
    for assignment in assignments {
        items.push(resource_of(state, assignment).await?);
    }
    let context = format!(
        "{}/$metadata#servicePrincipals('{}')/{}",
        caller.service_root,
        principal.id,
        navigation(side)
    );
    let body = Collection {
        context,
        next_link: None,
        count: None,
        value: items,
    };
    match &query.select {
        None => with_status(StatusCode::OK, &body),
        Some(select) => {
            let value = body
                .value
                .iter()
                .map(|item| {
                    super::model::Projection::of(item, select, "microsoft.graph.appRoleAssignment")
                })
                .collect::<Result<Vec<_>, _>>()?;
            with_status(
                StatusCode::OK,
                &Collection {
                    context: body.context,
                    next_link: None,
                    count: None,
                    value,
                },
            )
        }
    }
}

async fn grant(
    caller: &GraphCaller,
    state: &AppState,
    key: &str,
    body: &[u8],
    side: AssignmentSide,
) -> Result<HttpResponse, GraphError> {
    let addressed = principal(state, key).await?;
    let request: GrantRequest = parse_body(body)?;
    let principal_id = object_id(&request.principal_id).map_err(|_| invalid("principalId"))?;
    let resource_id = object_id(&request.resource_id).map_err(|_| invalid("resourceId"))?;
    let app_role_id = object_id(&request.app_role_id).map_err(|_| invalid("appRoleId"))?;
    // The URL's object must be the end of the assignment it addresses.
    match side {
        AssignmentSide::Principal if principal_id != addressed.id => {
            return Err(invalid("principalId"))
        }
        AssignmentSide::Resource if resource_id != addressed.id => {
            return Err(invalid("resourceId"))
        }
        _ => {}
    }
    let holder = principal(state, &principal_id).await?;
    let resource = principal(state, &resource_id).await?;
    check_role(state, &resource, &app_role_id).await?;
    let assignment = AppRoleAssignment {
        id: assignment_id(&holder.id)?,
        principal_id: holder.id.clone(),
        principal_type: "ServicePrincipal".into(),
        principal_display_name: holder.display_name.clone(),
        resource_id: resource.id.clone(),
        app_role_id,
        created_date_time: iso_timestamp(state.clock.now()),
    };
    if !state.store.assign_app_role(&assignment).await? {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::AppRoleAssignmentExists,
        ));
    }
    tracing::info!(principal = %holder.id, resource = %resource.id, role = %assignment.app_role_id, "app role assigned");
    let body = Entity {
        context: format!(
            "{}/$metadata#servicePrincipals('{}')/{}/$entity",
            caller.service_root,
            addressed.id,
            navigation(side)
        ),
        inner: AppRoleAssignmentResource::new(assignment, resource.display_name),
    };
    with_status(StatusCode::CREATED, &body)
}

async fn delete(
    state: &AppState,
    key: &str,
    assignment: &str,
    side: AssignmentSide,
) -> Result<HttpResponse, GraphError> {
    let principal = principal(state, key).await?;
    if !state
        .store
        .delete_app_role_assignment(side, &principal.id, assignment)
        .await?
    {
        return Err(not_found_error(assignment));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `appRoleId` must be the default access role or an enabled app role of the resource that
/// service principals may hold (the resource's application declares them).
async fn check_role(
    state: &AppState,
    resource: &ServicePrincipal,
    app_role_id: &str,
) -> Result<(), GraphError> {
    if app_role_id == DEFAULT_ACCESS {
        return Ok(());
    }
    if let Some(entry) = crate::first_party::FirstParty::by_app_id(&resource.app_id) {
        return match entry.app_role(app_role_id) {
            Some(_) => Ok(()),
            None => Err(GraphError::RequestBadRequest(
                RequestBadRequest::AppRoleNotFound(resource.app_id.clone()),
            )),
        };
    }
    let application = state.applications.by_app_id(&resource.app_id).await?;
    let granted = application
        .iter()
        .flat_map(|a| &a.properties.app_roles)
        .any(|role| {
            role.id.eq_ignore_ascii_case(app_role_id)
                && role.is_enabled
                && role.allowed_member_types.iter().any(|t| t == "Application")
        });
    if granted {
        Ok(())
    } else {
        Err(GraphError::RequestBadRequest(
            RequestBadRequest::AppRoleNotFound(resource.app_id.clone()),
        ))
    }
}

async fn principal(state: &AppState, key: &str) -> Result<ServicePrincipal, GraphError> {
    state
        .store
        .get(&object_id(key)?)
        .await?
        .ok_or_else(|| not_found_error(key))
}

async fn resource_of(
    state: &AppState,
    assignment: AppRoleAssignment,
) -> Result<AppRoleAssignmentResource, GraphError> {
    let name = state
        .store
        .get(&assignment.resource_id)
        .await?
        .map(|resource| resource.display_name)
        .unwrap_or_default();
    Ok(AppRoleAssignmentResource::new(assignment, name))
}

fn navigation(side: AssignmentSide) -> &'static str {
    match side {
        AssignmentSide::Principal => "appRoleAssignments",
        AssignmentSide::Resource => "appRoleAssignedTo",
    }
}

/// Graph's assignment ids: 32 bytes, base64url — the principal's object id (GUID bytes, little
/// endian) and 16 random bytes.
pub fn assignment_id(principal_id: &str) -> Result<String, GraphError> {
    let guid = uuid::Uuid::parse_str(principal_id).map_err(anyhow::Error::from)?;
    let mut bytes = guid.to_bytes_le().to_vec();
    let mut random = [0u8; 16];
    aws_lc_rs::rand::fill(&mut random).map_err(|_| anyhow::anyhow!("no randomness"))?;
    bytes.extend_from_slice(&random);
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn invalid(property: &str) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::InvalidPropertyValue {
        property: property.to_string(),
        resource: "AppRoleAssignment",
    })
}
