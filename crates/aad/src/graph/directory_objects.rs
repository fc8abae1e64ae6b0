//! `directoryObjects`: any object of the directory by id.

use actix_web::{web, HttpResponse};

use super::auth::GraphCaller;
use super::directory::{Directory, Kinds, MAX_IDS};
use super::error::GraphError;
use super::error::{BadRequest, RequestBadRequest};
use super::model::GetByIdsRequest;
use super::operations::{Access, Operation, Verb};
use super::query::ODataQuery;
use super::{collection, entity, not_found_error, object_id, DIRECTORY_OBJECT};
use crate::state::AppState;

/// Reading any directory object (least privileged first).
const READ: Access = Access::Read(&["Directory.Read.All", "Directory.ReadWrite.All"]);

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "directoryObject: getByIds",
        verb: Verb::Post,
        path: "/directoryObjects/getByIds",
        access: READ,
        handler: |route| route.to(get_by_ids),
        summary: "`{\"ids\":[…],\"types\":[…]}`; `$select`; ≤ 1000 ids; unknown ids omitted; results in the order asked",
    },
    Operation {
        name: "Get directoryObject",
        verb: Verb::Get,
        path: "/directoryObjects/{id}",
        access: READ,
        handler: |route| route.to(get_directory_object),
        summary: "with `@odata.type`",
    },
];

/// `ids` less those `principal-propagation` still holds back (docs/reality-modes.md): Graph
/// leaves them out as it leaves out ids it does not know.
fn visible(state: &AppState, ids: Vec<String>) -> Vec<String> {
    let now = state.clock.now();
    ids.into_iter()
        .filter(|id| !state.reality.hides(id, now))
        .collect()
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
    // Graph's answer to an id that is not a GUID (microsoftgraph/microsoft-graph-docs#7063).
    if request
        .ids
        .iter()
        .any(|id| uuid::Uuid::parse_str(id).is_err())
    {
        return Err(invalid("Invalid GUID specified."));
    }
    let kinds = Kinds::parse(&request.types)?;
    let visible = visible(&state, request.ids);
    let objects = Directory::new(&state).by_ids(&visible, kinds).await?;
    collection(
        &caller,
        "directoryObjects",
        &query,
        objects,
        super::Extent::default(),
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
    let mut found = Directory::new(&state)
        .by_ids(&visible(&state, vec![id]), Kinds::ALL)
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
