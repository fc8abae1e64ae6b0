//! Existence checks and canonical casing for scopes: every handler authorizes first, then asks
//! here whether the subscription, resource group or resource exists, and gets the canonical
//! (stored) names back to build ids with.

use mimic_azure::{ResourceId, Scope};

use crate::resource_groups::model::ResourceGroup;
use crate::subscriptions::model::Subscription;
use crate::{AppState, ArmError};

/// The subscription, or 404 `SubscriptionNotFound`.
pub async fn require_subscription(
    state: &AppState,
    subscription_id: &str,
) -> Result<Subscription, ArmError> {
    state
        .rbac
        .subscription(&state.db, subscription_id)
        .await?
        .map(|subscription| Subscription::clone(&subscription))
        .ok_or_else(|| ArmError::SubscriptionNotFound(subscription_id.to_string()))
}

/// The location a tracked-resource PUT names, normalised (`East US` → `eastus`): 400
/// `LocationRequired` when it is absent or blank, `LocationNotAvailableForResourceType` when the
/// subscription has no such location ([`require_location`]).
pub fn requested_location(location: Option<&str>, resource_type: &str) -> Result<String, ArmError> {
    let normalized = location
        .map(mimic_azure::normalize_location)
        .filter(|location| !location.is_empty())
        .ok_or(ArmError::LocationRequired)?;
    require_location(location.unwrap_or_default(), resource_type)?;
    Ok(normalized)
}

/// The subscription's location a resource PUT names (its listed name, e.g. `eastus` for
/// `East US`), or 400 `LocationNotAvailableForResourceType`. The message's wording is ARM's, as
/// reported in Azure/azure-rest-api-specs#8347 and #8577 ("The provided location 'WUS' is not
/// available for resource type 'Microsoft.DataBoxEdge/DataBoxEdgeDevices'. List of available
/// regions for the resource type is 'eastus,westeurope,southeastasia'.").
pub fn require_location(location: &str, resource_type: &str) -> Result<&'static str, ArmError> {
    crate::subscriptions::model::find_location(location).ok_or_else(|| {
        ArmError::LocationNotAvailableForResourceType {
            location: location.to_string(),
            resource_type: resource_type.to_string(),
            available: available_locations(),
        }
    })
}

/// Like [`require_location`] for a resource-group PUT: 400 `LocationNotAvailableForResourceGroup`
/// (wording as reported in microsoft/vscode-azureresourcegroups#33 and Azure/azure-cli#7602).
pub fn require_group_location(location: &str) -> Result<&'static str, ArmError> {
    crate::subscriptions::model::find_location(location).ok_or_else(|| {
        ArmError::LocationNotAvailableForResourceGroup {
            location: location.to_string(),
            available: available_locations(),
        }
    })
}

fn available_locations() -> String {
    crate::subscriptions::model::location_names()
        .collect::<Vec<_>>()
        .join(",")
}

/// The resource group (its subscription must exist too), or 404 `SubscriptionNotFound` /
/// `ResourceGroupNotFound`.
pub async fn require_resource_group(
    state: &AppState,
    subscription_id: &str,
    resource_group: &str,
) -> Result<ResourceGroup, ArmError> {
    let subscription = require_subscription(state, subscription_id).await?;
    let group = state
        .rbac
        .resource_group(&state.db, &subscription.subscription_id, resource_group)
        .await?;
    group
        .map(|group| group.as_ref().clone())
        .ok_or_else(|| ArmError::ResourceGroupNotFound(resource_group.to_string()))
}

/// Whether a resource exists (VMs, user-assigned identities and key vaults; other types never do).
pub async fn resource_exists(state: &AppState, id: &ResourceId) -> Result<bool, ArmError> {
    Ok(canonical_resource(state, id).await?.is_some())
}

/// The resource's id in canonical case, if it exists.
pub async fn canonical_resource(
    state: &AppState,
    id: &ResourceId,
) -> Result<Option<ResourceId>, ArmError> {
    crate::resources::find_canonical(state, id).await
}

/// Checks that a scope exists and returns it with canonical names:
/// 404 `SubscriptionNotFound`, `ResourceGroupNotFound` or `ResourceNotFound` otherwise.
pub async fn resolve(state: &AppState, scope: &Scope) -> Result<Scope, ArmError> {
    match scope {
        Scope::Tenant => Ok(Scope::Tenant),
        Scope::Subscription { subscription_id } => {
            let subscription = require_subscription(state, subscription_id).await?;
            Ok(Scope::Subscription {
                subscription_id: subscription.subscription_id,
            })
        }
        Scope::ResourceGroup {
            subscription_id,
            resource_group,
        } => {
            let group = require_resource_group(state, subscription_id, resource_group).await?;
            Ok(Scope::ResourceGroup {
                subscription_id: group.subscription_id,
                resource_group: group.name,
            })
        }
        Scope::Resource(id) => {
            require_resource_group(state, id.subscription_id(), id.resource_group()).await?;
            canonical_resource(state, id)
                .await?
                .map(Scope::Resource)
                .ok_or_else(|| ArmError::ResourceNotFound(id.clone()))
        }
    }
}

/// Parses the `{scope}` captured by a route (`subscriptions/…`, without the leading `/`);
/// a capture that is not a scope answers 404 `NotFound`.
pub fn parse_captured(captured: &str) -> Result<Scope, ArmError> {
    let path = format!("/{}", captured.trim_start_matches('/'));
    Scope::parse(&path).map_err(|_| ArmError::NotFound(path))
}
