//! What a user, service principal (managed identities included) or group is a member of:
//! `memberOf`, `transitiveMemberOf`, and the actions `getMemberGroups`, `getMemberObjects` and
//! `checkMemberGroups` on `users`, `servicePrincipals`, `groups` and `directoryObjects`. Every
//! group mimic has is a security group, so `securityEnabledOnly` changes nothing, and a principal
//! has no directory roles or administrative units, so `getMemberObjects` answers what
//! `getMemberGroups` does.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::auth::GraphCaller;
use super::directory::Directory;
use super::error::GraphError;
use super::operations::{Access, Operation, Verb};
use super::query::ODataQuery;
use super::{json_body, not_found_error, object_id, page, strings, DIRECTORY_OBJECT};
use crate::groups::model::{ObjectKind, Reference};
use crate::state::AppState;

/// Reading memberships (least privileged first).
const READ: Access = Access::Read(&[
    "GroupMember.Read.All",
    "Group.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
]);

macro_rules! navigation {
    ($name:literal, $path:literal, $handler:ident, $summary:literal) => {
        Operation {
            name: $name,
            verb: Verb::Get,
            path: $path,
            access: READ,
            handler: |route| route.to($handler),
            summary: $summary,
        }
    };
}

macro_rules! action {
    ($name:literal, $path:literal, $handler:ident, $summary:literal) => {
        Operation {
            name: $name,
            verb: Verb::Post,
            path: $path,
            access: READ,
            handler: |route| route.to($handler),
            summary: $summary,
        }
    };
}

pub const OPERATIONS: &[Operation] = &[
    navigation!(
        "List a user's direct memberships",
        "/users/{id}/memberOf",
        member_of,
        "groups, with `@odata.type`; `$top`, `$skiptoken`, `$select`, `$count`"
    ),
    navigation!(
        "List a user's memberships",
        "/users/{id}/transitiveMemberOf",
        transitive_member_of,
        "groups, nested ones too"
    ),
    action!(
        "user: getMemberGroups",
        "/users/{id}/getMemberGroups",
        get_member_groups,
        "`{\"securityEnabledOnly\": …}` → transitive group ids"
    ),
    action!(
        "user: getMemberObjects",
        "/users/{id}/getMemberObjects",
        get_member_groups,
        "as getMemberGroups (no roles or units)"
    ),
    action!(
        "user: checkMemberGroups",
        "/users/{id}/checkMemberGroups",
        check_member_groups,
        "`{\"groupIds\": […]}` → those the user is in, transitively"
    ),
    navigation!(
        "servicePrincipal: List memberOf",
        "/servicePrincipals/{id}/memberOf",
        member_of,
        "groups, with `@odata.type`"
    ),
    navigation!(
        "servicePrincipal: List transitiveMemberOf",
        "/servicePrincipals/{id}/transitiveMemberOf",
        transitive_member_of,
        "groups, nested ones too"
    ),
    action!(
        "servicePrincipal: getMemberGroups",
        "/servicePrincipals/{id}/getMemberGroups",
        get_member_groups,
        "transitive group ids"
    ),
    action!(
        "servicePrincipal: getMemberObjects",
        "/servicePrincipals/{id}/getMemberObjects",
        get_member_groups,
        "as getMemberGroups"
    ),
    action!(
        "servicePrincipal: checkMemberGroups",
        "/servicePrincipals/{id}/checkMemberGroups",
        check_member_groups,
        "those it is in, transitively"
    ),
    navigation!(
        "List group memberOf",
        "/groups/{id}/memberOf",
        member_of,
        "the groups it is a direct member of"
    ),
    navigation!(
        "List group transitive memberOf",
        "/groups/{id}/transitiveMemberOf",
        transitive_member_of,
        "nested ones too"
    ),
    action!(
        "group: getMemberGroups",
        "/groups/{id}/getMemberGroups",
        get_member_groups,
        "transitive group ids"
    ),
    action!(
        "group: getMemberObjects",
        "/groups/{id}/getMemberObjects",
        get_member_groups,
        "as getMemberGroups"
    ),
    action!(
        "group: checkMemberGroups",
        "/groups/{id}/checkMemberGroups",
        check_member_groups,
        "those it is in, transitively"
    ),
    action!(
        "directoryObject: getMemberGroups",
        "/directoryObjects/{id}/getMemberGroups",
        get_member_groups,
        "any user, service principal or group"
    ),
    action!(
        "directoryObject: getMemberObjects",
        "/directoryObjects/{id}/getMemberObjects",
        get_member_groups,
        "as getMemberGroups"
    ),
    action!(
        "directoryObject: checkMemberGroups",
        "/directoryObjects/{id}/checkMemberGroups",
        check_member_groups,
        "`az ad group member check` calls it"
    ),
];

