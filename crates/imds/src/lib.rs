//! mimic-imds: the Azure Instance Metadata Service of one VM, in plain HTTP.
//!
//! Each VM gets its own listener ([`Application`]). It serves managed-identity tokens
//! (`/metadata/identity/oauth2/token`), instance metadata (`/metadata/instance…`), the version list
//! and identity info. It keeps no state apart from a token cache: on every request it asks ARM's
//! host API which identities the VM has *now*, and on a cache miss it asks AAD's v1 token endpoint
//! for a token as that identity, authenticating with a certificate client assertion.
//! [`host::ImdsHost`] runs one listener per VM for `mimic up`.
//!
//! Reading order: [`settings`], [`startup`], `routes`, `limits` (the per-VM rate limits),
//! `extract` (checks every IMDS request shares), `error`, then the endpoints (`identity`,
//! `instance`, `versions`) and the upstream clients (`host_api` for ARM, `aad`).

mod aad;
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
