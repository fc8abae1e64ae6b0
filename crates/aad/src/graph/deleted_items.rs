//! `directory/deletedItems`: deleted objects wait here until they are restored or permanently
//! deleted. Entra keeps them 30 days; mimic keeps them until then by hand (no expiry).
//!
//! Every kind of object that can wait here is a [`DeletedKind`]: its Graph type name (the cast in
//! `GET /directory/deletedItems/microsoft.graph.user`) and how to list, get, restore and purge
//! it. Today that is users; security groups are deleted permanently, as in Entra. Adding a kind —
//! applications, say — is: a variant of [`DeletedKind`] and of [`DeletedItem`] (the compiler then
//! points at every `match` to fill in: the store calls and the wire view), the variant in
//! [`DeletedKind::ALL`], and one operation row for its list
//! (`/directory/deletedItems/microsoft.graph.application`). Get, restore and permanent delete by id
//! already search every kind.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::auth::GraphCaller;
use super::error::GraphError;
use super::model::{Entity, Projection};
use super::operations::{Access, Members, Operation, Verb};
use super::query::ODataQuery;
use super::users::model::{UserResource, DEFAULT_PROPERTIES};
use super::{no_content, not_found_error, object_id, ok, page, Keyed, USER};
use crate::error::AadError;
use crate::state::AppState;

/// Reading deleted items (least privileged first).
const READ: Access = Access::Read(&[
    "User.Read.All",
    "Directory.Read.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
]);

/// Restoring or purging deleted items (least privileged first).
const WRITE: Access = Access::Write {
    application: &[
        "User.DeleteRestore.All",
        "User.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    roles: &["User Administrator", "Global Administrator"],
    members: Members::Denied,
    owners: None,
};

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "List deleted items (users)",
        verb: Verb::Get,
        path: "/directory/deletedItems/microsoft.graph.user",
        access: READ,
        handler: |route| route.to(list_deleted_users),
        summary: "deleted users with `deletedDateTime`; `$top`, `$skiptoken`, `$select`, `$count`",
    },
    Operation {
        name: "Get deleted item",
        verb: Verb::Get,
        path: "/directory/deletedItems/{id}",
        access: READ,
        handler: |route| route.to(get_deleted_item),
        summary: "with `@odata.type`; `$select`",
    },
    Operation {
        name: "Restore deleted item",
        verb: Verb::Post,
        path: "/directory/deletedItems/{id}/restore",
        access: WRITE,
        handler: |route| route.to(restore_deleted_item),
        summary: "200 with the object; its name back (400 `ObjectConflict` if taken meanwhile), sign-in and memberships back",
    },
    Operation {
        name: "Permanently delete an item",
        verb: Verb::Delete,
        path: "/directory/deletedItems/{id}",
        access: WRITE,
        handler: |route| route.to(purge_deleted_item),
        summary: "204; gone for good, memberships too",
    },
];

/// A kind of object `directory/deletedItems` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletedKind {
    /// `microsoft.graph.user`.
    User,
}

impl DeletedKind {
    /// Every kind, in the order `get` searches them.
    pub const ALL: &'static [Self] = &[Self::User];

    /// Graph's type name (the cast segment).
    pub fn type_name(self) -> &'static str {
        match self {
            Self::User => USER,
        }
    }

    /// Every deleted object of this kind, ordered by id.
    async fn list(self, state: &AppState) -> Result<Vec<DeletedItem>, AadError> {
        match self {
            Self::User => Ok(state
                .users
                .all_deleted()
                .await?
                .into_iter()
                .map(|user| DeletedItem::User(UserResource::new(user, &state.tenant)))
                .collect()),
        }
    }

    /// The deleted object of this kind with this id.
    async fn get(self, state: &AppState, id: &str) -> Result<Option<DeletedItem>, AadError> {
        match self {
            Self::User => Ok(state
                .users
                .deleted(id)
                .await?
                .map(|user| DeletedItem::User(UserResource::new(user, &state.tenant)))),
        }
    }

    /// Restores it; the live object, or `None` if there is no such deleted object.
    async fn restore(self, state: &AppState, id: &str) -> Result<Option<DeletedItem>, AadError> {
        match self {
            Self::User => Ok(state
                .users
                .restore(id)
                .await?
                .map(|user| DeletedItem::User(UserResource::new(user, &state.tenant)))),
        }
    }

    /// Deletes it for good; `None` if there is no such deleted object.
    async fn purge(self, state: &AppState, id: &str) -> Result<Option<()>, AadError> {
        match self {
            Self::User => state.users.purge(id).await,
        }
    }
}

/// A deleted (or just restored) object as Graph shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum DeletedItem {
    /// A user.
    User(UserResource),
}

impl Keyed for DeletedItem {
    fn key(&self) -> &str {
        match self {
            Self::User(user) => user.key(),
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
    inner: Projection,
}

impl DeletedItem {
    fn view(&self, query: &ODataQuery) -> Result<Typed, GraphError> {
        let (kind, inner) = match self {
            Self::User(user) => {
                let inner = match &query.select {
                    Some(select) => Projection::of(user, select, USER)?,
                    None => {
                        let mut names = DEFAULT_PROPERTIES.to_vec();
                        names.push("deletedDateTime");
                        Projection::in_order(user, &names)?
                    }
                };
                (DeletedKind::User, inner)
            }
        };
        Ok(Typed {
            odata_type: format!("#{}", kind.type_name()),
            inner,
        })
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
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    query.only_select()?;
    let id = object_id(&key)?;
    for kind in DeletedKind::ALL {
        if let Some(item) = kind.get(&state, &id).await? {
            return entity(&caller, &query, &item);
        }
    }
    Err(not_found_error(&key))
}

/// `POST /v1.0/directory/deletedItems/{id}/restore` → 200 with the restored object.
pub async fn restore_deleted_item(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let id = object_id(&key)?;
    for kind in DeletedKind::ALL {
        let restored = kind
            .restore(&state, &id)
            .await
            .map_err(|error| match error {
                AadError::UserConflict { property } => GraphError::RequestBadRequest(
                    super::error::RequestBadRequest::ObjectConflict(property),
                ),
                other => GraphError::from(other),
            })?;
        if let Some(item) = restored {
            tracing::info!(%id, kind = kind.type_name(), "deleted item restored");
            return entity(&caller, &ODataQuery::default(), &item);
        }
    }
    Err(not_found_error(&key))
}

/// `DELETE /v1.0/directory/deletedItems/{id}` → 204.
pub async fn purge_deleted_item(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let id = object_id(&key)?;
    for kind in DeletedKind::ALL {
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