/// `GET /v1.0/{users|servicePrincipals|groups}/{id}/memberOf`.
pub async fn member_of(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    groups_of(caller, query, state, &key, &request, false).await
}

/// `GET /v1.0/{users|servicePrincipals|groups}/{id}/transitiveMemberOf`.
pub async fn transitive_member_of(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, GraphError> {
    groups_of(caller, query, state, &key, &request, true).await
}

async fn groups_of(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: &str,
    request: &HttpRequest,
    transitive: bool,
) -> Result<HttpResponse, GraphError> {
    if query.filter.is_some() {
        return Err(GraphError::RequestUnsupportedQuery(
            "The query parameter '$filter' is not supported.".into(),
        ));
    }
    let (set, subject) = subject(&state, request, key).await?;
    let ids = match transitive {
        true => state.groups.transitive_groups(&subject.id).await?,
        false => state.groups.direct_groups(&subject.id).await?,
    };
    let references: Vec<Reference> = ids
        .into_iter()
        .map(|id| Reference {
            id,
            kind: ObjectKind::Group,
        })
        .collect();
    let objects = Directory::new(&state).objects(&references).await?;
    let navigation = if transitive {
        "transitiveMemberOf"
    } else {
        "memberOf"
    };
    let path = format!("{set}/{}/{navigation}", subject.id);
    page(
        &caller,
        ("directoryObjects", &path),
        &query,
        objects,
        Ok,
        DIRECTORY_OBJECT,
    )
}

/// `getMemberGroups` and `getMemberObjects` bodies.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberGroupsBody {
    #[serde(default)]
    #[allow(dead_code)]
    security_enabled_only: Option<bool>,
}

/// `POST /v1.0/{users|servicePrincipals|groups|directoryObjects}/{id}/getMemberGroups` (and
/// `getMemberObjects`) → the ids of every group the object is in, directly or not.
pub async fn get_member_groups(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let _: MemberGroupsBody = json_body(&body)?;
    let (_, subject) = subject(&state, &request, &key).await?;
    let groups = state.groups.transitive_groups(&subject.id).await?;
    strings(&caller, groups)
}

/// `checkMemberGroups` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckMemberGroupsBody {
    group_ids: Vec<String>,
}

/// `POST /v1.0/{…}/{id}/checkMemberGroups` with `{"groupIds":[…]}` → those of the ids the
/// object is in, directly or not, in the order asked.
pub async fn check_member_groups(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let body: CheckMemberGroupsBody = json_body(&body)?;
    let (_, subject) = subject(&state, &request, &key).await?;
    let groups = state.groups.transitive_groups(&subject.id).await?;
    let found = body
        .group_ids
        .into_iter()
        .filter(|id| groups.iter().any(|group| group.eq_ignore_ascii_case(id)))
        .collect();
    strings(&caller, found)
}

/// The entity set of the URL and the object its key names: a live user (by id or user
/// principal name), a service principal, a group, or — under `directoryObjects` — any of them.
async fn subject(
    state: &AppState,
    request: &HttpRequest,
    key: &str,
) -> Result<(String, Reference), GraphError> {
    let set = request
        .path()
        .trim_start_matches('/')
        .split('/')
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let wanted = match set.as_str() {
        "users" => Some(ObjectKind::User),
        "servicePrincipals" => Some(ObjectKind::ServicePrincipal),
        "groups" => Some(ObjectKind::Group),
        _ => None,
    };
    let id = match wanted {
        // A user principal name nobody has is a missing user (404), not a bad key.
        Some(ObjectKind::User) => match state.users.by_upn(key).await? {
            Some(user) => user.id,
            None => key.to_ascii_lowercase(),
        },
        _ => object_id(key)?,
    };
    let reference = Directory::new(state).reference(&id).await?;
    match reference {
        Some(reference) if wanted.is_none_or(|kind| kind == reference.kind) => Ok((set, reference)),
        _ => Err(not_found_error(key)),
    }
}
