//! Directory roles through Graph: the activated roles (`directoryRoles`, those someone holds) with
//! their members, and `roleManagement/directory` — the built-in role definitions and the role
//! assignments (list by principal or role, create, get, delete), as az and the portal use them.
//! See <https://learn.microsoft.com/graph/api/resources/unifiedroleassignment>.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::GraphCaller;
use super::directory::Directory;
use super::error::{GraphError, RequestBadRequest};
use super::operations::{Access, Members, Operation, Verb};
use super::query::{Clause, Literal, ODataQuery};
use super::{collection, created, entity, no_content, not_found_error, object_id, Extent};
use super::{json_body, DIRECTORY_OBJECT};
use crate::directory_roles::store::AssignmentFilter;
use crate::directory_roles::{RoleAssignment, RoleTemplate, TEMPLATES};
use crate::principals::iso_timestamp;
use crate::state::AppState;

const DIRECTORY_ROLE: &str = "microsoft.graph.directoryRole";
const ROLE_DEFINITION: &str = "microsoft.graph.unifiedRoleDefinition";
const ROLE_ASSIGNMENT: &str = "microsoft.graph.unifiedRoleAssignment";
const ASSIGNMENTS: &str = "roleManagement/directory/roleAssignments";

/// Reading roles and assignments (least privileged first).
const READ: Access = Access::Read(&[
    "RoleManagement.Read.Directory",
    "Directory.Read.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.ReadWrite.All",
]);

/// Assigning and removing roles.
const WRITE: Access = Access::Write {
    application: &["RoleManagement.ReadWrite.Directory"],
    roles: &["Privileged Role Administrator"],
    members: Members::Denied,
    owners: None,
};

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "List directoryRoles",
        verb: Verb::Get,
        path: "/directoryRoles",
        access: READ,
        handler: |route| route.to(list_directory_roles),
        summary: "the activated roles: those someone holds",
    },
    Operation {
        name: "Get directoryRole",
        verb: Verb::Get,
        path: "/directoryRoles/{id}",
        access: READ,
        handler: |route| route.to(get_directory_role),
        summary: "by object id; `$select`",
    },
    Operation {
        name: "List members of a directory role",
        verb: Verb::Get,
        path: "/directoryRoles/{id}/members",
        access: READ,
        handler: |route| route.to(list_directory_role_members),
        summary: "users and service principals, with `@odata.type`",
    },
    Operation {
        name: "List unifiedRoleDefinitions",
        verb: Verb::Get,
        path: "/roleManagement/directory/roleDefinitions",
        access: READ,
        handler: |route| route.to(list_role_definitions),
        summary: "the built-in roles mimic knows (id = template id)",
    },
    Operation {
        name: "Get unifiedRoleDefinition",
        verb: Verb::Get,
        path: "/roleManagement/directory/roleDefinitions/{id}",
        access: READ,
        handler: |route| route.to(get_role_definition),
        summary: "`$select`",
    },
    Operation {
        name: "List unifiedRoleAssignments",
        verb: Verb::Get,
        path: "/roleManagement/directory/roleAssignments",
        access: READ,
        handler: |route| route.to(list_role_assignments),
        summary: "`$filter` (`principalId eq`, `roleDefinitionId eq`), `$select`",
    },
    Operation {
        name: "Create unifiedRoleAssignment",
        verb: Verb::Post,
        path: "/roleManagement/directory/roleAssignments",
        access: WRITE,
        handler: |route| route.to(create_role_assignment),
        summary: "`{principalId, roleDefinitionId, directoryScopeId: \"/\"}` for a user or service principal; 201",
    },
    Operation {
        name: "Get unifiedRoleAssignment",
        verb: Verb::Get,
        path: "/roleManagement/directory/roleAssignments/{id}",
        access: READ,
        handler: |route| route.to(get_role_assignment),
        summary: "`$select`",
    },
    Operation {
        name: "Delete unifiedRoleAssignment",
        verb: Verb::Delete,
        path: "/roleManagement/directory/roleAssignments/{id}",
        access: WRITE,
        handler: |route| route.to(delete_role_assignment),
        summary: "204",
    },
];

/// `microsoft.graph.directoryRole`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRoleResource {
    pub id: String,
    pub deleted_date_time: Option<String>,
    pub description: String,
    pub display_name: String,
    pub role_template_id: String,
}

impl DirectoryRoleResource {
    fn new(template: &RoleTemplate, tenant_id: &str) -> Self {
        Self {
            id: template.directory_role_id(tenant_id),
            deleted_date_time: None,
            description: template.description.into(),
            display_name: template.display_name.into(),
            role_template_id: template.id.into(),
        }
    }
}

