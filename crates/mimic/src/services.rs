//! One service per process (`mimic aad|arm|imds`, as docker-compose runs them), and the settings
//! each service gets from the data dir, shared with `mimic up`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use mimic_token::Clock;

use crate::data_dir::DataDir;
use crate::up::Fixture;

/// IMDS rate limits per VM (Azure's by default; 0 turns a limit off).
#[derive(Debug, Clone, clap::Args)]
pub struct ImdsLimitArgs {
    /// Identity-endpoint requests per second, per VM.
    #[arg(long, env = "MIMIC_IMDS_IDENTITY_RPS", default_value_t = 20)]
    pub imds_identity_rps: u32,
    /// Identity-endpoint requests in flight at once, per VM.
    #[arg(long, env = "MIMIC_IMDS_IDENTITY_CONCURRENCY", default_value_t = 5)]
    pub imds_identity_concurrency: u32,
    /// Other IMDS requests (instance metadata…) per second, per VM.
    #[arg(long, env = "MIMIC_IMDS_METADATA_RPS", default_value_t = 5)]
    pub imds_metadata_rps: u32,
    /// Seconds each VM's IMDS answers token requests with 410 after its listener starts, as
    /// Azure's IMDS does while its host is updated (clients retry up to ~70 s); 0: never
    /// (docs/reality-modes.md).
    #[arg(
        long,
        env = "MIMIC_IMDS_UNAVAILABLE_AFTER_START",
        default_value_t = 0,
        value_name = "SECONDS"
    )]
    pub imds_unavailable_after_start: u64,
}

impl Default for ImdsLimitArgs {
    fn default() -> Self {
        let limits = mimic_imds::Limits::default();
        Self {
            imds_identity_rps: limits.identity_per_second,
            imds_identity_concurrency: limits.identity_concurrent,
            imds_metadata_rps: limits.metadata_per_second,
            imds_unavailable_after_start: 0,
        }
    }
}

impl ImdsLimitArgs {
    /// The IMDS limits these flags name.
    pub fn limits(&self) -> mimic_imds::Limits {
        mimic_imds::Limits {
            identity_per_second: self.imds_identity_rps,
            identity_concurrent: self.imds_identity_concurrency,
            metadata_per_second: self.imds_metadata_rps,
        }
    }
}

/// The lifetime of managed-identity tokens, in seconds (Azure's are about 24 h).
pub const DEFAULT_MI_TOKEN_LIFETIME: i64 = 86399;

/// AAD Smart Lockout (Entra's defaults; 0 for either turns it off).
#[derive(Debug, Clone, clap::Args)]
pub struct AadLockoutArgs {
    /// Wrong passwords in a row that lock a user out (AADSTS50053); 0 turns lockout off.
    #[arg(long, env = "MIMIC_AAD_LOCKOUT_THRESHOLD", default_value_t = 10)]
    pub aad_lockout_threshold: u32,
    /// How long a locked-out user stays locked, in seconds; 0 turns lockout off.
    #[arg(long, env = "MIMIC_AAD_LOCKOUT_SECONDS", default_value_t = 60)]
    pub aad_lockout_seconds: u64,
}

impl Default for AadLockoutArgs {
    fn default() -> Self {
        let settings = mimic_aad::Settings::default();
        Self {
            aad_lockout_threshold: settings.lockout_threshold,
            aad_lockout_seconds: settings.lockout_seconds,
        }
    }
}

impl AadLockoutArgs {
    /// Sets AAD's lockout settings from these flags.
    pub fn apply(&self, settings: &mut mimic_aad::Settings) {
        settings.lockout_threshold = self.aad_lockout_threshold;
        settings.lockout_seconds = self.aad_lockout_seconds;
    }
}

