//! `servicePrincipals`: the tenant's service principals (applications and managed identities).

use actix_web::{web, HttpResponse};

use super::auth::GraphCaller;
use super::directory::Directory;
use super::error::GraphError;
use super::operations::{Access, Operation, Verb};
use super::query::ODataQuery;
use super::{collection, entity, not_found_error, object_id, SERVICE_PRINCIPAL};
use crate::principals::store::PrincipalFilter;
use crate::state::AppState;

/// Reading service principals (least privileged first).
const READ: Access = Access::Read(&[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
]);

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "List servicePrincipals",
        verb: Verb::Get,
        path: "/servicePrincipals",
        access: READ,
        handler: |route| route.to(list_service_principals),
        summary: "`$filter` (one clause, below), `$top`, `$skiptoken`, `$select`",
    },
    Operation {
        name: "Get servicePrincipal by appId",
        verb: Verb::Get,
        path: "/servicePrincipals(appId='{app_id}')",
        access: READ,
        handler: |route| route.to(get_service_principal_by_app_id),
        summary: "`$select`",
    },
    Operation {
        name: "Get servicePrincipal",
        verb: Verb::Get,
        path: "/servicePrincipals/{id}",
        access: READ,
        handler: |route| route.to(get_service_principal),
        summary: "`$select`",
    },
];

/// `GET /v1.0/servicePrincipals[?$filter=…&$top=…&$skiptoken=…&$select=…]`.
pub async fn list_service_principals(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    let filter = match &query.filter {
        Some(filter) => filter.single()?.service_principal_filter()?,
        None => PrincipalFilter::All,
    };
    let count = match query.wants_count() {
        true => Some(state.store.search(&filter, None, u32::MAX).await?.len()),
        false => None,
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
        super::Extent { next_link, count },
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