/// `microsoft.graph.unifiedRoleDefinition` (built-in roles; their permissions are not listed).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionResource {
    pub id: String,
    pub description: String,
    pub display_name: String,
    pub is_built_in: bool,
    pub is_enabled: bool,
    pub resource_scopes: Vec<String>,
    pub role_permissions: Vec<serde_json::Value>,
    pub template_id: String,
    pub version: Option<String>,
}

impl From<&RoleTemplate> for RoleDefinitionResource {
    fn from(template: &RoleTemplate) -> Self {
        Self {
            id: template.id.into(),
            description: template.description.into(),
            display_name: template.display_name.into(),
            is_built_in: true,
            is_enabled: true,
            resource_scopes: vec!["/".into()],
            role_permissions: Vec::new(),
            template_id: template.id.into(),
            version: Some("1".into()),
        }
    }
}

/// `microsoft.graph.unifiedRoleAssignment`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentResource {
    pub id: String,
    pub principal_id: String,
    pub role_definition_id: String,
    pub directory_scope_id: String,
    pub app_scope_id: Option<String>,
    pub condition: Option<String>,
}

impl From<RoleAssignment> for RoleAssignmentResource {
    fn from(assignment: RoleAssignment) -> Self {
        Self {
            id: assignment.id,
            principal_id: assignment.principal_id,
            role_definition_id: assignment.role_template_id,
            directory_scope_id: assignment.directory_scope_id,
            app_scope_id: None,
            condition: None,
        }
    }
}

/// The body of `POST …/roleAssignments`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRoleAssignment {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub principal_id: Option<String>,
    pub role_definition_id: Option<String>,
    #[serde(default)]
    pub directory_scope_id: Option<String>,
}

/// `GET /v1.0/directoryRoles`.
pub async fn list_directory_roles(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let held = state.roles.assignments(&AssignmentFilter::All).await?;
    let roles: Vec<DirectoryRoleResource> = TEMPLATES
        .iter()
        .filter(|template| {
            held.iter()
                .any(|a| a.role_template_id.eq_ignore_ascii_case(template.id))
        })
        .map(|template| DirectoryRoleResource::new(template, &state.tenant.id))
        .collect();
    collection(
        &caller,
        "directoryRoles",
        &query,
        roles,
        Extent::default(),
        DIRECTORY_ROLE,
    )
}

/// `GET /v1.0/directoryRoles/{id}`.
pub async fn get_directory_role(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let template = activated_role(&state, &key).await?;
    let role = DirectoryRoleResource::new(template, &state.tenant.id);
    entity(&caller, "directoryRoles", &query, &role, DIRECTORY_ROLE)
}

/// `GET /v1.0/directoryRoles/{id}/members`.
pub async fn list_directory_role_members(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let template = activated_role(&state, &key).await?;
    let assignments = state
        .roles
        .assignments(&AssignmentFilter::Role(template.id.into()))
        .await?;
    let directory = Directory::new(&state);
    let mut members = Vec::new();
    for assignment in assignments {
        members.extend(directory.object(&assignment.principal_id).await?);
    }
    collection(
        &caller,
        "directoryObjects",
        &query,
        members,
        Extent::default(),
        DIRECTORY_OBJECT,
    )
}

/// `GET /v1.0/roleManagement/directory/roleDefinitions`.
pub async fn list_role_definitions(
    caller: GraphCaller,
    query: ODataQuery,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let definitions: Vec<RoleDefinitionResource> =
        TEMPLATES.iter().map(RoleDefinitionResource::from).collect();
    collection(
        &caller,
        "roleManagement/directory/roleDefinitions",
        &query,
        definitions,
        Extent::default(),
        ROLE_DEFINITION,
    )
}

/// `GET /v1.0/roleManagement/directory/roleDefinitions/{id}`.
pub async fn get_role_definition(
    caller: GraphCaller,
    query: ODataQuery,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let template = RoleTemplate::by_id(&key).ok_or_else(|| not_found_error(&key))?;
    entity(
        &caller,
        "roleManagement/directory/roleDefinitions",
        &query,
        &RoleDefinitionResource::from(template),
        ROLE_DEFINITION,
    )
}

