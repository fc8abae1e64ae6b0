//! `imds-ports.json`: `{ "<vm arm id lower-case>": port }`, so a VM keeps its IMDS port across
//! restarts (docs/internal-apis.md, "Data directory").

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The file name inside the data dir.
pub(crate) const PORTS_FILE: &str = "imds-ports.json";

/// The persisted ports, with a flag for unsaved changes.
#[derive(Debug)]
pub(crate) struct Ports {
    path: PathBuf,
    ports: BTreeMap<String, u16>,
    dirty: bool,
}

impl Ports {
    /// Reads the file; a missing or unreadable file starts empty (ports are only a preference).
    pub fn load(data_dir: &Path) -> Self {
        let path = data_dir.join(PORTS_FILE);
        let ports = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|error| {
                tracing::warn!(%error, path = %path.display(), "ignoring an unreadable IMDS port file");
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        };
        Self {
            path,
            ports,
            dirty: false,
        }
    }

    /// The port `vm_id` had.
    pub fn get(&self, vm_id: &str) -> Option<u16> {
        self.ports.get(&vm_id.to_ascii_lowercase()).copied()
    }

    /// Every recorded port.
    pub fn taken(&self) -> std::collections::BTreeSet<u16> {
        self.ports.values().copied().collect()
    }

    /// Records `vm_id`'s port.
    pub fn set(&mut self, vm_id: &str, port: u16) {
        let previous = self.ports.insert(vm_id.to_ascii_lowercase(), port);
        self.dirty |= previous != Some(port);
    }

    /// Forgets `vm_id`.
    pub fn remove(&mut self, vm_id: &str) {
        self.dirty |= self.ports.remove(&vm_id.to_ascii_lowercase()).is_some();
    }

    /// Keeps only the VMs (lower-case ids) for which `keep` holds.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        let before = self.ports.len();
        self.ports.retain(|vm_id, _| keep(vm_id));
        self.dirty |= self.ports.len() != before;
    }

    /// Writes the file atomically if anything changed.
    pub fn save(&mut self) -> anyhow::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let text = serde_json::to_string_pretty(&self.ports).context("serialising IMDS ports")?;
        mimic_web::pki::write_atomic(&self.path, &text)?;
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_round_trip_through_the_file_by_lower_case_id() {
        let dir = std::env::temp_dir().join(format!("mimic-imds-ports-{}", uuid::Uuid::new_v4()));
        let mut ports = Ports::load(&dir);
        ports.set("/subscriptions/S/VM1", 4001);
        ports.set("/subscriptions/s/vm2", 4002);
        ports.remove("/subscriptions/s/VM2");
        ports.save().unwrap();
        let again = Ports::load(&dir);
        assert_eq!(again.get("/SUBSCRIPTIONS/s/vm1"), Some(4001));
        assert_eq!(again.get("/subscriptions/s/vm2"), None);
        let text = std::fs::read_to_string(dir.join(PORTS_FILE)).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            serde_json::json!({"/subscriptions/s/vm1": 4001})
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
