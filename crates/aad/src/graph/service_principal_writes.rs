//! Writes to `servicePrincipals`: create one for an application of the tenant, update its
//! writable properties, delete it (into `directory/deletedItems`), add and remove its secrets.

use actix_web::{web, HttpResponse};
use serde_json::Value;

use super::applications::{created, object_body, password_added};
use super::auth::GraphCaller;
use super::credential_writes::{
    new_password, parse_body, AddPasswordRequest, RemovePasswordRequest,
};
use super::directory::Directory;
use super::error::{BadRequest, GraphError, RequestBadRequest, SameKeyValue};
use super::{not_found_error, object_id};
use crate::error::AadError;
use crate::principals::iso_timestamp;
use crate::principals::model::{
    PrincipalDraft, PrincipalType, ServicePrincipal, ServicePrincipalProperties,
};
use crate::state::AppState;

const SERVICE_PRINCIPAL: &str = "microsoft.graph.servicePrincipal";
const RESOURCE: &str = "ServicePrincipal";

/// `POST /v1.0/servicePrincipals` with `{"appId": …}`: the application's service principal.
pub async fn create_service_principal(
    caller: GraphCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let mut body = object_body(&body)?;
    let app_id = match body.remove("appId") {
        Some(Value::String(app_id)) if !app_id.is_empty() => app_id,
        _ => return Err(invalid("appId")),
    };
    let mut properties = ServicePrincipalProperties::default();
    apply(&mut properties, None, body)?;
    let application = state
        .applications
        .by_app_id(&app_id)
        .await?
        .ok_or_else(|| {
            GraphError::RequestBadRequest(RequestBadRequest::NoBackingApplication(app_id.clone()))
        })?;
    let already = || {
        GraphError::RequestMultipleObjectsWithSameKeyValue(SameKeyValue::ServicePrincipalName(
            application.app_id.clone(),
        ))
    };
    if state.store.by_app_id(&application.app_id).await?.is_some() {
        return Err(already());
    }
    let draft = PrincipalDraft {
        principal: ServicePrincipal {
            id: uuid::Uuid::new_v4().to_string(),
            app_id: application.app_id.clone(),
            display_name: application.display_name.clone(),
            principal_type: PrincipalType::Application,
            managed_identity_resource_id: None,
            alternative_names: Vec::new(),
            created_date_time: iso_timestamp(state.clock.now()),
            properties,
        },
        passwords: Vec::new(),
        certificates: Vec::new(),
    };
    // Two concurrent creates: the store's own check answers the second one.
    let principal = match state.store.create(&draft).await {
        Err(AadError::ServicePrincipalConflict { .. }) => return Err(already()),
        other => other?,
    };
    state
        .reality
        .principal_created(&principal.id, state.clock.now());
    tracing::info!(id = %principal.id, app_id = %principal.app_id, "service principal created through Graph");
    let resource = Directory::new(&state)
        .service_principal(&principal.id)
        .await?
        .ok_or_else(|| not_found_error(&principal.id))?;
    created(&caller, "servicePrincipals", &resource)
}

/// `PATCH /v1.0/servicePrincipals/{id}`.
pub async fn update_service_principal(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let mut principal = writable(&state, &key).await?;
    let body = object_body(&body)?;
    let mut display_name = principal.display_name.clone();
    apply(&mut principal.properties, Some(&mut display_name), body)?;
    principal.display_name = display_name;
    state
        .store
        .update(&principal)
        .await?
        .ok_or_else(|| not_found_error(&key))?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /v1.0/servicePrincipals/{id}`: into `directory/deletedItems` (not a managed
/// identity's).
pub async fn delete_service_principal(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let principal = writable(&state, &key).await?;
    let now = iso_timestamp(state.clock.now());
    state
        .deleted()
        .delete_service_principal(&principal.id, &now)
        .await?
        .ok_or_else(|| not_found_error(&key))?;
    tracing::info!(id = %principal.id, "service principal deleted through Graph");
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /v1.0/servicePrincipals/{id}/addPassword`.
pub async fn add_password(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let principal = writable(&state, &key).await?;
    let request: AddPasswordRequest = parse_body(&body)?;
    let (new, secret) = new_password(&request.password_credential, state.clock.now(), RESOURCE)?;
    state
        .store
        .add_password(&principal.id, &new)
        .await?
        .ok_or_else(|| not_found_error(&key))?;
    tracing::info!(id = %principal.id, key_id = %new.metadata.key_id, "service principal secret added");
    password_added(&caller, new.metadata, secret)
}

/// `POST /v1.0/servicePrincipals/{id}/removePassword`.
pub async fn remove_password(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let principal = writable(&state, &key).await?;
    let request: RemovePasswordRequest = parse_body(&body)?;
    if !state
        .store
        .remove_password(&principal.id, &request.key_id)
        .await?
    {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::CredentialNotFound(request.key_id),
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The principal `key` names, if Graph may change it (not a managed identity's).
pub async fn writable(state: &AppState, key: &str) -> Result<ServicePrincipal, GraphError> {
    let principal = state
        .store
        .get(&object_id(key)?)
        .await?
        .ok_or_else(|| not_found_error(key))?;
    if principal.is_managed_identity() {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::ManagedIdentityReadOnly,
        ));
    }
    Ok(principal)
}

/// Applies a body to the writable properties (and the display name, on update); any invalid
/// part refuses the whole body. `appId` and `keyCredentials` cannot be changed this way.
fn apply(
    properties: &mut ServicePrincipalProperties,
    display_name: Option<&mut String>,
    body: serde_json::Map<String, Value>,
) -> Result<(), GraphError> {
    let mut current = serde_json::to_value(&*properties).map_err(anyhow::Error::from)?;
    let mut new_name = None;
    for (name, value) in body {
        match name.as_str() {
            "displayName" if display_name.is_some() => {
                new_name = Some(
                    value
                        .as_str()
                        .filter(|n| !n.trim().is_empty())
                        .ok_or_else(|| invalid("displayName"))?
                        .to_string(),
                );
            }
            name if name.starts_with('@') => {}
            _ if current.get(&name).is_some() => current[&name] = value,
            "appId"
            | "keyCredentials"
            | "passwordCredentials"
            | "servicePrincipalNames"
            | "servicePrincipalType"
            | "appRoles"
            | "oauth2PermissionScopes" => return Err(invalid(&name)),
            _ => {
                return Err(GraphError::BadRequest(BadRequest::UnknownBodyProperty {
                    property: name,
                    type_name: SERVICE_PRINCIPAL,
                }))
            }
        }
    }
    *properties = serde_json::from_value(current)
        .map_err(|_| GraphError::BadRequest(BadRequest::UnreadablePayload))?;
    if let (Some(target), Some(name)) = (display_name, new_name) {
        *target = name;
    }
    Ok(())
}

fn invalid(property: &str) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::InvalidPropertyValue {
        property: property.to_string(),
        resource: RESOURCE,
    })
}
