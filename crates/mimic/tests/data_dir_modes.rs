//! Secrets on disk belong to their owner: a fresh data dir is 0700 and every secret in it 0600
//! from creation, whatever the umask; another local user cannot read any of it; and a data dir an
//! older mimic left world-readable is tightened at start.
#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Files that hold a secret: keys, databases (identities, secrets' hashes, users), the operator's
/// credentials.
const SECRETS: &[&str] = &[
    "ca-key.pem",
    "tls/server-key.pem",
    "internal.key",
    "aad/signing-key.pem",
    "aad.db",
    "aad.db-wal",
    "aad.db-shm",
    "arm.db",
    "arm.db-wal",
    "arm.db-shm",
    "endpoints.json",
];

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// A data dir inside a world-readable parent (a temp dir alone is 0700 and would hide everything).
fn data_dir_in(parent: &tempfile::TempDir) -> PathBuf {
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    parent.path().join("data")
}

/// A `mimic up`, stopped (SIGTERM) when dropped.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// Runs `mimic up` under `umask` and returns once `endpoints.json` exists (it is removed again
/// when mimic stops, so the files are checked while it runs).
fn run_up(dir: &Path, umask: &str) -> Running {
    let up = support::up_command(dir, &[], "");
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
        .arg(up.get_program())
        .args(up.get_args())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    support::wait_for_endpoints(dir);
    running
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        match path.is_dir() {
            true => files.extend(all_files(&path)),
            false => files.push(path),
        }
    }
    files
}

#[test]
fn a_fresh_data_dir_is_owner_only_under_any_umask() {
    for umask in ["022", "000"] {
        let parent = tempfile::tempdir().unwrap();
        let dir = data_dir_in(&parent);

        let running = run_up(&dir, umask);

        assert_eq!(mode(&dir), 0o700, "umask {umask}: the data dir");
        for secret in SECRETS {
            let path = dir.join(secret);
            if !path.exists() && secret.ends_with("-shm") {
                continue; // removed by SQLite when the last connection closed
            }
            if !path.exists() && secret.ends_with("-wal") {
                continue;
            }
            assert_eq!(mode(&path), 0o600, "umask {umask}: {secret}");
        }
        for sub in ["aad", "tls"] {
            assert_eq!(mode(&dir.join(sub)), 0o700, "umask {umask}: {sub}/");
        }
        // Every other file is public material (certificates, the port map), never writable by others.
        for file in all_files(&dir) {
            let bits = mode(&file);
            assert_eq!(
                bits & 0o022,
                0,
                "umask {umask}: {} is {bits:o}",
                file.display()
            );
        }
        drop(running);
    }
}

#[test]
fn another_local_user_cannot_read_any_secret() {
    let parent = tempfile::tempdir().unwrap();
    let dir = data_dir_in(&parent);
    let _running = run_up(&dir, "022");
    if !Path::new("/usr/bin/setpriv").exists() && !Path::new("/bin/setpriv").exists() {
        panic!("setpriv (util-linux) is needed to run as another user");
    }

    assert!(dir.join("endpoints.json").exists());
    for secret in SECRETS.iter().filter(|secret| dir.join(secret).exists()) {
        let read = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "cat"])
            .arg(dir.join(secret))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();

        assert!(!read.success(), "uid 65534 read {secret}");
    }
    // The same command as the owner reads it: the check above can fail.
    let owner = Command::new("cat")
        .arg(dir.join("internal.key"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(owner.success());
}

#[test]
fn a_world_readable_data_dir_from_an_older_mimic_is_tightened_at_start() {
    let parent = tempfile::tempdir().unwrap();
    let dir = data_dir_in(&parent);
    let init = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("--data-dir")
        .arg(&dir)
        .arg("init")
        .status()
        .unwrap();
    assert!(init.success());
    // What an older mimic left behind.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in ["internal.key", "ca-key.pem", "tls/server-key.pem"] {
        std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(dir.join("tls"), std::fs::Permissions::from_mode(0o755)).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("--data-dir")
        .arg(&dir)
        .arg("init")
        .output()
        .unwrap();

    assert!(output.status.success());
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("tls")), 0o700);
    for file in ["internal.key", "ca-key.pem", "tls/server-key.pem"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
}
