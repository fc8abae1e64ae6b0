//! AAD over real HTTPS: each test starts its own AAD on 127.0.0.1:0 in a temporary data dir.
#![allow(clippy::unwrap_used)]

mod helpers;

mod chaos;
mod discovery;
mod federation_exchange;
mod federation_issuers;
mod fixture;
mod graph;
mod graph_applications;
mod graph_decisions;
mod graph_deleted_items;
mod graph_federated_credentials;
mod graph_groups;
mod graph_permissions;
mod graph_service_principals;
mod graph_users;
mod internal;
mod keys;
mod lockout;
mod public_hosts;
mod restart;
mod routing;
mod signin_authorize;
mod signin_ropc;
mod token_assertion;
mod token_errors;
mod token_group_claims;
mod token_secret;
mod users;
