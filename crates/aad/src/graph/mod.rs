//! The subset of Microsoft Graph that az's role commands need, served by AAD under `/v1.0` (and
//! `/beta`, with the same behaviour). The cloud's `microsoftGraphResourceId` is AAD's public URL
//! with a trailing slash ([`resource_id`]): it is both Graph's base URL and its token audience.
//! See `docs/graph.md`.
//!
//! Authorization: real Graph requires an application permission such as `Application.Read.All`
//! or `Directory.Read.All` to read service principals. mimic grants directory read to every
//! principal of the tenant with a valid Graph token, because managing Graph permissions (app
//! roles, admin consent) in the tenant is out of scope.

pub mod auth;
pub mod directory;
pub mod error;
pub mod model;
pub mod query;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

pub use auth::{resource_id, GraphCaller};
use directory::{Directory, Kinds, MAX_IDS};
use error::{BadRequest, GraphError, RequestBadRequest};
use model::{Collection, Entity, GetByIdsRequest, Organization, Projection};
use query::ODataQuery;

use crate::principals::store::PrincipalFilter;
use crate::state::AppState;

const SERVICE_PRINCIPAL: &str = "microsoft.graph.servicePrincipal";
const DIRECTORY_OBJECT: &str = "microsoft.graph.directoryObject";

/// `GET /v1.0/servicePrincipals[?$filter=…&$top=…&$skiptoken=…&$select=…]`.
pub async fn list_service_principals(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    let filter = match &query.filter {
        Some(clause) => clause.service_principal_filter()?,
        None => PrincipalFilter::All,
    };
    let page = Directory::new(&state)
        .service_principals(&filter, query.after.as_deref(), query.page_size())
        .await?;
    let next_link = page.last_id.map(|last| {
        format!(
            "{}/servicePrincipals?{}",
            caller.service_root,
            query.next_page(&last)
        )
    });
    collection(
        &caller,
        "servicePrincipals",
        &query,
        page.items,
        next_link,
        SERVICE_PRINCIPAL,
    )
}

/// `GET /v1.0/servicePrincipals/{id}`.
pub async fn get_service_principal(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let id = object_id(&key)?;
    let principal = Directory::new(&state).service_principal(&id).await?;
    let principal = principal.ok_or_else(|| not_found_error(&key))?;
    entity(
        &caller,
        "servicePrincipals",
        &query,
        &principal,
        SERVICE_PRINCIPAL,
    )
}

/// `GET /v1.0/servicePrincipals(appId='{appId}')`.
pub async fn get_service_principal_by_app_id(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    app_id: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let app_id = app_id.into_inner();
    let principal = Directory::new(&state)
        .service_principal_by_app_id(&app_id)
        .await?;
    let principal = principal.ok_or(GraphError::RequestResourceNotFound(app_id))?;
    entity(
        &caller,
        "servicePrincipals",
        &query,
        &principal,
        SERVICE_PRINCIPAL,
    )
}

/// `GET /v1.0/users[?$filter=…]`: the tenant's users.
pub async fn list_users(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    if let Some(clause) = &query.filter {
        clause.check_user_filter()?;
    }
    let users = Directory::new(&state).users(query.filter.as_ref()).await?;
    collection(
        &caller,
        "users",
        &query,
        users,
        None,
        "microsoft.graph.user",
    )
}

/// `GET /v1.0/users/{id or userPrincipalName}`.
pub async fn get_user(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let id = id.into_inner();
    let user = Directory::new(&state).user(&id).await?;
    let user = user.ok_or(GraphError::RequestResourceNotFound(id))?;
    entity(&caller, "users", &query, &user, "microsoft.graph.user")
}

/// `POST /v1.0/directoryObjects/getByIds` with `{"ids":[…],"types":[…]}`.
pub async fn get_by_ids(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let request: GetByIdsRequest = serde_json::from_slice(&body)
        .map_err(|_| GraphError::BadRequest(BadRequest::UnreadablePayload))?;
    let invalid = |message| GraphError::RequestBadRequest(RequestBadRequest::InvalidIds(message));
    if request.ids.is_empty() {
        return Err(invalid(
            "The 'ids' property is required and must not be empty.",
        ));
    }
    if request.ids.len() > MAX_IDS {
        return Err(invalid(
            "The 'ids' property must contain at most 1000 values.",
        ));
    }
    let kinds = Kinds::parse(&request.types)?;
    let objects = Directory::new(&state).by_ids(&request.ids, kinds).await?;
    collection(
        &caller,
        "directoryObjects",
        &query,
        objects,
        None,
        DIRECTORY_OBJECT,
    )
}

/// `GET /v1.0/directoryObjects/{id}`.
pub async fn get_directory_object(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let id = object_id(&key)?;
    let kinds = Kinds {
        service_principals: true,
        users: true,
    };
    let mut found = Directory::new(&state)
        .by_ids(std::slice::from_ref(&id), kinds)
        .await?;
    let object = found.pop().ok_or_else(|| not_found_error(&key))?;
    entity(
        &caller,
        "directoryObjects",
        &query,
        &object,
        DIRECTORY_OBJECT,
    )
}

/// `GET /v1.0/organization`: the tenant.
pub async fn list_organization(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let organization = Organization::from(&state.tenant);
    collection(
        &caller,
        "organization",
        &query,
        vec![organization],
        None,
        "microsoft.graph.organization",
    )
}

