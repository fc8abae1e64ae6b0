//! API tests of the ARM facade over real HTTPS, against a real mimic AAD for tokens.
#![allow(clippy::unwrap_used)]

mod async_operations;
mod authentication;
mod authz_decisions;
mod compute_catalog;
mod compute_helpers;
mod custom_roles;
mod decisions;
mod defence;
mod deny_assignments;
mod federated_identity_credentials;
mod group_assignments;
mod host;
mod internal_gate;
mod key_vault_keys;
mod key_vault_secrets;
mod key_vault_support;
mod key_vaults;
mod operations;
mod permissions;
mod portal;
mod rbac_conditions;
mod resource_groups;
mod resources;
mod role_assignments;
mod role_definitions;
mod routing;
mod subscriptions;
mod user_assigned_identities;
mod virtual_machines;
mod workload_identity;
