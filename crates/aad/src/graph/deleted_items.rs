//! `directory/deletedItems`: deleted objects wait here until they are restored or permanently
//! deleted. Entra keeps them 30 days; mimic keeps them until then by hand (no expiry).
//!
//! Every kind of object that can wait here is a [`DeletedKind`]: its Graph type name (the cast in
//! `GET /directory/deletedItems/microsoft.graph.user`), the permissions Graph requires for it, and
//! how to list, get, restore and purge it. Today that is users, applications and service
//! principals ([`crate::deleted_objects`] says what goes and comes back with them); security groups
//! are deleted permanently, as in Entra. Adding a kind is: a variant of [`DeletedKind`] and of
//! [`DeletedItem`] (the compiler then points at every `match` to fill in: the store calls, the
//! access and the wire view), the variant in [`DeletedKind::ALL`], and one operation row for its
//! list. Get, restore and permanent delete by id search every kind; their rows admit a caller who
//! may read (or write) some kind, and the handler then checks the found kind's own access.

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;

use super::application_resource::ApplicationResource;
use super::auth::GraphCaller;
use super::decisions::Asked;
use super::directory::Directory;
use super::error::{GraphError, RequestBadRequest, SameKeyValue};
use super::model::{Entity, Projection, ServicePrincipalResource};
use super::operations::{Access, Members, Operation, Verb};
use super::permissions::{decide, Caller};
use super::query::ODataQuery;
use super::users::model::{UserResource, DEFAULT_PROPERTIES};
use super::{no_content, not_found_error, object_id, ok, page, Keyed, SERVICE_PRINCIPAL, USER};
use crate::deleted_objects::store::Restore;
use crate::deleted_objects::{Shelf, APPLICATION};
use crate::error::AadError;
use crate::state::AppState;

/// Reading deleted users (least privileged first).
const READ_USERS: Access = Access::Read(&[
    "User.Read.All",
    "Directory.Read.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
]);

/// Restoring or purging deleted users (least privileged first).
const WRITE_USERS: Access = Access::Write {
    application: &[
        "User.DeleteRestore.All",
        "User.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    roles: &["User Administrator", "Global Administrator"],
    members: Members::Denied,
    owners: None,
};

/// Reading deleted applications and service principals (least privileged first).
const READ_APPLICATIONS: Access = Access::Read(&[
    "Application.Read.All",
    "Directory.Read.All",
    "Application.ReadWrite.All",
    "Directory.ReadWrite.All",
]);

/// Restoring or purging deleted applications and service principals. Graph also lets
/// `Application.ReadWrite.OwnedBy` restore what the app owns; mimic does not (ownership of a
/// deleted object is not checked).
const WRITE_APPLICATIONS: Access = Access::Write {
    application: &["Application.ReadWrite.All", "Directory.ReadWrite.All"],
    roles: &[
        "Application Administrator",
        "Cloud Application Administrator",
        "Global Administrator",
    ],
    members: Members::Denied,
    owners: None,
};

/// Reading a deleted item of any kind: the row's gate; the handler checks the kind's own.
const READ_ANY: Access = Access::Read(&[
    "User.Read.All",
    "Application.Read.All",
    "Directory.Read.All",
    "User.ReadWrite.All",
    "Application.ReadWrite.All",
    "Directory.ReadWrite.All",
]);

/// Restoring or purging a deleted item of any kind: the row's gate; the handler checks the
/// kind's own.
const WRITE_ANY: Access = Access::Write {
    application: &[
        "User.DeleteRestore.All",
        "User.ReadWrite.All",
        "Application.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    roles: &[
        "User Administrator",
        "Application Administrator",
        "Cloud Application Administrator",
        "Global Administrator",
    ],
    members: Members::Denied,
    owners: None,
};

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "List deleted items (users)",
        verb: Verb::Get,
        path: "/directory/deletedItems/microsoft.graph.user",
        access: READ_USERS,
        handler: |route| route.to(list_deleted_users),
        summary: "deleted users with `deletedDateTime`; `$top`, `$skiptoken`, `$select`, `$count`",
    },
    Operation {
        name: "List deleted items (applications)",
        verb: Verb::Get,
        path: "/directory/deletedItems/microsoft.graph.application",
        access: READ_APPLICATIONS,
        handler: |route| route.to(list_deleted_applications),
        summary: "deleted applications with `deletedDateTime`; `$top`, `$skiptoken`, `$select`, `$count`",
    },
    Operation {
        name: "List deleted items (service principals)",
        verb: Verb::Get,
        path: "/directory/deletedItems/microsoft.graph.servicePrincipal",
        access: READ_APPLICATIONS,
        handler: |route| route.to(list_deleted_service_principals),
        summary: "deleted service principals with `deletedDateTime`; `$top`, `$skiptoken`, `$select`, `$count`",
    },
    Operation {
        name: "Get deleted item",
        verb: Verb::Get,
        path: "/directory/deletedItems/{id}",
        access: READ_ANY,
        handler: |route| route.to(get_deleted_item),
        summary: "with `@odata.type`; `$select`",
    },
    Operation {
        name: "Restore deleted item",
        verb: Verb::Post,
        path: "/directory/deletedItems/{id}/restore",
        access: WRITE_ANY,
        handler: |route| route.to(restore_deleted_item),
        summary: "200 with the object: a user with its name (400 `ObjectConflict` if taken meanwhile), sign-in, memberships and directory roles; an application with its credentials, owners and `identifierUris` (400 `ObjectConflict` if one was taken), not its service principal; a service principal with its credentials, app-role assignments, memberships and directory roles (400 while its application is deleted, 409 if its `appId` has another)",
    },
    Operation {
        name: "Permanently delete an item",
        verb: Verb::Delete,
        path: "/directory/deletedItems/{id}",
        access: WRITE_ANY,
        handler: |route| route.to(purge_deleted_item),
        summary: "204; gone for good, memberships and directory roles too (an application with its deleted service principal)",
    },
];

