//! Shell environments: the operator's (`mimic env`) and a VM's (`mimic vm env NAME`).

use crate::endpoints::{Endpoints, VmEndpoint};

/// Managed-identity variables that would make clients pick another source than IMDS
/// (wire contract §2.1); the VM persona unsets them.
pub const OTHER_IDENTITY_VARIABLES: &[&str] = &[
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "ACC_CLOUD",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_TENANT_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "MSAL_FORCE_REGION",
    "AZURE_REGIONAL_AUTHORITY_NAME",
];

/// `export` lines for the operator's shell.
pub fn operator_env(endpoints: &Endpoints) -> String {
    let pairs = [
        ("MIMIC_ARM", endpoints.arm.as_str()),
        ("MIMIC_AAD", endpoints.aad.as_str()),
        ("MIMIC_CA", endpoints.ca_cert.as_str()),
        ("MIMIC_TENANT", endpoints.tenant_id.as_str()),
        ("MIMIC_SUBSCRIPTION", endpoints.subscription_id.as_str()),
        ("MIMIC_RG", endpoints.resource_group.as_str()),
        ("MIMIC_CLIENT_ID", endpoints.operator.client_id.as_str()),
        (
            "MIMIC_CLIENT_SECRET",
            endpoints.operator.client_secret.as_str(),
        ),
    ];
    pairs
        .iter()
        .map(|(name, value)| format!("export {name}={}\n", quote(value)))
        .collect()
}

/// `export`/`unset` lines that make a shell the VM: clients find its IMDS through
/// `AZURE_POD_IDENTITY_AUTHORITY_HOST`, the one variable every client honours (§1 item 5).
pub fn vm_env(vm: &VmEndpoint) -> String {
    format!(
        "export AZURE_POD_IDENTITY_AUTHORITY_HOST={}\nunset {}\n",
        quote(&vm.imds),
        OTHER_IDENTITY_VARIABLES.join(" ")
    )
}

/// Single-quotes a value for POSIX shells.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_single_quotes() {
        assert_eq!(quote("a'b"), r"'a'\''b'");
    }
}
