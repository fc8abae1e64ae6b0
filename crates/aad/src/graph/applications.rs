//! `applications`: app registrations — create, list (`$filter` on `appId`, `displayName`,
//! `identifierUris`), get/update/delete by object id or `(appId='…')`, secrets (`addPassword`,
//! `removePassword`), certificates (`keyCredentials` in a `PATCH`, `addKey`/`removeKey`), owners.
//! Deleting moves the application and its service principal to `directory/deletedItems`
//! ([`crate::deleted_objects`]).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde_json::{Map, Value};

use super::application_resource::NewPasswordCredential;
use super::auth::GraphCaller;
use super::credential_writes::{
    key_change, new_password, parse_body, AddPasswordRequest, KeyChange, RemovePasswordRequest,
};
use super::directory::Directory;
use super::error::{BadRequest, GraphError, RequestBadRequest};
use super::operations::{Access, Members, Operation, Owned, Verb};
use super::query::ODataQuery;
use super::{collection, entity, not_found_error, object_id, DIRECTORY_OBJECT};
use crate::applications::model::{Application, ApplicationProperties};
use crate::applications::store::ApplicationFilter;
use crate::principals::iso_timestamp;
use crate::state::AppState;

const APPLICATION: &str = "microsoft.graph.application";
const RESOURCE: &str = "Application";

/// Reading applications (least privileged first).
const READ: Access = Access::Read(&[
    "Application.Read.All",
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
    "Directory.Read.All",
]);

/// Changing an existing application (its owners may too).
const WRITE: Access = Access::Write {
    application: &["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"],
    roles: &[
        "Application Administrator",
        "Cloud Application Administrator",
    ],
    members: Members::Denied,
    owners: Some(Owned::Application),
};

/// `addKey`/`removeKey`: as a write, and the application itself may roll its own keys ("An
/// application does not need any specific permission to roll its own keys").
const ROLL_KEYS: Access = Access::Write {
    application: &[
        "Application.ReadWrite.OwnedBy",
        "Application.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    roles: &[
        "Application Administrator",
        "Cloud Application Administrator",
    ],
    members: Members::Denied,
    owners: Some(Owned::ApplicationOrItself),
};

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "Create application",
        verb: Verb::Post,
        path: "/applications",
        access: Access::Write {
            application: &["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"],
            roles: &[
                "Application Developer",
                "Application Administrator",
                "Cloud Application Administrator",
            ],
            members: Members::CreateApps,
            owners: None,
        },
        handler: |route| route.to(create_application),
        summary: "201; `identifierUris` unique in the tenant; `keyCredentials` (certificates); a user caller becomes an owner",
    },
    Operation {
        name: "List applications",
        verb: Verb::Get,
        path: "/applications",
        access: READ,
        handler: |route| route.to(list_applications),
        summary: "`$filter` (one clause: `appId`/`id`/`displayName eq`, `startswith(displayName,…)`, `identifierUris/any(x:x eq …)`), `$top`, `$skiptoken`, `$select`",
    },
    Operation {
        name: "Get application by appId",
        verb: Verb::Get,
        path: "/applications(appId='{app_id}')",
        access: READ,
        handler: |route| route.to(get_application_by_app_id),
        summary: "`$select`",
    },
    Operation {
        name: "Update application by appId",
        verb: Verb::Patch,
        path: "/applications(appId='{app_id}')",
        access: WRITE,
        handler: |route| route.to(update_application_by_app_id),
        summary: "as `PATCH /applications/{id}`",
    },
    Operation {
        name: "Delete application by appId",
        verb: Verb::Delete,
        path: "/applications(appId='{app_id}')",
        access: WRITE,
        handler: |route| route.to(delete_application_by_app_id),
        summary: "as `DELETE /applications/{id}`",
    },
    Operation {
        name: "Get application",
        verb: Verb::Get,
        path: "/applications/{id}",
        access: READ,
        handler: |route| route.to(get_application),
        summary: "`$select`",
    },
    Operation {
        name: "Update application",
        verb: Verb::Patch,
        path: "/applications/{id}",
        access: WRITE,
        handler: |route| route.to(update_application),
        summary: "204; complex properties merge, collections replace; `keyCredentials` is the whole set (entries without `key` keep that `keyId`)",
    },
    Operation {
        name: "Delete application",
        verb: Verb::Delete,
        path: "/applications/{id}",
        access: WRITE,
        handler: |route| route.to(delete_application),
        summary: "204; into `directory/deletedItems` with its service principal (credentials stop signing in)",
    },
    Operation {
        name: "application: addPassword",
        verb: Verb::Post,
        path: "/applications/{id}/addPassword",
        access: WRITE,
        handler: |route| route.to(add_password),
        summary: "the generated `secretText` once; stored hashed",
    },
    Operation {
        name: "application: removePassword",
        verb: Verb::Post,
        path: "/applications/{id}/removePassword",
        access: WRITE,
        handler: |route| route.to(remove_password),
        summary: "`{\"keyId\":…}`; 204",
    },
    Operation {
        name: "application: addKey",
        verb: Verb::Post,
        path: "/applications/{id}/addKey",
        access: ROLL_KEYS,
        handler: |route| route.to(super::key_rollover::add_application_key),
        summary: "`keyCredential` (`AsymmetricX509Cert`, `Verify`) and a `proof` signed by a valid certificate of the application; 200 with the `keyCredential`",
    },
    Operation {
        name: "application: removeKey",
        verb: Verb::Post,
        path: "/applications/{id}/removeKey",
        access: ROLL_KEYS,
        handler: |route| route.to(super::key_rollover::remove_application_key),
        summary: "`keyId` and a `proof`; 204",
    },
    Operation {
        name: "List owners of an application",
        verb: Verb::Get,
        path: "/applications/{id}/owners",
        access: READ,
        handler: |route| route.to(list_owners),
        summary: "directory objects with `@odata.type`",
    },
    Operation {
        name: "Add owner to an application",
        verb: Verb::Post,
        path: "/applications/{id}/owners/$ref",
        access: WRITE,
        handler: |route| route.to(add_owner),
        summary: "`{\"@odata.id\":\"…/directoryObjects/{id}\"}` naming a user or service principal; 204",
    },
    Operation {
        name: "Remove owner from an application",
        verb: Verb::Delete,
        path: "/applications/{id}/owners/{owner_id}/$ref",
        access: WRITE,
        handler: |route| route.to(remove_owner),
        summary: "204",
    },
];

