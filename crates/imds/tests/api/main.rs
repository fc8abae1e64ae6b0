//! IMDS over real HTTP, against fake ARM (host API) and AAD (v1 token endpoint) servers that run
//! in the test over HTTPS with a local CA. The fake AAD verifies the client assertion with the
//! identity's certificate, so these tests prove the real protocol.

// Unwrapping is how tests fail; helpers and fakes outside #[test] functions too.
#![allow(clippy::unwrap_used)]

mod errors;
mod fake_aad;
mod fake_arm;
mod flavors;
mod helpers;
mod host;
mod instance;
mod limits;
mod token;
