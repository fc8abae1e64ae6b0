//! `groups`: security groups — create, read, list, update, delete (permanently, as Entra deletes
//! security groups) — with their `members` and `owners` (users, service principals and, for
//! members, nested groups) and `transitiveMembers`. What a group is itself a member of is in
//! [`super::membership`].

pub mod model;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::auth::GraphCaller;
use super::directory::Directory;
use super::error::{GraphError, RequestBadRequest};
use super::model::DirectoryObject;
use super::operations::{Access, Members, Operation, Owned, Verb};
use super::query::ODataQuery;
use super::{
    count_only, created, entity, no_content, not_found_error, object_id, page, Keyed,
    DIRECTORY_OBJECT, GROUP,
};
use crate::groups::model::{Added, Group, GroupChanges, ObjectKind, Relation};
use crate::principals::iso_timestamp;
use crate::state::AppState;
use model::{check_group_filter, GroupBody, GroupResource};

/// Reading groups (least privileged first).
const READ: Access = Access::Read(&[
    "GroupMember.Read.All",
    "Group.Read.All",
    "Directory.Read.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
]);

/// Writing a group (least privileged first).
const WRITE: Access = Access::Write {
    application: &["Group.ReadWrite.All", "Directory.ReadWrite.All"],
    roles: &["Groups Administrator", "User Administrator"],
    members: Members::Denied,
    owners: Some(Owned::Group),
};

/// Writing members and owners (least privileged first).
const WRITE_MEMBERS: Access = Access::Write {
    application: &[
        "GroupMember.ReadWrite.All",
        "Group.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    roles: &["Groups Administrator", "User Administrator"],
    members: Members::Denied,
    owners: Some(Owned::Group),
};

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "List groups",
        verb: Verb::Get,
        path: "/groups",
        access: READ,
        handler: |route| route.to(list_groups),
        summary: "`$filter` (clauses joined by `and`, below), `$top`, `$skiptoken`, `$select`, `$count` (with `ConsistencyLevel: eventual`)",
    },
    Operation {
        name: "Create group",
        verb: Verb::Post,
        path: "/groups",
        access: Access::Write {
            application: &["Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All"],
            roles: &["Groups Administrator", "User Administrator"],
            members: Members::CreateSecurityGroups,
            owners: None,
        },
        handler: |route| route.to(create_group),
        summary: "201; security groups: `displayName`, `mailNickname`, `mailEnabled: false`, `securityEnabled: true`, `description`",
    },
    Operation {
        name: "Count groups",
        verb: Verb::Get,
        path: "/groups/$count",
        access: READ,
        handler: |route| route.to(count_groups),
        summary: "text; needs `ConsistencyLevel: eventual`",
    },
    Operation {
        name: "Get group",
        verb: Verb::Get,
        path: "/groups/{id}",
        access: READ,
        handler: |route| route.to(get_group),
        summary: "`$select`",
    },
    Operation {
        name: "Update group",
        verb: Verb::Patch,
        path: "/groups/{id}",
        access: WRITE,
        handler: |route| route.to(update_group),
        summary: "204; `displayName`, `mailNickname`, `description`",
    },
    Operation {
        name: "Delete group",
        verb: Verb::Delete,
        path: "/groups/{id}",
        access: WRITE,
        handler: |route| route.to(delete_group),
        summary: "204; permanent (security groups are not soft-deleted); its members leave it",
    },
    Operation {
        name: "List group members",
        verb: Verb::Get,
        path: "/groups/{id}/members",
        access: READ,
        handler: |route| route.to(list_members),
        summary: "direct members with `@odata.type`; `$top`, `$skiptoken`, `$select`, `$count`",
    },
    Operation {
        name: "Add members",
        verb: Verb::Post,
        path: "/groups/{id}/members/$ref",
        access: WRITE_MEMBERS,
        handler: |route| route.to(add_member),
        summary: "204; `{\"@odata.id\": \".../directoryObjects/{id}\"}`: a user, service principal or group",
    },
    Operation {
        name: "Remove member",
        verb: Verb::Delete,
        path: "/groups/{id}/members/{member_id}/$ref",
        access: WRITE_MEMBERS,
        handler: |route| route.to(remove_member),
        summary: "204",
    },
    Operation {
        name: "List group owners",
        verb: Verb::Get,
        path: "/groups/{id}/owners",
        access: READ,
        handler: |route| route.to(list_owners),
        summary: "with `@odata.type`; `$top`, `$skiptoken`, `$select`, `$count`",
    },
    Operation {
        name: "Add owners",
        verb: Verb::Post,
        path: "/groups/{id}/owners/$ref",
        access: WRITE_MEMBERS,
        handler: |route| route.to(add_owner),
        summary: "204; a user or service principal",
    },
    Operation {
        name: "Remove group owner",
        verb: Verb::Delete,
        path: "/groups/{id}/owners/{owner_id}/$ref",
        access: WRITE_MEMBERS,
        handler: |route| route.to(remove_owner),
        summary: "204",
    },
    Operation {
        name: "List group transitive members",
        verb: Verb::Get,
        path: "/groups/{id}/transitiveMembers",
        access: READ,
        handler: |route| route.to(list_transitive_members),
        summary: "members of nested groups too, each once; `$top`, `$skiptoken`, `$select`, `$count`",
    },
];