/// `POST /v1.0/applications`.
pub async fn create_application(
    caller: GraphCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let body = object_body(&body)?;
    let mut application = Application {
        id: uuid::Uuid::new_v4().to_string(),
        app_id: uuid::Uuid::new_v4().to_string(),
        display_name: String::new(),
        created_date_time: iso_timestamp(state.clock.now()),
        identifier_uris: Vec::new(),
        properties: ApplicationProperties::default(),
    };
    let keys = apply(&mut application, body, &[])?.unwrap_or_default();
    if application.display_name.trim().is_empty() {
        return Err(invalid("displayName"));
    }
    // A user who registers an application owns it (Entra's default for delegated callers), and
    // so does an app that may only manage what it owns (`Application.ReadWrite.OwnedBy`).
    let owned_by_only = !caller.claims.roles.iter().any(|role| {
        role.eq_ignore_ascii_case("Application.ReadWrite.All")
            || role.eq_ignore_ascii_case("Directory.ReadWrite.All")
    }) && caller
        .claims
        .roles
        .iter()
        .any(|role| role == super::permissions::OWNED_BY);
    let owns = caller.claims.idtyp.as_deref() == Some("user") || owned_by_only;
    let owners: Vec<String> = owns
        .then(|| caller.claims.oid.clone())
        .into_iter()
        .collect();
    state
        .applications
        .create(&application, &keys.added, &owners)
        .await?;
    tracing::info!(id = %application.id, app_id = %application.app_id, "application created");
    let resource = Directory::new(&state)
        .application_resource(application)
        .await?;
    created(&caller, "applications", &resource)
}

/// `GET /v1.0/applications[?$filter=…&$top=…&$skiptoken=…&$select=…]`.
pub async fn list_applications(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    let filter = match &query.filter {
        Some(filter) => filter.single()?.application_filter()?,
        None => ApplicationFilter::All,
    };
    let page = Directory::new(&state)
        .applications(&filter, query.after.as_deref(), query.page_size())
        .await?;
    let next_link = page.last_id.map(|last| {
        format!(
            "{}/applications?{}",
            caller.service_root,
            query.next_page(&last)
        )
    });
    collection(
        &caller,
        "applications",
        &query,
        page.items,
        super::Extent {
            next_link,
            count: None,
        },
        APPLICATION,
    )
}

/// `GET /v1.0/applications/{id}`.
pub async fn get_application(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let application = find(&state, Key::Id(&key)).await?;
    let resource = Directory::new(&state)
        .application_resource(application)
        .await?;
    entity(&caller, "applications", &query, &resource, APPLICATION)
}

