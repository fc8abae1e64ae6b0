//! `servicePrincipals`: the tenant's service principals (applications and managed identities):
//! reads; create from an application's `appId`, update, delete (soft), secrets and keys; app-role
//! assignments (`appRoleAssignments` held, `appRoleAssignedTo` granted). Managed identities' service
//! principals belong to ARM and refuse writes.

use actix_web::{web, HttpResponse};

use super::auth::GraphCaller;
use super::directory::Directory;
use super::error::GraphError;
use super::operations::{Access, Members, Operation, Owned, Verb};
use super::query::ODataQuery;
use super::{collection, entity, not_found_error, object_id, SERVICE_PRINCIPAL};
use crate::first_party::{FirstParty, MimicUrls};
use crate::principals::store::PrincipalFilter;
use crate::state::AppState;

/// Reading service principals (least privileged first).
const READ: Access = Access::Read(&[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
]);

/// Changing a service principal (its owners may too).
const WRITE: Access = Access::Write {
    application: &[
        "Application.ReadWrite.OwnedBy",
        "Application.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    roles: &[
        "Application Administrator",
        "Cloud Application Administrator",
    ],
    members: Members::Denied,
    owners: Some(Owned::ServicePrincipal),
};

/// `addKey`/`removeKey`: as a write, and the service principal itself may roll its own keys.
const ROLL_KEYS: Access = Access::Write {
    application: &[
        "Application.ReadWrite.OwnedBy",
        "Application.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    roles: &[
        "Application Administrator",
        "Cloud Application Administrator",
    ],
    members: Members::Denied,
    owners: Some(Owned::ServicePrincipalOrItself),
};

/// Creating a service principal for an application of the tenant (no object to own yet).
const CREATE: Access = Access::Write {
    application: &[
        "Application.ReadWrite.OwnedBy",
        "Application.ReadWrite.All",
        "Directory.ReadWrite.All",
    ],
    roles: &[
        "Application Administrator",
        "Cloud Application Administrator",
    ],
    members: Members::Denied,
    owners: None,
};

/// Granting or revoking app roles (Graph also requires `Application.Read.All` of an app caller).
const ASSIGN: Access = Access::Write {
    application: &["AppRoleAssignment.ReadWrite.All"],
    roles: &[
        "Privileged Role Administrator",
        "Cloud Application Administrator",
        "Application Administrator",
    ],
    members: Members::Denied,
    owners: None,
};

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "Create servicePrincipal",
        verb: Verb::Post,
        path: "/servicePrincipals",
        access: CREATE,
        handler: |route| route.to(super::service_principal_writes::create_service_principal),
        summary: "`{\"appId\":…}` of an application of the tenant; 201; 409 if it has one",
    },
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
    Operation {
        name: "Update servicePrincipal",
        verb: Verb::Patch,
        path: "/servicePrincipals/{id}",
        access: WRITE,
        handler: |route| route.to(super::service_principal_writes::update_service_principal),
        summary: "204; `accountEnabled`, `tags`, `notes`, `description`, … (not managed identities)",
    },
    Operation {
        name: "Delete servicePrincipal",
        verb: Verb::Delete,
        path: "/servicePrincipals/{id}",
        access: WRITE,
        handler: |route| route.to(super::service_principal_writes::delete_service_principal),
        summary: "204; into `directory/deletedItems` with its credentials, app-role assignments, memberships and directory roles (not managed identities: 400)",
    },
    Operation {
        name: "servicePrincipal: addPassword",
        verb: Verb::Post,
        path: "/servicePrincipals/{id}/addPassword",
        access: WRITE,
        handler: |route| route.to(super::service_principal_writes::add_password),
        summary: "the generated `secretText` once; stored hashed",
    },
    Operation {
        name: "servicePrincipal: removePassword",
        verb: Verb::Post,
        path: "/servicePrincipals/{id}/removePassword",
        access: WRITE,
        handler: |route| route.to(super::service_principal_writes::remove_password),
        summary: "`{\"keyId\":…}`; 204",
    },
    Operation {
        name: "servicePrincipal: addKey",
        verb: Verb::Post,
        path: "/servicePrincipals/{id}/addKey",
        access: ROLL_KEYS,
        handler: |route| route.to(super::key_rollover::add_service_principal_key),
        summary: "`keyCredential` (`AsymmetricX509Cert`, `Verify`) and a `proof` signed by a valid certificate of the service principal; 200 with the `keyCredential`",
    },
    Operation {
        name: "servicePrincipal: removeKey",
        verb: Verb::Post,
        path: "/servicePrincipals/{id}/removeKey",
        access: ROLL_KEYS,
        handler: |route| route.to(super::key_rollover::remove_service_principal_key),
        summary: "`keyId` and a `proof`; 204",
    },
    Operation {
        name: "List appRoleAssignments granted to a service principal",
        verb: Verb::Get,
        path: "/servicePrincipals/{id}/appRoleAssignments",
        access: READ,
        handler: |route| route.to(super::app_role_assignments::list_assignments),
        summary: "the app roles `{id}` holds",
    },
    Operation {
        name: "Grant an appRoleAssignment to a service principal",
        verb: Verb::Post,
        path: "/servicePrincipals/{id}/appRoleAssignments",
        access: ASSIGN,
        handler: |route| route.to(super::app_role_assignments::grant_assignment),
        summary: "`{principalId: {id}, resourceId, appRoleId}`; 201",
    },
    Operation {
        name: "Delete an appRoleAssignment granted to a service principal",
        verb: Verb::Delete,
        path: "/servicePrincipals/{id}/appRoleAssignments/{assignment_id}",
        access: ASSIGN,
        handler: |route| route.to(super::app_role_assignments::delete_assignment),
        summary: "204",
    },
    Operation {
        name: "List appRoleAssignments granted for a service principal",
        verb: Verb::Get,
        path: "/servicePrincipals/{id}/appRoleAssignedTo",
        access: READ,
        handler: |route| route.to(super::app_role_assignments::list_assigned_to),
        summary: "the app roles of `{id}` granted to principals",
    },
    Operation {
        name: "Grant an appRoleAssignment for a service principal",
        verb: Verb::Post,
        path: "/servicePrincipals/{id}/appRoleAssignedTo",
        access: ASSIGN,
        handler: |route| route.to(super::app_role_assignments::grant_assigned_to),
        summary: "`{principalId, resourceId: {id}, appRoleId}`; 201",
    },
    Operation {
        name: "Delete an appRoleAssignment granted for a service principal",
        verb: Verb::Delete,
        path: "/servicePrincipals/{id}/appRoleAssignedTo/{assignment_id}",
        access: ASSIGN,
        handler: |route| route.to(super::app_role_assignments::delete_assigned_to),
        summary: "204",
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
    // A first-party principal is also named by Azure's URIs and mimic's URLs for its service.
    let filter = match filter {
        PrincipalFilter::ServicePrincipalName(name) => {
            match FirstParty::named(&name, &MimicUrls::of(&state)) {
                Some(entry) => PrincipalFilter::AppId(entry.app_id.into()),
                None => PrincipalFilter::ServicePrincipalName(name),
            }
        }
        other => other,
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
    let principal = match state.reality.hides(&id, state.clock.now()) {
        true => None,
        false => Directory::new(&state).service_principal(&id).await?,
    };
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
