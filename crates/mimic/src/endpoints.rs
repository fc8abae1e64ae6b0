//! `endpoints.json`: where everything listens, written atomically once every listener is bound and
//! removed when `mimic up` stops cleanly. After a crash the file stays behind; readers therefore
//! check the data dir's lock ([`crate::lock`]) before they trust it.

use std::path::{Path, PathBuf};

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
    /// mimic's OIDC issuers (`mimic issuer …`): name → the `iss` of their tokens.
    #[serde(default)]
    pub issuers: std::collections::BTreeMap<String, String>,
    /// The process that wrote the file (0 in files from before it was recorded).
    #[serde(default)]
    pub pid: u32,
    /// [`mimic_web::VERSION`] of the process that wrote the file.
    #[serde(default)]
    pub version: String,
    /// When that process started, in seconds since the epoch.
    #[serde(default)]
    pub started: i64,
}

/// `mimic up` is not running on this data dir: `endpoints.json` is missing or stale.
#[derive(Debug)]
pub struct NotRunning(pub PathBuf);

impl std::fmt::Display for NotRunning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "mimic is not running (data dir {}); start it with `mimic --data-dir {} up`",
            self.0.display(),
            self.0.display()
        )
    }
}

impl std::error::Error for NotRunning {}

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

    /// The `endpoints.json` of the `mimic up` running on the data dir `dir`; [`NotRunning`] when
    /// none holds the data dir's lock, whatever file a crashed one left behind.
    pub fn of_running(dir: &Path) -> anyhow::Result<Self> {
        if !crate::lock::is_held(dir)? {
            return Err(NotRunning(dir.to_path_buf()).into());
        }
        Self::read(&dir.join("endpoints.json"))
    }

    /// [`Endpoints::of_running`] for a command that reports "not running" as `mimic status` does:
    /// its message printed and `Err(3)` to exit with.
    pub fn running_or_exit(dir: &Path) -> anyhow::Result<Result<Self, std::process::ExitCode>> {
        match Self::of_running(dir) {
            Ok(endpoints) => Ok(Ok(endpoints)),
            Err(error) if error.is::<NotRunning>() => {
                println!("{error}");
                Ok(Err(std::process::ExitCode::from(
                    crate::status::NOT_RUNNING,
                )))
            }
            Err(error) => Err(error),
        }
    }

    /// The VM with this name (case-insensitive).
    pub fn vm(&self, name: &str) -> Option<&VmEndpoint> {
        self.vms
            .iter()
            .find(|vm| vm.name.eq_ignore_ascii_case(name))
    }
}
