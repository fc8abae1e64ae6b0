//! `mimic snapshot save|restore|list` and `mimic reset`: one consistent copy of both stores
//! (`arm.db` and `aad.db`) per snapshot in `DATA_DIR/snapshots/NAME/`, taken and restored whether
//! or not mimic is running. While it runs, the services do it through their internal APIs (ARM
//! first on save; AAD first on restore, then ARM, which deletes principals no restored identity
//! owns and restarts the IMDS listeners on their ports); while it is stopped, the files are copied.
//!
//! `mimic up` saves snapshot `fixture` when it creates a data dir, so `mimic reset` while running
//! restores the state the fixture made. Stopped, `mimic reset` removes the databases (the fixture is
//! applied again at the next start); `--all` also removes the CA, the server certificate, the
//! signing key and the internal key, which clients that trusted the old CA will notice.

use std::path::Path;

use anyhow::{bail, Context};

use crate::data_dir::DataDir;
use crate::endpoints::Endpoints;

/// The snapshot `mimic up` saves when it creates a data dir, and `mimic reset` restores.
pub const FIXTURE_SNAPSHOT: &str = "fixture";

/// `mimic snapshot …`.
#[derive(Debug, clap::Subcommand)]
pub enum SnapshotCommand {
    /// Save both stores as snapshot NAME (replacing one of that name).
    Save { name: String },
    /// Put both stores back as snapshot NAME had them.
    Restore { name: String },
    /// The snapshots of this data dir.
    List,
}

/// The running mimic's endpoints, if one answers on this data dir.
async fn running(dir: &Path) -> Option<(Endpoints, reqwest::Client, String)> {
    let endpoints = Endpoints::read(&dir.join("endpoints.json")).ok()?;
    let ca = std::fs::read_to_string(&endpoints.ca_cert).ok()?;
    let http = mimic_web::https_client(&ca).ok()?;
    let alive = http
        .get(format!("{}/healthz", endpoints.arm))
        .send()
        .await
        .is_ok_and(|response| response.status().is_success());
    let key = std::fs::read_to_string(dir.join("internal.key")).ok()?;
    alive.then(|| (endpoints, http, key.trim().to_string()))
}

async fn post(http: &reqwest::Client, key: &str, url: String) -> anyhow::Result<()> {
    let response = http
        .post(&url)
        .header(mimic_web::INTERNAL_KEY_HEADER, key)
        .send()
        .await
        .with_context(|| format!("calling {url}"))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        bail!("{url} answered {status}: {body}");
    }
    Ok(())
}

/// Saves snapshot `name` through the running services.
pub async fn save_running(
    http: &reqwest::Client,
    key: &str,
    endpoints: &Endpoints,
    name: &str,
) -> anyhow::Result<()> {
    post(
        http,
        key,
        format!("{}/internal/snapshots/{name}", endpoints.arm),
    )
    .await?;
    post(
        http,
        key,
        format!("{}/internal/snapshots/{name}", endpoints.aad),
    )
    .await
}

async fn restore_running(
    http: &reqwest::Client,
    key: &str,
    endpoints: &Endpoints,
    name: &str,
) -> anyhow::Result<()> {
    let aad = format!("{}/internal/snapshots/{name}/restore", endpoints.aad);
    let arm = format!("{}/internal/snapshots/{name}/restore", endpoints.arm);
    post(http, key, aad).await?;
    post(http, key, arm).await
}

fn require_snapshot(dir: &Path, name: &str) -> anyhow::Result<std::path::PathBuf> {
    let snapshot = mimic_web::snapshot::dir(dir, name)?;
    for file in ["arm.db", "aad.db"] {
        if !snapshot.join(file).is_file() {
            bail!(
                "no snapshot '{name}' in {} (see `mimic snapshot list`)",
                dir.display()
            );
        }
    }
    Ok(snapshot)
}

/// `mimic snapshot …`.
pub async fn run(dir: &Path, command: SnapshotCommand) -> anyhow::Result<()> {
    match command {
        SnapshotCommand::List => {
            for name in list(dir)? {
                println!("{name}");
            }
        }
        SnapshotCommand::Save { name } => {
            let target = mimic_web::snapshot::dir(dir, &name)?;
            match running(dir).await {
                Some((endpoints, http, key)) => {
                    save_running(&http, &key, &endpoints, &name).await?
                }
                None => {
                    for file in ["arm.db", "aad.db"] {
                        mimic_web::snapshot::save_file(&dir.join(file), &target.join(file)).await?;
                    }
                }
            }
            println!("saved snapshot '{name}'");
        }
        SnapshotCommand::Restore { name } => {
            restore(dir, &name).await?;
            println!("restored snapshot '{name}'");
        }
    }
    Ok(())
}

async fn restore(dir: &Path, name: &str) -> anyhow::Result<()> {
    let snapshot = require_snapshot(dir, name)?;
    match running(dir).await {
        Some((endpoints, http, key)) => restore_running(&http, &key, &endpoints, name).await,
        None => {
            for file in ["arm.db", "aad.db"] {
                mimic_web::snapshot::restore_file(&dir.join(file), &snapshot.join(file))?;
            }
            Ok(())
        }
    }
}

/// The names of the snapshots in `dir`, sorted.
pub fn list(dir: &Path) -> anyhow::Result<Vec<String>> {
    let root = dir.join("snapshots");
    let mut names = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// `mimic reset [--all]`.
pub async fn reset(dir: &Path, all: bool) -> anyhow::Result<()> {
    if running(dir).await.is_some() {
        if all {
            bail!("`mimic reset --all` makes a new CA and signing key: stop mimic first");
        }
        if require_snapshot(dir, FIXTURE_SNAPSHOT).is_err() {
            bail!(
                "this data dir has no '{FIXTURE_SNAPSHOT}' snapshot (an older mimic made it): \
                 stop mimic and run `mimic reset`"
            );
        }
        restore(dir, FIXTURE_SNAPSHOT).await?;
        println!("reset to the fixture's state (CA and signing key kept)");
        return Ok(());
    }
    let mut removed = vec!["arm.db", "aad.db", "imds-ports.json", "endpoints.json"];
    if all {
        removed.extend(["ca.pem", "ca-key.pem", "internal.key"]);
        for sub in ["tls", "aad"] {
            let _ = std::fs::remove_dir_all(dir.join(sub));
        }
    }
    for file in removed {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("{file}{suffix}")));
        }
    }
    // The fixture snapshot is made again at the next start.
    let _ = std::fs::remove_dir_all(dir.join("snapshots").join(FIXTURE_SNAPSHOT));
    match all {
        true => {
            println!("reset: the next `mimic up` starts from the fixture with a new CA and keys")
        }
        false => {
            println!("reset: the next `mimic up` starts from the fixture (CA and signing key kept)")
        }
    }
    Ok(())
}

/// Called by `mimic up` once it runs: a data dir it has just created gets its fixture snapshot.
pub async fn save_fixture_snapshot(
    data_dir: &DataDir,
    endpoints: &Endpoints,
) -> anyhow::Result<()> {
    let http = mimic_web::https_client(&data_dir.ca_pem)?;
    save_running(
        &http,
        data_dir.internal_key.expose(),
        endpoints,
        FIXTURE_SNAPSHOT,
    )
    .await
    .context("saving the fixture snapshot")
}
