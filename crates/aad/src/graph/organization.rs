//! `organization`: the tenant.

use actix_web::{web, HttpResponse};

use super::auth::GraphCaller;
use super::error::GraphError;
use super::model::Organization;
use super::operations::{Access, Operation, Verb};
use super::query::ODataQuery;
use super::{collection, entity, not_found_error, object_id};
use crate::state::AppState;

/// Reading the organization (least privileged first).
const READ: Access = Access::Read(&[
    "Organization.Read.All",
    "Directory.Read.All",
    "Organization.ReadWrite.All",
    "Directory.ReadWrite.All",
]);

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "List organization",
        verb: Verb::Get,
        path: "/organization",
        access: READ,
        handler: |route| route.to(list_organization),
        summary: "the tenant",
    },
    Operation {
        name: "Get organization",
        verb: Verb::Get,
        path: "/organization/{id}",
        access: READ,
        handler: |route| route.to(get_organization),
        summary: "the tenant by id",
    },
];

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
        super::Extent::default(),
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