/// `GET /v1.0/roleManagement/directory/roleAssignments[?$filter=principalId eq '…']`.
pub async fn list_role_assignments(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    let filter = match &query.filter {
        None => AssignmentFilter::All,
        Some(filter) => assignment_filter(filter.single()?)?,
    };
    let assignments: Vec<RoleAssignmentResource> = state
        .roles
        .assignments(&filter)
        .await?
        .into_iter()
        .map(RoleAssignmentResource::from)
        .collect();
    collection(
        &caller,
        ASSIGNMENTS,
        &query,
        assignments,
        Extent::default(),
        ROLE_ASSIGNMENT,
    )
}

/// `POST /v1.0/roleManagement/directory/roleAssignments`.
pub async fn create_role_assignment(
    caller: GraphCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let request: NewRoleAssignment = json_body(&body)?;
    if let Some(kind) = &request.odata_type {
        if !kind
            .trim_start_matches('#')
            .eq_ignore_ascii_case(ROLE_ASSIGNMENT)
        {
            return Err(invalid("@odata.type"));
        }
    }
    let principal_id = request
        .principal_id
        .as_deref()
        .ok_or_else(|| required("principalId"))?;
    let principal_id = object_id(principal_id).map_err(|_| invalid("principalId"))?;
    let role = request
        .role_definition_id
        .as_deref()
        .ok_or_else(|| required("roleDefinitionId"))?;
    let template = RoleTemplate::by_id(role).ok_or_else(|| invalid("roleDefinitionId"))?;
    if request.directory_scope_id.as_deref().unwrap_or("/") != "/" {
        return Err(invalid("directoryScopeId"));
    }
    let holder = Directory::new(&state).reference(&principal_id).await?;
    let holder = holder
        .filter(|reference| {
            matches!(
                reference.kind,
                crate::groups::model::ObjectKind::User
                    | crate::groups::model::ObjectKind::ServicePrincipal
            )
        })
        .ok_or_else(|| not_found_error(&principal_id))?;
    let assignment = RoleAssignment::new(template, &holder.id, iso_timestamp(state.clock.now()));
    if !state.roles.assign(&assignment).await? {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::ConflictingObject,
        ));
    }
    tracing::info!(principal = %holder.id, role = template.display_name, "directory role assigned");
    created(
        &caller,
        ASSIGNMENTS,
        &RoleAssignmentResource::from(assignment),
    )
}

/// `GET /v1.0/roleManagement/directory/roleAssignments/{id}`.
pub async fn get_role_assignment(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let assignment = state
        .roles
        .get(&key)
        .await?
        .ok_or_else(|| not_found_error(&key))?;
    entity(
        &caller,
        ASSIGNMENTS,
        &query,
        &RoleAssignmentResource::from(assignment),
        ROLE_ASSIGNMENT,
    )
}

/// `DELETE /v1.0/roleManagement/directory/roleAssignments/{id}`.
pub async fn delete_role_assignment(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    if !state.roles.delete(&key).await? {
        return Err(not_found_error(&key));
    }
    tracing::info!(assignment = %key.as_str(), "directory role assignment deleted");
    Ok(no_content())
}

/// A role that someone holds, by its `directoryRole` id (or its template id).
async fn activated_role(state: &AppState, key: &str) -> Result<&'static RoleTemplate, GraphError> {
    let id = object_id(key)?;
    let template = TEMPLATES
        .iter()
        .find(|t| t.directory_role_id(&state.tenant.id) == id || t.id == id)
        .ok_or_else(|| not_found_error(key))?;
    let held = state
        .roles
        .assignments(&AssignmentFilter::Role(template.id.into()))
        .await?;
    match held.is_empty() {
        true => Err(not_found_error(key)),
        false => Ok(template),
    }
}

fn assignment_filter(clause: &Clause) -> Result<AssignmentFilter, GraphError> {
    match clause {
        Clause::Eq {
            property,
            value: Literal::Text(value),
        } if property.eq_ignore_ascii_case("principalId") => {
            Ok(AssignmentFilter::Principal(value.to_ascii_lowercase()))
        }
        Clause::Eq {
            property,
            value: Literal::Text(value),
        } if property.eq_ignore_ascii_case("roleDefinitionId") => {
            Ok(AssignmentFilter::Role(value.to_ascii_lowercase()))
        }
        other => Err(GraphError::RequestUnsupportedQuery(format!(
            "Unsupported or invalid query filter clause specified for property '{}' of resource 'UnifiedRoleAssignment'.",
            other.property()
        ))),
    }
}

fn invalid(property: &str) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::InvalidPropertyValue {
        property: property.to_string(),
        resource: "unifiedRoleAssignment",
    })
}

fn required(property: &'static str) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::RequiredProperty {
        property,
        resource: "unifiedRoleAssignment",
    })
}
