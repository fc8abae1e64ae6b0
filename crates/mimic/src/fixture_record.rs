//! Which fixture a data dir holds. The services apply a fixture only to empty databases, so
//! starting an existing data dir with another fixture would apply none of it, or (for AAD's users)
//! part of it. The first start records the fixture (`fixture.json`: its SHA-256 and where it came
//! from); every later start with a different fixture is refused before anything is opened.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::data_dir::DataDir;
use crate::up::Fixture;

/// The file in the data dir.
pub const FILE_NAME: &str = "fixture.json";

/// What `fixture.json` says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FixtureRecord {
    /// SHA-256 (hex) of the fixture document, serialized canonically (sorted keys, no spaces).
    pub sha256: String,
    /// The file it was read from, or `built-in default`.
    pub source: String,
}

/// The name of the built-in fixture in records and messages.
pub const BUILT_IN: &str = "built-in default (fixtures/default.json)";

impl FixtureRecord {
    /// The record of a fixture loaded from `source` (None: the built-in default).
    pub fn of(fixture: &Fixture, source: Option<&Path>) -> anyhow::Result<Self> {
        let canonical = serde_json::to_string(&fixture.document)?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
        Ok(Self {
            sha256: hex::encode(digest.as_ref()),
            source: match source {
                Some(path) => path
                    .canonicalize()
                    .unwrap_or_else(|_| path.to_path_buf())
                    .display()
                    .to_string(),
                None => BUILT_IN.to_string(),
            },
        })
    }
}

/// Records the fixture on a new data dir, accepts the same fixture again, and refuses another one
/// with a message naming both. A data dir made before mimic kept this record (databases, no
/// `fixture.json`) is taken to hold the built-in default, the only fixture mimic can tell it from.
pub fn check(data_dir: &DataDir, fixture: &Fixture, source: Option<&Path>) -> anyhow::Result<()> {
    let wanted = FixtureRecord::of(fixture, source)?;
    let path = data_dir.root.join(FILE_NAME);
    let recorded = match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            serde_json::from_str::<FixtureRecord>(&text)
                .with_context(|| format!("parsing {}", path.display()))?,
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error).with_context(|| format!("reading {}", path.display())),
    };
    let recorded = match recorded {
        Some(recorded) => recorded,
        None if has_databases(data_dir) => {
            FixtureRecord::of(&Fixture::parse(crate::DEFAULT_FIXTURE)?, None)?
        }
        None => return write(&path, &wanted),
    };
    if recorded.sha256 != wanted.sha256 {
        anyhow::bail!(
            "the data dir {} was created from the fixture {} and cannot be switched to {}: \
             mimic applies a fixture only when it creates a data dir, so nothing of the new one \
             would take effect. Use a new --data-dir for the new fixture, or start this one with the fixture it was created from.",
            data_dir.root.display(),
            recorded.source,
            wanted.source
        );
    }
    if !path.exists() {
        write(&path, &recorded)?;
    }
    Ok(())
}

fn has_databases(data_dir: &DataDir) -> bool {
    data_dir.arm_db().exists() || data_dir.aad_db().exists()
}

fn write(path: &Path, record: &FixtureRecord) -> anyhow::Result<()> {
    mimic_web::files::write_private(path, &serde_json::to_string_pretty(record)?)
}