/// Flags of `mimic aad`.
#[derive(Debug, Clone, clap::Args)]
pub struct AadArgs {
    /// Where AAD listens (HTTPS).
    #[arg(long, env = "MIMIC_AAD_ADDR", default_value = "127.0.0.1:8444")]
    pub addr: String,
    /// The URL clients use to reach AAD, if not https://127.0.0.1:PORT (e.g. https://aad:8444).
    #[arg(long, env = "MIMIC_AAD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A fixture file to load on first start instead of the built-in default.
    #[arg(long, env = "MIMIC_FIXTURE")]
    pub fixture: Option<std::path::PathBuf>,
    /// Extra DNS names for the server certificate; a data dir whose certificate lacks one gets a
    /// new certificate from the same CA.
    #[arg(long = "tls-name", env = "MIMIC_TLS_NAMES", value_delimiter = ',')]
    pub tls_names: Vec<String>,
    /// Lifetime of managed-identity tokens, in seconds.
    #[arg(long, env = "MIMIC_MI_TOKEN_LIFETIME", default_value_t = DEFAULT_MI_TOKEN_LIFETIME)]
    pub mi_token_lifetime: i64,
    /// ARM's base URL: AAD asks ARM's host API which identities a VM has before it issues a
    /// managed-identity token.
    #[arg(long, env = "MIMIC_ARM_URL", default_value = "https://127.0.0.1:8443")]
    pub arm_url: String,
    /// The URL clients reach ARM at, if not --arm-url (ARM's --public-url): tokens may name it as
    /// the ARM resource.
    #[arg(long)]
    pub arm_public_url: Option<String>,
    #[command(flatten)]
    pub aad_lockout: AadLockoutArgs,
    #[command(flatten)]
    pub reality: crate::settings_cmd::RealityArgs,
    /// Answer `/internal/*` from any peer, not only loopback (services in separate containers,
    /// as docker-compose runs them; the internal key is still required).
    #[arg(long, env = "MIMIC_INTERNAL_API_ON_NETWORK")]
    pub internal_api_on_network: bool,
}

/// Flags of `mimic arm`.
#[derive(Debug, Clone, clap::Args)]
pub struct ArmArgs {
    /// Where ARM listens (HTTPS).
    #[arg(long, env = "MIMIC_ARM_ADDR", default_value = "127.0.0.1:8443")]
    pub addr: String,
    /// The URL clients use to reach ARM, if not https://127.0.0.1:PORT.
    #[arg(long, env = "MIMIC_ARM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// AAD's URL (JWKS, service principals).
    #[arg(long, env = "MIMIC_AAD_URL", default_value = "https://127.0.0.1:8444")]
    pub aad_url: String,
    /// A fixture file to load on first start instead of the built-in default.
    #[arg(long, env = "MIMIC_FIXTURE")]
    pub fixture: Option<std::path::PathBuf>,
    /// Extra DNS names for the server certificate; a data dir whose certificate lacks one gets a
    /// new certificate from the same CA.
    #[arg(long = "tls-name", env = "MIMIC_TLS_NAMES", value_delimiter = ',')]
    pub tls_names: Vec<String>,
    /// Answer `/internal/*` from any peer, not only loopback (services in separate containers,
    /// as docker-compose runs them; the internal key is still required).
    #[arg(long, env = "MIMIC_INTERNAL_API_ON_NETWORK")]
    pub internal_api_on_network: bool,
    /// Accept any well-formed api-version on every operation, not only the versions Azure
    /// publishes for its type.
    #[arg(long, env = "MIMIC_LENIENT_API_VERSIONS")]
    pub lenient_api_versions: bool,
    /// How long ARM's long-running operations (VM create/update/delete, resource-group delete)
    /// stay in progress, in seconds; 0 (the default): they have ended by the first poll.
    #[arg(long, env = "MIMIC_ASYNC_OPERATION_SECONDS", default_value_t = 0)]
    pub async_operation_seconds: u64,
    #[command(flatten)]
    pub key_vault: KeyVaultArgs,
    #[command(flatten)]
    pub reality: crate::settings_cmd::RealityArgs,
}

/// ARM's Key Vault flags (`mimic up`, `mimic arm`).
#[derive(Debug, Clone, clap::Args)]
pub struct KeyVaultArgs {
    /// The DNS suffix of vault URIs (`https://{vault}.{suffix}[:port]/`) and of
    /// `suffixes.keyVaultDns`; its first label must be `vault`.
    #[arg(long, env = "MIMIC_KEY_VAULT_DNS_SUFFIX", default_value = mimic_arm::settings::DEFAULT_KEY_VAULT_DNS_SUFFIX, value_parser = key_vault_dns_suffix)]
    pub key_vault_dns_suffix: String,
    /// The port of vault URIs (default: ARM's, whose listener serves the data plane; 443 writes
    /// none, e.g. behind a proxy on 443).
    #[arg(long, env = "MIMIC_KEY_VAULT_PORT")]
    pub key_vault_port: Option<u16>,
}

