//! The resource providers mimic serves, as `GET /subscriptions/{s}/providers[/{namespace}]`
//! shows them: each namespace's resource types and api-versions come from the operation table
//! ([`crate::operations`]), so a type is listed exactly when mimic routes an operation of it.
//! api-versions are listed newest first, previews in date order like ARM does; az picks the first
//! non-preview one (wire-contract §5.5).

use serde::Serialize;

use crate::operations::{self, ResourceType};

/// A namespace mimic serves and how ARM registers it.
pub struct Namespace {
    /// Canonical case, e.g. `Microsoft.ManagedIdentity`.
    pub namespace: &'static str,
    /// `providerOperations`' display name, e.g. `Managed Service Identity`.
    pub display_name: &'static str,
    registration_policy: &'static str,
}

/// The provider namespaces mimic serves.
pub const NAMESPACES: &[Namespace] = &[
    Namespace {
        namespace: "Microsoft.Authorization",
        display_name: "Microsoft Authorization",
        registration_policy: "RegistrationFree",
    },
    Namespace {
        namespace: "Microsoft.Compute",
        display_name: "Microsoft Compute",
        registration_policy: "RegistrationRequired",
    },
    // Only the activity log (`eventtypes/management/values`).
    Namespace {
        namespace: "Microsoft.Insights",
        display_name: "Microsoft Monitoring Insights",
        registration_policy: "RegistrationRequired",
    },
    Namespace {
        namespace: "Microsoft.KeyVault",
        display_name: "Microsoft Key Vault",
        registration_policy: "RegistrationRequired",
    },
    Namespace {
        namespace: "Microsoft.ManagedIdentity",
        display_name: "Managed Service Identity",
        registration_policy: "RegistrationRequired",
    },
    // The (empty) virtual-network list of a group, for `az vm create`, and the VMs' network
    // interfaces (read-only).
    Namespace {
        namespace: "Microsoft.Network",
        display_name: "Microsoft Network",
        registration_policy: "RegistrationRequired",
    },
    Namespace {
        namespace: "Microsoft.Resources",
        display_name: "Microsoft Resources",
        registration_policy: "RegistrationFree",
    },
];

/// The namespace with this name (any case).
pub fn namespace(name: &str) -> Option<&'static Namespace> {
    NAMESPACES
        .iter()
        .find(|known| known.namespace.eq_ignore_ascii_case(name))
}

/// The resource types of a namespace that the operation table routes, in table order.
pub fn types_of(namespace: &str) -> Vec<&'static ResourceType> {
    let mut types: Vec<&'static ResourceType> = Vec::new();
    for operation in operations::all() {
        let resource_type = operation.resource_type;
        if resource_type.namespace == namespace && !types.contains(&resource_type) {
            types.push(resource_type);
        }
    }
    types
}

/// A resource provider as ARM shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    pub id: String,
    pub namespace: &'static str,
    pub registration_state: &'static str,
    pub registration_policy: &'static str,
    pub resource_types: Vec<ProviderResourceType>,
}

/// One resource type of a provider.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderResourceType {
    pub resource_type: &'static str,
    pub locations: Vec<&'static str>,
    pub api_versions: Vec<&'static str>,
    pub capabilities: &'static str,
}

/// A namespace's registration state as ARM writes it: `Registered` unless a row says otherwise.
pub fn registration_state(recorded: Option<&str>) -> &'static str {
    match recorded {
        Some(state) if state.eq_ignore_ascii_case(NOT_REGISTERED) => NOT_REGISTERED,
        _ => REGISTERED,
    }
}

/// `registrationState` of a registered namespace.
pub const REGISTERED: &str = "Registered";
/// `registrationState` of an unregistered namespace.
pub const NOT_REGISTERED: &str = "NotRegistered";
/// `registrationState` `Providers_Unregister` answers with, as ARM does while it unregisters.
pub const UNREGISTERING: &str = "Unregistering";

/// The provider `info` as ARM shows it in `subscription_id`, in `registration_state`.
pub fn render(
    subscription_id: &str,
    info: &Namespace,
    registration_state: &'static str,
) -> Provider {
    Provider {
        id: format!(
            "/subscriptions/{subscription_id}/providers/{}",
            info.namespace
        ),
        namespace: info.namespace,
        registration_state,
        registration_policy: info.registration_policy,
        resource_types: types_of(info.namespace)
            .into_iter()
            .map(|t| ProviderResourceType {
                resource_type: t.name,
                // The subscription's locations are the truth: a PUT elsewhere is refused.
                locations: if t.regional {
                    crate::subscriptions::model::location_display_names()
                } else {
                    Vec::new()
                },
                api_versions: t.versions.to_vec(),
                capabilities: "None",
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_routed_namespace_is_served_and_every_served_one_routes() {
        for operation in operations::all() {
            assert!(
                namespace(operation.resource_type.namespace).is_some(),
                "{}",
                operation.id
            );
        }
        for info in NAMESPACES {
            assert!(!types_of(info.namespace).is_empty(), "{}", info.namespace);
        }
    }

    #[test]
    fn namespace_ignores_case_and_rejects_unknown_namespaces() {
        assert_eq!(
            namespace("microsoft.compute").map(|info| info.namespace),
            Some("Microsoft.Compute")
        );
        assert!(namespace("Microsoft.Storage").is_none());
    }

    #[test]
    fn only_a_recorded_not_registered_unregisters() {
        assert_eq!(registration_state(None), REGISTERED);
        assert_eq!(registration_state(Some("Registered")), REGISTERED);
        assert_eq!(registration_state(Some("NotRegistered")), NOT_REGISTERED);
    }
}
