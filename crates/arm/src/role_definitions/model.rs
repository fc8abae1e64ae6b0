//! The built-in role definitions mimic knows, with Azure's GUIDs and permission lists
//! (MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/*.md), and how
//! their actions match.

use serde::Serialize;

/// One built-in role.
#[derive(Debug, PartialEq)]
pub struct RoleDefinition {
    /// The role's GUID (the definition's `name`).
    pub name: &'static str,
    /// `roleName`, e.g. `Reader`.
    pub role_name: &'static str,
    /// `description`.
    pub description: &'static str,
    /// `permissions[0].actions`.
    pub actions: &'static [&'static str],
    /// `permissions[0].notActions`.
    pub not_actions: &'static [&'static str],
    /// `createdOn`.
    pub created_on: &'static str,
    /// `updatedOn`.
    pub updated_on: &'static str,
}

impl RoleDefinition {
    /// Whether this role grants `action`: some action matches and no notAction does.
    pub fn permits(&self, action: &str) -> bool {
        self.actions
            .iter()
            .any(|pattern| action_matches(pattern, action))
            && !self
                .not_actions
                .iter()
                .any(|pattern| action_matches(pattern, action))
    }

    /// The definition's id under `scope`: `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}`
    /// inside a subscription, `/providers/Microsoft.Authorization/roleDefinitions/{guid}` at the root.
    pub fn id(&self, subscription_id: Option<&str>) -> String {
        definition_id(subscription_id, self.name)
    }
}

/// The id of role definition `guid` as seen from a subscription (or the tenant root).
pub fn definition_id(subscription_id: Option<&str>, guid: &str) -> String {
    match subscription_id {
        Some(subscription_id) => format!(
            "/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        ),
        None => format!("/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
    }
}

/// Whether an action pattern matches an action, as ARM does: case-insensitive, `*` matches any
/// sequence of characters (across `/`), and `/*/` also matches a single `/` (so that
/// `userAssignedIdentities/*/assign/action` grants `userAssignedIdentities/assign/action`).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    glob(pattern.as_bytes(), action.as_bytes())
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => {
            // `/*/` standing for zero segments: skip `*/` after a `/` already matched.
            let zero_segments = rest.first() == Some(&b'/') && glob(&rest[1..], text);
            zero_segments || (0..=text.len()).any(|skip| glob(rest, &text[skip..]))
        }
        Some((first, rest)) => text.first() == Some(first) && glob(rest, &text[1..]),
    }
}

