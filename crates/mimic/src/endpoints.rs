//! `endpoints.json`: where everything listens, written atomically once every listener is bound.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// The contents of `endpoints.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Endpoints {
    pub arm: String,
    pub aad: String,
    /// The portal (served by ARM): `{arm}/portal/`.
    #[serde(default)]
    pub portal: String,
    pub ca_cert: String,
    pub tenant_id: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub operator: Operator,
    pub vms: Vec<VmEndpoint>,
}

/// The fixture's operator service principal (Owner on the subscription).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Operator {
    pub client_id: String,
    pub client_secret: String,
    pub object_id: String,
}

/// One VM and its IMDS.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VmEndpoint {
    pub name: String,
    pub id: String,
    pub imds: String,
}

impl Endpoints {
    /// Writes the file atomically.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        // It holds the operator's secret.
        mimic_web::files::write_private(path, &serde_json::to_string_pretty(self)?)
    }

    /// Reads the file a running `mimic up` wrote.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "reading {} — is `mimic up` running with this --data-dir?",
                path.display()
            )
        })?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The VM with this name (case-insensitive).
    pub fn vm(&self, name: &str) -> Option<&VmEndpoint> {
        self.vms
            .iter()
            .find(|vm| vm.name.eq_ignore_ascii_case(name))
    }
}