/// `GET /v1.0/applications(appId='{appId}')`.
pub async fn get_application_by_app_id(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    app_id: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let application = find(&state, Key::AppId(&app_id)).await?;
    let resource = Directory::new(&state)
        .application_resource(application)
        .await?;
    entity(&caller, "applications", &query, &resource, APPLICATION)
}

/// `PATCH /v1.0/applications/{id}`.
pub async fn update_application(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    update(&state, Key::Id(&key), &body).await
}

/// `PATCH /v1.0/applications(appId='{appId}')`.
pub async fn update_application_by_app_id(
    _: GraphCaller,
    state: web::Data<AppState>,
    app_id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    update(&state, Key::AppId(&app_id), &body).await
}

/// `DELETE /v1.0/applications/{id}`.
pub async fn delete_application(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    delete(&state, Key::Id(&key)).await
}

/// `DELETE /v1.0/applications(appId='{appId}')`.
pub async fn delete_application_by_app_id(
    _: GraphCaller,
    state: web::Data<AppState>,
    app_id: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    delete(&state, Key::AppId(&app_id)).await
}

/// `POST /v1.0/applications/{id}/addPassword`.
pub async fn add_password(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let application = find(&state, Key::Id(&key)).await?;
    let request: AddPasswordRequest = parse_body(&body)?;
    let (new, secret) = new_password(&request.password_credential, state.clock.now(), RESOURCE)?;
    state
        .applications
        .add_password(&application.id, &new)
        .await?
        .ok_or_else(|| not_found_error(&key))?;
    tracing::info!(id = %application.id, key_id = %new.metadata.key_id, "application secret added");
    password_added(&caller, new.metadata, secret)
}

