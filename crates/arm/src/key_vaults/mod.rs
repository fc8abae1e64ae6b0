//! `Microsoft.KeyVault/vaults`, the Key Vault control plane (issue 16 item 1): create/replace,
//! get, update, delete (soft) and list vaults; their access policies; soft-deleted vaults (list,
//! get, purge; recover is a PUT with `createMode: recover`); and `checkNameAvailability`. Vault
//! names are global. Each vault's `vaultUri` is `https://{name}.{keyVaultDns}[:port]/`
//! ([`vault_dns`]); the data plane behind it is [`data_plane`], on ARM's listener.
//!
//! The purge is a long-running operation (`Vaults_PurgeDeleted` is `x-ms-long-running-operation`,
//! 200/202): it answers 202 with a `Location` under `…/locations/{l}/operationResults/{id}`, as
//! Key Vault does, through [`crate::async_operations`]; the soft-deleted vault (and its name) stay
//! until the operation ends. `Vaults_Delete` is not long-running in the spec (200/204) and answers
//! at once; the PUT is declared long-running but allows 200/201, which is what mimic sends.

pub mod data_plane;
pub mod internal;
pub mod keys;
pub mod model;
pub mod store;
pub mod writes;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::async_operations as lro;
use crate::extract::{ApiVersion, Caller};
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::{scope, system_data, AppState, ArmError};
use model::{
    AccessPolicyUpdateKind, AccessPolicyUpdateRequest, AccessPolicyUpdateResponse,
    AccessPolicyUpdateResponseProperties, CheckNameRequest, CheckNameResponse,
    DeletedVaultResponse, VaultCreateRequest, VaultPatchRequest, VaultResponse, RESOURCE_TYPE,
};
use writes::VaultKey;

const READ: &str = "Microsoft.KeyVault/vaults/read";
const WRITE: &str = "Microsoft.KeyVault/vaults/write";
const DELETE: &str = "Microsoft.KeyVault/vaults/delete";
const ACCESS_POLICIES_WRITE: &str = "Microsoft.KeyVault/vaults/accessPolicies/write";
const DELETED_READ: &str = "Microsoft.KeyVault/deletedVaults/read";
const LOCATION_DELETED_READ: &str = "Microsoft.KeyVault/locations/deletedVaults/read";
const PURGE: &str = "Microsoft.KeyVault/locations/deletedVaults/purge/action";
const CHECK_NAME: &str = "Microsoft.KeyVault/checkNameAvailability/read";
/// In the built-in Key Vault Purge Operator role beside the purge action, so a purge's caller
/// holds it.
const OPERATION_RESULTS_READ: &str = "Microsoft.KeyVault/locations/operationResults/read";

const VAULT_PATH: &str = "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.keyvault/vaults/{name}";
const DELETED_VAULT_PATH: &str = "/subscriptions/{subscription_id}/providers/microsoft.keyvault/locations/{location}/deletedvaults/{name}";

/// The api-versions of `Microsoft.KeyVault` in azure-rest-api-specs
/// (`specification/keyvault/resource-manager/Microsoft.KeyVault/KeyVault/readme.md`), newest
/// first. az 2.91 (azure-mgmt-keyvault 14.0.1) sends 2026-02-01; its vault list goes through
/// the generic resource list at 2015-11-01.
pub const VERSIONS: &[&str] = &[
    "2026-03-01-preview",
    "2026-02-01",
    "2025-05-01",
    "2024-12-01-preview",
    "2024-11-01",
    "2024-04-01-preview",
    "2023-07-01",
    "2023-02-01",
    "2022-11-01",
    "2022-07-01",
    "2022-02-01-preview",
    "2021-11-01-preview",
    "2021-10-01",
    "2021-06-01-preview",
    "2021-04-01-preview",
    "2020-04-01-preview",
    "2019-09-01",
    "2018-02-14",
    "2018-02-14-preview",
    "2016-10-01",
    "2015-06-01",
];

/// The versions with soft delete (`deletedVaults`, purge, `createMode`) and
/// `checkNameAvailability`: 2016-10-01 on.
const SOFT_DELETE_VERSIONS: &[&str] = VERSIONS.split_at(VERSIONS.len() - 1).0;

