//! `Permissions_ListForResourceGroup` and `Permissions_ListForResource` (`GET
//! {scope}/providers/Microsoft.Authorization/permissions`): what the caller may do at a scope, as
//! the portal's Check access and SDKs ask it. One entry per permission block of each role the
//! caller (or one of its groups) is assigned at or above the scope — `actions`, `notActions`,
//! `dataActions`, `notDataActions`, and from 2022-05-01-preview a block's `condition` — with
//! identical blocks given once. Deny assignments do not show here, as in Azure: the answer lists
//! grants. The subscription form (`/subscriptions/{s}/providers/Microsoft.Authorization/permissions`)
//! is answered the same way; Azure's specs publish only the group and resource forms.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::extract::{ApiVersion, Caller};
use crate::operations::{Authorization, Operation, ResourceType, Verb};
use crate::role_definitions::model::{shows_conditions, Permission};
use crate::{AppState, ArmError};

/// `Microsoft.Authorization/permissions`.
pub const PERMISSIONS: ResourceType = ResourceType {
    namespace: "Microsoft.Authorization",
    name: "permissions",
    display_name: "Permissions",
    regional: false,
    versions: &[
        "2022-05-01-preview",
        "2022-04-01",
        "2018-01-01-preview",
        "2015-07-01",
    ],
};

const ANY_CALLER: &str = "a caller may always read its own permissions";

/// The permissions operations (the group form first: it is the literal path).
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "Permissions_ListForResourceGroup",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group_name}/providers/microsoft.authorization/permissions",
        resource_type: &PERMISSIONS,
        versions: &[],
        authorization: Authorization::AnyCaller(ANY_CALLER),
        handler: |route| route.to(list_for_resource_group),
        summary: "List the caller's permissions on a resource group",
    },
    Operation {
        id: "Permissions_ListForResource",
        verb: Verb::Get,
        path: "/{scope:.+}/providers/microsoft.authorization/permissions",
        resource_type: &PERMISSIONS,
        versions: &[],
        authorization: Authorization::AnyCaller(ANY_CALLER),
        handler: |route| route.to(list_for_resource),
        summary: "List the caller's permissions on a resource (or subscription)",
    },
];

/// `GET /subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Authorization/permissions`.
pub async fn list_for_resource_group(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Caller,
    version: ApiVersion,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ArmError> {
    let (subscription_id, group) = path.into_inner();
    let scope = format!("subscriptions/{subscription_id}/resourceGroups/{group}");
    list(&state, &request, &caller, &version, &scope).await
}

/// `GET {resource or subscription}/providers/Microsoft.Authorization/permissions`.
pub async fn list_for_resource(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Caller,
    version: ApiVersion,
    path: web::Path<String>,
) -> Result<HttpResponse, ArmError> {
    list(&state, &request, &caller, &version, &path).await
}

async fn list(
    state: &AppState,
    request: &HttpRequest,
    caller: &Caller,
    version: &ApiVersion,
    captured: &str,
) -> Result<HttpResponse, ArmError> {
    let scope = crate::scope::parse_captured(captured)?;
    let scope = crate::scope::resolve(state, &scope).await?;
    let blocks = caller_blocks(state, &caller.oid, &scope.key()).await?;
    let with_conditions = shows_conditions(&version.0);
    // Paged ([`crate::paging`]) in this order (broadest scope first): the key is the position.
    let value: Vec<(usize, PermissionBody)> = blocks
        .into_iter()
        .map(|block| PermissionBody::new(block, with_conditions))
        .enumerate()
        .collect();
    let page = crate::paging::page(state, request, value, |(at, _)| format!("{at:08}"))?;
    Ok(HttpResponse::Ok().json(crate::paging::Page {
        value: page.value.into_iter().map(|(_, body)| body).collect(),
        next_link: page.next_link,
    }))
}

/// The permission blocks of every role `principal_id` (or one of its groups) holds at or above
/// `scope_key`, each distinct block once, broadest scope first.
pub async fn caller_blocks(
    state: &AppState,
    principal_id: &str,
    scope_key: &str,
) -> Result<Vec<Permission>, ArmError> {
    let mut blocks: Vec<Permission> = Vec::new();
    for principal in crate::rbac::principal_and_groups(state, principal_id).await {
        let assignments = crate::reality::assignments(state, &principal).await?;
        for assignment in assignments.applying_to(scope_key) {
            let Some(role) = state
                .rbac
                .role(&state.db, &assignment.role_definition)
                .await?
            else {
                continue;
            };
            for block in &role.permissions {
                if !blocks.contains(block) {
                    blocks.push(block.clone());
                }
            }
        }
    }
    Ok(blocks)
}

/// Azure's `Permission` as the permissions API answers it: the four lists always present.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PermissionBody {
    actions: Vec<String>,
    not_actions: Vec<String>,
    data_actions: Vec<String>,
    not_data_actions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    condition_version: Option<String>,
}

impl PermissionBody {
    fn new(block: Permission, with_conditions: bool) -> Self {
        let (condition, condition_version) = match with_conditions {
            true => (block.condition, block.condition_version),
            false => (None, None),
        };
        Self {
            actions: block.actions,
            not_actions: block.not_actions,
            data_actions: block.data_actions,
            not_data_actions: block.not_data_actions,
            condition,
            condition_version,
        }
    }
}
