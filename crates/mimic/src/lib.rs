//! The one binary: `mimic up` runs AAD, ARM and one IMDS per VM in one process on an embedded
//! default (SQLite in a data directory); `mimic aad|arm|imds` run one service each; `mimic env`,
//! `mimic vm list|env` and `mimic hosts` help a person use what is running.

pub mod az;
pub mod chaos;
pub mod cli;
pub mod data_dir;
pub mod endpoints;
pub mod explain;
pub mod fixture_record;
pub mod hosts;
pub mod lock;
pub mod persona;
pub mod sandbox;
pub mod services;
pub mod settings_cmd;
pub mod snapshot;
pub mod status;
pub mod trust;
pub mod up;
pub mod vm_admin;
pub mod workload;

/// The default fixture (tenant, subscription, group, two VMs, operator), compiled in.
pub const DEFAULT_FIXTURE: &str = include_str!("../../../fixtures/default.json");