/// The versions with `Vaults_UpdateAccessPolicy`: 2018-02-14 on.
const ACCESS_POLICY_VERSIONS: &[&str] = VERSIONS.split_at(VERSIONS.len() - 2).0;

/// `Microsoft.KeyVault/vaults`.
pub const VAULTS: ResourceType = ResourceType {
    namespace: "Microsoft.KeyVault",
    name: "vaults",
    display_name: "Key Vault",
    regional: true,
    versions: VERSIONS,
};

/// `Microsoft.KeyVault/vaults/accessPolicies`.
pub const ACCESS_POLICIES: ResourceType = ResourceType {
    namespace: "Microsoft.KeyVault",
    name: "vaults/accessPolicies",
    display_name: "Key Vault Access Policies",
    regional: false,
    versions: ACCESS_POLICY_VERSIONS,
};

/// `Microsoft.KeyVault/deletedVaults` (a subscription's soft-deleted vaults).
pub const DELETED_VAULTS: ResourceType = ResourceType {
    namespace: "Microsoft.KeyVault",
    name: "deletedVaults",
    display_name: "Deleted Vaults",
    regional: false,
    versions: SOFT_DELETE_VERSIONS,
};

/// `Microsoft.KeyVault/locations/deletedVaults`.
pub const LOCATION_DELETED_VAULTS: ResourceType = ResourceType {
    namespace: "Microsoft.KeyVault",
    name: "locations/deletedVaults",
    display_name: "Deleted Vaults",
    regional: false,
    versions: SOFT_DELETE_VERSIONS,
};

/// `Microsoft.KeyVault/checkNameAvailability`.
pub const CHECK_NAME_AVAILABILITY: ResourceType = ResourceType {
    namespace: "Microsoft.KeyVault",
    name: "checkNameAvailability",
    display_name: "Key Vault Name Availability",
    regional: false,
    versions: SOFT_DELETE_VERSIONS,
};

/// `Microsoft.KeyVault/locations/operationResults` (the `Location` of a purge).
pub const LOCATION_OPERATION_RESULTS: ResourceType = ResourceType {
    namespace: "Microsoft.KeyVault",
    name: "locations/operationResults",
    display_name: "Operation Results",
    regional: false,
    versions: SOFT_DELETE_VERSIONS,
};