/// A kind of object `directory/deletedItems` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletedKind {
    /// `microsoft.graph.user`.
    User,
    /// `microsoft.graph.application`.
    Application,
    /// `microsoft.graph.servicePrincipal`.
    ServicePrincipal,
}

impl DeletedKind {
    /// Every kind, in the order `get` searches them.
    pub const ALL: &'static [Self] = &[Self::User, Self::Application, Self::ServicePrincipal];

    /// Graph's type name (the cast segment).
    pub fn type_name(self) -> &'static str {
        match self {
            Self::User => USER,
            Self::Application => APPLICATION,
            Self::ServicePrincipal => SERVICE_PRINCIPAL,
        }
    }

    /// What Graph requires to read (`write` false) or restore and purge (`write` true) it.
    fn access(self, write: bool) -> Access {
        match (self, write) {
            (Self::User, false) => READ_USERS,
            (Self::User, true) => WRITE_USERS,
            (Self::Application | Self::ServicePrincipal, false) => READ_APPLICATIONS,
            (Self::Application | Self::ServicePrincipal, true) => WRITE_APPLICATIONS,
        }
    }

    /// Every deleted object of this kind, ordered by id.
    async fn list(self, state: &AppState) -> Result<Vec<DeletedItem>, GraphError> {
        match self {
            Self::User => Ok(state
                .users
                .all_deleted()
                .await?
                .into_iter()
                .map(|user| DeletedItem::User(Box::new(UserResource::new(user, &state.tenant))))
                .collect()),
            Self::Application => {
                let mut items = Vec::new();
                for application in state.applications.all_deleted().await? {
                    items.extend(deleted_application(state, application).await?);
                }
                Ok(items)
            }
            Self::ServicePrincipal => {
                deleted_principals(state, state.store.all_deleted().await?).await
            }
        }
    }

    /// The deleted object of this kind with this id.
    async fn get(self, state: &AppState, id: &str) -> Result<Option<DeletedItem>, GraphError> {
        match self {
            Self::User => {
                Ok(state.users.deleted(id).await?.map(|user| {
                    DeletedItem::User(Box::new(UserResource::new(user, &state.tenant)))
                }))
            }
            Self::Application => match state.applications.deleted(id).await? {
                Some(application) => deleted_application(state, application).await,
                None => Ok(None),
            },
            Self::ServicePrincipal => {
                let principals = state.store.deleted(id).await?.into_iter().collect();
                Ok(deleted_principals(state, principals).await?.pop())
            }
        }
    }

    /// Restores it; the live object, or `None` if there is no such deleted object.
    async fn restore(self, state: &AppState, id: &str) -> Result<Option<DeletedItem>, GraphError> {
        let directory = Directory::new(state);
        match self {
            Self::User => Ok(state
                .users
                .restore(id)
                .await
                .map_err(|error| match error {
                    AadError::UserConflict { property } => {
                        GraphError::RequestBadRequest(RequestBadRequest::ObjectConflict(property))
                    }
                    other => GraphError::from(other),
                })?
                .map(|user| DeletedItem::User(Box::new(UserResource::new(user, &state.tenant))))),
            Self::Application => {
                if !restored(state.deleted().restore_application(id).await?)? {
                    return Ok(None);
                }
                Ok(directory
                    .application(id)
                    .await?
                    .map(|application| DeletedItem::Application(Box::new(application))))
            }
            Self::ServicePrincipal => {
                if !restored(state.deleted().restore_service_principal(id).await?)? {
                    return Ok(None);
                }
                Ok(directory
                    .service_principal(id)
                    .await?
                    .map(|principal| DeletedItem::ServicePrincipal(Box::new(principal))))
            }
        }
    }

    /// Deletes it for good; `None` if there is no such deleted object.
    async fn purge(self, state: &AppState, id: &str) -> Result<Option<()>, GraphError> {
        Ok(match self {
            Self::User => state.users.purge(id).await?,
            Self::Application => state.deleted().purge_application(id).await?,
            Self::ServicePrincipal => state.deleted().purge_service_principal(id).await?,
        })
    }
}

