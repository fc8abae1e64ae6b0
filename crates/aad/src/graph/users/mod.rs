//! `users`: the tenant's users — create, read, list, update, delete (into
//! `directory/deletedItems`, see [`super::deleted_items`]) — and `me`. Their group memberships are
//! in [`super::membership`].

pub mod model;

use actix_web::{web, HttpRequest, HttpResponse};

use super::auth::GraphCaller;
use super::directory::Directory;
use super::error::{BadRequest, GraphError, RequestBadRequest};
use super::model::{Entity, Projection};
use super::operations::{Access, Members, Operation, Verb};
use super::query::ODataQuery;
use super::{count_only, created, no_content, ok, page, Keyed, USER};
use crate::credentials::PasswordHash;
use crate::error::AadError;
use crate::principals::iso_timestamp;
use crate::state::AppState;
use crate::users::model::{User as StoredUser, UserDraft};
use crate::users::store::UserChanges;
use model::{UserBody, UserResource, DEFAULT_PROPERTIES};

/// Reading users (least privileged first).
const READ: Access = Access::Read(&[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
]);

/// Writing users (least privileged first).
const WRITE: Access = Access::Write {
    application: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
    roles: &["User Administrator", "Global Administrator"],
    members: Members::Denied,
    owners: None,
};

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "List users",
        verb: Verb::Get,
        path: "/users",
        access: READ,
        handler: |route| route.to(list_users),
        summary: "`$filter` (clauses joined by `and`, below), `$top`, `$skiptoken`, `$select`, `$count` (with `ConsistencyLevel: eventual`)",
    },
    Operation {
        name: "Create user",
        verb: Verb::Post,
        path: "/users",
        access: WRITE,
        handler: |route| route.to(create_user),
        summary: "201; `accountEnabled`, `displayName`, `mailNickname`, `userPrincipalName` (a verified domain), `passwordProfile` (Entra's complexity rules); `givenName`, `surname`, `jobTitle`",
    },
    Operation {
        name: "Count users",
        verb: Verb::Get,
        path: "/users/$count",
        access: READ,
        handler: |route| route.to(count_users),
        summary: "text; needs `ConsistencyLevel: eventual`",
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
        name: "Update user",
        verb: Verb::Patch,
        path: "/users/{id}",
        access: WRITE,
        handler: |route| route.to(update_user),
        summary: "204; the create properties (`passwordProfile` resets the password); all or nothing",
    },
    Operation {
        name: "Delete user",
        verb: Verb::Delete,
        path: "/users/{id}",
        access: WRITE,
        handler: |route| route.to(delete_user),
        summary: "204; into `directory/deletedItems`: no sign-in, no memberships until restored",
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

impl Keyed for UserResource {
    fn key(&self) -> &str {
        &self.default.id
    }
}

/// A user's default properties, or the `$select`ed ones.
pub fn view(resource: &UserResource, query: &ODataQuery) -> Result<Projection, GraphError> {
    match &query.select {
        None => Projection::in_order(resource, &DEFAULT_PROPERTIES),
        Some(select) => Projection::of(resource, select, USER),
    }
}

/// A single user with its `@odata.context` under `set`.
fn user_entity(
    caller: &GraphCaller,
    set: &str,
    query: &ODataQuery,
    resource: &UserResource,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    ok(&Entity {
        context: format!("{}/$entity", super::context(caller, set, query)),
        inner: view(resource, query)?,
    })
}

fn check_filter(query: &ODataQuery) -> Result<(), GraphError> {
    if let Some(filter) = &query.filter {
        for clause in &filter.clauses {
            clause.check_user_filter()?;
        }
    }
    Ok(())
}

/// `GET /v1.0/users[?$filter=…&$top=…&$select=…&$count=true]`.
pub async fn list_users(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    check_filter(&query)?;
    let users = Directory::new(&state).users(query.filter.as_ref()).await?;
    let shape = |user: UserResource| view(&user, &query);
    page(&caller, ("users", "users"), &query, users, shape, USER)
}

/// `GET /v1.0/users/$count` (`ConsistencyLevel: eventual`).
pub async fn count_users(
    _: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    check_filter(&query)?;
    let users = Directory::new(&state).users(query.filter.as_ref()).await?;
    count_only(&query, users.len())
}

/// `POST /v1.0/users` → 201 with the user's default properties.
pub async fn create_user(
    caller: GraphCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let body = UserBody::parse(&body)?;
    body.check(true, &verified_domains(&state))?;
    let draft = draft(&state, body).await?;
    let user = state.users.create(&draft).await.map_err(conflict)?;
    state.reality.principal_created(&user.id, state.clock.now());
    tracing::info!(id = %user.id, upn = %user.user_principal_name, "user created");
    let resource = UserResource::new(user, &state.tenant);
    created(
        &caller,
        "users",
        &Projection::in_order(&resource, &DEFAULT_PROPERTIES)?,
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
    let user = Directory::new(&state)
        .user(&id)
        .await?
        .filter(|user| !state.reality.hides(&user.default.id, state.clock.now()));
    let user = user.ok_or(GraphError::RequestResourceNotFound(id))?;
    user_entity(&caller, "users", &query, &user)
}

/// `PATCH /v1.0/users/{id or userPrincipalName}` → 204; nothing changes on any error.
pub async fn update_user(
    _: GraphCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let key = id.into_inner();
    let body = UserBody::parse(&body)?;
    body.check(false, &verified_domains(&state))?;
    let user = live_user(&state, &key).await?;
    let changes = changes(body).await?;
    match state
        .users
        .update(&user.id, &changes)
        .await
        .map_err(conflict)?
    {
        Some(_) => Ok(no_content()),
        None => Err(GraphError::RequestResourceNotFound(key)),
    }
}

/// `DELETE /v1.0/users/{id or userPrincipalName}` → 204: the user moves to
/// `directory/deletedItems`, stops signing in, and leaves its groups until restored.
pub async fn delete_user(
    _: GraphCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let key = id.into_inner();
    let user = live_user(&state, &key).await?;
    let now = iso_timestamp(state.clock.now());
    match state.users.soft_delete(&user.id, &now).await? {
        Some(_) => {
            tracing::info!(id = %user.id, "user deleted");
            Ok(no_content())
        }
        None => Err(GraphError::RequestResourceNotFound(key)),
    }
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
    user_entity(&caller, "users", &query, &user)
}

/// The live user with this id or user principal name, else Graph's 404 for the key as sent.
async fn live_user(state: &AppState, key: &str) -> Result<StoredUser, GraphError> {
    let user = match state.users.get(key).await? {
        Some(user) => Some(user),
        None => state.users.by_upn(key).await?,
    };
    user.ok_or_else(|| GraphError::RequestResourceNotFound(key.to_string()))
}

/// The tenant's verified domains (`organization.verifiedDomains[].name`).
fn verified_domains(state: &AppState) -> Vec<String> {
    super::model::Organization::from(&state.tenant)
        .verified_domains
        .into_iter()
        .map(|domain| domain.name)
        .collect()
}

/// Hashes a password off the async workers (PBKDF2 takes milliseconds).
async fn hash(password: String) -> Result<PasswordHash, GraphError> {
    let hash = tokio::task::spawn_blocking(move || PasswordHash::new(&password))
        .await
        .map_err(anyhow::Error::from)??;
    Ok(hash)
}

/// A checked create body as a user to store. `forceChangePasswordNextSignIn` defaults to true,
/// as Entra's does for a password an administrator chose.
async fn draft(state: &AppState, body: UserBody) -> Result<UserDraft, GraphError> {
    let profile = body.password_profile.unwrap_or(model::PasswordProfile {
        password: None,
        force_change: None,
    });
    let mut user = StoredUser::new(
        uuid::Uuid::new_v4().to_string(),
        body.user_principal_name.unwrap_or_default(),
        body.display_name.unwrap_or_default(),
        iso_timestamp(state.clock.now()),
    );
    user.account_enabled = body.account_enabled.unwrap_or(true);
    user.mail_nickname = body.mail_nickname.unwrap_or_default();
    user.given_name = body.given_name.flatten();
    user.surname = body.surname.flatten();
    user.job_title = body.job_title.flatten();
    user.force_change_password = profile.force_change.unwrap_or(true);
    Ok(UserDraft {
        password: hash(profile.password.unwrap_or_default()).await?,
        user,
    })
}

/// A checked update body as store changes. A new password must be changed at the next sign-in
/// unless the body says `forceChangePasswordNextSignIn: false`, as Graph documents.
async fn changes(body: UserBody) -> Result<UserChanges, GraphError> {
    let (password, force_change) = match body.password_profile {
        Some(profile) => match profile.password {
            Some(password) => (
                Some((hash(password).await?, profile.force_change.unwrap_or(true))),
                None,
            ),
            None => (None, profile.force_change),
        },
        None => (None, None),
    };
    Ok(UserChanges {
        user_principal_name: body.user_principal_name,
        display_name: body.display_name,
        account_enabled: body.account_enabled,
        mail_nickname: body.mail_nickname,
        given_name: body.given_name,
        surname: body.surname,
        job_title: body.job_title,
        password,
        force_change_password: force_change,
    })
}

/// The store's conflict in Graph's words (duplicate `userPrincipalName`: 400
/// `Request_BadRequest` with an `ObjectConflict` detail).
fn conflict(error: AadError) -> GraphError {
    match error {
        AadError::UserConflict { property } => {
            GraphError::RequestBadRequest(RequestBadRequest::ObjectConflict(property))
        }
        other => GraphError::from(other),
    }
}
