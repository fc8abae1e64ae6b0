//! Subscriptions and tenants: domain types and their wire shapes (api-version 2022-12-01).

use serde::Serialize;

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// The subscription id (a GUID), canonical case.
    pub subscription_id: String,
    /// The display name (`az account` shows it as `name`).
    pub display_name: String,
    /// The tenant the subscription trusts.
    pub tenant_id: String,
    /// `Enabled`.
    pub state: String,
    /// Tags, when any.
    pub tags: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `Subscription` as ARM returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionBody {
    id: String,
    authorization_source: &'static str,
    managed_by_tenants: Vec<serde_json::Value>,
    pub subscription_id: String,
    tenant_id: String,
    display_name: String,
    state: String,
    subscription_policies: SubscriptionPolicies,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `subscriptionPolicies`: a pay-as-you-go subscription in the public cloud.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionPolicies {
    location_placement_id: &'static str,
    quota_id: &'static str,
    spending_limit: &'static str,
}

impl From<Subscription> for SubscriptionBody {
    fn from(subscription: Subscription) -> Self {
        Self {
            id: format!("/subscriptions/{}", subscription.subscription_id),
            authorization_source: "RoleBased",
            managed_by_tenants: Vec::new(),
            subscription_id: subscription.subscription_id,
            tenant_id: subscription.tenant_id,
            display_name: subscription.display_name,
            state: subscription.state,
            subscription_policies: SubscriptionPolicies {
                location_placement_id: "Public_2014-09-01",
                quota_id: "PayAsYouGo_2014-09-01",
                spending_limit: "Off",
            },
            tags: subscription.tags,
        }
    }
}

/// `TenantIdDescription` as `GET /tenants` returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantBody {
    id: String,
    pub tenant_id: String,
    tenant_category: &'static str,
    country_code: &'static str,
    display_name: String,
    domains: Vec<String>,
    default_domain: String,
    tenant_type: &'static str,
}

impl TenantBody {
    /// The home tenant with its display name and default domain.
    pub fn home(tenant_id: &str, display_name: &str, default_domain: &str) -> Self {
        Self {
            id: format!("/tenants/{tenant_id}"),
            tenant_id: tenant_id.to_string(),
            tenant_category: "Home",
            country_code: "US",
            display_name: display_name.to_string(),
            domains: vec![default_domain.to_string()],
            default_domain: default_domain.to_string(),
            tenant_type: "AAD",
        }
    }
}

/// `Location` as `GET /subscriptions/{s}/locations` returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationBody {
    id: String,
    name: &'static str,
    display_name: &'static str,
    regional_display_name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    metadata: LocationMetadata,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LocationMetadata {
    region_type: &'static str,
    region_category: &'static str,
    geography_group: &'static str,
    latitude: &'static str,
    longitude: &'static str,
}

/// The regions mimic lists: `(name, display name, geography, latitude, longitude)`.
const LOCATIONS: [(&str, &str, &str, &str, &str); 8] = [
    ("eastus", "East US", "US", "37.3719", "-79.8164"),
    ("eastus2", "East US 2", "US", "36.6681", "-78.3889"),
    ("westus", "West US", "US", "37.783", "-122.417"),
    ("westus2", "West US 2", "US", "47.233", "-119.852"),
    ("centralus", "Central US", "US", "41.5908", "-93.6208"),
    (
        "northeurope",
        "North Europe",
        "Europe",
        "53.3478",
        "-6.2597",
    ),
    ("westeurope", "West Europe", "Europe", "52.3667", "4.9"),
    ("uksouth", "UK South", "Europe", "50.941", "-0.799"),
];

impl LocationBody {
    /// Every location mimic lists, for one subscription.
    pub fn all(subscription_id: &str) -> Vec<Self> {
        LOCATIONS
            .iter()
            .map(
                |&(name, display_name, geography, latitude, longitude)| Self {
                    id: format!("/subscriptions/{subscription_id}/locations/{name}"),
                    name,
                    display_name,
                    regional_display_name: format!("({geography}) {display_name}"),
                    kind: "Region",
                    metadata: LocationMetadata {
                        region_type: "Physical",
                        region_category: "Recommended",
                        geography_group: geography,
                        latitude,
                        longitude,
                    },
                },
            )
            .collect()
    }
}

/// The location names (`eastus`, …) every subscription offers, in listing order.
pub fn location_names() -> impl Iterator<Item = &'static str> {
    LOCATIONS.iter().map(|&(name, ..)| name)
}

/// The display names (`East US`, …) of [`location_names`], as the providers list shows them.
pub fn location_display_names() -> Vec<&'static str> {
    LOCATIONS
        .iter()
        .map(|&(_, display_name, ..)| display_name)
        .collect()
}

/// The listed location a client's spelling names, compared as ARM compares locations:
/// case-insensitive and ignoring spaces, so `East US`, `eastus` and `EASTUS` are one location.
pub fn find_location(location: &str) -> Option<&'static str> {
    let wanted = mimic_azure::normalize_location(location);
    LOCATIONS
        .iter()
        .find(|&&(name, display_name, ..)| {
            mimic_azure::normalize_location(name) == wanted
                || mimic_azure::normalize_location(display_name) == wanted
        })
        .map(|&(name, ..)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_location_ignores_case_and_spaces() {
        for spelling in ["eastus", "East US", "EASTUS", " east us "] {
            assert_eq!(find_location(spelling), Some("eastus"), "{spelling}");
        }
        for unknown in ["atlantis", "", "east-us", "eastus3"] {
            assert_eq!(find_location(unknown), None, "{unknown}");
        }
    }
}