/// The Key Vault control-plane operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "Vaults_CheckNameAvailability",
        verb: Verb::Post,
        path: "/subscriptions/{subscription_id}/providers/microsoft.keyvault/checknameavailability",
        resource_type: &CHECK_NAME_AVAILABILITY,
        versions: &[],
        authorization: Authorization::Action(CHECK_NAME, ScopeRule::Subscription),
        handler: |route| route.to(check_name_availability),
        summary: "Check that a vault name is valid and not in use",
    },
    Operation {
        id: "Vaults_ListDeleted",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/microsoft.keyvault/deletedvaults",
        resource_type: &DELETED_VAULTS,
        versions: &[],
        authorization: Authorization::Action(DELETED_READ, ScopeRule::Subscription),
        handler: |route| route.to(list_deleted),
        summary: "List the subscription's soft-deleted vaults",
    },
    Operation {
        id: "Vaults_GetDeleted",
        verb: Verb::Get,
        path: DELETED_VAULT_PATH,
        resource_type: &LOCATION_DELETED_VAULTS,
        versions: &[],
        authorization: Authorization::Action(LOCATION_DELETED_READ, ScopeRule::Path),
        handler: |route| route.to(get_deleted),
        summary: "Get a soft-deleted vault",
    },
    Operation {
        id: "Vaults_PurgeDeleted",
        verb: Verb::Post,
        path: "/subscriptions/{subscription_id}/providers/microsoft.keyvault/locations/{location}/deletedvaults/{name}/purge",
        resource_type: &LOCATION_DELETED_VAULTS,
        versions: &[],
        authorization: Authorization::Action(PURGE, ScopeRule::Parent(1)),
        handler: |route| route.to(purge_deleted),
        summary: "Purge a soft-deleted vault (its name becomes free)",
    },
    Operation {
        id: "VaultOperationResults_Get",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/microsoft.keyvault/locations/{location}/operationresults/{operation_id}",
        resource_type: &LOCATION_OPERATION_RESULTS,
        versions: &[],
        authorization: Authorization::Action(OPERATION_RESULTS_READ, ScopeRule::Subscription),
        handler: |route| route.to(get_operation_result),
        summary: "Get a purge's result: 202 while it runs, 200 when done (not in the spec: the URL comes from the purge's `Location`)",
    },
    Operation {
        id: "Vaults_ListBySubscription",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/microsoft.keyvault/vaults",
        resource_type: &VAULTS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list_by_subscription),
        summary: "List the subscription's vaults",
    },
    Operation {
        id: "Vaults_ListByResourceGroup",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.keyvault/vaults",
        resource_type: &VAULTS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Parent(3)),
        handler: |route| route.to(list_by_resource_group),
        summary: "List a resource group's vaults",
    },
    Operation {
        id: "Vaults_CreateOrUpdate",
        verb: Verb::Put,
        path: VAULT_PATH,
        resource_type: &VAULTS,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Path),
        handler: |route| route.to(create_or_update),
        summary: "Create or update a vault, or recover a soft-deleted one (createMode: recover)",
    },
    Operation {
        id: "Vaults_Get",
        verb: Verb::Get,
        path: VAULT_PATH,
        resource_type: &VAULTS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Path),
        handler: |route| route.to(get),
        summary: "Get a vault",
    },
    Operation {
        id: "Vaults_Update",
        verb: Verb::Patch,
        path: VAULT_PATH,
        resource_type: &VAULTS,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Path),
        handler: |route| route.to(update),
        summary: "Update a vault's properties and tags",
    },
    Operation {
        id: "Vaults_Delete",
        verb: Verb::Delete,
        path: VAULT_PATH,
        resource_type: &VAULTS,
        versions: &[],
        authorization: Authorization::Action(DELETE, ScopeRule::Path),
        handler: |route| route.to(delete),
        summary: "Delete a vault (soft delete: its name stays taken until it is purged)",
    },
    Operation {
        id: "Vaults_UpdateAccessPolicy",
        verb: Verb::Put,
        path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.keyvault/vaults/{name}/accesspolicies/{operation_kind}",
        resource_type: &ACCESS_POLICIES,
        versions: &[],
        authorization: Authorization::Action(ACCESS_POLICIES_WRITE, ScopeRule::Parent(2)),
        handler: |route| route.to(update_access_policy),
        summary: "Add, replace or remove access policies of a vault",
    },
];

/// The path of one vault.
#[derive(Debug, Deserialize)]
pub struct VaultPath {
    subscription_id: String,
    resource_group: String,
    name: String,
}

impl VaultPath {
    fn key(&self) -> VaultKey {
        VaultKey {
            subscription_id: self.subscription_id.clone(),
            resource_group: self.resource_group.clone(),
            name: self.name.clone(),
        }
    }
}

fn render(state: &AppState, request: &HttpRequest, vault: &model::Vault) -> VaultResponse {
    let (suffix, port) = vault_dns(state, request);
    VaultResponse::of(vault, &suffix, port)
}

/// The vaults of a list, with their `systemData` (everything under `prefix`, read once).
async fn render_list(
    state: &AppState,
    request: &HttpRequest,
    vaults: &[model::Vault],
    prefix: &str,
    version: &ApiVersion,
) -> Result<Vec<VaultResponse>, ArmError> {
    let shown = (RESOURCE_TYPE, version.0.as_str());
    let mut system_data = system_data::under(state, prefix, shown).await?;
    Ok(vaults
        .iter()
        .map(|vault| {
            let mut response = render(state, request, vault);
            response.system_data = system_data.remove(&vault.id().to_lowercase());
            response
        })
        .collect())
}