/// Whether a restore happened; Graph's error for one that cannot.
fn restored(outcome: Restore) -> Result<bool, GraphError> {
    match outcome {
        Restore::Restored => Ok(true),
        Restore::NotFound => Ok(false),
        Restore::Conflict {
            property: "appId",
            value,
        } => Err(GraphError::RequestMultipleObjectsWithSameKeyValue(
            SameKeyValue::ServicePrincipalName(value),
        )),
        Restore::Conflict { property, .. } => Err(GraphError::RequestBadRequest(
            RequestBadRequest::ObjectConflict(property),
        )),
        Restore::ApplicationDeleted(app_id) => Err(GraphError::RequestBadRequest(
            RequestBadRequest::NoBackingApplication(app_id),
        )),
    }
}

/// A deleted application as Graph shows it (`None` if it was restored meanwhile).
async fn deleted_application(
    state: &AppState,
    application: crate::applications::model::Application,
) -> Result<Option<DeletedItem>, GraphError> {
    let Some(deleted) = state
        .deleted()
        .deleted_date_time(&application.id, APPLICATION)
        .await?
    else {
        return Ok(None);
    };
    let mut resource = Directory::new(state)
        .application_resource_on(Shelf::Deleted, application)
        .await?;
    resource.deleted_date_time = Some(deleted);
    Ok(Some(DeletedItem::Application(Box::new(resource))))
}

/// Deleted service principals as Graph shows them.
async fn deleted_principals(
    state: &AppState,
    principals: Vec<crate::principals::model::ServicePrincipal>,
) -> Result<Vec<DeletedItem>, GraphError> {
    let mut items = Vec::new();
    for mut resource in Directory::new(state)
        .resources_on(Shelf::Deleted, principals)
        .await?
    {
        let Some(deleted) = state
            .deleted()
            .deleted_date_time(&resource.id, SERVICE_PRINCIPAL)
            .await?
        else {
            continue;
        };
        resource.deleted_date_time = Some(deleted);
        items.push(DeletedItem::ServicePrincipal(Box::new(resource)));
    }
    Ok(items)
}

/// A deleted (or just restored) object as Graph shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum DeletedItem {
    /// A user.
    User(Box<UserResource>),
    /// An application.
    Application(Box<ApplicationResource>),
    /// A service principal.
    ServicePrincipal(Box<ServicePrincipalResource>),
}

impl Keyed for DeletedItem {
    fn key(&self) -> &str {
        match self {
            Self::User(user) => user.key(),
            Self::Application(application) => &application.id,
            Self::ServicePrincipal(principal) => &principal.id,
        }
    }
}

/// A deleted item's properties: `@odata.type`, the type's default properties and
/// `deletedDateTime`, or the `$select`ed ones.
#[derive(Debug, Serialize)]
struct Typed {
    #[serde(rename = "@odata.type")]
    odata_type: String,
    #[serde(flatten)]
    inner: serde_json::Value,
}

impl DeletedItem {
    fn kind(&self) -> DeletedKind {
        match self {
            Self::User(_) => DeletedKind::User,
            Self::Application(_) => DeletedKind::Application,
            Self::ServicePrincipal(_) => DeletedKind::ServicePrincipal,
        }
    }

    fn view(&self, query: &ODataQuery) -> Result<Typed, GraphError> {
        let kind = self.kind();
        let projection = match (self, &query.select) {
            (Self::User(user), Some(select)) => Projection::of(&**user, select, USER)?,
            (Self::User(user), None) => {
                let mut names = DEFAULT_PROPERTIES.to_vec();
                names.push("deletedDateTime");
                Projection::in_order(&**user, &names)?
            }
            (Self::Application(application), Some(select)) => {
                Projection::of(application, select, APPLICATION)?
            }
            (Self::ServicePrincipal(principal), Some(select)) => {
                Projection::of(principal, select, SERVICE_PRINCIPAL)?
            }
            (Self::Application(application), None) => return typed(kind, application),
            (Self::ServicePrincipal(principal), None) => return typed(kind, principal),
        };
        typed(kind, &projection)
    }
}

