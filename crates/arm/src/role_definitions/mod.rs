//! Role definitions: `RoleDefinitions_List` and `RoleDefinitions_Get` at any scope over the
//! 928 built-in roles and the tenant's custom roles, and `RoleDefinitions_CreateOrUpdate` /
//! `_Delete` for custom roles. Inside a subscription the id is always
//! `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}` (the exact
//! string role assignments carry); at the tenant root it is
//! `/providers/Microsoft.Authorization/roleDefinitions/{guid}`.

pub mod model;
pub mod store;

use actix_web::{web, HttpResponse};

use crate::extract::{ApiVersion, Caller};
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::{AppState, ArmError};
use model::{RoleDefinition, RoleDefinitionBody, RoleDefinitionCreateParameters, RoleType};

const READ: &str = "Microsoft.Authorization/roleDefinitions/read";
const WRITE: &str = "Microsoft.Authorization/roleDefinitions/write";
const DELETE: &str = "Microsoft.Authorization/roleDefinitions/delete";

/// `Microsoft.Authorization/roleDefinitions`.
pub const ROLE_DEFINITIONS: ResourceType = ResourceType {
    namespace: "Microsoft.Authorization",
    name: "roleDefinitions",
    display_name: "Role Definition",
    regional: false,
    versions: &[
        "2022-05-01-preview",
        "2022-04-01",
        "2018-07-01",
        "2018-01-01-preview",
        "2017-09-01",
        "2017-05-01",
        "2016-07-01",
        "2015-07-01",
    ],
};

const ITEM: &str =
    "/{scope:.+}/providers/microsoft.authorization/roledefinitions/{role_definition_id}";
const ANYONE: &str = "built-in roles are readable by any caller at the tenant root";

/// The role-definition operations (the tenant-root forms first: `{scope:.+}` would take them).
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "RoleDefinitions_List",
        verb: Verb::Get,
        path: "/providers/microsoft.authorization/roledefinitions",
        resource_type: &ROLE_DEFINITIONS,
        versions: &[],
        authorization: Authorization::AnyCaller(ANYONE),
        handler: |route| route.to(list_at_root),
        summary: "List role definitions at the tenant root",
    },
    Operation {
        id: "RoleDefinitions_GetById",
        verb: Verb::Get,
        path: "/providers/microsoft.authorization/roledefinitions/{role_definition_id}",
        resource_type: &ROLE_DEFINITIONS,
        versions: &[],
        authorization: Authorization::AnyCaller(ANYONE),
        handler: |route| route.to(get_at_root),
        summary: "Get a role definition by its tenant-root id",
    },
    Operation {
        id: "RoleDefinitions_List",
        verb: Verb::Get,
        path: "/{scope:.+}/providers/microsoft.authorization/roledefinitions",
        resource_type: &ROLE_DEFINITIONS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list),
        summary: "List role definitions",
    },
    Operation {
        id: "RoleDefinitions_Get",
        verb: Verb::Get,
        path: ITEM,
        resource_type: &ROLE_DEFINITIONS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(4)),
        handler: |route| route.to(get),
        summary: "Get a role definition",
    },
    Operation {
        id: "RoleDefinitions_CreateOrUpdate",
        verb: Verb::Put,
        path: ITEM,
        resource_type: &ROLE_DEFINITIONS,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Parent(4)),
        handler: |route| route.to(create_or_update),
        summary: "Create or update a custom role definition",
    },
    Operation {
        id: "RoleDefinitions_Delete",
        verb: Verb::Delete,
        path: ITEM,
        resource_type: &ROLE_DEFINITIONS,
        versions: &[],
        authorization: Authorization::Action(DELETE, ScopeRule::Parent(4)),
        handler: |route| route.to(delete),
        summary: "Delete a custom role definition",
    },
];

/// `{scope}/…/roleDefinitions/{guid}`.
type DefinitionPath = web::Path<(String, String)>;

