//! `DATA_DIR/lock`: one `mimic up` per data dir. `mimic up` holds an exclusive `flock(2)` on the
//! file for as long as it runs; the kernel drops it when the process exits, however it exits
//! (SIGKILL included), so a crash never leaves a data dir locked. The file records the holder's PID
//! and URLs, so a second `mimic up` can name them; readers (`mimic env`, `mimic status`…) only ask
//! whether the lock is held, which says whether `endpoints.json` describes a live process.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use rustix::fs::{flock, FlockOperation};
use serde::{Deserialize, Serialize};

/// The lock file's name inside the data dir.
pub const LOCK_FILE: &str = "lock";

/// What the lock file records about the `mimic up` holding it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LockInfo {
    pub pid: u32,
    /// ARM's URL, once bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<String>,
    /// AAD's URL, once bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aad: Option<String>,
}

/// Another `mimic up` holds the data dir.
#[derive(Debug)]
pub struct AlreadyRunning {
    pub data_dir: PathBuf,
    /// What the holder recorded (None if it has not written it yet).
    pub holder: Option<LockInfo>,
}

impl std::fmt::Display for AlreadyRunning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "mimic is already running on the data dir {}",
            self.data_dir.display()
        )?;
        match &self.holder {
            Some(holder) => {
                write!(f, " (PID {}", holder.pid)?;
                for (name, url) in [("ARM", &holder.arm), ("AAD", &holder.aad)] {
                    if let Some(url) = url {
                        write!(f, ", {name} {url}")?;
                    }
                }
                write!(f, ")")?;
            }
            None => write!(f, " (it is starting)")?,
        }
        write!(
            f,
            ". Stop it first, use it (`mimic --data-dir {} env`), or start another with another --data-dir or --ephemeral.",
            self.data_dir.display()
        )
    }
}

impl std::error::Error for AlreadyRunning {}

/// The exclusive lock of a running `mimic up`; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct DataDirLock {
    file: File,
}

impl DataDirLock {
    /// Takes the lock of the data dir `dir` (which exists) and records this process's PID in it.
    /// Fails with [`AlreadyRunning`] if another process holds it.
    pub fn acquire(dir: &Path) -> anyhow::Result<Self> {
        let path = dir.join(LOCK_FILE);
        let mut file = open(&path, true)?;
        // A reader (`mimic env`) holds a shared lock for an instant; try a few times before
        // concluding that another mimic holds it.
        let mut attempts = 0;
        while let Err(error) = flock(&file, FlockOperation::NonBlockingLockExclusive) {
            attempts += 1;
            if error != rustix::io::Errno::WOULDBLOCK {
                return Err(std::io::Error::from(error))
                    .with_context(|| format!("locking {}", path.display()));
            }
            if attempts == 10 {
                return Err(AlreadyRunning {
                    data_dir: dir.to_path_buf(),
                    holder: read_info(&mut file),
                }
                .into());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let mut lock = Self { file };
        lock.record(&LockInfo {
            pid: std::process::id(),
            ..Default::default()
        })?;
        Ok(lock)
    }

    /// Rewrites what the lock file says about this process. In place, never by rename: the lock
    /// belongs to this file, and a renamed-over file would be a new, unlocked one.
    pub fn record(&mut self, info: &LockInfo) -> anyhow::Result<()> {
        let text = serde_json::to_string(info)?;
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(text.as_bytes())?;
        self.file.sync_data().context("writing the lock file")
    }
}

/// Whether a `mimic up` holds the lock of the data dir `dir` now.
pub fn is_held(dir: &Path) -> anyhow::Result<bool> {
    let path = dir.join(LOCK_FILE);
    let file = match open(&path, false) {
        Ok(file) => file,
        Err(_) if !path.exists() => return Ok(false),
        Err(error) => return Err(error),
    };
    match flock(&file, FlockOperation::NonBlockingLockShared) {
        // Dropping the file releases the shared lock at once.
        Ok(()) => Ok(false),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(true),
        Err(error) => Err(std::io::Error::from(error))
            .with_context(|| format!("checking the lock {}", path.display())),
    }
}

/// What the holder of `dir`'s lock recorded, if anything.
pub fn holder(dir: &Path) -> Option<LockInfo> {
    read_info(&mut open(&dir.join(LOCK_FILE), false).ok()?)
}

fn read_info(file: &mut File) -> Option<LockInfo> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// Opens the lock file; `create` makes it owner-only (`0600`) if missing.
fn open(path: &Path, create: bool) -> anyhow::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    if create {
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mimic_web::files::FILE_MODE);
        }
    }
    options
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_refuses_a_second_holder_and_names_the_first() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_held(dir.path()).unwrap());
        let mut first = DataDirLock::acquire(dir.path()).unwrap();
        first
            .record(&LockInfo {
                pid: 4242,
                arm: Some("https://127.0.0.1:1".into()),
                aad: None,
            })
            .unwrap();
        assert!(is_held(dir.path()).unwrap());

        let error = DataDirLock::acquire(dir.path()).unwrap_err();
        let refused = error.downcast_ref::<AlreadyRunning>().unwrap();
        assert_eq!(refused.holder.as_ref().unwrap().pid, 4242);
        assert!(error
            .to_string()
            .contains("PID 4242, ARM https://127.0.0.1:1"));

        drop(first);
        assert!(!is_held(dir.path()).unwrap());
        DataDirLock::acquire(dir.path()).unwrap();
    }
}