/// The vault DNS suffix and port a request's client should see: Azure's (`vault.azure.net`, 443)
/// when it reached ARM as `management.azure.com` (inside the sandbox), else mimic's
/// ([`crate::Settings::key_vault_dns_suffix`]) with [`crate::Settings::key_vault_port`] or ARM's
/// own port (the data plane shares ARM's listener). Port 443 is not written.
pub fn vault_dns(state: &AppState, request: &HttpRequest) -> (String, Option<u16>) {
    let public =
        mimic_web::hostnames::request_public_base(request, &[mimic_web::hostnames::ARM_HOST]);
    if public.is_some() {
        return (data_plane::AZURE_SUFFIX.to_string(), None);
    }
    let port = state.settings.key_vault_port.unwrap_or(state.port);
    (
        state.settings.key_vault_dns_suffix.clone(),
        (port != 443).then_some(port),
    )
}

/// `Vaults_CreateOrUpdate`: 201 for a new vault, 200 for a replaced or recovered one.
pub async fn create_or_update(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Caller,
    version: ApiVersion,
    path: web::Path<VaultPath>,
    body: web::Json<VaultCreateRequest>,
) -> Result<HttpResponse, ArmError> {
    let (vault, created) = writes::create_or_update(&state, &path.key(), &body, &version.0).await?;
    let status = match created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    let shown = (RESOURCE_TYPE, version.0.as_str());
    let system_data = system_data::record(&state, &caller, &vault.id(), created, shown).await?;
    let mut response = render(&state, &request, &vault);
    response.system_data = system_data;
    Ok(HttpResponse::build(status).json(response))
}

/// `Vaults_Get`.
pub async fn get(
    state: web::Data<AppState>,
    request: HttpRequest,
    version: ApiVersion,
    path: web::Path<VaultPath>,
) -> Result<HttpResponse, ArmError> {
    let vault = writes::find(&state, &path.key()).await?;
    let mut response = render(&state, &request, &vault);
    response.system_data =
        system_data::of(&state, &vault.id(), (RESOURCE_TYPE, version.0.as_str())).await?;
    Ok(HttpResponse::Ok().json(response))
}

/// `Vaults_Update` (PATCH).
pub async fn update(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Caller,
    version: ApiVersion,
    path: web::Path<VaultPath>,
    body: web::Json<VaultPatchRequest>,
) -> Result<HttpResponse, ArmError> {
    let vault = writes::update(&state, &path.key(), &body).await?;
    let shown = (RESOURCE_TYPE, version.0.as_str());
    let mut response = render(&state, &request, &vault);
    response.system_data = system_data::record(&state, &caller, &vault.id(), false, shown).await?;
    Ok(HttpResponse::Ok().json(response))
}

/// `Vaults_Delete`: 200 when soft-deleted, 204 when there was nothing to delete.
pub async fn delete(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<VaultPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    match writes::delete(&state, &path.key()).await? {
        true => Ok(HttpResponse::Ok().finish()),
        false => Ok(HttpResponse::NoContent().finish()),
    }
}

/// The path of an access-policy update.
#[derive(Debug, Deserialize)]
pub struct AccessPolicyPath {
    subscription_id: String,
    resource_group: String,
    name: String,
    operation_kind: String,
}

/// `Vaults_UpdateAccessPolicy`: 200 with the policies the request named.
pub async fn update_access_policy(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<AccessPolicyPath>,
    body: web::Json<AccessPolicyUpdateRequest>,
) -> Result<HttpResponse, ArmError> {
    let kind = AccessPolicyUpdateKind::parse(&path.operation_kind)?;
    let requested = body
        .properties
        .as_ref()
        .and_then(|properties| properties.access_policies.as_deref())
        .ok_or_else(|| {
            ArmError::BadRequest(
                "The parameter 'properties.accessPolicies' is required and was not provided."
                    .to_string(),
            )
        })?;
    let key = VaultKey {
        subscription_id: path.subscription_id.clone(),
        resource_group: path.resource_group.clone(),
        name: path.name.clone(),
    };
    let (vault, entries) = writes::update_access_policy(&state, &key, kind, requested).await?;
    Ok(HttpResponse::Ok().json(AccessPolicyUpdateResponse {
        id: format!("{}/accessPolicies/{}", vault.id(), kind.as_str()),
        name: kind.as_str(),
        kind: model::ACCESS_POLICY_TYPE,
        location: vault.location.clone(),
        properties: AccessPolicyUpdateResponseProperties {
            access_policies: entries,
        },
    }))
}

