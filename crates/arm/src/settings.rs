//! Typed settings of the ARM facade, with defaults.

use std::path::PathBuf;

/// Everything [`crate::Application::build`] needs. Build one with [`Settings::new`] and override
/// fields as needed.
#[derive(Clone)]
pub struct Settings {
    /// Listen address, e.g. `127.0.0.1:8443`; port 0 picks a free port (tests).
    pub bind: String,
    /// The SQLite database file (`arm.db`), created if missing.
    pub db_path: PathBuf,
    /// The TLS certificate ARM serves.
    pub server_certificate: mimic_web::ServerCertificate,
    /// The local CA (PEM), trusted when calling AAD over HTTPS.
    pub ca_pem: String,
    /// AAD's base URL, e.g. `https://127.0.0.1:8444` (no trailing slash).
    pub aad_url: String,
    /// The tenant every subscription belongs to unless the fixture says otherwise.
    pub tenant_id: String,
    /// The key that protects the internal APIs (ARM → AAD and IMDS → ARM).
    pub internal_key: mimic_web::InternalKey,
    /// Which peers may call `/internal/*` at all (loopback only unless `--internal-api-on-network`).
    pub internal_peers: mimic_web::InternalPeers,
    /// ARM's public base URL (async-operation links); default `https://127.0.0.1:{port}`.
    pub public_url: Option<String>,
    /// The `arm` section of `fixtures/default.json`; applied only while the DB has no subscription.
    pub fixture: Option<serde_json::Value>,
    /// Where VM creations and deletions are announced (docs/internal-apis.md).
    pub vm_hook: Option<VmHook>,
    /// The clock used for token validation and timestamps.
    pub clock: mimic_token::Clock,
    /// Where each VM's IMDS listens, for the portal's token inspector (`POST /portal/api/vm-token`);
    /// `None` (standalone `mimic arm`) makes that endpoint answer 404.
    pub imds_directory: Option<ImdsDirectory>,
    /// Accept any syntactically valid api-version on every operation (`--lenient-api-versions`),
    /// instead of the versions Azure publishes for the type.
    pub lenient_api_versions: bool,
    /// A counter that grows after every committed group-membership change in the directory, when
    /// AAD runs in this process (`mimic up`): ARM then keeps each principal's groups while it is
    /// unchanged. `None` (standalone `mimic arm`): ARM revalidates with AAD on every decision.
    pub membership_changes: Option<MembershipChanges>,
    /// The DNS suffix of vault URIs (`https://{vault}.{suffix}[:port]/`), also advertised as
    /// `suffixes.keyVaultDns` in `/metadata/endpoints`. Default `vault.mimic.test`: `.test` is
    /// reserved (never a real host), and the first label must be `vault` because Terraform's
    /// provider reads the vault name from the first label and expects `vault` second.
    pub key_vault_dns_suffix: String,
    /// The port of vault URIs; `None`: ARM's own port (the data plane shares its listener). 443
    /// is not written.
    pub key_vault_port: Option<u16>,
    /// The run-time settings of the reality modes (docs/reality-modes.md), all off by default;
    /// `mimic up` shares one with AAD and the IMDS host.
    pub reality: mimic_web::reality::Reality,
    /// How long a long-running operation (VM create/update/delete, resource-group delete, Key
    /// Vault purge) stays `InProgress` at start, in seconds (`--async-operation-seconds`); 0: it
    /// has ended by its first poll. The start value of the run-time setting
    /// `async-operation-time` ([`mimic_web::reality::ASYNC_OPERATION_TIME`], `mimic settings`).
    pub async_operation_seconds: u64,
}

/// The default [`Settings::key_vault_dns_suffix`].
pub const DEFAULT_KEY_VAULT_DNS_SUFFIX: &str = "vault.mimic.test";

/// Reads the directory's in-process membership counter (see [`Settings::membership_changes`]).
pub type MembershipChanges = std::sync::Arc<dyn Fn() -> u64 + Send + Sync>;

/// A VM's ARM id (any case) → the base URL of its IMDS (`http://127.0.0.1:PORT`), if it has one.
pub type ImdsDirectory = std::sync::Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("db_path", &self.db_path)
            .field("server_certificate", &self.server_certificate)
            .field("ca_pem", &self.ca_pem)
            .field("aad_url", &self.aad_url)
            .field("tenant_id", &self.tenant_id)
            .field("internal_key", &self.internal_key)
            .field("internal_peers", &self.internal_peers)
            .field("public_url", &self.public_url)
            .field("fixture", &self.fixture)
            .field("vm_hook", &self.vm_hook)
            .field("clock", &self.clock)
            .field(
                "imds_directory",
                &self.imds_directory.as_ref().map(|_| "Fn"),
            )
            .field(
                "membership_changes",
                &self.membership_changes.as_ref().map(|_| "Fn"),
            )
            .field("key_vault_dns_suffix", &self.key_vault_dns_suffix)
            .field("key_vault_port", &self.key_vault_port)
            .field("reality", &self.reality)
            .field("async_operation_seconds", &self.async_operation_seconds)
            .finish()
    }
}

impl Settings {
    /// Settings with defaults: bind `127.0.0.1:8443`, internal API for loopback peers, no fixture, no VM hook, the system clock,
    /// no IMDS directory.
    pub fn new(
        db_path: impl Into<PathBuf>,
        server_certificate: mimic_web::ServerCertificate,
        ca_pem: impl Into<String>,
        aad_url: impl Into<String>,
        tenant_id: impl Into<String>,
        internal_key: mimic_web::InternalKey,
    ) -> Self {
        Self {
            bind: "127.0.0.1:8443".to_string(),
            db_path: db_path.into(),
            server_certificate,
            ca_pem: ca_pem.into(),
            aad_url: aad_url.into().trim_end_matches('/').to_string(),
            tenant_id: tenant_id.into(),
            internal_key,
            internal_peers: mimic_web::InternalPeers::Loopback,
            public_url: None,
            fixture: None,
            vm_hook: None,
            clock: mimic_token::Clock::system(),
            imds_directory: None,
            lenient_api_versions: false,
            membership_changes: None,
            key_vault_dns_suffix: DEFAULT_KEY_VAULT_DNS_SUFFIX.to_string(),
            key_vault_port: None,
            reality: mimic_web::reality::Reality::new(),
            async_operation_seconds: 0,
        }
    }
}

/// A change to the set of VMs or to a VM's identities, announced through [`VmHook`] after it is
/// committed and before the write answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmEvent {
    /// A VM was created; its canonical ARM id.
    Created(String),
    /// A VM was deleted; its canonical ARM id.
    Deleted(String),
    /// The whole state was replaced (snapshot restore, reset): restart every listener to match
    /// ARM's VMs, keeping their ports and dropping every cached token.
    Resync,
    /// The set of identities of an existing VM changed (a VM write enabled or disabled its
    /// system-assigned identity or changed its user-assigned ones, or an attached user-assigned
    /// identity was deleted); its canonical ARM id. The IMDS host re-reads the VM's identities
    /// before it acknowledges, so a removed identity is no longer served once the write answers.
    IdentitiesChanged(String),
}

/// The sending end of the VM notifications: ARM sends the event with a one-shot acknowledgement
/// sender and waits (at most 5 s) for the acknowledgement.
pub type VmHook = tokio::sync::mpsc::Sender<(VmEvent, tokio::sync::oneshot::Sender<()>)>;
