//! Resource groups: `ResourceGroups_CreateOrUpdate` (PUT), `_Get`, `_CheckExistence` (HEAD),
//! `_Update` (PATCH), `_Delete` and `_List`. A deletion is a long-running operation, as in ARM
//! ([`crate::async_operations`]): 202 with `Location: …/subscriptions/{s}/operationresults/{token}`
//! and `Retry-After`; the group shows `provisioningState: Deleting` (and refuses writes with
//! `ResourceGroupBeingDeleted`) until the operation ends and takes the group and its contents.

pub mod model;
pub mod store;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use crate::async_operations::{self as lro, NewOperation, OperationKind};
use crate::extract::ApiVersion;

use crate::extract::Caller;
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::rbac::authorize;
use crate::scope::{require_group_location, require_resource_group, require_subscription};
use crate::{AppState, ArmError};
use model::{ResourceGroup, ResourceGroupBody, ResourceGroupCreate, ResourceGroupPatch, TagFilter};
use store::Upserted;

const READ: &str = "Microsoft.Resources/subscriptions/resourceGroups/read";
const WRITE: &str = "Microsoft.Resources/subscriptions/resourceGroups/write";
const DELETE: &str = "Microsoft.Resources/subscriptions/resourceGroups/delete";

/// `Microsoft.Resources/resourceGroups`.
pub const RESOURCE_GROUPS: ResourceType = ResourceType {
    namespace: "Microsoft.Resources",
    name: "resourceGroups",
    display_name: "Resource Groups",
    regional: true,
    versions: crate::resources::VERSIONS,
};

/// `Microsoft.Resources/subscriptions/resourceGroups` (the list).
pub const SUBSCRIPTION_RESOURCE_GROUPS: ResourceType = ResourceType {
    namespace: "Microsoft.Resources",
    name: "subscriptions/resourceGroups",
    display_name: "Resource Groups",
    regional: false,
    versions: crate::resources::VERSIONS,
};

const GROUP_PATH: &str = "/subscriptions/{subscription_id}/resourcegroups/{resource_group}";

/// The resource-group operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "ResourceGroups_List",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/resourcegroups",
        resource_type: &SUBSCRIPTION_RESOURCE_GROUPS,
        versions: &[],
        authorization: Authorization::Filtered(
            READ,
            "403 without any role in the subscription; otherwise the groups the caller may read",
        ),
        handler: |route| route.to(list),
        summary: "List resource groups",
    },
    Operation {
        id: "ResourceGroups_CreateOrUpdate",
        verb: Verb::Put,
        path: GROUP_PATH,
        resource_type: &RESOURCE_GROUPS,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Path),
        handler: |route| route.to(create_or_update),
        summary: "Create or update a resource group",
    },
    Operation {
        id: "ResourceGroups_Get",
        verb: Verb::Get,
        path: GROUP_PATH,
        resource_type: &RESOURCE_GROUPS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Path),
        handler: |route| route.to(get),
        summary: "Get a resource group",
    },
    Operation {
        id: "ResourceGroups_CheckExistence",
        verb: Verb::Head,
        path: GROUP_PATH,
        resource_type: &RESOURCE_GROUPS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Path),
        handler: |route| route.to(check_existence),
        summary: "Check whether a resource group exists",
    },
    Operation {
        id: "ResourceGroups_Update",
        verb: Verb::Patch,
        path: GROUP_PATH,
        resource_type: &RESOURCE_GROUPS,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Path),
        handler: |route| route.to(update),
        summary: "Update a resource group's tags",
    },
    Operation {
        id: "ResourceGroups_Delete",
        verb: Verb::Delete,
        path: GROUP_PATH,
        resource_type: &RESOURCE_GROUPS,
        versions: &[],
        authorization: Authorization::Action(DELETE, ScopeRule::Path),
        handler: |route| route.to(delete),
        summary: "Delete a resource group and everything in it",
    },
];

/// `{subscription_id}/resourcegroups/{resource_group}`.
type GroupPath = web::Path<(String, String)>;

/// `PUT …/resourcegroups/{name}`: 201 when created, 200 when it existed.
pub async fn create_or_update(
    state: web::Data<AppState>,
    path: GroupPath,
    body: web::Json<ResourceGroupCreate>,
) -> Result<HttpResponse, ArmError> {
    let (subscription_id, name) = path.into_inner();
    model::validate_name(&name)?;
    let subscription = require_subscription(&state, &subscription_id).await?;
    let body = body.into_inner();
    let location = body
        .location
        .as_deref()
        .map(mimic_azure::normalize_location);
    let location = location
        .filter(|l| !l.is_empty())
        .ok_or(ArmError::LocationRequired)?;
    require_group_location(body.location.as_deref().unwrap_or_default())?;
    let existing = store::find(&state.db, &subscription.subscription_id, &name).await?;
    if let Some(existing) = &existing {
        refuse_while_deleting(&state, existing).await?;
        if existing.location != location {
            return Err(ArmError::InvalidResourceGroupLocation {
                requested: location,
                existing: existing.location.clone(),
            });
        }
    }
    let now = state.clock.now();
    let group = ResourceGroup {
        subscription_id: subscription.subscription_id,
        name: existing.map_or(name, |existing| existing.name),
        location,
        managed_by: body.managed_by,
        tags: body.tags,
        created_time: now,
        changed_time: now,
    };
    Ok(match store::upsert(&state.db, &group).await? {
        Upserted::Created(group) => HttpResponse::Created().json(ResourceGroupBody::from(group)),
        Upserted::Updated(group) => HttpResponse::Ok().json(ResourceGroupBody::from(group)),
    })
}