impl Keyed for GroupResource {
    fn key(&self) -> &str {
        &self.id
    }
}

fn check_filter(query: &ODataQuery) -> Result<(), GraphError> {
    if let Some(filter) = &query.filter {
        for clause in &filter.clauses {
            check_group_filter(clause)?;
        }
    }
    Ok(())
}

/// `GET /v1.0/groups[?$filter=…&$top=…&$select=…&$count=true]`.
pub async fn list_groups(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    check_filter(&query)?;
    let groups = Directory::new(&state).groups(query.filter.as_ref()).await?;
    page(&caller, ("groups", "groups"), &query, groups, Ok, GROUP)
}

/// `GET /v1.0/groups/$count` (`ConsistencyLevel: eventual`).
pub async fn count_groups(
    _: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
) -> Result<HttpResponse, GraphError> {
    check_filter(&query)?;
    let groups = Directory::new(&state).groups(query.filter.as_ref()).await?;
    count_only(&query, groups.len())
}

/// `POST /v1.0/groups` → 201 with the group.
pub async fn create_group(
    caller: GraphCaller,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let body = GroupBody::parse(&body)?;
    body.check(true)?;
    let group = Group {
        id: uuid::Uuid::new_v4().to_string(),
        display_name: body.display_name.unwrap_or_default(),
        mail_nickname: body.mail_nickname.unwrap_or_default(),
        description: body.description.flatten(),
        security_enabled: true,
        mail_enabled: false,
        created_date_time: iso_timestamp(state.clock.now()),
    };
    let group = state.groups.create(&group).await?;
    state
        .reality
        .principal_created(&group.id, state.clock.now());
    tracing::info!(id = %group.id, name = %group.display_name, "group created");
    created(&caller, "groups", &GroupResource::from(group))
}

/// `GET /v1.0/groups/{id}`.
pub async fn get_group(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let group = find_group(&state, &key).await?;
    if state.reality.hides(&group.id, state.clock.now()) {
        return Err(not_found_error(&key));
    }
    entity(&caller, "groups", &query, &group, GROUP)
}

/// `PATCH /v1.0/groups/{id}` → 204; nothing changes on any error.
pub async fn update_group(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let group = find_group(&state, &key).await?;
    let body = GroupBody::parse(&body)?;
    body.check(false)?;
    let changes = GroupChanges {
        display_name: body.display_name,
        mail_nickname: body.mail_nickname,
        description: body.description,
    };
    match state.groups.update(&group.id, &changes).await? {
        Some(_) => Ok(no_content()),
        None => Err(not_found_error(&key)),
    }
}

/// `DELETE /v1.0/groups/{id}` → 204.
pub async fn delete_group(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let id = object_id(&key)?;
    match state.groups.delete(&id).await? {
        Some(()) => {
            tracing::info!(%id, "group deleted");
            Ok(no_content())
        }
        None => Err(not_found_error(&key)),
    }
}

/// `GET /v1.0/groups/{id}/members`.
pub async fn list_members(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    list_references(caller, query, state, &key, Relation::Members).await
}

/// `GET /v1.0/groups/{id}/owners`.
pub async fn list_owners(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    list_references(caller, query, state, &key, Relation::Owners).await
}

/// `GET /v1.0/groups/{id}/transitiveMembers`.
pub async fn list_transitive_members(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    no_filter(&query)?;
    let group = find_group(&state, &key).await?;
    let references = state.groups.transitive_members(&group.id).await?;
    let objects = Directory::new(&state).objects(&references).await?;
    let path = format!("groups/{}/transitiveMembers", group.id);
    page(
        &caller,
        ("directoryObjects", &path),
        &query,
        objects,
        Ok,
        DIRECTORY_OBJECT,
    )
}

async fn list_references(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: &str,
    relation: Relation,
) -> Result<HttpResponse, GraphError> {
    no_filter(&query)?;
    let group = find_group(&state, key).await?;
    let references = state.groups.references(&group.id, relation).await?;
    let objects: Vec<DirectoryObject> = Directory::new(&state).objects(&references).await?;
    let path = format!("groups/{}/{}", group.id, relation.name());
    page(
        &caller,
        ("directoryObjects", &path),
        &query,
        objects,
        Ok,
        DIRECTORY_OBJECT,
    )
}