/// `POST /v1.0/applications/{id}/removePassword`.
pub async fn remove_password(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let application = find(&state, Key::Id(&key)).await?;
    let request: RemovePasswordRequest = parse_body(&body)?;
    if !state
        .applications
        .remove_password(&application.id, &request.key_id)
        .await?
    {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::CredentialNotFound(request.key_id),
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /v1.0/applications/{id}/owners`.
pub async fn list_owners(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let application = find(&state, Key::Id(&key)).await?;
    let owners = state.applications.owners(&application.id).await?;
    let directory = Directory::new(&state);
    let mut objects = Vec::new();
    for owner in owners {
        objects.extend(directory.object(&owner).await?);
    }
    collection(
        &caller,
        "directoryObjects",
        &query,
        objects,
        super::Extent::default(),
        DIRECTORY_OBJECT,
    )
}

/// `POST /v1.0/applications/{id}/owners/$ref` with `{"@odata.id": "…/directoryObjects/{id}"}`.
pub async fn add_owner(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let application = find(&state, Key::Id(&key)).await?;
    let owner = reference_id(&body)?;
    if Directory::new(&state).object(&owner).await?.is_none() {
        return Err(not_found_error(&owner));
    }
    if !state
        .applications
        .add_owner(&application.id, &owner)
        .await?
    {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::ReferencesExist("owners"),
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /v1.0/applications/{id}/owners/{ownerId}/$ref`.
pub async fn remove_owner(
    _: GraphCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    let (key, owner) = path.into_inner();
    let application = find(&state, Key::Id(&key)).await?;
    let owner_id = object_id(&owner)?;
    if !state
        .applications
        .remove_owner(&application.id, &owner_id)
        .await?
    {
        return Err(not_found_error(&owner));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// How a URL names an application.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Id(&'a str),
    AppId(&'a str),
}

/// The application a URL names, or Graph's 400 (not a GUID) / 404.
pub async fn find(state: &AppState, key: Key<'_>) -> Result<Application, GraphError> {
    let found = match key {
        Key::Id(id) => state.applications.get(&object_id(id)?).await?,
        Key::AppId(app_id) => state.applications.by_app_id(app_id).await?,
    };
    let (Key::Id(text) | Key::AppId(text)) = key;
    found.ok_or_else(|| not_found_error(text))
}

async fn update(state: &AppState, key: Key<'_>, body: &[u8]) -> Result<HttpResponse, GraphError> {
    let mut application = find(state, key).await?;
    let body = object_body(body)?;
    let existing: Vec<String> = state
        .applications
        .keys(&application.id)
        .await?
        .into_iter()
        .map(|k| k.key_id)
        .collect();
    let keys = apply(&mut application, body, &existing)?;
    if application.display_name.trim().is_empty() {
        return Err(invalid("displayName"));
    }
    let keys = keys
        .as_ref()
        .map(|change| (change.retained.as_slice(), change.added.as_slice()));
    let (Key::Id(text) | Key::AppId(text)) = key;
    state
        .applications
        .update(&application, keys)
        .await?
        .ok_or_else(|| not_found_error(text))?;
    tracing::info!(id = %application.id, "application updated");
    Ok(HttpResponse::NoContent().finish())
}

/// Moves the application, and its service principal, to `directory/deletedItems`.
async fn delete(state: &AppState, key: Key<'_>) -> Result<HttpResponse, GraphError> {
    let application = find(state, key).await?;
    let (Key::Id(text) | Key::AppId(text)) = key;
    let now = iso_timestamp(state.clock.now());
    let moved = state
        .deleted()
        .delete_application(&application.id, &now)
        .await?
        .ok_or_else(|| not_found_error(text))?;
    tracing::info!(id = %application.id, app_id = %application.app_id, ?moved, "application deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Applies a create or update body to `application`: `displayName`, `identifierUris`,
/// `keyCredentials` (returned as a change against `existing_keys`), and every writable property
/// (complex values merge into the current ones, collections and scalars replace them). Nothing is
/// stored here; any invalid part refuses the whole body.
fn apply(
    target: &mut Application,
    body: Map<String, Value>,
    existing_keys: &[String],
) -> Result<Option<KeyChange>, GraphError> {
    let mut application = target.clone();
    let mut properties =
        serde_json::to_value(&application.properties).map_err(anyhow::Error::from)?;
    let mut keys = None;
    for (name, value) in body {
        match name.as_str() {
            "displayName" => {
                application.display_name = value
                    .as_str()
                    .ok_or_else(|| invalid("displayName"))?
                    .to_string();
            }
            "identifierUris" => application.identifier_uris = identifier_uris(&value)?,
            "keyCredentials" => keys = Some(key_change(&value, existing_keys, RESOURCE)?),
            // Secrets are only added by addPassword; Graph ignores an empty list here.
            "passwordCredentials" if value.as_array().is_some_and(Vec::is_empty) => {}
            "passwordCredentials" => return Err(invalid("passwordCredentials")),
            name if name.starts_with('@') => {}
            _ if properties.get(&name).is_some() => merge(&mut properties[&name], value),
            _ => {
                return Err(GraphError::BadRequest(BadRequest::UnknownBodyProperty {
                    property: name,
                    type_name: APPLICATION,
                }))
            }
        }
    }
    let properties: ApplicationProperties = serde_json::from_value(properties)
        .map_err(|_| GraphError::BadRequest(BadRequest::UnreadablePayload))?;
    properties.check().map_err(invalid)?;
    application.properties = properties;
    *target = application;
    Ok(keys)
}

/// JSON merge of a `PATCH`: objects merge key by key, anything else replaces.
fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(&key) {
                    Some(existing) if existing.is_object() => merge(existing, value),
                    _ => {
                        target.insert(key, value);
                    }
                }
            }
        }
        (target, patch) => *target = patch,
    }
}

/// `identifierUris`: absolute URIs, each once.
fn identifier_uris(value: &Value) -> Result<Vec<String>, GraphError> {
    let uris: Vec<String> =
        serde_json::from_value(value.clone()).map_err(|_| invalid("identifierUris"))?;
    let mut seen = std::collections::HashSet::new();
    for uri in &uris {
        let absolute =
            url::Url::parse(uri).is_ok_and(|url| !url.cannot_be_a_base() || url.scheme() == "urn");
        if !absolute || !seen.insert(uri.to_ascii_lowercase()) {
            return Err(invalid("identifierUris"));
        }
    }
    Ok(uris)
}

/// The object id of a `$ref` body: `{"@odata.id": "https://…/directoryObjects/{id}"}`.
pub fn reference_id(body: &[u8]) -> Result<String, GraphError> {
    let body = object_body(body)?;
    odata_id_key(body.get("@odata.id").and_then(Value::as_str))
}

/// The directory object key at the end of an `@odata.id` URL. A missing `@odata.id`, or a bare
/// id where Graph wants a URL, is Graph's "Invalid URL format specified in payload."
pub fn odata_id_key(odata_id: Option<&str>) -> Result<String, GraphError> {
    let invalid = || GraphError::BadRequest(BadRequest::InvalidReference);
    let (_, last) = odata_id
        .ok_or_else(invalid)?
        .trim_end_matches('/')
        .rsplit_once('/')
        .ok_or_else(invalid)?;
    object_id(last)
}

/// A request body that must be a JSON object.
pub fn object_body(body: &[u8]) -> Result<Map<String, Value>, GraphError> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(GraphError::BadRequest(BadRequest::UnreadablePayload)),
    }
}

