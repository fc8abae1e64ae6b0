//! Generic resources and resource providers: `GET /subscriptions/{s}[/resourceGroups/{g}]/resources`
//! (filtered to what the caller may read) and `GET /subscriptions/{s}/providers[/{namespace}]`.

pub mod model;
pub mod providers;
pub mod store;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::extract::{ApiVersion, Caller};
use crate::operations::{Authorization, Operation, ResourceType, Verb};
use crate::user_assigned_identities::store as identity_store;
use crate::virtual_machines::store as vm_store;
use crate::{rbac, scope, AppState, ArmError};
use model::{Expand, Filter, GenericResource, Resource};

/// The api-versions of the resource API (`Microsoft.Resources`: groups, resources, providers).
pub const VERSIONS: &[&str] = &[
    "2025-04-01",
    "2024-11-01",
    "2024-07-01",
    "2024-03-01",
    "2023-07-01",
    "2022-09-01",
    "2021-04-01",
    "2021-01-01",
    "2020-10-01",
    "2020-06-01",
    "2019-10-01",
    "2019-08-01",
    "2019-07-01",
    "2019-05-10",
    "2019-05-01",
    "2019-03-01",
    "2018-05-01",
    "2018-02-01",
    "2017-08-01",
    "2017-06-01",
    "2017-05-10",
    "2016-09-01",
    "2016-07-01",
    "2016-06-01",
    "2016-02-01",
    "2015-11-01",
    "2015-01-01",
    "2014-04-01",
];

/// `Microsoft.Resources/subscriptions/resources`.
pub const SUBSCRIPTION_RESOURCES: ResourceType = ResourceType {
    namespace: "Microsoft.Resources",
    name: "subscriptions/resources",
    display_name: "Resources",
    regional: false,
    versions: VERSIONS,
};

/// `Microsoft.Resources/resources` (a group's resources).
pub const RESOURCES: ResourceType = ResourceType {
    namespace: "Microsoft.Resources",
    name: "resources",
    display_name: "Resources",
    regional: false,
    versions: VERSIONS,
};

/// `Microsoft.Resources/subscriptions/providers`.
pub const PROVIDERS: ResourceType = ResourceType {
    namespace: "Microsoft.Resources",
    name: "subscriptions/providers",
    display_name: "Resource Providers",
    regional: false,
    versions: VERSIONS,
};

const READ: &str = "Microsoft.Resources/subscriptions/resources/read";
const READABLE: &str =
    "each resource is listed when the caller may read it (its type's read action)";

/// The generic-resource and provider operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "Resources_List",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/resources",
        resource_type: &SUBSCRIPTION_RESOURCES,
        versions: &[],
        authorization: Authorization::Filtered(READ, READABLE),
        handler: |route| route.to(list),
        summary: "List the subscription's resources",
    },
    Operation {
        id: "Resources_ListByResourceGroup",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/resources",
        resource_type: &RESOURCES,
        versions: &[],
        authorization: Authorization::Filtered(READ, READABLE),
        handler: |route| route.to(list_by_resource_group),
        summary: "List a resource group's resources",
    },
    Operation {
        id: "Providers_List",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers",
        resource_type: &PROVIDERS,
        versions: &[],
        authorization: Authorization::AnyCaller("ARM lists its providers to any caller"),
        handler: |route| route.to(list_providers),
        summary: "List the resource providers",
    },
    Operation {
        id: "Providers_Get",
        verb: Verb::Get,
        path: "/subscriptions/{subscription_id}/providers/{namespace}",
        resource_type: &PROVIDERS,
        versions: &[],
        authorization: Authorization::AnyCaller("ARM shows its providers to any caller"),
        handler: |route| route.to(get_provider),
        summary: "Get a resource provider",
    },
    Operation {
        id: "Providers_Register",
        verb: Verb::Post,
        path: "/subscriptions/{subscription_id}/providers/{namespace}/register",
        resource_type: &PROVIDERS,
        versions: &[],
        authorization: Authorization::InHandler(
            "*/register/action",
            "`{namespace}/register/action` at the subscription, the namespace known from the path",
        ),
        handler: |route| route.to(register_provider),
        summary: "Register the subscription with a resource provider",
    },
    Operation {
        id: "Providers_Unregister",
        verb: Verb::Post,
        path: "/subscriptions/{subscription_id}/providers/{namespace}/unregister",
        resource_type: &PROVIDERS,
        versions: &[],
        authorization: Authorization::InHandler(
            "*/unregister/action",
            "`{namespace}/unregister/action` at the subscription, the namespace known from the path",
        ),
        handler: |route| route.to(unregister_provider),
        summary: "Unregister the subscription from a resource provider (recorded; operations are not refused)",
    },
];