/// A Key Vault DNS suffix: DNS labels, the first of them `vault` (Terraform's provider reads a
/// vault's name from the first label of its host and expects `vault` second; the data plane
/// recognises vault hosts by it).
fn key_vault_dns_suffix(value: &str) -> Result<String, String> {
    let value = value.trim().trim_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = value.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    match labels.len() >= 2 && labels[0] == "vault" && labels.iter().all(label_ok) {
        true => Ok(value),
        false => Err("a DNS suffix whose first label is `vault`, e.g. vault.mimic.test".into()),
    }
}

impl KeyVaultArgs {
    /// `names` and the wildcard of this suffix's vault hosts, for the server certificate.
    pub fn tls_names(&self, names: &[String]) -> Vec<String> {
        let wildcard = format!("*.{}", self.key_vault_dns_suffix);
        let mut names = names.to_vec();
        if !names.contains(&wildcard) {
            names.push(wildcard);
        }
        names
    }
}

impl Default for KeyVaultArgs {
    fn default() -> Self {
        Self {
            key_vault_dns_suffix: mimic_arm::settings::DEFAULT_KEY_VAULT_DNS_SUFFIX.to_string(),
            key_vault_port: None,
        }
    }
}

impl KeyVaultArgs {
    /// Sets ARM's Key Vault settings from these flags.
    pub fn apply(&self, settings: &mut mimic_arm::Settings) {
        settings.key_vault_dns_suffix = self.key_vault_dns_suffix.clone();
        settings.key_vault_port = self.key_vault_port;
    }
}

/// Flags of `mimic imds`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImdsArgs {
    /// The ARM id of the VM this IMDS serves.
    #[arg(long, env = "MIMIC_IMDS_VM")]
    pub vm: String,
    /// Where this IMDS listens (plain HTTP).
    #[arg(long, env = "MIMIC_IMDS_ADDR", default_value = "127.0.0.1:8445")]
    pub addr: String,
    /// ARM's URL (host API).
    #[arg(long, env = "MIMIC_ARM_URL", default_value = "https://127.0.0.1:8443")]
    pub arm_url: String,
    /// AAD's URL (token endpoint).
    #[arg(long, env = "MIMIC_AAD_URL", default_value = "https://127.0.0.1:8444")]
    pub aad_url: String,
    /// A fixture file naming the tenant, instead of the built-in default.
    #[arg(long, env = "MIMIC_FIXTURE")]
    pub fixture: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub limits: ImdsLimitArgs,
    #[command(flatten)]
    pub reality: crate::settings_cmd::RealityArgs,
}

/// AAD's settings on this data dir.
pub fn aad_settings(
    data_dir: &DataDir,
    fixture: &Fixture,
    bind: &str,
    clock: Clock,
) -> mimic_aad::Settings {
    mimic_aad::Settings {
        bind: bind.to_string(),
        db_path: data_dir.aad_db(),
        keys_dir: data_dir.aad_keys(),
        server_certificate: data_dir.server_certificate.clone(),
        internal_key: data_dir.internal_key.clone(),
        tenant_id: fixture.tenant_id.clone(),
        tenant_domain: fixture.tenant_domain.clone(),
        public_url: None,
        fixture: fixture.document.get("aad").cloned(),
        clock,
        ca_pem: data_dir.ca_pem.clone(),
        ..Default::default()
    }
}

