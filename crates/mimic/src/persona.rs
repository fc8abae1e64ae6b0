//! Shell environments: the operator's (`mimic env`) and a VM's (`mimic vm env NAME [--flavor F]`).

use std::path::Path;

use anyhow::Context;
use mimic_imds::flavors;
use mimic_web::InternalKey;

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
    let tls = crate::trust::tls_env(Path::new(&endpoints.ca_cert));
    pairs
        .iter()
        .map(|(name, value)| (*name, *value))
        .chain(tls.iter().map(|(name, value)| (*name, value.as_str())))
        .map(|(name, value)| format!("export {name}={}\n", quote(value)))
        .collect()
}

/// `mimic vm env`: the VM persona's identity lines, then the TLS variables (combined CA bundle).
pub fn vm_shell_env(
    dir: &Path,
    vm: &VmEndpoint,
    flavor: Flavor,
    ca_cert: &str,
) -> anyhow::Result<String> {
    let mut lines = env_lines(&vm_identity_env_in(dir, vm, flavor)?);
    for (name, value) in crate::trust::tls_env(Path::new(ca_cert)) {
        lines.push_str(&format!("export {name}={}\n", quote(&value)));
    }
    Ok(lines)
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

/// Which managed-identity source a VM persona's clients use (wire contract §2.1). Every flavor
/// reaches the same VM identities through the VM's IMDS listener.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Flavor {
    /// Azure VM IMDS (`AZURE_POD_IDENTITY_AUTHORITY_HOST`).
    #[default]
    Imds,
    /// App Service / Functions / Container Apps (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`).
    Appservice,
    /// Cloud Shell (`MSI_ENDPOINT` alone).
    Cloudshell,
    /// Azure Machine Learning (`MSI_ENDPOINT` + `MSI_SECRET`).
    Azureml,
    /// Azure Arc-enabled servers (`IDENTITY_ENDPOINT` + `IMDS_ENDPOINT`).
    Arc,
}

/// A VM persona's identity environment: what to set, and which other identity variables to
/// unset so that clients pick exactly this source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityEnv {
    /// Variables to set.
    pub set: Vec<(&'static str, String)>,
    /// Variables to unset.
    pub unset: Vec<&'static str>,
}

/// The identity environment of `vm` for `flavor`. `key` is the data dir's internal key, from
/// which the App Service and Azure ML secrets of the VM derive.
pub fn vm_identity_env(vm: &VmEndpoint, flavor: Flavor, key: &InternalKey) -> IdentityEnv {
    let base = vm.imds.trim_end_matches('/');
    let set: Vec<(&'static str, String)> = match flavor {
        Flavor::Imds => vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", vm.imds.clone())],
        Flavor::Appservice => vec![
            (
                "IDENTITY_ENDPOINT",
                format!("{base}{}", flavors::APP_SERVICE_PATH),
            ),
            ("IDENTITY_HEADER", flavors::identity_header(key, &vm.id)),
        ],
        Flavor::Cloudshell => vec![(
            "MSI_ENDPOINT",
            format!("{base}{}", flavors::LOCAL_TOKEN_PATH),
        )],
        Flavor::Azureml => vec![
            ("MSI_ENDPOINT", format!("{base}{}", flavors::AZURE_ML_PATH)),
            ("MSI_SECRET", flavors::msi_secret(key, &vm.id)),
        ],
        Flavor::Arc => vec![
            ("IDENTITY_ENDPOINT", format!("{base}{}", flavors::ARC_PATH)),
            ("IMDS_ENDPOINT", format!("{base}{}", flavors::ARC_PREFIX)),
        ],
    };
    let unset = std::iter::once("AZURE_POD_IDENTITY_AUTHORITY_HOST")
        .chain(OTHER_IDENTITY_VARIABLES.iter().copied())
        .filter(|name| !set.iter().any(|(set_name, _)| set_name == name))
        .collect();
    IdentityEnv { set, unset }
}

/// `export`/`unset` lines that make a shell the VM, its clients using the source `env` names.
pub fn env_lines(env: &IdentityEnv) -> String {
    let mut lines: String = env
        .set
        .iter()
        .map(|(name, value)| format!("export {name}={}\n", quote(value)))
        .collect();
    lines.push_str(&format!("unset {}\n", env.unset.join(" ")));
    lines
}

/// [`vm_identity_env`] with the internal key of the data dir `dir` (read only when the flavor
/// needs a secret).
pub fn vm_identity_env_in(
    dir: &Path,
    vm: &VmEndpoint,
    flavor: Flavor,
) -> anyhow::Result<IdentityEnv> {
    let key = match flavor {
        Flavor::Appservice | Flavor::Azureml => read_internal_key(dir)?,
        Flavor::Imds | Flavor::Cloudshell | Flavor::Arc => InternalKey::new(""),
    };
    Ok(vm_identity_env(vm, flavor, &key))
}

/// The data dir's internal key, as `mimic up` created it.
pub fn read_internal_key(dir: &Path) -> anyhow::Result<InternalKey> {
    let path = dir.join("internal.key");
    let key = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {} — is this the data dir of a running `mimic up`?",
            path.display()
        )
    })?;
    Ok(InternalKey::new(key.trim()))
}

/// Single-quotes a value for POSIX shells.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm() -> VmEndpoint {
        VmEndpoint {
            name: "vm1".into(),
            id:
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
                    .into(),
            imds: "http://127.0.0.1:8500".into(),
        }
    }

    #[test]
    fn imds_flavor_is_the_default_persona() {
        let key = InternalKey::new("k");
        let env = vm_identity_env(&vm(), Flavor::Imds, &key);
        assert_eq!(
            env.set,
            [(
                "AZURE_POD_IDENTITY_AUTHORITY_HOST",
                "http://127.0.0.1:8500".to_string()
            )]
        );
        assert_eq!(env.unset, OTHER_IDENTITY_VARIABLES);
        assert_eq!(env_lines(&env), vm_env(&vm()));
    }

    #[test]
    fn each_flavor_sets_its_variables_and_unsets_every_other() {
        let key = InternalKey::new("k");
        let all: Vec<&str> = std::iter::once("AZURE_POD_IDENTITY_AUTHORITY_HOST")
            .chain(OTHER_IDENTITY_VARIABLES.iter().copied())
            .collect();
        let cases = [
            (
                Flavor::Appservice,
                vec!["IDENTITY_ENDPOINT", "IDENTITY_HEADER"],
            ),
            (Flavor::Cloudshell, vec!["MSI_ENDPOINT"]),
            (Flavor::Azureml, vec!["MSI_ENDPOINT", "MSI_SECRET"]),
            (Flavor::Arc, vec!["IDENTITY_ENDPOINT", "IMDS_ENDPOINT"]),
        ];
        for (flavor, names) in cases {
            let env = vm_identity_env(&vm(), flavor, &key);
            let set: Vec<&str> = env.set.iter().map(|(name, _)| *name).collect();
            assert_eq!(set, names, "{flavor:?}");
            for name in &all {
                assert!(
                    set.contains(name) != env.unset.contains(name),
                    "{flavor:?} {name}"
                );
            }
        }
        let app = vm_identity_env(&vm(), Flavor::Appservice, &key);
        assert_eq!(app.set[0].1, "http://127.0.0.1:8500/msi/token");
        assert_eq!(app.set[1].1, flavors::identity_header(&key, &vm().id));
    }

    #[test]
    fn quote_escapes_single_quotes() {
        assert_eq!(quote("a'b"), r"'a'\''b'");
    }
}
