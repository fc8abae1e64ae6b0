//! The test fixture's ids, secrets and well-known values, in one place. The ARM + AAD harness
//! seeds `fixtures/default.json`; the AAD harness seeds [`aad`], a subset with the same ids.

use serde_json::{json, Value};

/// The default fixture's tenant.
pub const TENANT: &str = "7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e";
/// The tenant's verified domain.
pub const DOMAIN: &str = "mimic.onmicrosoft.com";
/// The default fixture's subscription.
pub const SUBSCRIPTION: &str = "9b2c4d6e-8f0a-4b1c-a3d5-e7f9a1b3c5d7";
/// The default fixture's resource group.
pub const GROUP: &str = "mimic-rg";

/// The fixture operator's application (client) id; it is Owner on the subscription.
pub const OPERATOR_APP_ID: &str = "0f1e2d3c-4b5a-4968-8776-655443322110";
/// The operator's client secret.
pub const OPERATOR_SECRET: &str = "mimic-operator-secret";
/// The operator's object (principal) id.
pub const OPERATOR_OBJECT_ID: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";

/// The fixture admin user's object id.
pub const ADMIN_ID: &str = "ad000000-0000-4000-8000-00000000a001";
/// The admin user's sign-in name.
pub const ADMIN_UPN: &str = "admin@mimic.onmicrosoft.com";
/// The admin user's password.
pub const ADMIN_PASSWORD: &str = "Mimic-Admin-1!";

/// The Azure CLI's public client id.
pub const AZURE_CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/// mimic's portal client id.
pub const PORTAL: &str = "6d696d69-6370-4f72-8c74-616c00000001";

/// Owner.
pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
/// Contributor.
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// Reader.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
/// Virtual Machine Contributor.
pub const VM_CONTRIBUTOR: &str = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c";
/// Managed Identity Operator.
pub const MI_OPERATOR: &str = "f1a07417-d97a-45cb-824c-7a7467783830";

/// ARM's audience as the management SDKs and azure-identity request it.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";
/// ARM's resource id, as v1 token requests name it.
pub const ARM: &str = "https://management.azure.com";
/// ARM's resource id with a trailing slash, as IMDS token requests name it.
pub const ARM_RESOURCE: &str = "https://management.azure.com/";
/// ARM's legacy resource id, which az uses.
pub const ARM_CORE: &str = "https://management.core.windows.net/";
/// The OAuth2 client-assertion type for a JWT.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The resource-group api-version az uses.
pub const GROUP_VERSION: &str = "2024-11-01";
/// The role-assignment api-version az uses.
pub const RA_VERSION: &str = "2022-04-01";
/// The api-version az uses to PUT, PATCH and DELETE VMs.
pub const VM_WRITE_VERSION: &str = "2024-11-01";
/// The api-version az uses to GET VMs.
pub const VM_READ_VERSION: &str = "2026-04-01";
/// The api-version az uses for user-assigned identities.
pub const MSI_VERSION: &str = "2025-05-31-preview";

/// `/subscriptions/{SUBSCRIPTION}`.
pub fn subscription_id() -> String {
    format!("/subscriptions/{SUBSCRIPTION}")
}

/// The id of resource group `name` in the fixture subscription.
pub fn group_id(name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{name}")
}

/// The id of VM `name` in the fixture group.
pub fn vm_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.Compute/virtualMachines/{name}",
        group_id(GROUP)
    )
}

/// The id of user-assigned identity `name` in the fixture group.
pub fn identity_id(name: &str) -> String {
    format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
        group_id(GROUP)
    )
}

/// `fixtures/default.json`: what `mimic up` seeds.
pub fn default() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/default.json");
    let text = std::fs::read_to_string(path).expect("reading fixtures/default.json");
    serde_json::from_str(&text).expect("fixtures/default.json is JSON")
}

/// The AAD harness's directory: the operator principal and the admin user.
pub fn aad() -> Value {
    json!({"servicePrincipals": [{
        "id": OPERATOR_OBJECT_ID, "appId": OPERATOR_APP_ID, "displayName": "mimic-operator",
        "servicePrincipalType": "Application",
        "passwordCredentials": [{"secretText": OPERATOR_SECRET}]
    }], "users": [{
        "id": ADMIN_ID, "userPrincipalName": ADMIN_UPN, "displayName": "Mimic Admin",
        "passwordProfile": {"password": ADMIN_PASSWORD}
    }]})
}