/// ARM's settings on this data dir.
pub fn arm_settings(
    data_dir: &DataDir,
    fixture: &Fixture,
    bind: &str,
    aad_url: &str,
    clock: Clock,
) -> mimic_arm::Settings {
    mimic_arm::Settings {
        bind: bind.to_string(),
        db_path: data_dir.arm_db(),
        server_certificate: data_dir.server_certificate.clone(),
        ca_pem: data_dir.ca_pem.clone(),
        aad_url: aad_url.to_string(),
        tenant_id: fixture.tenant_id.clone(),
        internal_key: data_dir.internal_key.clone(),
        internal_peers: mimic_web::InternalPeers::Loopback,
        public_url: None,
        fixture: fixture.document.get("arm").cloned(),
        vm_hook: None,
        imds_directory: None,
        lenient_api_versions: false,
        // Standalone `mimic arm` (docker-compose): AAD is another process; `mimic up` sets it.
        membership_changes: None,
        clock,
        key_vault_dns_suffix: mimic_arm::settings::DEFAULT_KEY_VAULT_DNS_SUFFIX.to_string(),
        key_vault_port: None,
        reality: mimic_web::reality::Reality::new(),
        async_operation_seconds: 0,
    }
}

/// The IMDS host's settings on this data dir.
pub fn imds_host_settings(
    data_dir: &DataDir,
    fixture: &Fixture,
    arm_url: &str,
    aad_url: &str,
    clock: Clock,
) -> mimic_imds::host::HostSettings {
    mimic_imds::host::HostSettings {
        arm_url: arm_url.to_string(),
        aad_url: aad_url.to_string(),
        tenant_id: fixture.tenant_id.clone(),
        ca_pem: data_dir.ca_pem.clone(),
        internal_key: data_dir.internal_key.clone(),
        data_dir: data_dir.root.clone(),
        clock,
        limits: mimic_imds::Limits::default(),
        ip: std::net::Ipv4Addr::LOCALHOST.into(),
        base_port: None,
        faults: std::sync::Arc::default(),
        unavailable_after_start: 0,
        reality: mimic_web::reality::Reality::new(),
    }
}

/// `mimic aad`.
pub async fn run_aad(dir: &Path, args: AadArgs) -> anyhow::Result<()> {
    let data_dir = DataDir::ensure_with_names(dir, &args.tls_names)?;
    let fixture = Fixture::load(args.fixture.as_deref())?;
    crate::fixture_record::check(&data_dir, &fixture, args.fixture.as_deref())?;
    let mut settings = aad_settings(&data_dir, &fixture, &args.addr, Clock::system());
    settings.public_url = args.public_url;
    settings.internal_peers = mimic_web::InternalPeers::from_flag(args.internal_api_on_network);
    settings.managed_identity_token_lifetime = args.mi_token_lifetime;
    let _ = settings.arm_url.set(args.arm_url);
    settings.arm_public_url = args.arm_public_url;
    args.aad_lockout.apply(&mut settings);
    settings.reality = args.reality.reality();
    let app = mimic_aad::Application::build(settings).await?;
    eprintln!("mimic aad listening on port {}", app.port());
    serve_until_signal(app.handle(), app.run_until_stopped())
        .await
        .context("running AAD")
}

/// `mimic arm`.
pub async fn run_arm(dir: &Path, args: ArmArgs) -> anyhow::Result<()> {
    let data_dir = DataDir::ensure_with_names(dir, &args.key_vault.tls_names(&args.tls_names))?;
    let fixture = Fixture::load(args.fixture.as_deref())?;
    crate::fixture_record::check(&data_dir, &fixture, args.fixture.as_deref())?;
    let mut settings = arm_settings(
        &data_dir,
        &fixture,
        &args.addr,
        &args.aad_url,
        Clock::system(),
    );
    settings.public_url = args.public_url;
    settings.internal_peers = mimic_web::InternalPeers::from_flag(args.internal_api_on_network);
    settings.lenient_api_versions = args.lenient_api_versions;
    settings.async_operation_seconds = args.async_operation_seconds;
    args.key_vault.apply(&mut settings);
    settings.reality = args.reality.reality();
    let app = mimic_arm::Application::build(settings).await?;
    eprintln!("mimic arm listening on port {}", app.port());
    serve_until_signal(app.handle(), app.run_until_stopped())
        .await
        .context("running ARM")
}