/// `GET /v1.0/organization/{id}`.
pub async fn get_organization(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    if object_id(&key)? != state.tenant.id {
        return Err(not_found_error(&key));
    }
    let organization = Organization::from(&state.tenant);
    entity(
        &caller,
        "organization",
        &query,
        &organization,
        "microsoft.graph.organization",
    )
}

/// `GET /v1.0/me`: the signed-in user of a user token (`idtyp` "user"). Graph refuses it for
/// app-only tokens; navigation below `/me/…` is not served (same refusal).
pub async fn me(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    let is_user = caller.claims.idtyp.as_deref() == Some("user");
    let is_me = request.path().trim_end_matches('/').ends_with("/me");
    if !is_user || !is_me {
        return Err(GraphError::BadRequest(BadRequest::DelegatedOnly));
    }
    let user = Directory::new(&state).user(&caller.claims.oid).await?;
    let user = user.ok_or(GraphError::RequestResourceNotFound(
        caller.claims.oid.clone(),
    ))?;
    entity(&caller, "users", &query, &user, "microsoft.graph.user")
}

/// Any other URL under a Graph version: the first segment mimic's Graph does not know.
pub async fn not_found(_: GraphCaller, request: HttpRequest) -> Result<HttpResponse, GraphError> {
    Err(GraphError::BadRequest(BadRequest::SegmentNotFound(
        unknown_segment(request.path()),
    )))
}

/// The known URL with a method it does not take.
pub async fn method_not_allowed() -> Result<HttpResponse, GraphError> {
    Err(GraphError::RequestBadRequest(
        RequestBadRequest::MethodNotAllowed,
    ))
}

/// The first segment after the version that does not name a known entity set, or the segment
/// after `{set}/{key}` for the navigation properties mimic does not serve.
fn unknown_segment(path: &str) -> String {
    const SETS: [&str; 5] = [
        "servicePrincipals",
        "users",
        "directoryObjects",
        "organization",
        "me",
    ];
    let segments: Vec<&str> = path.trim_matches('/').split('/').skip(1).collect();
    let set = segments
        .first()
        .map(|s| s.split('(').next().unwrap_or_default());
    let known = set.is_some_and(|set| SETS.iter().any(|known| known.eq_ignore_ascii_case(set)));
    let index = if known { segments.len().min(3) - 1 } else { 0 };
    segments
        .get(index)
        .map_or_else(String::new, |s| s.to_string())
}

/// `Request_ResourceNotFound` for a key, as the client wrote it.
fn not_found_error(key: &str) -> GraphError {
    GraphError::RequestResourceNotFound(key.to_string())
}

/// A directory object key: a GUID (lower-cased), else `Invalid object identifier`.
fn object_id(key: &str) -> Result<String, GraphError> {
    uuid::Uuid::parse_str(key)
        .map(|guid| guid.to_string())
        .map_err(|_| {
            GraphError::RequestBadRequest(RequestBadRequest::InvalidObjectIdentifier(
                key.to_string(),
            ))
        })
}

/// `{root}/$metadata#{set}` or `{root}/$metadata#{set}(a,b)` under `$select`.
fn context(caller: &GraphCaller, set: &str, query: &ODataQuery) -> String {
    let selected = query
        .select
        .as_ref()
        .map(|s| format!("({})", s.join(",")))
        .unwrap_or_default();
    format!("{}/$metadata#{set}{selected}", caller.service_root)
}

fn collection<T: Serialize>(
    caller: &GraphCaller,
    set: &str,
    query: &ODataQuery,
    items: Vec<T>,
    next_link: Option<String>,
    type_name: &'static str,
) -> Result<HttpResponse, GraphError> {
    let context = context(caller, set, query);
    match &query.select {
        None => ok(&Collection {
            context,
            next_link,
            value: items,
        }),
        Some(select) => {
            let value = items
                .iter()
                .map(|item| Projection::of(item, select, type_name))
                .collect::<Result<Vec<_>, _>>()?;
            ok(&Collection {
                context,
                next_link,
                value,
            })
        }
    }
}

fn entity<T: Serialize>(
    caller: &GraphCaller,
    set: &str,
    query: &ODataQuery,
    item: &T,
    type_name: &'static str,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let context = format!("{}/$entity", context(caller, set, query));
    match &query.select {
        None => ok(&Entity {
            context,
            inner: item,
        }),
        Some(select) => ok(&Entity {
            context,
            inner: Projection::of(item, select, type_name)?,
        }),
    }
}

/// 200 with Graph's OData content type.
fn ok<T: Serialize>(body: &T) -> Result<HttpResponse, GraphError> {
    let json = serde_json::to_string(body).map_err(anyhow::Error::from)?;
    let content_type = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .body(json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_segment_names_the_first_segment_mimic_does_not_serve() {
        let cases = [
            ("/v1.0/applications", "applications"),
            ("/v1.0/applications/x/owners", "applications"),
            ("/beta/servicePrincipals/x/owners", "owners"),
            ("/v1.0/servicePrincipals/x/owners/y", "owners"),
            ("/v1.0/", ""),
        ];
        for (path, want) in cases {
            assert_eq!(unknown_segment(path), want, "{path}");
        }
    }
}
