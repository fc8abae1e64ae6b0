//! Microsoft Graph, served by AAD under `/v1.0` (and `/beta`, with the same behaviour). The
//! cloud's `microsoftGraphResourceId` is AAD's public URL with a trailing slash ([`resource_id`]):
//! it is both Graph's base URL and its token audience. Every operation is declared once, in its
//! entity set's module ([`operations`]). See `docs/graph.md`.
//!
//! Authorization: each operation declares what real Graph requires ([`operations::Access`]) and
//! the operation table's middleware enforces it ([`permissions`]): 403
//! `Authorization_RequestDenied` for a caller without the permission.

pub mod app_role_assignments;
pub mod application_resource;
pub mod applications;
pub mod auth;
pub mod credential_writes;
pub mod decisions;
pub mod deleted_items;
pub mod directory;
pub mod directory_objects;
pub mod directory_roles;
pub mod error;
pub mod federated_identity_credentials;
pub mod groups;
pub mod key_rollover;
pub mod membership;
pub mod model;
pub mod operations;
pub mod organization;
pub mod permissions;
pub mod query;
pub mod service_principal_writes;
pub mod service_principals;
pub mod users;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

pub use auth::{resource_id, GraphCaller};
use error::{BadRequest, GraphError, RequestBadRequest};
use model::{Collection, Entity, Projection};
use query::ODataQuery;

const SERVICE_PRINCIPAL: &str = "microsoft.graph.servicePrincipal";
const DIRECTORY_OBJECT: &str = "microsoft.graph.directoryObject";
const USER: &str = "microsoft.graph.user";
const GROUP: &str = "microsoft.graph.group";

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
    let segments: Vec<&str> = path.trim_matches('/').split('/').skip(1).collect();
    let set = segments
        .first()
        .map(|s| s.split('(').next().unwrap_or_default());
    let known = set
        .is_some_and(|set| operations::entity_sets().any(|known| known.eq_ignore_ascii_case(set)));
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

/// What a collection carries besides its items.
#[derive(Debug, Clone, Default)]
struct Extent {
    /// `@odata.nextLink`.
    next_link: Option<String>,
    /// `@odata.count` (advanced queries with `$count=true`).
    count: Option<usize>,
}

fn collection<T: Serialize>(
    caller: &GraphCaller,
    set: &str,
    query: &ODataQuery,
    items: Vec<T>,
    extent: Extent,
    type_name: &'static str,
) -> Result<HttpResponse, GraphError> {
    let context = context(caller, set, query);
    let Extent { next_link, count } = extent;
    match &query.select {
        None => ok(&Collection {
            context,
            count,
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
                count,
                next_link,
                value,
            })
        }
    }
}

/// Something with an object id, so a collection of it can be paged by id.
trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for model::DirectoryObject {
    fn key(&self) -> &str {
        self.id()
    }
}

/// One page of `items` (ordered by id) under `path` (the URL after the version): the items after
/// `$skiptoken`, at most `$top` of them, a next link when more follow, and `@odata.count` of all
/// of them when the query asks for it. `shape` turns a page's items into what is sent.
fn page<T: Keyed, U: Serialize>(
    caller: &GraphCaller,
    (set, path): (&str, &str),
    query: &ODataQuery,
    items: Vec<T>,
    shape: impl Fn(T) -> Result<U, GraphError>,
    type_name: &'static str,
) -> Result<HttpResponse, GraphError> {
    let count = query.wants_count().then_some(items.len());
    let top = query.page_size() as usize;
    let mut rest: Vec<T> = match query.after.as_deref() {
        Some(after) => items
            .into_iter()
            .filter(|item| item.key() > after)
            .collect(),
        None => items,
    };
    let more = rest.len() > top;
    rest.truncate(top);
    let next_link = more
        .then(|| rest.last().map(|last| last.key().to_string()))
        .flatten()
        .map(|last| format!("{}/{path}?{}", caller.service_root, query.next_page(&last)));
    let items = rest.into_iter().map(shape).collect::<Result<Vec<_>, _>>()?;
    collection(
        caller,
        set,
        query,
        items,
        Extent { next_link, count },
        type_name,
    )
}

/// `GET …/$count`: the number as text, in an advanced query only (`ConsistencyLevel: eventual`),
/// else Graph's `$count is not currently supported.`
fn count_only(query: &ODataQuery, count: usize) -> Result<HttpResponse, GraphError> {
    if !query.eventual {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::CountNotSupported,
        ));
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain;charset=utf-8")
        .body(count.to_string()))
}

/// 201 with the new entity and its `@odata.context`.
fn created<T: Serialize>(
    caller: &GraphCaller,
    set: &str,
    item: &T,
) -> Result<HttpResponse, GraphError> {
    let body = Entity {
        context: format!("{}/$metadata#{set}/$entity", caller.service_root),
        inner: item,
    };
    let json = serde_json::to_string(&body).map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Created()
        .insert_header((header::CONTENT_TYPE, ODATA_JSON))
        .body(json))
}

/// 204, Graph's answer to an update, a delete and a reference write.
fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// An action's answer: `{"@odata.context":"{root}/$metadata#Collection(Edm.String)","value":[…]}`.
fn strings(caller: &GraphCaller, value: Vec<String>) -> Result<HttpResponse, GraphError> {
    ok(&serde_json::json!({
        "@odata.context": format!("{}/$metadata#Collection(Edm.String)", caller.service_root),
        "value": value,
    }))
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

const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// 200 with Graph's OData content type.
fn ok<T: Serialize>(body: &T) -> Result<HttpResponse, GraphError> {
    let json = serde_json::to_string(body).map_err(anyhow::Error::from)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, ODATA_JSON))
        .body(json))
}

/// The body of an action or a write: JSON of type `T`, else Graph's `BadRequest`.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|_| GraphError::BadRequest(BadRequest::UnreadablePayload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_segment_names_the_first_segment_mimic_does_not_serve() {
        let cases = [
            ("/v1.0/devices", "devices"),
            ("/v1.0/devices/x/owners", "devices"),
            (
                "/v1.0/applications/x/extensionProperties",
                "extensionProperties",
            ),
            ("/beta/servicePrincipals/x/owners", "owners"),
            ("/v1.0/servicePrincipals/x/owners/y", "owners"),
            ("/v1.0/", ""),
        ];
        for (path, want) in cases {
            assert_eq!(unknown_segment(path), want, "{path}");
        }
    }
}