/// The wire shape of a role definition.
#[derive(Debug, Serialize)]
pub struct RoleDefinitionBody {
    id: String,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    properties: RoleDefinitionProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleDefinitionProperties {
    role_name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'static str,
    assignable_scopes: [&'static str; 1],
    permissions: [Permission; 1],
    created_on: &'static str,
    updated_on: &'static str,
    created_by: Option<String>,
    updated_by: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Permission {
    actions: &'static [&'static str],
    not_actions: &'static [&'static str],
    data_actions: [&'static str; 0],
    not_data_actions: [&'static str; 0],
}

impl RoleDefinitionBody {
    /// `definition` as seen from `subscription_id` (or the tenant root).
    pub fn new(definition: &RoleDefinition, subscription_id: Option<&str>) -> Self {
        Self {
            id: definition.id(subscription_id),
            name: definition.name,
            kind: "Microsoft.Authorization/roleDefinitions",
            properties: RoleDefinitionProperties {
                role_name: definition.role_name,
                kind: "BuiltInRole",
                description: definition.description,
                assignable_scopes: ["/"],
                permissions: [Permission {
                    actions: definition.actions,
                    not_actions: definition.not_actions,
                    data_actions: [],
                    not_data_actions: [],
                }],
                created_on: definition.created_on,
                updated_on: definition.updated_on,
                created_by: None,
                updated_by: None,
            },
        }
    }
}

/// The built-in role with this GUID (case-insensitive).
pub fn find(guid: &str) -> Option<&'static RoleDefinition> {
    BUILT_IN_ROLES
        .iter()
        .find(|role| role.name.eq_ignore_ascii_case(guid))
}

/// Owner.
pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
/// Contributor.
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// Reader.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/// The built-in roles, in the order ARM lists them here.
pub static BUILT_IN_ROLES: [RoleDefinition; 7] = [
    RoleDefinition {
        name: OWNER,
        role_name: "Owner",
        description: "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        actions: &["*"],
        not_actions: &[],
        created_on: "2015-02-02T21:55:09.8806423Z",
        updated_on: "2021-11-11T20:13:45.8978856Z",
    },
    RoleDefinition {
        name: CONTRIBUTOR,
        role_name: "Contributor",
        description: "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
        actions: &["*"],
        not_actions: &[
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ],
        created_on: "2015-02-02T21:55:09.8806423Z",
        updated_on: "2024-04-25T15:30:10.0000000Z",
    },
    RoleDefinition {
        name: READER,
        role_name: "Reader",
        description: "View all resources, but does not allow you to make any changes.",
        actions: &["*/read"],
        not_actions: &[],
        created_on: "2015-02-02T21:55:09.8806423Z",
        updated_on: "2021-11-11T20:13:47.8628684Z",
    },
    RoleDefinition {
        name: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        role_name: "User Access Administrator",
        description: "Lets you manage user access to Azure resources.",
        actions: &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
        not_actions: &[],
        created_on: "2015-02-02T21:55:09.8806423Z",
        updated_on: "2021-11-11T20:13:48.6569312Z",
    },
    RoleDefinition {
        name: "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
        role_name: "Virtual Machine Contributor",
        description: "Lets you manage virtual machines, but not access to them, and not the virtual network or storage account they're connected to.",
        actions: &[
            "Microsoft.Authorization/*/read",
            "Microsoft.Compute/availabilitySets/*",
            "Microsoft.Compute/locations/*",
            "Microsoft.Compute/virtualMachines/*",
            "Microsoft.Compute/virtualMachineScaleSets/*",
            "Microsoft.Compute/cloudServices/*",
            "Microsoft.Compute/disks/write",
            "Microsoft.Compute/disks/read",
            "Microsoft.Compute/disks/delete",
            "Microsoft.Compute/hostgroups/write",
            "Microsoft.Compute/hostgroups/hosts/write",
            "Microsoft.DevTestLab/schedules/*",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Network/applicationGateways/backendAddressPools/join/action",
            "Microsoft.Network/loadBalancers/backendAddressPools/join/action",
            "Microsoft.Network/loadBalancers/inboundNatPools/join/action",
            "Microsoft.Network/loadBalancers/inboundNatRules/join/action",
            "Microsoft.Network/loadBalancers/probes/join/action",
            "Microsoft.Network/loadBalancers/read",
            "Microsoft.Network/locations/*",
            "Microsoft.Network/networkInterfaces/*",
            "Microsoft.Network/networkSecurityGroups/join/action",
            "Microsoft.Network/networkSecurityGroups/read",
            "Microsoft.Network/publicIPAddresses/join/action",
            "Microsoft.Network/publicIPAddresses/read",
            "Microsoft.Network/virtualNetworks/read",
            "Microsoft.Network/virtualNetworks/subnets/join/action",
            "Microsoft.RecoveryServices/locations/*",
            "Microsoft.RecoveryServices/Vaults/backupFabrics/backupProtectionIntent/write",
            "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/*/read",
            "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/read",
            "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/write",
            "Microsoft.RecoveryServices/Vaults/backupPolicies/read",
            "Microsoft.RecoveryServices/Vaults/backupPolicies/write",
            "Microsoft.RecoveryServices/Vaults/read",
            "Microsoft.RecoveryServices/Vaults/usages/read",
            "Microsoft.RecoveryServices/Vaults/write",
            "Microsoft.ResourceHealth/availabilityStatuses/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.SerialConsole/serialPorts/connect/action",
            "Microsoft.SqlVirtualMachine/*",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            "Microsoft.Storage/storageAccounts/read",
            "Microsoft.Support/*",
        ],
        not_actions: &[],
        created_on: "2015-06-02T00:18:27.3542698Z",
        updated_on: "2024-04-25T15:30:10.0000000Z",
    },
    RoleDefinition {
        name: "f1a07417-d97a-45cb-824c-7a7467783830",
        role_name: "Managed Identity Operator",
        description: "Read and Assign User Assigned Identity",
        actions: &[
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Support/*",
        ],
        not_actions: &[],
        created_on: "2017-12-14T19:52:04.3924594Z",
        updated_on: "2021-11-11T20:13:38.9800000Z",
    },
    RoleDefinition {
        name: "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59",
        role_name: "Managed Identity Contributor",
        description: "Create, Read, Update, and Delete User Assigned Identity",
        actions: &[
            "Microsoft.ManagedIdentity/userAssignedIdentities/read",
            "Microsoft.ManagedIdentity/userAssignedIdentities/write",
            "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
            "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
            "Microsoft.ManagedIdentity/userAssignedIdentities/revokeTokens/action",
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Support/*",
        ],
        not_actions: &[],
        created_on: "2017-12-14T19:53:42.8804692Z",
        updated_on: "2021-11-11T20:13:38.9800000Z",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_matches_follows_arm_wildcards() {
        let cases = [
            ("*", "Microsoft.Compute/virtualMachines/write", true),
            ("*/read", "Microsoft.Compute/virtualMachines/read", true),
            ("*/read", "Microsoft.Compute/virtualMachines/write", false),
            (
                "*/READ",
                "microsoft.resources/subscriptions/resourcegroups/read",
                true,
            ),
            (
                "Microsoft.Authorization/*",
                "Microsoft.Authorization/roleAssignments/write",
                true,
            ),
            (
                "Microsoft.Authorization/*",
                "Microsoft.Compute/virtualMachines/read",
                false,
            ),
            (
                "Microsoft.Authorization/*/read",
                "Microsoft.Authorization/roleDefinitions/read",
                true,
            ),
            (
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/roleAssignments/write",
                true,
            ),
            (
                "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
                "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
                true,
            ),
            (
                "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
                "Microsoft.ManagedIdentity/userAssignedIdentities/read",
                true,
            ),
            (
                "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
                "Microsoft.ManagedIdentity/userAssignedIdentities/write",
                false,
            ),
            (
                "Microsoft.Compute/virtualMachines/*",
                "Microsoft.Compute/virtualMachinesX/read",
                false,
            ),
            (
                "Microsoft.Compute/virtualMachines/read",
                "Microsoft.Compute/virtualMachines/read",
                true,
            ),
        ];
        for (pattern, action, want) in cases {
            assert_eq!(
                action_matches(pattern, action),
                want,
                "{pattern} vs {action}"
            );
        }
    }

    #[test]
    fn permits_subtracts_not_actions() {
        let contributor = find(CONTRIBUTOR).unwrap();
        assert!(contributor.permits("Microsoft.Compute/virtualMachines/write"));
        assert!(
            contributor.permits("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action")
        );
        assert!(contributor.permits("Microsoft.Authorization/roleAssignments/read"));
        assert!(!contributor.permits("Microsoft.Authorization/roleAssignments/write"));
        assert!(!contributor.permits("Microsoft.Authorization/roleAssignments/delete"));
        let reader = find(READER).unwrap();
        assert!(reader.permits("Microsoft.Resources/subscriptions/resourceGroups/read"));
        assert!(!reader.permits("Microsoft.Resources/subscriptions/resourceGroups/write"));
        let vm_contributor = find("9980E02C-C2BE-4D73-94E8-173B1DC7CF3C").unwrap();
        assert!(vm_contributor.permits("Microsoft.Compute/virtualMachines/write"));
        assert!(!vm_contributor
            .permits("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"));
    }
}
