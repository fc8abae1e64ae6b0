//! The resource providers mimic serves, as `GET /subscriptions/{s}/providers[/{namespace}]`
//! shows them. api-versions are listed newest first, previews in date order like ARM does; az
//! picks the first non-preview one (wire-contract §5.5).

use serde::Serialize;

const COMPUTE_VERSIONS: &[&str] = &[
    "2026-04-01",
    "2025-04-01",
    "2024-11-01",
    "2024-07-01",
    "2024-03-01",
    "2023-09-01",
    "2023-07-01",
    "2023-03-01",
    "2022-11-01",
    "2022-08-01",
    "2022-03-01",
    "2021-11-01",
    "2021-07-01",
    "2021-04-01",
    "2021-03-01",
    "2020-12-01",
    "2020-06-01",
    "2019-12-01",
    "2019-07-01",
    "2019-03-01",
    "2018-10-01",
    "2018-06-01",
    "2018-04-01",
    "2017-12-01",
    "2017-03-30",
    "2016-08-30",
    "2016-04-30-preview",
    "2016-03-30",
    "2015-06-15",
];

const MSI_VERSIONS: &[&str] = &[
    "2025-05-31-preview",
    "2025-01-31-preview",
    "2024-11-30",
    "2023-07-31-preview",
    "2023-01-31",
    "2022-01-31-preview",
    "2021-09-30-preview",
    "2018-11-30",
    "2015-08-31-preview",
];

const MSI_SYSTEM_VERSIONS: &[&str] = &[
    "2024-11-30",
    "2023-01-31",
    "2022-01-31-preview",
    "2018-11-30",
    "2015-08-31-preview",
];

const RESOURCES_VERSIONS: &[&str] = &[
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

const SUBSCRIPTIONS_VERSIONS: &[&str] = &[
    "2022-12-01",
    "2022-01-01",
    "2021-01-01",
    "2020-01-01",
    "2019-11-01",
    "2019-10-01",
    "2019-06-01",
    "2018-06-01",
    "2016-06-01",
    "2015-11-01",
    "2014-04-01",
];

const ROLE_ASSIGNMENT_VERSIONS: &[&str] = &[
    "2022-04-01",
    "2022-01-01-preview",
    "2021-04-01-preview",
    "2020-10-01-preview",
    "2020-08-01-preview",
    "2020-04-01-preview",
    "2020-03-01-preview",
    "2019-04-01-preview",
    "2018-12-01-preview",
    "2018-09-01-preview",
    "2018-07-01",
    "2018-01-01-preview",
    "2017-10-01-preview",
    "2017-09-01",
    "2017-05-01",
    "2016-07-01",
    "2015-07-01",
];

const ROLE_DEFINITION_VERSIONS: &[&str] = &[
    "2022-05-01-preview",
    "2022-04-01",
    "2018-07-01",
    "2018-01-01-preview",
    "2017-09-01",
    "2017-05-01",
    "2016-07-01",
    "2015-07-01",
];

struct TypeInfo {
    name: &'static str,
    regional: bool,
    versions: &'static [&'static str],
}

struct ProviderInfo {
    namespace: &'static str,
    registration_policy: &'static str,
    types: &'static [TypeInfo],
}

const PROVIDERS: &[ProviderInfo] = &[
    ProviderInfo {
        namespace: "Microsoft.Authorization",
        registration_policy: "RegistrationFree",
        types: &[
            TypeInfo {
                name: "roleAssignments",
                regional: false,
                versions: ROLE_ASSIGNMENT_VERSIONS,
            },
            TypeInfo {
                name: "roleDefinitions",
                regional: false,
                versions: ROLE_DEFINITION_VERSIONS,
            },
        ],
    },
    ProviderInfo {
        namespace: "Microsoft.Compute",
        registration_policy: "RegistrationRequired",
        types: &[
            TypeInfo {
                name: "virtualMachines",
                regional: true,
                versions: COMPUTE_VERSIONS,
            },
            TypeInfo {
                name: "locations",
                regional: false,
                versions: COMPUTE_VERSIONS,
            },
            TypeInfo {
                name: "locations/operations",
                regional: false,
                versions: COMPUTE_VERSIONS,
            },
        ],
    },
    ProviderInfo {
        namespace: "Microsoft.ManagedIdentity",
        registration_policy: "RegistrationRequired",
        types: &[
            TypeInfo {
                name: "userAssignedIdentities",
                regional: true,
                versions: MSI_VERSIONS,
            },
            TypeInfo {
                name: "Identities",
                regional: false,
                versions: MSI_SYSTEM_VERSIONS,
            },
        ],
    },
    ProviderInfo {
        namespace: "Microsoft.Resources",
        registration_policy: "RegistrationFree",
        types: &[
            TypeInfo {
                name: "subscriptions",
                regional: false,
                versions: SUBSCRIPTIONS_VERSIONS,
            },
            TypeInfo {
                name: "resourceGroups",
                regional: true,
                versions: RESOURCES_VERSIONS,
            },
            TypeInfo {
                name: "subscriptions/resourceGroups",
                regional: false,
                versions: RESOURCES_VERSIONS,
            },
            TypeInfo {
                name: "subscriptions/resources",
                regional: false,
                versions: RESOURCES_VERSIONS,
            },
            TypeInfo {
                name: "subscriptions/providers",
                regional: false,
                versions: RESOURCES_VERSIONS,
            },
            TypeInfo {
                name: "resources",
                regional: false,
                versions: RESOURCES_VERSIONS,
            },
            TypeInfo {
                name: "providers",
                regional: false,
                versions: RESOURCES_VERSIONS,
            },
            TypeInfo {
                name: "tenants",
                regional: false,
                versions: SUBSCRIPTIONS_VERSIONS,
            },
        ],
    },
];

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

/// A page of providers.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderList {
    pub value: Vec<Provider>,
}

fn render(subscription_id: &str, info: &ProviderInfo) -> Provider {
    Provider {
        id: format!(
            "/subscriptions/{subscription_id}/providers/{}",
            info.namespace
        ),
        namespace: info.namespace,
        registration_state: "Registered",
        registration_policy: info.registration_policy,
        resource_types: info
            .types
            .iter()
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

/// The provider with this namespace (any case), `None` if mimic does not serve it.
pub fn find(subscription_id: &str, namespace: &str) -> Option<Provider> {
    PROVIDERS
        .iter()
        .find(|info| info.namespace.eq_ignore_ascii_case(namespace))
        .map(|info| render(subscription_id, info))
}

/// Every provider mimic serves.
pub fn all(subscription_id: &str) -> ProviderList {
    ProviderList {
        value: PROVIDERS
            .iter()
            .map(|info| render(subscription_id, info))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_are_newest_first() {
        for info in PROVIDERS {
            for kind in info.types {
                let dates: Vec<&str> = kind.versions.iter().map(|v| &v[..10]).collect();
                let mut sorted = dates.clone();
                sorted.sort_by(|a, b| b.cmp(a));
                assert_eq!(dates, sorted, "{}/{}", info.namespace, kind.name);
            }
        }
    }

    #[test]
    fn find_ignores_case_and_rejects_unknown_namespaces() {
        assert_eq!(
            find("s", "microsoft.compute").map(|p| p.namespace),
            Some("Microsoft.Compute")
        );
        assert!(find("s", "Microsoft.Storage").is_none());
    }
}