/// `GET …/resourcegroups/{name}`.
pub async fn get(state: web::Data<AppState>, path: GroupPath) -> Result<HttpResponse, ArmError> {
    let (subscription_id, name) = path.into_inner();
    let group = require_resource_group(&state, &subscription_id, &name).await?;
    let pending = lro::pending_kind(&state, &group.id()).await?;
    let provisioning_state = lro::model::provisioning_state(pending);
    Ok(HttpResponse::Ok().json(ResourceGroupBody::with_state(group, provisioning_state)))
}

/// `ResourceGroupBeingDeleted` while the group's deletion runs.
async fn refuse_while_deleting(state: &AppState, group: &ResourceGroup) -> Result<(), ArmError> {
    match lro::pending_kind(state, &group.id()).await? {
        Some(OperationKind::Delete) => Err(ArmError::ResourceGroupBeingDeleted(group.name.clone())),
        _ => Ok(()),
    }
}

/// `HEAD …/resourcegroups/{name}`: 204 when it exists, 404 (no body) when not.
pub async fn check_existence(
    state: web::Data<AppState>,
    path: GroupPath,
) -> Result<HttpResponse, ArmError> {
    let (subscription_id, name) = path.into_inner();
    Ok(
        match require_resource_group(&state, &subscription_id, &name).await {
            Ok(_) => HttpResponse::NoContent().finish(),
            Err(ArmError::ResourceGroupNotFound(_) | ArmError::SubscriptionNotFound(_)) => {
                HttpResponse::NotFound().finish()
            }
            Err(other) => return Err(other),
        },
    )
}

/// `PATCH …/resourcegroups/{name}`: replaces tags and `managedBy` when given.
pub async fn update(
    state: web::Data<AppState>,
    path: GroupPath,
    body: web::Json<ResourceGroupPatch>,
) -> Result<HttpResponse, ArmError> {
    let (subscription_id, name) = path.into_inner();
    let mut group = require_resource_group(&state, &subscription_id, &name).await?;
    refuse_while_deleting(&state, &group).await?;
    let patch = body.into_inner();
    group.tags = patch.tags.or(group.tags);
    group.managed_by = patch.managed_by.or(group.managed_by);
    group.changed_time = state.clock.now();
    store::update(&state.db, &group).await?;
    Ok(HttpResponse::Ok().json(ResourceGroupBody::from(group)))
}

/// `DELETE …/resourcegroups/{name}`: 202 with `Location` (ARM's operation result) and
/// `Retry-After`; the deletion happens when the operation ends ([`complete_delete`]). A second
/// DELETE while the first runs answers with the first one's `Location`.
pub async fn delete(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: GroupPath,
) -> Result<HttpResponse, ArmError> {
    let (subscription_id, name) = path.into_inner();
    let group = require_resource_group(&state, &subscription_id, &name).await?;
    let id = group.id();
    let operation = match lro::pending_of(&state, &id, OperationKind::Delete).await? {
        Some(running) => running,
        None => {
            let new = NewOperation {
                id: lro::resource_group_deletion_token(&group.name, &group.location),
                resource_type: model::RESOURCE_TYPE,
                resource_id: &id,
                subscription_id: &group.subscription_id,
                location: &group.location,
                kind: OperationKind::Delete,
            };
            lro::begin(&state, new).await?
        }
    };
    // With no time in progress, the group is gone before the answer.
    lro::settle(&state).await?;
    let location = lro::resources_result_url(&state, &operation, &version.0);
    Ok(lro::accepted(StatusCode::ACCEPTED, None, Some(&location)).finish())
}

/// Ends a group's deletion: deletes what the group contains (VMs, identities and their
/// principals, key vaults to the soft-deleted state), every role assignment at or under it, then
/// the group — if it is still there.
pub async fn complete_delete(state: &AppState, group_id: &str) -> Result<(), ArmError> {
    let segments: Vec<&str> = group_id.split('/').collect();
    let (Some(subscription_id), Some(name)) = (segments.get(2), segments.get(4)) else {
        return Err(anyhow::anyhow!("the deleted group's id '{group_id}' does not parse").into());
    };
    let Some(group) = store::find(&state.db, subscription_id, name).await? else {
        return Ok(());
    };
    crate::lifecycle::delete_group_contents(state, &group.subscription_id, &group.name).await?;
    crate::role_assignments::store::delete_within(&state.db, &group.id()).await?;
    store::delete(&state.db, &group.subscription_id, &group.name).await?;
    Ok(())
}

/// `GET /subscriptions/{s}/resourcegroups[?$filter=tagName eq 'k' and tagValue eq 'v']`:
/// the groups the caller may read, paged by name ([`crate::paging`]).
pub async fn list(
    state: web::Data<AppState>,
    request: actix_web::HttpRequest,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<crate::extract::FilterQuery>,
) -> Result<HttpResponse, ArmError> {
    let subscription_id = path.into_inner();
    let filter = TagFilter::parse(query.filter.as_deref())?;
    let scope = format!("/subscriptions/{subscription_id}");
    if !crate::rbac::has_any_assignment_around(&state, &caller.oid, &scope).await? {
        authorize(&state, &caller, READ, &scope).await?;
    }
    let subscription = require_subscription(&state, &subscription_id).await?;
    let pending = lro::pending_under(&state, &format!("{scope}/")).await?;
    let mut value = Vec::new();
    for group in store::list(&state.db, &subscription.subscription_id).await? {
        let readable = crate::rbac::is_permitted(&state, &caller.oid, READ, &group.id()).await?;
        if readable && filter.keeps(&group) {
            let kind = pending.get(&group.id().to_lowercase()).copied();
            let state = lro::model::provisioning_state(kind);
            value.push(ResourceGroupBody::with_state(group, state));
        }
    }
    let page = crate::paging::page(&state, &request, value, |group| group.name.clone())?;
    Ok(HttpResponse::Ok().json(page))
}
