//! mimic-arm: the Azure Resource Manager facade. It serves ARM's public surface over HTTPS
//! (subscriptions, resource groups, role definitions and assignments, virtual machines,
//! user-assigned identities and their federated identity credentials, key vaults), authenticates every call with AAD's access tokens, authorizes it
//! with RBAC, and keeps its state in SQLite (`arm.db`).
//!
//! Reading order: settings → startup (wiring, [`AppState`]) → routes (the URL table and the routing
//! contract) → middleware (path case-folding, authentication, api-version) → extract → error →
//! rbac → one module per resource type.

// `ArmError` carries Azure's message parameters (several strings for the authorization errors);
// errors are the rare path, so their size does not matter and boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod aad_client;
pub mod activity_log;
pub mod async_operations;
pub mod auth;
pub mod batch;
pub mod compute_catalog;
pub mod db;
pub mod deny_assignments;
pub mod error;
pub mod extract;
pub mod federated_identity_credentials;
pub mod fixture;
pub mod host;
pub mod host_watch;
pub mod key_vaults;
pub mod lifecycle;
pub mod locks;
pub mod middleware;
pub mod network_interfaces;
pub mod operations;
pub mod paging;
pub mod permissions;
pub mod portal;
pub mod provider_operations;
pub mod rbac;
pub mod reality;
pub mod resource_groups;
pub mod resources;
pub mod response_headers;
pub mod role_assignments;
pub mod role_definitions;
pub mod routes;
pub mod scope;
pub mod settings;
pub mod snapshots;
pub mod startup;
pub mod status;
pub mod subscriptions;
pub mod system_data;
pub mod throttling;
pub mod user_assigned_identities;
pub mod virtual_machines;
pub mod virtual_networks;

pub use error::ArmError;
pub use settings::{ImdsDirectory, Settings, VmEvent, VmHook};
pub use startup::{AppState, Application};