/// The id of a VM, user-assigned identity or key vault in canonical case, `None` if it does not
/// exist (other resource types never exist in mimic).
pub async fn find_canonical(
    state: &AppState,
    id: &mimic_azure::ResourceId,
) -> Result<Option<mimic_azure::ResourceId>, ArmError> {
    let found = crate::lifecycle::canonical_id(state, &id.to_string()).await?;
    Ok(found.and_then(|id| mimic_azure::ResourceId::parse(&id).ok()))
}

/// The query of a generic list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(rename = "$filter")]
    filter: Option<String>,
    #[serde(rename = "$expand")]
    expand: Option<String>,
    #[serde(rename = "$top")]
    top: Option<usize>,
}

/// The path of a subscription.
#[derive(Debug, Deserialize)]
pub struct SubscriptionPath {
    subscription_id: String,
}

/// The path of a resource group.
#[derive(Debug, Deserialize)]
pub struct GroupPath {
    subscription_id: String,
    resource_group: String,
}

/// `Resources_List`, paged ([`crate::paging`]; `$top` items a page).
pub async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    let page = list_resources(
        &state,
        &request,
        &caller,
        &path.subscription_id,
        None,
        &query,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `Resources_ListByResourceGroup`, paged ([`crate::paging`]; `$top` items a page).
pub async fn list_by_resource_group(
    state: web::Data<AppState>,
    request: HttpRequest,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<GroupPath>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let group =
        scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let page = list_resources(
        &state,
        &request,
        &caller,
        &path.subscription_id,
        Some(&group.name),
        &query,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The page of a subscription's (or group's) resources that match the query and that the caller
/// may read. `$top` is the page size, as the spec defines it for this list ("the number of
/// results per page"); without it, [`crate::paging::DEFAULT`].
async fn list_resources(
    state: &AppState,
    request: &HttpRequest,
    caller: &Caller,
    subscription_id: &str,
    group: Option<&str>,
    query: &ListQuery,
) -> Result<crate::paging::Page<GenericResource>, ArmError> {
    let filter = match query
        .filter
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(text) => Filter::parse(text)
            .ok_or_else(|| ArmError::InvalidFilterInQueryString(text.to_string()))?,
        None => Filter::default(),
    };
    let expand = Expand::parse(query.expand.as_deref());
    let vms = vm_store::list(&state.db, Some(subscription_id), group).await?;
    let identities = identity_store::list(&state.db, subscription_id, group).await?;
    let vaults = crate::key_vaults::store::list(&state.db, subscription_id, group).await?;
    let candidates = vms
        .iter()
        .map(Resource::from)
        .chain(identities.iter().map(Resource::from))
        .chain(vaults.iter().map(Resource::from))
        .filter(|resource| filter.matches(resource));
    let mut value = Vec::new();
    for resource in candidates {
        if rbac::is_permitted(state, &caller.oid, &resource.read_action(), &resource.id).await? {
            value.push(resource.render(expand, filter.is_on_tags()));
        }
    }
    let size = query.top.unwrap_or(crate::paging::DEFAULT).max(1);
    crate::paging::page_of(state, request, value, |resource| resource.id.clone(), size)
}

/// `Providers_List`: every namespace mimic serves, in the subscription's registration state;
/// paged ([`crate::paging`]) by namespace.
pub async fn list_providers(
    state: web::Data<AppState>,
    request: HttpRequest,
    _caller: Caller,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    let mut value = Vec::new();
    for info in providers::NAMESPACES {
        value.push(provider_in(&state, &path.subscription_id, info).await?);
    }
    let page = crate::paging::page(&state, &request, value, |provider| {
        provider.namespace.to_string()
    })?;
    Ok(HttpResponse::Ok().json(page))
}

/// The path of one provider.
#[derive(Debug, Deserialize)]
pub struct ProviderPath {
    subscription_id: String,
    namespace: String,
}

async fn provider_in(
    state: &AppState,
    subscription_id: &str,
    info: &providers::Namespace,
) -> Result<providers::Provider, ArmError> {
    let recorded = store::registration_state(&state.db, subscription_id, info.namespace).await?;
    let registration = providers::registration_state(recorded.as_deref());
    Ok(providers::render(subscription_id, info, registration))
}

/// The namespace of a provider path mimic serves, else ARM's 404 `InvalidResourceNamespace` (ARM
/// answers an unknown namespace here with 404, not the 400 that code carries for resource paths).
async fn served_namespace(
    state: &AppState,
    path: &ProviderPath,
) -> Result<Result<&'static providers::Namespace, HttpResponse>, ArmError> {
    scope::require_subscription(state, &path.subscription_id).await?;
    Ok(providers::namespace(&path.namespace).ok_or_else(|| {
        HttpResponse::NotFound()
            .json(ArmError::InvalidResourceNamespace(path.namespace.clone()).envelope())
    }))
}

