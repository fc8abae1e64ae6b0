//! Role definitions (built-in only): `RoleDefinitions_List` and `RoleDefinitions_Get` at any
//! scope. Inside a subscription the id is always
//! `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}` (the exact
//! string role assignments carry); at the tenant root it is
//! `/providers/Microsoft.Authorization/roleDefinitions/{guid}`.

pub mod model;

use actix_web::{web, HttpResponse};
use mimic_azure::Scope;
use serde::Deserialize;

use crate::extract::Caller;
use crate::{AppState, ArmError};
use model::{RoleDefinition, RoleDefinitionBody, BUILT_IN_ROLES};

const READ: &str = "Microsoft.Authorization/roleDefinitions/read";

/// Query of `RoleDefinitions_List`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(rename = "$filter")]
    filter: Option<String>,
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions[?$filter=…]`.
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let scope = crate::scope::parse_captured(&path)?;
    let scope = authorized_scope(&state, &caller, &scope).await?;
    list_in(scope.subscription_id(), query.filter.as_deref())
}

/// `GET /providers/Microsoft.Authorization/roleDefinitions[?$filter=…]` (readable by anyone).
pub async fn list_at_root(
    _caller: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    list_in(None, query.filter.as_deref())
}

/// `GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ArmError> {
    let (scope, guid) = path.into_inner();
    let scope = crate::scope::parse_captured(&scope)?;
    let scope = authorized_scope(&state, &caller, &scope).await?;
    let definition = find(&guid)?;
    Ok(HttpResponse::Ok().json(RoleDefinitionBody::new(definition, scope.subscription_id())))
}

/// `GET /providers/Microsoft.Authorization/roleDefinitions/{guid}` (readable by anyone).
pub async fn get_at_root(
    _caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ArmError> {
    let definition = find(&path)?;
    Ok(HttpResponse::Ok().json(RoleDefinitionBody::new(definition, None)))
}

fn find(guid: &str) -> Result<&'static RoleDefinition, ArmError> {
    model::find(guid).ok_or_else(|| ArmError::RoleDefinitionDoesNotExist {
        id: guid.to_string(),
        requested: true,
    })
}

/// Authorizes the read at `scope`, then checks the scope exists; returns it canonical.
async fn authorized_scope(
    state: &AppState,
    caller: &Caller,
    scope: &Scope,
) -> Result<Scope, ArmError> {
    crate::rbac::authorize(state, caller, READ, &scope.to_string()).await?;
    crate::scope::resolve(state, scope).await
}

fn list_in(subscription_id: Option<&str>, filter: Option<&str>) -> Result<HttpResponse, ArmError> {
    let filter = DefinitionFilter::parse(filter)?;
    let value: Vec<RoleDefinitionBody> = BUILT_IN_ROLES
        .iter()
        .filter(|definition| filter.keeps(definition))
        .map(|definition| RoleDefinitionBody::new(definition, subscription_id))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "value": value })))
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
            Self::Type(kind) => kind.eq_ignore_ascii_case("BuiltInRole"),
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
