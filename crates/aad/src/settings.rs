//! AAD's typed settings, with defaults for everything but the data-dir specifics.

use std::path::PathBuf;

use mimic_token::Clock;
use mimic_web::{InternalKey, InternalPeers, ServerCertificate};

use crate::users::lockout::LockoutPolicy;

/// Lifetime of tokens issued to managed identities, in seconds (as Azure: 24 h minus one second).
pub const MANAGED_IDENTITY_TOKEN_LIFETIME: i64 = 86_399;
/// Lifetime of tokens issued to other service principals, in seconds.
pub const TOKEN_LIFETIME: i64 = 3_599;

/// Everything AAD needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen, e.g. `127.0.0.1:8444`; port 0 picks a free port.
    pub bind: String,
    /// The SQLite database (`DATA_DIR/aad.db`); created if missing.
    pub db_path: PathBuf,
    /// Where the token-signing key lives (`DATA_DIR/aad`): `signing-key.pem`, `signing-cert.pem`.
    pub keys_dir: PathBuf,
    /// The TLS certificate and key AAD serves.
    pub server_certificate: ServerCertificate,
    /// The key the internal API demands in `x-mimic-internal-key`.
    pub internal_key: InternalKey,
    /// Which peers may call `/internal/*` at all (loopback only unless `--internal-api-on-network`).
    pub internal_peers: InternalPeers,
    /// The tenant's id (a GUID), `tid` in every token.
    pub tenant_id: String,
    /// The tenant's default domain (`mimic.onmicrosoft.com`); accepted in URLs in place of the id.
    pub tenant_domain: String,
    /// The tenant's display name, as AAD names the directory in some error messages.
    pub tenant_display_name: String,
    /// The URL clients reach AAD at; default `https://127.0.0.1:{bound port}`.
    pub public_url: Option<String>,
    /// Lifetime of managed-identity tokens, in seconds.
    pub managed_identity_token_lifetime: i64,
    /// Lifetime of other principals' tokens, in seconds.
    pub token_lifetime: i64,
    /// Smart Lockout: wrong passwords in a row that lock a user out (0 = off; Entra's default 10).
    pub lockout_threshold: u32,
    /// Smart Lockout: how long a locked user stays locked, in seconds (0 = off; Entra's default 60).
    pub lockout_seconds: u64,
    /// The fixture's `aad` section (`{"servicePrincipals":[…]}`), applied when the directory is empty.
    pub fixture: Option<serde_json::Value>,
    /// The clock every timestamp comes from.
    pub clock: Clock,
    /// HTTP worker threads.
    pub workers: usize,
    /// More addresses to serve the same AAD on, best effort (a failure to bind is logged, not
    /// fatal). `mimic up` adds `127.0.0.1:443`: MSAL drops the authority's port for user-realm
    /// discovery, so `az login -u` asks `https://127.0.0.1/common/userrealm/…`.
    pub extra_binds: Vec<String>,
    /// ARM's base URL, which AAD asks (host API, internal key) which managed identities a VM has
    /// before it issues a managed-identity token. A cell, because `mimic up` starts AAD before ARM
    /// and fills it once ARM is bound; `mimic aad --arm-url` fills it at once.
    pub arm_url: ArmUrl,
    /// ARM's URL as clients reach it, when it is not `arm_url` (containers): a name of the ARM
    /// resource in token requests, as the cloud's `resourceManager`.
    pub arm_public_url: Option<String>,
    /// The local CA (PEM) that ARM's certificate chains to; empty trusts the system roots only.
    pub ca_pem: String,
    /// The Key Vault DNS suffix of mimic's cloud (ARM's `suffixes.keyVaultDns`): tokens for
    /// `https://{suffix}` are Key Vault tokens, as the Go SDK asks for them.
    pub key_vault_dns_suffix: String,
    /// The fault book of `mimic chaos` (crate::chaos); `mimic up` shares it with the IMDS host.
    pub faults: std::sync::Arc<mimic_web::chaos::FaultBook>,
    /// Whether the IMDS listeners read [`Settings::faults`] too (`mimic up`): else AAD's internal
    /// API refuses IMDS faults.
    pub imds_shares_faults: bool,
    /// The run-time settings of the reality modes (docs/reality-modes.md), all off by default;
    /// `mimic up` shares one with ARM and the IMDS host.
    pub reality: mimic_web::reality::Reality,
}

/// The default [`Settings::key_vault_dns_suffix`] (ARM's default too).
pub const DEFAULT_KEY_VAULT_DNS_SUFFIX: &str = "vault.mimic.test";

/// ARM's base URL, known once ARM is bound.
pub type ArmUrl = std::sync::Arc<std::sync::OnceLock<String>>;

impl Default for Settings {
    /// Defaults for a local run in `./.mimic`. The server certificate is empty and the internal key
    /// random, so callers must set both.
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8444".into(),
            db_path: PathBuf::from(".mimic/aad.db"),
            keys_dir: PathBuf::from(".mimic/aad"),
            server_certificate: ServerCertificate {
                cert_pem: String::new(),
                key_pem: String::new(),
            },
            internal_key: InternalKey::generate(),
            internal_peers: InternalPeers::Loopback,
            tenant_id: "7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e".into(),
            tenant_domain: "mimic.onmicrosoft.com".into(),
            tenant_display_name: "mimic".into(),
            public_url: None,
            managed_identity_token_lifetime: MANAGED_IDENTITY_TOKEN_LIFETIME,
            token_lifetime: TOKEN_LIFETIME,
            lockout_threshold: LockoutPolicy::DEFAULT.threshold,
            lockout_seconds: LockoutPolicy::DEFAULT.seconds,
            fixture: None,
            clock: Clock::system(),
            workers: 2,
            extra_binds: Vec::new(),
            arm_url: ArmUrl::default(),
            arm_public_url: None,
            ca_pem: String::new(),
            key_vault_dns_suffix: DEFAULT_KEY_VAULT_DNS_SUFFIX.into(),
            faults: std::sync::Arc::default(),
            imds_shares_faults: false,
            reality: mimic_web::reality::Reality::new(),
        }
    }
}

impl Settings {
    /// Settings for the standard data-dir layout (`aad.db`, `aad/`, the CA in `ca.pem`), listening
    /// on `bind`.
    pub fn for_data_dir(
        data_dir: &std::path::Path,
        bind: &str,
        server_certificate: ServerCertificate,
        internal_key: InternalKey,
    ) -> Self {
        Self {
            bind: bind.into(),
            db_path: data_dir.join("aad.db"),
            keys_dir: data_dir.join("aad"),
            server_certificate,
            internal_key,
            ca_pem: std::fs::read_to_string(data_dir.join("ca.pem")).unwrap_or_default(),
            ..Self::default()
        }
    }
}
