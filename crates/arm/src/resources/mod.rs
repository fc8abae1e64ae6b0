//! Generic resources and resource providers: `GET /subscriptions/{s}[/resourceGroups/{g}]/resources`
//! (filtered to what the caller may read) and `GET /subscriptions/{s}/providers[/{namespace}]`.

pub mod model;
pub mod providers;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::extract::{ApiVersion, Caller};
use crate::routes::resource;
use crate::user_assigned_identities::store as identity_store;
use crate::virtual_machines::store as vm_store;
use crate::{rbac, scope, AppState, ArmError};
use model::{Expand, Filter, GenericResourceList, Resource};

/// Registers the generic-resource and provider routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/subscriptions/{subscription_id}/resources").route(web::get().to(list)))
        .service(
            resource("/subscriptions/{subscription_id}/resourcegroups/{resource_group}/resources")
                .route(web::get().to(list_by_resource_group)),
        )
        .service(
            resource("/subscriptions/{subscription_id}/providers")
                .route(web::get().to(list_providers)),
        )
        .service(
            resource("/subscriptions/{subscription_id}/providers/{namespace}")
                .route(web::get().to(get_provider)),
        );
}

/// The id of a VM or user-assigned identity in canonical case, `None` if it does not exist
/// (other resource types never exist in mimic).
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

/// `Resources_List`.
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    let page = list_resources(&state, &caller, &path.subscription_id, None, &query).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// `Resources_ListByResourceGroup`.
pub async fn list_by_resource_group(
    state: web::Data<AppState>,
    caller: Caller,
    _version: ApiVersion,
    path: web::Path<GroupPath>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let group =
        scope::require_resource_group(&state, &path.subscription_id, &path.resource_group).await?;
    let page = list_resources(
        &state,
        &caller,
        &path.subscription_id,
        Some(&group.name),
        &query,
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The resources of a subscription (or group) that match the query and that the caller may read.
async fn list_resources(
    state: &AppState,
    caller: &Caller,
    subscription_id: &str,
    group: Option<&str>,
    query: &ListQuery,
) -> Result<GenericResourceList, ArmError> {
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
    let candidates = vms
        .iter()
        .map(Resource::from)
        .chain(identities.iter().map(Resource::from))
        .filter(|resource| filter.matches(resource));
    let mut value = Vec::new();
    for resource in candidates {
        if value.len() >= query.top.unwrap_or(usize::MAX) {
            break;
        }
        if rbac::is_permitted(state, &caller.oid, &resource.read_action(), &resource.id).await? {
            value.push(resource.render(expand, filter.is_on_tags()));
        }
    }
    Ok(GenericResourceList { value })
}

/// `Providers_List`.
pub async fn list_providers(
    state: web::Data<AppState>,
    _caller: Caller,
    _version: ApiVersion,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    Ok(HttpResponse::Ok().json(providers::all(&path.subscription_id)))
}

/// The path of one provider.
#[derive(Debug, Deserialize)]
pub struct ProviderPath {
    subscription_id: String,
    namespace: String,
}

/// `Providers_Get`: 404 `InvalidResourceNamespace` for a namespace mimic does not serve.
pub async fn get_provider(
    state: web::Data<AppState>,
    _caller: Caller,
    _version: ApiVersion,
    path: web::Path<ProviderPath>,
) -> Result<HttpResponse, ArmError> {
    scope::require_subscription(&state, &path.subscription_id).await?;
    match providers::find(&path.subscription_id, &path.namespace) {
        Some(provider) => Ok(HttpResponse::Ok().json(provider)),
        // ARM answers an unknown namespace here with 404, not the 400 that
        // `InvalidResourceNamespace` carries for resource paths.
        None => Ok(HttpResponse::NotFound()
            .json(ArmError::InvalidResourceNamespace(path.namespace.clone()).envelope())),
    }
}
