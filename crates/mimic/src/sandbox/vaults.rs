//! Key Vault's names inside the sandbox: `{vault}.vault.azure.net` for every live vault, kept
//! current while the command runs (docs/hostnames.md, "Key Vault's names").
//!
//! The outer process (host network) asks ARM for the vault names (`GET
//! /internal/keyVaults/names`, with the data dir's internal key) before the command starts and
//! then every [`POLL`]; when the list changed it writes a new hosts file in the socket directory
//! and points the symlink `hosts` at it (a symlink renamed over the old one). The inner process,
//! which bind-mounted the file `hosts` named over `/etc/hosts`, looks at it every [`WATCH`] and,
//! when it changed, bind-mounts the new file over `/etc/hosts`: a lookup opens either the old file
//! or the new one, whole. Rewriting the mounted file in place would let a lookup read it half
//! written, or empty between truncation and write — and then even `management.azure.com` would
//! not resolve. Old files stay until the sandbox ends: the kernel mounts nothing over a mount of
//! a file that was unlinked. Each change stacks one more bind mount; they go with the namespace.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::names::{self, Binding};
use crate::endpoints::Endpoints;
use mimic_arm::key_vaults::internal::{VaultNames, NAMES_PATH};

/// How often the outer process asks ARM for the vault names.
pub const POLL: Duration = Duration::from_secs(1);
/// How often the inner process looks for a new hosts file.
pub const WATCH: Duration = Duration::from_millis(200);

/// ARM's internal list of vault names, as the data dir's owner may read it.
pub(super) struct VaultSource {
    http: reqwest::Client,
    url: String,
    key: mimic_web::InternalKey,
}

impl VaultSource {
    /// The source for the `mimic up` of data dir `dir`.
    pub(super) fn new(dir: &Path, endpoints: &Endpoints) -> anyhow::Result<Self> {
        let ca = std::fs::read_to_string(&endpoints.ca_cert)
            .with_context(|| format!("reading {}", endpoints.ca_cert))?;
        Ok(Self {
            http: mimic_web::https_client(&ca)?,
            url: format!("{}{NAMES_PATH}", endpoints.arm.trim_end_matches('/')),
            key: crate::persona::read_internal_key(dir)?,
        })
    }

    /// The names of the live vaults now.
    pub(super) async fn fetch(&self) -> anyhow::Result<Vec<String>> {
        let response = self
            .http
            .get(&self.url)
            .header(mimic_web::INTERNAL_KEY_HEADER, self.key.expose())
            .send()
            .await
            .with_context(|| format!("calling {}", self.url))?;
        let status = response.status();
        if !status.is_success() {
            bail!("{} answered {status}", self.url);
        }
        let names: VaultNames = response
            .json()
            .await
            .with_context(|| format!("reading the answer of {}", self.url))?;
        Ok(names.value)
    }
}

/// The sandbox's hosts file in the socket directory: the host's own lines and the fixed bindings,
/// plus the vaults of the moment.
pub(super) struct HostsFile {
    path: PathBuf,
    original: String,
    bindings: Vec<Binding>,
}

impl HostsFile {
    pub(super) fn new(path: PathBuf, original: String) -> Self {
        Self {
            path,
            original,
            bindings: names::bindings(),
        }
    }

    /// Writes the file for `vaults`: a new file (0644), then the symlink at the hosts path
    /// renamed to point at it. It never creates the directory, which is gone once the sandbox
    /// ended.
    pub(super) fn write(&self, vaults: &[String]) -> anyhow::Result<()> {
        let text = names::hosts_file(
            &self.original,
            &self.bindings,
            &names::vault_binding(vaults),
        );
        let dir = self
            .path
            .parent()
            .context("the hosts file has a directory")?;
        let name = format!("hosts-{}", uuid::Uuid::new_v4());
        let file = dir.join(&name);
        std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .mode(0o644)
            .open(&file)
            .and_then(|mut opened| opened.write_all(text.as_bytes()))
            .with_context(|| format!("writing {}", file.display()))?;
        let link = dir.join(format!(".{name}.link"));
        std::os::unix::fs::symlink(&name, &link)
            .with_context(|| format!("creating {}", link.display()))?;
        std::fs::rename(&link, &self.path)
            .with_context(|| format!("renaming to {}", self.path.display()))
    }
}

/// The outer process's poll: [`keep_current`] running until [`Poller::stop`].
pub(super) struct Poller {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Poller {
    /// Starts polling `source` and rewriting `hosts` when the names differ from `current`.
    pub(super) fn start(source: VaultSource, hosts: HostsFile, current: Vec<String>) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(keep_current(source, hosts, current, stopped));
        Self { stop, task }
    }

    /// Stops polling and waits until no write can follow (the socket directory is removed next).
    pub(super) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Every [`POLL`], the vault names; the hosts file rewritten when they changed. A failed poll
/// (ARM restarting) keeps the names the file has.
async fn keep_current(
    source: VaultSource,
    hosts: HostsFile,
    mut current: Vec<String>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            () = tokio::time::sleep(POLL) => {}
        }
        let fetched = tokio::select! {
            _ = &mut stopped => return,
            fetched = source.fetch() => fetched,
        };
        let Ok(vaults) = fetched else { continue };
        if vaults != current && hosts.write(&vaults).is_ok() {
            current = vaults;
        }
    }
}

/// The inner process's watch: every [`WATCH`], `source` bind-mounted over `/etc/hosts` again if
/// its contents differ from `mounted` (what the last mount showed). Runs as long as the process;
/// a failed mount is reported on stderr (the names of before stay).
pub(super) async fn follow_hosts_file(source: PathBuf, mut mounted: String) {
    loop {
        tokio::time::sleep(WATCH).await;
        let Ok(now) = tokio::fs::read_to_string(&source).await else {
            continue;
        };
        if now == mounted {
            continue;
        }
        // Pointed elsewhere again after the read: the mount shows the newer file, and the next
        // look mounts it once more. Never an older one.
        let source_path = source.display().to_string();
        if let Err(problems) = super::mount(&["--bind", &source_path, "/etc/hosts"]).await {
            eprintln!(
                "mimic: cannot update /etc/hosts in the sandbox (key vault names): {}",
                problems.join("; ")
            );
        }
        // Tried once per change: a failed mount is not retried every look.
        mounted = now;
    }
}