fn typed<T: Serialize>(kind: DeletedKind, inner: &T) -> Result<Typed, GraphError> {
    Ok(Typed {
        odata_type: format!("#{}", kind.type_name()),
        inner: serde_json::to_value(inner).map_err(anyhow::Error::from)?,
    })
}

/// May `caller` read (or write) deleted objects of `kind`? Graph's 403 if not. The decision is
/// recorded beside the operation's own ([`super::decisions`]).
async fn check_kind(
    state: &AppState,
    caller: &GraphCaller,
    request: &HttpRequest,
    kind: DeletedKind,
    write: bool,
) -> Result<(), GraphError> {
    let object = request.match_info().get("id");
    let verdict = decide(
        state,
        &kind.access(write),
        &Caller::of(&caller.claims),
        None,
    )
    .await?;
    let operation = request
        .extensions()
        .get::<mimic_web::telemetry::OperationId>()
        .map(|operation| operation.0)
        .unwrap_or("deleted item");
    let asked = Asked {
        operation,
        method: request.method().as_str(),
        path: request.path(),
        object,
    };
    let allowed = verdict.allowed;
    super::decisions::record(state, &caller.claims, asked, verdict);
    match allowed {
        true => Ok(()),
        false => Err(GraphError::AuthorizationRequestDenied),
    }
}

/// `GET /v1.0/directory/deletedItems/microsoft.graph.user`.
pub async fn list_deleted_users(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    list(caller, query, state, DeletedKind::User).await
}

/// `GET /v1.0/directory/deletedItems/microsoft.graph.application`.
pub async fn list_deleted_applications(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    list(caller, query, state, DeletedKind::Application).await
}

/// `GET /v1.0/directory/deletedItems/microsoft.graph.servicePrincipal`.
pub async fn list_deleted_service_principals(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    list(caller, query, state, DeletedKind::ServicePrincipal).await
}

async fn list(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    kind: DeletedKind,
) -> Result<HttpResponse, GraphError> {
    if query.filter.is_some() {
        return Err(GraphError::RequestUnsupportedQuery(
            "The query parameter '$filter' is not supported.".into(),
        ));
    }
    let items = kind.list(&state).await?;
    let path = format!("directory/deletedItems/{}", kind.type_name());
    let shape = |item: DeletedItem| item.view(&query);
    page(
        &caller,
        (&path, &path),
        &query,
        items,
        shape,
        kind.type_name(),
    )
}

/// `GET /v1.0/directory/deletedItems/{id}`.
pub async fn get_deleted_item(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let id = object_id(&key)?;
    for kind in DeletedKind::ALL {
        if let Some(item) = kind.get(&state, &id).await? {
            check_kind(&state, &caller, &request, *kind, false).await?;
            return entity(&caller, &query, &item);
        }
    }
    Err(not_found_error(&key))
}

/// `POST /v1.0/directory/deletedItems/{id}/restore` → 200 with the restored object.
pub async fn restore_deleted_item(
    caller: GraphCaller,
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let id = object_id(&key)?;
    for kind in DeletedKind::ALL {
        if kind.get(&state, &id).await?.is_none() {
            continue;
        }
        check_kind(&state, &caller, &request, *kind, true).await?;
        if let Some(item) = kind.restore(&state, &id).await? {
            tracing::info!(%id, kind = kind.type_name(), "deleted item restored");
            return entity(&caller, &ODataQuery::default(), &item);
        }
    }
    Err(not_found_error(&key))
}

/// `DELETE /v1.0/directory/deletedItems/{id}` → 204.
pub async fn purge_deleted_item(
    caller: GraphCaller,
    state: web::Data<AppState>,
    request: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let id = object_id(&key)?;
    for kind in DeletedKind::ALL {
        if kind.get(&state, &id).await?.is_none() {
            continue;
        }
        check_kind(&state, &caller, &request, *kind, true).await?;
        if kind.purge(&state, &id).await?.is_some() {
            tracing::info!(%id, kind = kind.type_name(), "deleted item purged");
            return Ok(no_content());
        }
    }
    Err(not_found_error(&key))
}

fn entity(
    caller: &GraphCaller,
    query: &ODataQuery,
    item: &DeletedItem,
) -> Result<HttpResponse, GraphError> {
    let context = format!(
        "{}/$entity",
        super::context(caller, "directoryObjects", query)
    );
    ok(&Entity {
        context,
        inner: item.view(query)?,
    })
}
