//! Settings of one VM's IMDS listener.

use mimic_token::Clock;
use mimic_web::InternalKey;

/// The address tests and `mimic up` bind: loopback, any free port.
pub const DEFAULT_BIND: &str = "127.0.0.1:0";

/// Everything one VM's IMDS needs. The VM's identities come from ARM's host API (on every token
/// request for a standalone listener; pushed into memory under [`crate::host::ImdsHost`]), tokens
/// from AAD.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listener address, e.g. `127.0.0.1:0` (port 0 picks a free port).
    pub bind: String,
    /// The ARM id of the VM this IMDS belongs to.
    pub vm_id: String,
    /// ARM's base URL (`https://127.0.0.1:8443`); the host API lives under `/internal`.
    pub arm_url: String,
    /// AAD's base URL (`https://127.0.0.1:8444`); tokens come from `{aad_url}/{tenant}/oauth2/token`.
    pub aad_url: String,
    /// The tenant, used when an identity does not name its own, and by `/metadata/identity/info`.
    pub tenant_id: String,
    /// The local CA (PEM) that ARM's and AAD's certificates chain to.
    pub ca_pem: String,
    /// The key of ARM's internal host API.
    pub internal_key: InternalKey,
    /// The clock (tests move it to expire cached tokens).
    pub clock: Clock,
    /// The per-VM request limits (Azure's by default).
    pub limits: Limits,
    /// Where the Azure Arc endpoint writes its challenge key files
    /// ([`crate::flavors::DEFAULT_ARC_KEY_DIR`], the only place clients read them from).
    pub arc_key_dir: std::path::PathBuf,
    /// The faults token requests may meet (`mimic chaos`); empty unless faults are added. The
    /// IMDS host gives every listener the one book it shares with AAD.
    pub faults: std::sync::Arc<mimic_web::chaos::FaultBook>,
    /// The run-time settings of the reality modes (docs/reality-modes.md): with
    /// `token-cache-realism` on, an identity removed from the VM keeps its cached tokens until
    /// they expire. Shared with ARM and AAD under `mimic up`.
    pub reality: mimic_web::reality::Reality,
}

/// IMDS's per-VM rate limits (IMDS doc, "Rate limiting"). A request over a limit gets 429. Zero
/// turns that limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests per second to `/metadata/identity/…` (Azure: 20).
    pub identity_per_second: u32,
    /// Requests to `/metadata/identity/…` in progress at once (Azure: 5).
    pub identity_concurrent: u32,
    /// Requests per second to every other `/metadata/…` path (Azure: 5).
    pub metadata_per_second: u32,
}

impl Limits {
    /// Azure's managed-identity limit: requests per second.
    pub const AZURE_IDENTITY_PER_SECOND: u32 = 20;
    /// Azure's managed-identity limit: concurrent requests.
    pub const AZURE_IDENTITY_CONCURRENT: u32 = 5;
    /// Azure's limit on the other IMDS endpoints: requests per second.
    pub const AZURE_METADATA_PER_SECOND: u32 = 5;

    /// No limit at all.
    pub fn unlimited() -> Self {
        Self {
            identity_per_second: 0,
            identity_concurrent: 0,
            metadata_per_second: 0,
        }
    }
}

impl Default for Limits {
    /// Azure's limits.
    fn default() -> Self {
        Self {
            identity_per_second: Self::AZURE_IDENTITY_PER_SECOND,
            identity_concurrent: Self::AZURE_IDENTITY_CONCURRENT,
            metadata_per_second: Self::AZURE_METADATA_PER_SECOND,
        }
    }
}

impl Settings {
    /// Settings for `vm_id` bound to [`DEFAULT_BIND`] with the system clock and Azure's limits.
    pub fn new(
        vm_id: impl Into<String>,
        arm_url: impl Into<String>,
        aad_url: impl Into<String>,
        tenant_id: impl Into<String>,
        ca_pem: impl Into<String>,
        internal_key: InternalKey,
    ) -> Self {
        Self {
            bind: DEFAULT_BIND.to_string(),
            vm_id: vm_id.into(),
            arm_url: arm_url.into(),
            aad_url: aad_url.into(),
            tenant_id: tenant_id.into(),
            ca_pem: ca_pem.into(),
            internal_key,
            clock: Clock::system(),
            limits: Limits::default(),
            arc_key_dir: crate::flavors::DEFAULT_ARC_KEY_DIR.into(),
            faults: std::sync::Arc::default(),
            reality: mimic_web::reality::Reality::new(),
        }
    }
}