/// The path of a resource group's vault collection.
#[derive(Debug, Deserialize)]
pub struct GroupPath {
    subscription_id: String,
    resource_group: String,
}

/// `Vaults_ListByResourceGroup`, paged ([`crate::paging`]).
pub async fn list_by_resource_group(
    state: web::Data<AppState>,
    request: HttpRequest,
    version: ApiVersion,
    path: web::Path<GroupPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let vaults = store::list(&state.db, &path.subscription_id, Some(&path.resource_group)).await?;
    let prefix = format!(
        "/subscriptions/{}/resourceGroups/{}/",
        path.subscription_id, path.resource_group
    );
    let value = render_list(&state, &request, &vaults, &prefix, &version).await?;
    let page = crate::paging::page(&state, &request, value, |vault| vault.id.clone())?;
    Ok(HttpResponse::Ok().json(page))
}

/// The path of a subscription.
#[derive(Debug, Deserialize)]
pub struct SubscriptionPath {
    subscription_id: String,
}

/// `Vaults_ListBySubscription`, paged ([`crate::paging`]).
pub async fn list_by_subscription(
    state: web::Data<AppState>,
    request: HttpRequest,
    version: ApiVersion,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    let vaults = store::list(&state.db, &path.subscription_id, None).await?;
    let prefix = format!("/subscriptions/{}/", path.subscription_id);
    let value = render_list(&state, &request, &vaults, &prefix, &version).await?;
    let page = crate::paging::page(&state, &request, value, |vault| vault.id.clone())?;
    Ok(HttpResponse::Ok().json(page))
}

/// `Vaults_ListDeleted`, paged ([`crate::paging`]) by id.
pub async fn list_deleted(
    state: web::Data<AppState>,
    request: HttpRequest,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    writes::sweep(&state).await?;
    let vaults = store::list_deleted(&state.db, &path.subscription_id).await?;
    let value = vaults.iter().map(DeletedVaultResponse::from).collect();
    let page = crate::paging::page(&state, &request, value, |vault: &DeletedVaultResponse| {
        vault.id.clone()
    })?;
    Ok(HttpResponse::Ok().json(page))
}

/// The path of one soft-deleted vault.
#[derive(Debug, Deserialize)]
pub struct DeletedVaultPath {
    subscription_id: String,
    location: String,
    name: String,
}

/// `Vaults_GetDeleted`.
pub async fn get_deleted(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<DeletedVaultPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    let vault =
        writes::find_deleted(&state, &path.subscription_id, &path.location, &path.name).await?;
    Ok(HttpResponse::Ok().json(DeletedVaultResponse::from(&vault)))
}

/// `Vaults_PurgeDeleted`: 202 with the operation's `Location` and `Retry-After`.
pub async fn purge_deleted(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: web::Path<DeletedVaultPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    let operation =
        writes::purge(&state, &path.subscription_id, &path.location, &path.name).await?;
    // With no time in progress, the vault is gone before the answer.
    lro::settle(&state).await?;
    let location = operation_result_url(&state, &operation, &version.0);
    Ok(lro::accepted(StatusCode::ACCEPTED, None, Some(&location)).finish())
}

/// Key Vault's `Location` URL of an operation:
/// `…/providers/Microsoft.KeyVault/locations/{l}/operationResults/{id}?api-version=…` (as a
/// recorded purge's `Location` reads; the spec's example only shows that there is one).
pub fn operation_result_url(
    state: &AppState,
    operation: &lro::AsyncOperation,
    version: &str,
) -> String {
    format!(
        "{}/subscriptions/{}/providers/Microsoft.KeyVault/locations/{}/operationResults/{}?api-version={version}",
        state.public_url, operation.subscription_id, operation.location, operation.id
    )
}

/// The path of a Key Vault operation result.
#[derive(Debug, Deserialize)]
pub struct OperationResultPath {
    subscription_id: String,
    location: String,
    operation_id: String,
}