/// `Providers_Get`: 404 `InvalidResourceNamespace` for a namespace mimic does not serve.
pub async fn get_provider(
    state: web::Data<AppState>,
    _caller: Caller,
    _version: ApiVersion,
    path: web::Path<ProviderPath>,
) -> Result<HttpResponse, ArmError> {
    let info = match served_namespace(&state, &path).await? {
        Ok(info) => info,
        Err(not_found) => return Ok(not_found),
    };
    let provider = provider_in(&state, &path.subscription_id, info).await?;
    Ok(HttpResponse::Ok().json(provider))
}

/// `Providers_Register`: 200 with the provider `Registered` (mimic registers at once; ARM answers
/// `Registering` first for a namespace that was not registered, and azurerm polls
/// `Providers_Get` until `Registered`: internal/resourceproviders/registration.go).
pub async fn register_provider(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<ProviderPath>,
) -> Result<HttpResponse, ArmError> {
    set_registration(&state, &caller, &path, "register", providers::REGISTERED).await
}

/// `Providers_Unregister`: 200 with the provider `Unregistering`, as ARM answers; it reads
/// `NotRegistered` from then on.
pub async fn unregister_provider(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<ProviderPath>,
) -> Result<HttpResponse, ArmError> {
    set_registration(
        &state,
        &caller,
        &path,
        "unregister",
        providers::NOT_REGISTERED,
    )
    .await
}

async fn set_registration(
    state: &AppState,
    caller: &Caller,
    path: &ProviderPath,
    verb: &str,
    recorded: &'static str,
) -> Result<HttpResponse, ArmError> {
    let info = match served_namespace(state, path).await? {
        Ok(info) => info,
        Err(not_found) => return Ok(not_found),
    };
    let subscription = format!("/subscriptions/{}", path.subscription_id);
    let action = format!("{}/{verb}/action", info.namespace);
    rbac::authorize(state, caller, &action, &subscription).await?;
    store::set_registration_state(&state.db, &path.subscription_id, info.namespace, recorded)
        .await?;
    let answered = match recorded {
        providers::REGISTERED => providers::REGISTERED,
        _ => providers::UNREGISTERING,
    };
    Ok(HttpResponse::Ok().json(providers::render(&path.subscription_id, info, answered)))
}
