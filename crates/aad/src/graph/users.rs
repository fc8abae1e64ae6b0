//! `users`: the tenant's users, and `me`.

use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::GraphCaller;
use super::directory::Directory;
use super::entity;
use super::error::BadRequest;
use super::error::GraphError;
use super::operations::{Access, Operation, Verb};
use super::query::ODataQuery;
use super::{collection, USER};
use crate::state::AppState;

/// Reading users (least privileged first).
const READ: Access = Access::Read(&[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
]);

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "List users",
        verb: Verb::Get,
        path: "/users",
        access: READ,
        handler: |route| route.to(list_users),
        summary: "`$filter` (one clause, below), `$select`",
    },
    Operation {
        name: "Get user",
        verb: Verb::Get,
        path: "/users/{id}",
        access: READ,
        handler: |route| route.to(get_user),
        summary: "by object id or userPrincipalName; `$select`",
    },
    Operation {
        name: "Get the signed-in user",
        verb: Verb::Get,
        path: "/me",
        access: Access::Delegated("the user of the token; app-only tokens get 400 `BadRequest`"),
        handler: |route| route.to(me),
        summary: "`$select`",
    },
    Operation {
        name: "Navigate from the signed-in user",
        verb: Verb::Get,
        path: "/me/{rest:.*}",
        access: Access::Delegated("not served: 400 `BadRequest`, as for app-only tokens"),
        handler: |route| route.to(me),
        summary: "no navigation below `/me`",
    },
];

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
    collection(&caller, "users", &query, users, None, USER)
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
    entity(&caller, "users", &query, &user, USER)
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
    entity(&caller, "users", &query, &user, USER)
}