/// `mimic imds --vm ID`.
pub async fn run_imds(dir: &Path, args: ImdsArgs) -> anyhow::Result<()> {
    let data_dir = DataDir::ensure(dir)?;
    let fixture = Fixture::load(args.fixture.as_deref())?;
    let settings = mimic_imds::Settings {
        bind: args.addr,
        vm_id: args.vm,
        arm_url: args.arm_url,
        aad_url: args.aad_url,
        tenant_id: fixture.tenant_id,
        ca_pem: data_dir.ca_pem.clone(),
        internal_key: data_dir.internal_key.clone(),
        clock: Clock::system(),
        limits: args.limits.limits(),
        arc_key_dir: mimic_imds::flavors::DEFAULT_ARC_KEY_DIR.into(),
        faults: std::sync::Arc::default(),
        reality: args.reality.reality(),
    };
    let unavailable = args.limits.imds_unavailable_after_start;
    if unavailable > 0 {
        let spec = mimic_web::chaos::FaultSpec {
            service: mimic_web::chaos::Service::Imds,
            scope: mimic_web::chaos::Scope::Global,
            effect: mimic_web::chaos::Effect::Status(410),
            for_seconds: Some(unavailable),
            count: None,
            probability: None,
            retry_after: None,
        };
        let now = settings.clock.now();
        settings
            .faults
            .add_from(spec, now, "setting")
            .map_err(anyhow::Error::msg)?;
    }
    let app = mimic_imds::Application::build(settings).await?;
    eprintln!("mimic imds listening on port {}", app.port());
    app.run_until_stopped().await.context("running IMDS")
}

/// Runs a server until it stops or SIGINT/SIGTERM arrives, then stops it gracefully.
async fn serve_until_signal(
    handle: actix_web::dev::ServerHandle,
    server: impl std::future::Future<Output = std::io::Result<()>>,
) -> std::io::Result<()> {
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result,
        _ = crate::up::wait_for_signal() => {
            // The server future itself carries out the stop, so keep polling it meanwhile.
            let ((), result) = tokio::join!(handle.stop(true), server);
            result
        }
    }
}

/// `mimic healthcheck URL`.
pub async fn healthcheck(dir: &Path, url: &str, metadata: bool) -> anyhow::Result<ExitCode> {
    let ca =
        std::fs::read_to_string(dir.join("ca.pem")).context("reading the data dir's ca.pem")?;
    let client = mimic_web::https_client(&ca)?;
    let mut request = client.get(url);
    if metadata {
        request = request.header("Metadata", "true");
    }
    let healthy = matches!(request.send().await, Ok(response) if response.status().is_success());
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    #[test]
    fn key_vault_dns_suffixes_start_with_the_vault_label() {
        for good in [
            "vault.mimic.test",
            "Vault.Example.Test.",
            "vault.corp-1.internal",
        ] {
            assert!(super::key_vault_dns_suffix(good).is_ok(), "{good}");
        }
        for bad in [
            "kv.example.test",
            "vault",
            "vault..test",
            "vault.exa mple.test",
            "",
        ] {
            assert!(super::key_vault_dns_suffix(bad).is_err(), "{bad}");
        }
        let up = Cli::try_parse_from(["mimic", "up", "--key-vault-dns-suffix", "kv.example.test"]);
        assert!(up.is_err());
    }

    fn lockout(args: &[&str]) -> (u32, u64) {
        let mut settings = mimic_aad::Settings::default();
        match Cli::try_parse_from(args).unwrap().command {
            Command::Up(up) => up.aad_lockout.apply(&mut settings),
            Command::Aad(aad) => aad.aad_lockout.apply(&mut settings),
            other => panic!("not up or aad: {other:?}"),
        }
        (settings.lockout_threshold, settings.lockout_seconds)
    }

    #[test]
    fn lockout_flags_default_to_entras_and_reach_aads_settings() {
        assert_eq!(lockout(&["mimic", "up"]), (10, 60));
        assert_eq!(lockout(&["mimic", "aad"]), (10, 60));
        let up = ["mimic", "up", "--aad-lockout-threshold", "0"];
        assert_eq!(lockout(&up), (0, 60));
        let aad = ["mimic", "aad", "--aad-lockout-threshold", "3"];
        assert_eq!(
            lockout(&[&aad[..], &["--aad-lockout-seconds", "5"]].concat()),
            (3, 5)
        );
    }
}
