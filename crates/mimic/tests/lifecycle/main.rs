//! The managed-identity lifecycle end to end, over real HTTP against an in-process `mimic up`:
//! ARM (operator calls), AAD (tokens), and each VM's IMDS (tokens as the VM).
#![allow(clippy::unwrap_used)]

mod bad_input;
mod concurrency;
mod identity_binding;
mod restart;
mod snapshots;
mod system_assigned;
mod tokens;
mod user_assigned;
