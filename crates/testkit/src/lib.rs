//! Dev-only: the one test harness every mimic test uses. Services start in-process on port 0 in
//! a temporary data dir, and everything goes over real HTTP:
//!
//! - [`TestArm`]: ARM and the real AAD it trusts, seeded with `fixtures/default.json`;
//! - [`TestAad`]: AAD alone, seeded with [`fixture::aad`], restartable on its data dir;
//! - [`imds::World`]: IMDS against fake ARM and AAD servers;
//! - [`TestMimic`]: the whole of `mimic up` (AAD, ARM, one IMDS per VM).
//!
//! Each exposes its services as [`Client`]s (`get`, `put`, `patch`, `delete`, `post` with an
//! optional bearer token and JSON body; `form`, `raw`, `internal`) that return a [`Reply`], whose
//! `code()` and `message()` read ARM's, Graph's and OAuth2's error envelopes alike. The fixture's
//! ids, secrets, role ids and api-versions live in [`fixture`]. A complete API test:
//!
//! ```no_run
//! use mimic_testkit::{fixture, TestArm};
//!
//! #[tokio::test]
//! async fn get_resource_group_returns_404_resource_group_not_found_for_an_unknown_group() {
//!     let app = TestArm::spawn().await;
//!     let token = app.operator_token().await;
//!     let path = format!("{}?api-version={}", fixture::group_id("nope"), fixture::GROUP_VERSION);
//!
//!     let reply = app.arm.get(&path, Some(&token)).await;
//!
//!     assert_eq!(reply.status, 404, "{}", reply.text);
//!     assert_eq!(reply.code(), "ResourceGroupNotFound");
//! }
//! ```
// Unwrapping is how tests fail; the harness and its fakes too.
#![allow(clippy::unwrap_used)]

mod aad;
mod arm;
mod arm_operations;
mod client;
pub mod fixture;
pub mod imds;
mod lro;
mod mimic;
mod reply;

pub use aad::TestAad;
pub use arm::{TestArm, VmEvents};
pub use arm_operations::{vm_body, Principal};
pub use client::Client;
pub use mimic::TestMimic;
pub use reply::Reply;

use base64::Engine;
use serde_json::Value;

/// The claims of a JWT, decoded without verification (for assertions on their values).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}