/// `GET …/locations/{l}/operationResults/{id}`: 202 with `Location` and `Retry-After` while the
/// purge runs, then 200 without a body — which go-azure-sdk's poller reads as done ("returns a
/// 200 OK with no Body", sdk/client/resourcemanager/poller_lro.go), as azure-core does any
/// answer but 202.
pub async fn get_operation_result(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: web::Path<OperationResultPath>,
) -> Result<HttpResponse, ArmError> {
    let operation = lro::find(&state, &path.subscription_id, &path.operation_id).await?;
    let same_location = mimic_azure::normalize_location(&operation.location)
        == mimic_azure::normalize_location(&path.location);
    if operation.resource_type != model::DELETED_TYPE || !same_location {
        return Err(ArmError::OperationNotFound);
    }
    let location = operation_result_url(&state, &operation, &version.0);
    Ok(lro::result_response(&operation, &location))
}

/// `Vaults_CheckNameAvailability`: `AccountNameInvalid` / `AlreadyExists` with the texts of the
/// matching create errors (a soft-deleted vault holds its name too).
pub async fn check_name_availability(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
    body: web::Json<CheckNameRequest>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    // Texts: mimic's (no recorded Azure answer found).
    let name = body.name.as_deref().ok_or_else(|| {
        ArmError::BadRequest("The parameter 'name' is required and was not provided.".to_string())
    })?;
    if let Some(kind) = body.kind.as_deref() {
        if !kind.eq_ignore_ascii_case(model::RESOURCE_TYPE) {
            return Err(ArmError::BadRequest(format!(
                "The resource type '{kind}' is invalid. The allowed value is 'Microsoft.KeyVault/vaults'."
            )));
        }
    }
    let unavailable = |reason, error: ArmError| CheckNameResponse {
        name_available: false,
        reason: Some(reason),
        message: Some(error.to_string()),
    };
    let response = if !model::is_valid_name(name) {
        unavailable(
            "AccountNameInvalid",
            ArmError::VaultNameNotValid(name.to_string()),
        )
    } else {
        writes::sweep(&state).await?;
        match store::find_name(&state.db, name).await? {
            Some(_) => unavailable(
                "AlreadyExists",
                ArmError::VaultAlreadyExists(name.to_string()),
            ),
            None => CheckNameResponse {
                name_available: true,
                reason: None,
                message: None,
            },
        }
    };
    Ok(HttpResponse::Ok().json(response))
}

/// The canonical id of the live vault `id` names (any case), if it exists.
pub async fn canonical_id(
    state: &AppState,
    id: &mimic_azure::ResourceId,
) -> Result<Option<String>, ArmError> {
    let resource_type = id.resource_type().to_string();
    // A secret or key of a vault is a scope too (role assignments on one secret).
    for kind in ["secrets", "keys"] {
        let child = format!("{}/{kind}", model::RESOURCE_TYPE);
        if !resource_type.eq_ignore_ascii_case(&child) {
            continue;
        }
        let Some(parent) = id.parent() else {
            return Ok(None);
        };
        let Some(vault_id) = Box::pin(canonical_id(state, &parent)).await? else {
            return Ok(None);
        };
        let Some(vault) = store::find_name(&state.db, parent.name()).await? else {
            return Ok(None);
        };
        let name = data_plane::object_name(state, vault.key, kind, id.name()).await?;
        return Ok(name.map(|name| format!("{vault_id}/{kind}/{name}")));
    }
    let is_vault = resource_type.eq_ignore_ascii_case(model::RESOURCE_TYPE);
    if !is_vault {
        return Ok(None);
    }
    let key = VaultKey {
        subscription_id: id.subscription_id().to_string(),
        resource_group: id.resource_group().to_string(),
        name: id.name().to_string(),
    };
    let vault = store::find_name(&state.db, &key.name).await?;
    Ok(vault
        .filter(|vault| {
            vault.deleted_time.is_none()
                && vault
                    .subscription_id
                    .eq_ignore_ascii_case(&key.subscription_id)
                && vault
                    .resource_group
                    .eq_ignore_ascii_case(&key.resource_group)
        })
        .map(|vault| vault.id()))
}
