//! The operator's sandbox: `mimic exec -- CMD…` and `mimic shell` run CMD in the same network and
//! mount namespace a VM gets (Azure's public names served by mimic, its CA trusted), but as the
//! fixture operator — the service principal `mimic env` and `mimic az` use:
//!
//! - its credentials in the variables Terraform's azurerm provider (`ARM_CLIENT_ID`,
//!   `ARM_CLIENT_SECRET`, `ARM_TENANT_ID`, `ARM_SUBSCRIPTION_ID`) and the Azure SDKs'
//!   `EnvironmentCredential` (`AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_TENANT_ID`, plus
//!   `AZURE_SUBSCRIPTION_ID`) read, and every variable that would send a client elsewhere (a
//!   managed-identity endpoint, a federated token, a certificate, another cloud's metadata host)
//!   removed;
//! - az signed in as it against `AzureCloud` (its own config dir in the data dir; the sign-in runs
//!   once, in the sandbox, and is remembered until the operator or the tenant changes).
//!
//! So Terraform with the default public environment (no `metadata_host`), az and any tool built
//! on Azure's SDKs talk to mimic unchanged (docs/terraform.md).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::Persona;
use crate::endpoints::Endpoints;
use crate::persona::OTHER_IDENTITY_VARIABLES;

/// Variables of Terraform's provider (and az's and the SDKs' beyond [`OTHER_IDENTITY_VARIABLES`])
/// that would make the operator's clients use another credential or cloud.
const OTHER_OPERATOR_VARIABLES: &[&str] = &[
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "ARM_ENVIRONMENT",
    "ARM_METADATA_HOSTNAME",
    "ARM_METADATA_HOST",
    "ARM_USE_MSI",
    "ARM_MSI_ENDPOINT",
    "ARM_USE_OIDC",
    "ARM_OIDC_TOKEN",
    "ARM_OIDC_TOKEN_FILE_PATH",
    "ARM_OIDC_REQUEST_TOKEN",
    "ARM_OIDC_REQUEST_URL",
    "ARM_USE_AKS_WORKLOAD_IDENTITY",
    "ARM_CLIENT_CERTIFICATE_PATH",
    "ARM_CLIENT_CERTIFICATE_PASSWORD",
    "ARM_CLIENT_ID_FILE_PATH",
    "ARM_CLIENT_SECRET_FILE_PATH",
    "ARM_USE_CLI",
];

/// Every variable removed before the operator's own are set ([`environment`] sets
/// `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` and `AZURE_TENANT_ID` again, after the removal).
pub fn removed_variables() -> Vec<&'static str> {
    OTHER_IDENTITY_VARIABLES
        .iter()
        .chain(OTHER_OPERATOR_VARIABLES)
        .copied()
        .collect()
}

/// The operator's credential variables.
pub fn environment(endpoints: &Endpoints) -> Vec<(String, String)> {
    let operator = &endpoints.operator;
    [
        ("ARM_CLIENT_ID", operator.client_id.as_str()),
        ("ARM_CLIENT_SECRET", operator.client_secret.as_str()),
        ("ARM_TENANT_ID", endpoints.tenant_id.as_str()),
        ("ARM_SUBSCRIPTION_ID", endpoints.subscription_id.as_str()),
        ("AZURE_CLIENT_ID", operator.client_id.as_str()),
        ("AZURE_CLIENT_SECRET", operator.client_secret.as_str()),
        ("AZURE_TENANT_ID", endpoints.tenant_id.as_str()),
        ("AZURE_SUBSCRIPTION_ID", endpoints.subscription_id.as_str()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect()
}

/// `mimic exec -- CMD…`: CMD as the operator in the sandbox; its exit code.
pub async fn exec(
    dir: &Path,
    endpoints: &Endpoints,
    command_line: &[String],
) -> anyhow::Result<ExitCode> {
    sign_in_az(dir, endpoints).await?;
    let persona = Persona::Operator {
        environment: environment(endpoints),
    };
    super::exec(dir, persona, endpoints, command_line).await
}

/// Signs az in as the operator inside the sandbox (so against `login.microsoftonline.com` and
/// `management.azure.com`, as on a real operator's machine), unless the persona's config dir
/// already has this operator of this tenant. Without az installed there is nothing to sign in.
async fn sign_in_az(dir: &Path, endpoints: &Endpoints) -> anyhow::Result<()> {
    if !crate::az::az_installed() {
        return Ok(());
    }
    let persona = Persona::Operator {
        environment: environment(endpoints),
    };
    let config_dir = persona.config_dir(dir)?;
    let marker = config_dir.join("mimic-login");
    let expected = format!("{} {}", endpoints.tenant_id, endpoints.operator.client_id);
    let signed_in = std::fs::read_to_string(config_dir.join("azureProfile.json"))
        .is_ok_and(|profile| profile.contains(&endpoints.operator.client_id));
    if signed_in && std::fs::read_to_string(&marker).ok().as_deref() == Some(expected.as_str()) {
        return Ok(());
    }
    let operator = &endpoints.operator;
    // az takes the secret only from `-p` (as `mimic az` passes it); the shell inside expands
    // `$ARM_CLIENT_SECRET`, so it is not on the command lines of mimic, unshare or netns-run.
    let login = [
        "sh".to_string(),
        "-c".to_string(),
        "exec az login --service-principal -u \"$ARM_CLIENT_ID\" -p \"$ARM_CLIENT_SECRET\" \
         --tenant \"$ARM_TENANT_ID\" --output none"
            .to_string(),
    ];
    let status = super::exec(dir, persona, endpoints, &login).await?;
    if status != ExitCode::SUCCESS {
        anyhow::bail!(
            "az could not sign in as the operator ({}) inside the sandbox",
            operator.client_id
        );
    }
    mimic_web::pki::write_atomic(&marker, &expected)
        .with_context(|| format!("writing {}", marker.display()))
}