/// The role definition with this GUID, built-in (by map) or custom (from SQLite).
pub async fn lookup(state: &AppState, guid: &str) -> Result<Option<RoleDefinition>, ArmError> {
    if let Some(built_in) = model::find(guid) {
        return Ok(Some(built_in.clone()));
    }
    Ok(store::find(&state.db, guid).await?)
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions[?$filter=…]`: the built-ins
/// and the custom roles assignable at the scope.
pub async fn list(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: web::Path<String>,
    query: web::Query<crate::extract::FilterQuery>,
) -> Result<HttpResponse, ArmError> {
    let scope = crate::scope::parse_captured(&path)?;
    let filter = DefinitionFilter::parse(query.filter.as_deref())?;
    let scope = crate::scope::resolve(&state, &scope).await?;
    let scope_key = scope.key();
    let custom = store::list(&state.db).await?;
    let custom = custom.iter().filter(|role| role.assignable_at(&scope_key));
    render_list(
        model::built_in_roles().iter().chain(custom),
        &filter,
        scope.subscription_id(),
        &version.0,
    )
}

/// `GET /providers/Microsoft.Authorization/roleDefinitions[?$filter=…]` (readable by anyone;
/// built-ins only, as no custom role is assignable at the root).
pub async fn list_at_root(
    _caller: Caller,
    version: ApiVersion,
    query: web::Query<crate::extract::FilterQuery>,
) -> Result<HttpResponse, ArmError> {
    let filter = DefinitionFilter::parse(query.filter.as_deref())?;
    render_list(model::built_in_roles().iter(), &filter, None, &version.0)
}

fn render_list<'a>(
    roles: impl Iterator<Item = &'a RoleDefinition>,
    filter: &DefinitionFilter,
    subscription_id: Option<&str>,
    api_version: &str,
) -> Result<HttpResponse, ArmError> {
    let value: Vec<RoleDefinitionBody> = roles
        .filter(|definition| filter.keeps(definition))
        .map(|definition| RoleDefinitionBody::new(definition, subscription_id, api_version))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "value": value })))
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
pub async fn get(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: DefinitionPath,
) -> Result<HttpResponse, ArmError> {
    let (scope, guid) = path.into_inner();
    let scope = crate::scope::parse_captured(&scope)?;
    let scope = crate::scope::resolve(&state, &scope).await?;
    let definition = lookup(&state, &guid)
        .await?
        .ok_or_else(|| not_found(&guid))?;
    Ok(HttpResponse::Ok().json(RoleDefinitionBody::new(
        &definition,
        scope.subscription_id(),
        &version.0,
    )))
}

/// `GET /providers/Microsoft.Authorization/roleDefinitions/{guid}` (readable by anyone).
pub async fn get_at_root(
    state: web::Data<AppState>,
    _caller: Caller,
    version: ApiVersion,
    path: web::Path<String>,
) -> Result<HttpResponse, ArmError> {
    let definition = lookup(&state, &path)
        .await?
        .ok_or_else(|| not_found(&path))?;
    Ok(HttpResponse::Ok().json(RoleDefinitionBody::new(&definition, None, &version.0)))
}

/// `PUT {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`: 201 for a new custom
/// role and for an update (as ARM). Built-ins are immutable; `roleName` is unique in the tenant
/// (built-ins included); `assignableScopes` must lie at or under the scope.
pub async fn create_or_update(
    state: web::Data<AppState>,
    caller: Caller,
    version: ApiVersion,
    path: DefinitionPath,
    body: web::Json<RoleDefinitionCreateParameters>,
) -> Result<HttpResponse, ArmError> {
    let (scope, guid) = path.into_inner();
    let scope = crate::scope::parse_captured(&scope)?;
    let scope = crate::scope::resolve(&state, &scope).await?;
    let guid = parse_guid(&guid)?;
    let input = body.into_inner().properties;
    input.validate(&scope)?;
    let named = model::find_by_role_name(&input.role_name);
    if named.is_some() {
        return Err(ArmError::RoleDefinitionWithSameNameExists);
    }
    let now = mimic_azure::time::arm_timestamp(state.clock.now());
    let wanted = RoleDefinition {
        name: guid,
        role_name: input.role_name,
        role_type: RoleType::CustomRole,
        description: input.description.unwrap_or_default(),
        assignable_scopes: input.assignable_scopes,
        permissions: input.permissions,
        created_on: Some(now.clone()),
        updated_on: Some(now),
        created_by: Some(caller.oid.clone()),
        updated_by: Some(caller.oid.clone()),
    };
    // ARM answers 201 to an update as well: the spec lists only 201 for
    // `RoleDefinitions_CreateOrUpdate`, and azure-mgmt-authorization 5.0.0b2 (az) refuses a 200
    // ("Operation returned an invalid status 'OK'").
    let stored = match store::create_or_update(&state.db, &wanted).await? {
        store::Written::Created(stored) | store::Written::Updated(stored) => stored,
        store::Written::DuplicateName => return Err(ArmError::RoleDefinitionWithSameNameExists),
    };
    Ok(HttpResponse::Created().json(RoleDefinitionBody::new(
        &stored,
        scope.subscription_id(),
        &version.0,
    )))
}

/// `DELETE {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`: 200 with the
/// deleted custom role, 204 when there was none; refused while role assignments use it.
pub async fn delete(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: DefinitionPath,
) -> Result<HttpResponse, ArmError> {
    let (scope, guid) = path.into_inner();
    let scope = crate::scope::parse_captured(&scope)?;
    let scope = crate::scope::resolve(&state, &scope).await?;
    if model::find(&guid).is_some() {
        return Err(ArmError::BuiltInRoleCannotBeModified(guid.to_lowercase()));
    }
    match store::delete(&state.db, &guid).await? {
        store::Deleted::Deleted(deleted) => Ok(HttpResponse::Ok().json(RoleDefinitionBody::new(
            &deleted,
            scope.subscription_id(),
            &version.0,
        ))),
        store::Deleted::NotFound => Ok(HttpResponse::NoContent().finish()),
        store::Deleted::HasAssignments => Err(ArmError::RoleDefinitionHasAssignments),
    }
}

/// A role definition GUID from the path, lower-cased; a built-in's GUID is refused.
fn parse_guid(guid: &str) -> Result<String, ArmError> {
    if model::find(guid).is_some() {
        return Err(ArmError::BuiltInRoleCannotBeModified(guid.to_lowercase()));
    }
    uuid::Uuid::parse_str(guid)
        .ok()
        .filter(|_| guid.len() == 36)
        .map(|_| guid.to_lowercase())
        .ok_or_else(|| {
            ArmError::InvalidRequestContent(format!(
                "The role definition ID '{guid}' is not valid. The role definition ID must be a GUID."
            ))
        })
}

fn not_found(guid: &str) -> ArmError {
    ArmError::RoleDefinitionDoesNotExist {
        id: guid.to_string(),
        requested: true,
    }
}

/// `$filter` of `RoleDefinitions_List`: `roleName eq '…'` or `type eq 'BuiltInRole'|'CustomRole'`.
#[derive(Debug, PartialEq, Eq)]
enum DefinitionFilter {
    All,
    RoleName(String),
    Type(String),
}

impl DefinitionFilter {
    fn parse(filter: Option<&str>) -> Result<Self, ArmError> {
        let Some(raw) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
            return Ok(Self::All);
        };
        let unsupported = || ArmError::InvalidFilterInQueryString(raw.to_string());
        let (field, value) = raw.split_once(" eq ").ok_or_else(unsupported)?;
        let value = value
            .trim()
            .strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .ok_or_else(unsupported)?
            .to_string();
        match field.trim().to_ascii_lowercase().as_str() {
            "rolename" => Ok(Self::RoleName(value)),
            "type" => Ok(Self::Type(value)),
            _ => Err(unsupported()),
        }
    }

    fn keeps(&self, definition: &RoleDefinition) -> bool {
        match self {
            Self::All => true,
            Self::RoleName(name) => definition.role_name.eq_ignore_ascii_case(name),
            Self::Type(kind) => match definition.role_type {
                RoleType::BuiltInRole => kind.eq_ignore_ascii_case("BuiltInRole"),
                RoleType::CustomRole => kind.eq_ignore_ascii_case("CustomRole"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_filter_selects_by_name_or_type() {
        let reader = model::find(model::READER).unwrap();
        let by_name = DefinitionFilter::parse(Some("roleName eq 'reader'")).unwrap();
        assert!(by_name.keeps(reader));
        assert!(!by_name.keeps(model::find(model::OWNER).unwrap()));
        assert!(DefinitionFilter::parse(Some("type eq 'BuiltInRole'"))
            .unwrap()
            .keeps(reader));
        assert!(!DefinitionFilter::parse(Some("type eq 'CustomRole'"))
            .unwrap()
            .keeps(reader));
        assert!(DefinitionFilter::parse(Some("foo")).is_err());
    }
}
