//! IMDS over real HTTP, against the fake ARM (host API) and AAD (managed-identity token endpoint)
//! servers of `mimic_testkit::imds`, which run in the test over HTTPS with a local CA and check
//! what the real services check (the internal key, the VM's identities), so these tests prove the
//! real protocol.

// Unwrapping is how tests fail.
#![allow(clippy::unwrap_used)]

mod chaos;
mod errors;
mod flavors;
mod host;
mod host_memory;
mod instance;
mod limits;
mod token;
mod watch;
