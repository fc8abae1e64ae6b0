//! mimic-imds: the Azure Instance Metadata Service of one VM, in plain HTTP.
//!
//! Each VM gets its own listener ([`Application`]). It serves managed-identity tokens
//! (`/metadata/identity/oauth2/token`), instance metadata (`/metadata/instance…`), the version list
//! and identity info. It keeps a token cache and, under [`host::ImdsHost`], the VM's identities in
//! memory, kept current by ARM's notifications; a standalone listener keeps them in memory through
//! ARM's host-API watch (`identity::watch`), asking ARM per request only while the watch holds no
//! trusted answer (`identity::current`). On a cache miss it
//! asks AAD's internal managed-identity token endpoint for a token as that identity.
//! [`host::ImdsHost`] runs one listener per VM for `mimic up`.
//!
//! Reading order: [`settings`], [`startup`], `routes`, `limits` (the per-VM rate limits),
//! `extract` (checks every IMDS request shares), `error`, then the endpoints (`identity`,
//! `instance`, `versions`), the faults `mimic chaos` injects (`chaos`) and the upstream clients
//! (`host_api` for ARM, `aad`).

mod aad;
mod chaos;
mod error;
mod extract;
pub mod flavors;
pub mod host;
mod host_api;
mod identity;
mod instance;
mod limits;
mod routes;
pub mod settings;
pub mod startup;
mod versions;

pub use settings::{Limits, Settings};
pub use startup::Application;
