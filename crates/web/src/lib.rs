//! actix plumbing shared by the three services: the local CA and server certificates, rustls
//! server and reqwest client configuration, listener binding, request ids and the version header,
//! the internal-API key, owner-only files for secrets, and the record of authorization decisions
//! both ARM and AAD keep ([`authz`]).

pub mod authz;
pub mod chaos;
pub mod files;
pub mod hostnames;
pub mod internal;
pub mod migrations;
pub mod pki;
pub mod reality;
pub mod server;
pub mod snapshot;
pub mod sqlite;
pub mod telemetry;
mod verb;
pub mod version;
mod x509;

pub use internal::{internal_request_allowed, InternalKey, InternalPeers, INTERNAL_KEY_HEADER};
pub use pki::{Pki, ServerCertificate};
pub use server::{bind, client_builder, crypto_provider, https_client, rustls_server_config};
pub use verb::{register_by_path, Verb};
pub use version::{VERSION, VERSION_HEADER};