/// `{"@odata.id": "…/directoryObjects/{id}"}`.
#[derive(Debug, Deserialize)]
struct ReferenceBody {
    #[serde(rename = "@odata.id")]
    odata_id: Option<String>,
}

/// `POST /v1.0/groups/{id}/members/$ref` → 204.
pub async fn add_member(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    add_reference(&state, &key, &body, Relation::Members).await
}

/// `POST /v1.0/groups/{id}/owners/$ref` → 204.
pub async fn add_owner(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    add_reference(&state, &key, &body, Relation::Owners).await
}

/// Adds the object `body` references; Graph's errors for an unknown group or object, an object
/// already there, and a group as owner. Nothing changes on an error.
async fn add_reference(
    state: &AppState,
    key: &str,
    body: &[u8],
    relation: Relation,
) -> Result<HttpResponse, GraphError> {
    let group = find_group(state, key).await?;
    let body: ReferenceBody = super::json_body(body)?;
    let target = referenced_id(body.odata_id.as_deref())?;
    let reference = Directory::new(state).reference(&target).await?;
    let reference = reference.ok_or_else(|| not_found_error(&target))?;
    if relation == Relation::Owners && reference.kind == ObjectKind::Group {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::InvalidValue {
                property: "owners",
                resource: "Group",
            },
        ));
    }
    match state.groups.add(&group.id, relation, &reference).await? {
        Added::Added => {
            tracing::info!(group = %group.id, object = %reference.id, relation = relation.name(), "group reference added");
            Ok(no_content())
        }
        Added::AlreadyThere => Err(GraphError::RequestBadRequest(
            RequestBadRequest::ReferencesExist(relation.name()),
        )),
        Added::NoGroup => Err(not_found_error(key)),
    }
}

/// `DELETE /v1.0/groups/{id}/members/{member id}/$ref` → 204.
pub async fn remove_member(
    _: GraphCaller,
    state: web::Data<AppState>,
    keys: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    let (group, member) = keys.into_inner();
    remove_reference(&state, &group, &member, Relation::Members).await
}

/// `DELETE /v1.0/groups/{id}/owners/{owner id}/$ref` → 204.
pub async fn remove_owner(
    _: GraphCaller,
    state: web::Data<AppState>,
    keys: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    let (group, owner) = keys.into_inner();
    remove_reference(&state, &group, &owner, Relation::Owners).await
}

async fn remove_reference(
    state: &AppState,
    group_key: &str,
    object_key: &str,
    relation: Relation,
) -> Result<HttpResponse, GraphError> {
    let group = find_group(state, group_key).await?;
    let object = object_id(object_key)?;
    match state.groups.remove(&group.id, relation, &object).await? {
        Some(()) => Ok(no_content()),
        None => Err(not_found_error(object_key)),
    }
}

/// The id at the end of an `@odata.id` URL (`…/directoryObjects/{id}`, `…/users/{id}`); a
/// missing `@odata.id` or a bare id is not a URL, which Graph refuses.
fn referenced_id(odata_id: Option<&str>) -> Result<String, GraphError> {
    super::applications::odata_id_key(odata_id)
}

/// The group with this key, or Graph's 400/404.
async fn find_group(state: &AppState, key: &str) -> Result<GroupResource, GraphError> {
    let id = object_id(key)?;
    let group = Directory::new(state).group(&id).await?;
    group.ok_or_else(|| not_found_error(key))
}

/// Navigation collections take no `$filter` in mimic.
fn no_filter(query: &ODataQuery) -> Result<(), GraphError> {
    match query.filter {
        Some(_) => Err(GraphError::RequestUnsupportedQuery(
            "The query parameter '$filter' is not supported.".into(),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referenced_id_is_the_last_segment_of_the_url() {
        let id = "0badc0de-0000-4000-8000-000000000000";
        let cases = [
            format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}"),
            format!("https://127.0.0.1:8444/v1.0/users/{}/", id.to_uppercase()),
        ];
        for url in cases {
            assert_eq!(referenced_id(Some(&url)).unwrap(), id, "{url}");
        }
        for refused in [None, Some(id)] {
            let error = referenced_id(refused).unwrap_err();
            assert_eq!(error.code(), "BadRequest", "{refused:?}");
            assert_eq!(
                error.to_string(),
                "Invalid URL format specified in payload."
            );
        }
        assert_eq!(
            referenced_id(Some("https://x/v1.0/directoryObjects/nope"))
                .unwrap_err()
                .code(),
            "Request_BadRequest"
        );
    }
}