fn invalid(property: &str) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::InvalidPropertyValue {
        property: property.to_string(),
        resource: RESOURCE,
    })
}

/// 201 with the new entity and its `Location`.
pub fn created<T: serde::Serialize>(
    caller: &GraphCaller,
    set: &str,
    item: &T,
) -> Result<HttpResponse, GraphError> {
    let value = serde_json::to_value(item).map_err(anyhow::Error::from)?;
    let id = value["id"].as_str().unwrap_or_default().to_string();
    let body = super::model::Entity {
        context: format!("{}/$metadata#{set}/$entity", caller.service_root),
        inner: value,
    };
    with_status(StatusCode::CREATED, &body).map(|mut response| {
        if let Ok(location) =
            header::HeaderValue::from_str(&format!("{}/{set}/{id}", caller.service_root))
        {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    })
}

/// `addPassword`'s answer: the credential with its secret, the only time it is sent.
pub fn password_added(
    caller: &GraphCaller,
    metadata: crate::applications::model::PasswordMetadata,
    secret: String,
) -> Result<HttpResponse, GraphError> {
    let body = NewPasswordCredential {
        context: format!(
            "{}/$metadata#microsoft.graph.passwordCredential",
            caller.service_root
        ),
        custom_key_identifier: None,
        display_name: metadata.display_name,
        end_date_time: metadata.end_date_time,
        hint: metadata.hint,
        key_id: metadata.key_id,
        secret_text: secret,
        start_date_time: metadata.start_date_time,
    };
    with_status(StatusCode::OK, &body)
}

/// A JSON answer with Graph's OData content type.
pub fn with_status<T: serde::Serialize>(
    status: StatusCode,
    body: &T,
) -> Result<HttpResponse, GraphError> {
    let json = serde_json::to_string(body).map_err(anyhow::Error::from)?;
    let content_type = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
    Ok(HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, content_type))
        .body(json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn application() -> Application {
        Application {
            id: "o".into(),
            app_id: "a".into(),
            display_name: "app".into(),
            created_date_time: String::new(),
            identifier_uris: vec![],
            properties: ApplicationProperties::default(),
        }
    }

    #[test]
    fn apply_merges_complex_properties_and_replaces_collections() {
        let mut app = application();
        let body = serde_json::json!({
            "displayName": "renamed",
            "api": {"requestedAccessTokenVersion": 1},
            "tags": ["a"],
            "identifierUris": ["api://renamed"],
        });
        let Value::Object(body) = body else { panic!() };
        assert!(apply(&mut app, body, &[]).unwrap().is_none());
        assert_eq!(app.display_name, "renamed");
        assert_eq!(app.properties.api.requested_access_token_version, Some(1));
        assert!(app.properties.api.oauth2_permission_scopes.is_empty());
        assert_eq!(app.properties.tags, ["a"]);
        assert_eq!(app.identifier_uris, ["api://renamed"]);
    }

    #[test]
    fn apply_refuses_each_bad_body_and_changes_nothing() {
        let cases = [
            (serde_json::json!({"nope": 1}), "BadRequest"),
            (serde_json::json!({"api": {"nope": 1}}), "BadRequest"),
            (serde_json::json!({"tags": "x"}), "BadRequest"),
            (
                serde_json::json!({"identifierUris": ["not a uri"]}),
                "Request_BadRequest",
            ),
            (
                serde_json::json!({"identifierUris": ["api://x", "API://X"]}),
                "Request_BadRequest",
            ),
            (serde_json::json!({"displayName": 3}), "Request_BadRequest"),
            (
                serde_json::json!({"appRoles": [{"id": "x", "allowedMemberTypes": ["User"]}]}),
                "Request_BadRequest",
            ),
            (
                serde_json::json!({"passwordCredentials": [{"secretText": "s"}]}),
                "Request_BadRequest",
            ),
        ];
        for (body, code) in cases {
            let mut app = application();
            let Value::Object(map) = body.clone() else {
                panic!()
            };
            let error = apply(&mut app, map, &[]).unwrap_err();
            assert_eq!(error.code(), code, "{body}");
            assert_eq!(app, application(), "{body}");
        }
    }
}
