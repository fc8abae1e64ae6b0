//! `mimic up`: AAD, then ARM, then the IMDS host, in one process; `endpoints.json` once every
//! listener is bound, rewritten whenever a VM's IMDS comes or goes, removed on a clean stop. The
//! data dir's lock ([`crate::lock`]) is held from before the first file is touched until the end.

use std::path::{Path, PathBuf};

use anyhow::Context;
use mimic_token::Clock;

use crate::data_dir::DataDir;
use crate::endpoints::{Endpoints, Operator, VmEndpoint};
use crate::lock::{DataDirLock, LockInfo};

/// Flags of `mimic up`.
#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {
    /// The address ARM and AAD listen on (e.g. `0.0.0.0` in a container): ARM on IP:8443, AAD on
    /// IP:8444, AAD's user-realm listener on IP:443. Default 127.0.0.1. `--arm-addr`, `--aad-addr`
    /// and `--aad-userrealm-addr` win over it; `:PORT` there takes this address.
    #[arg(long, env = "MIMIC_LISTEN", value_name = "IP")]
    pub listen: Option<std::net::IpAddr>,
    /// Where ARM listens (HTTPS), default `LISTEN:8443`. Port 0 picks a free port.
    #[arg(long, env = "MIMIC_ARM_ADDR")]
    pub arm_addr: Option<String>,
    /// Where AAD listens (HTTPS), default `LISTEN:8444`. Port 0 picks a free port.
    #[arg(long, env = "MIMIC_AAD_ADDR")]
    pub aad_addr: Option<String>,
    /// Extra DNS names or IPs for the server certificate (e.g. the host name clients use). A data
    /// dir whose certificate lacks one gets a new certificate from the same CA.
    #[arg(long = "tls-name", env = "MIMIC_TLS_NAMES", value_delimiter = ',')]
    pub tls_names: Vec<String>,
    /// Where the VMs' IMDS listeners bind (e.g. `0.0.0.0`); default 127.0.0.1. With it, each VM's
    /// IMDS has a fixed port from `--imds-base-port` on.
    #[arg(long, env = "MIMIC_IMDS_LISTEN", value_name = "IP")]
    pub imds_listen: Option<std::net::IpAddr>,
    /// Fixed IMDS ports: the first VM (by ARM id) on this port, each later VM on the next free one,
    /// kept across restarts (`imds-ports.json`). Default 50400 with `--imds-listen`; without
    /// either, any free port.
    #[arg(long, env = "MIMIC_IMDS_BASE_PORT")]
    pub imds_base_port: Option<u16>,
    /// A fixture file to load on first start instead of the built-in `fixtures/default.json`.
    #[arg(long, env = "MIMIC_FIXTURE")]
    pub fixture: Option<PathBuf>,
    /// Also serve AAD here, best effort ("" turns it off), default `LISTEN:443`: MSAL drops the
    /// authority's port for user-realm discovery, so `az login -u USER -p PASSWORD` asks
    /// https://127.0.0.1:443.
    #[arg(long, env = "MIMIC_AAD_USERREALM_ADDR")]
    pub aad_userrealm_addr: Option<String>,
    /// Lifetime of managed-identity tokens, in seconds (Azure's are about 24 h).
    #[arg(long, env = "MIMIC_MI_TOKEN_LIFETIME", default_value_t = crate::services::DEFAULT_MI_TOKEN_LIFETIME)]
    pub mi_token_lifetime: i64,
    #[command(flatten)]
    pub aad_lockout: crate::services::AadLockoutArgs,
    #[command(flatten)]
    pub imds_limits: crate::services::ImdsLimitArgs,
    /// Use a new temporary data dir (0700), removed when mimic stops (SIGINT/SIGTERM): state lives
    /// only as long as the process. `--data-dir` is ignored.
    #[arg(long, env = "MIMIC_EPHEMERAL")]
    pub ephemeral: bool,
    /// ARM accepts any well-formed api-version on every operation, not only the versions Azure
    /// publishes for its type (for clients that send unreleased versions).
    #[arg(long, env = "MIMIC_LENIENT_API_VERSIONS")]
    pub lenient_api_versions: bool,
    /// How long ARM's long-running operations (VM create/update/delete, resource-group delete)
    /// stay in progress, in seconds; 0 (the default): they have ended by the first poll.
    #[arg(long, env = "MIMIC_ASYNC_OPERATION_SECONDS", default_value_t = 0)]
    pub async_operation_seconds: u64,
    #[command(flatten)]
    pub key_vault: crate::services::KeyVaultArgs,
    #[command(flatten)]
    pub reality: crate::settings_cmd::RealityArgs,
}

impl UpArgs {
    /// The address ARM and AAD listen on without a more specific flag.
    fn listen_ip(&self) -> std::net::IpAddr {
        self.listen.unwrap_or(std::net::Ipv4Addr::LOCALHOST.into())
    }

    /// `flag`'s value, `:PORT` completed with `--listen`, or `--listen` with `port`.
    fn addr(&self, flag: Option<&String>, port: u16) -> String {
        let ip = self.listen_ip();
        match flag {
            Some(addr) if addr.starts_with(':') => format!("{}{addr}", bind_host(ip)),
            Some(addr) => addr.clone(),
            None => std::net::SocketAddr::new(ip, port).to_string(),
        }
    }

    /// Where ARM listens.
    pub fn arm_bind(&self) -> String {
        self.addr(self.arm_addr.as_ref(), 8443)
    }

    /// Where AAD listens.
    pub fn aad_bind(&self) -> String {
        self.addr(self.aad_addr.as_ref(), 8444)
    }

    /// Where AAD also listens for user-realm discovery ("" = nowhere).
    pub fn userrealm_bind(&self) -> String {
        match self.aad_userrealm_addr.as_deref() {
            Some("") => String::new(),
            _ => self.addr(self.aad_userrealm_addr.as_ref(), 443),
        }
    }

    /// The IMDS host's address and fixed base port.
    pub fn imds_binding(&self) -> (std::net::IpAddr, Option<u16>) {
        let ip = self
            .imds_listen
            .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
        let base = self.imds_base_port.or(self
            .imds_listen
            .map(|_| mimic_imds::host::DEFAULT_BASE_PORT));
        (ip, base)
    }
}

/// An IP as the host part of `HOST:PORT` (IPv6 in brackets).
fn bind_host(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    }
}

/// The URL local clients use for a listener bound to `bind` on `port` (`0.0.0.0` → `127.0.0.1`;
/// a host name → `127.0.0.1`).
fn local_url(bind: &str, port: u16) -> String {
    let ip = bind
        .parse::<std::net::SocketAddr>()
        .map(|addr| addr.ip())
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
    format!("https://{}:{port}", mimic_web::server::url_host(ip))
}

/// What `mimic up` needs to know about the fixture it loads.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub document: serde_json::Value,
    pub tenant_id: String,
    pub tenant_domain: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub operator: Operator,
}

impl Fixture {
    /// Reads the fixture's facts; the services read their own sections.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let document: serde_json::Value =
            serde_json::from_str(text).context("parsing the fixture")?;
        let text_at = |pointer: &str| -> anyhow::Result<String> {
            document
                .pointer(pointer)
                .and_then(|value| value.as_str())
                .map(str::to_string)
                .with_context(|| format!("the fixture has no {pointer}"))
        };
        Ok(Self {
            tenant_id: text_at("/tenant/id")?,
            tenant_domain: text_at("/tenant/defaultDomain")?,
            subscription_id: text_at("/arm/subscriptions/0/subscriptionId")?,
            resource_group: text_at("/arm/resourceGroups/0/name")?,
            operator: Operator {
                client_id: text_at("/aad/servicePrincipals/0/appId")?,
                client_secret: text_at(
                    "/aad/servicePrincipals/0/passwordCredentials/0/secretText",
                )?,
                object_id: text_at("/aad/servicePrincipals/0/id")?,
            },
            document,
        })
    }

    /// The fixture file named, or the built-in default.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        match path {
            Some(path) => Self::parse(
                &std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
            ),
            None => Self::parse(crate::DEFAULT_FIXTURE),
        }
    }
}

/// A running mimic: the three services and the file that says where they are.
pub struct Mimic {
    pub endpoints: Endpoints,
    pub data_dir: DataDir,
    pub clock: Clock,
    aad: actix_web::dev::ServerHandle,
    arm: actix_web::dev::ServerHandle,
    imds: std::sync::Arc<mimic_imds::host::ImdsHost>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    lock: DataDirLock,
    /// What AAD could not also listen on (`--aad-userrealm-addr`), and why.
    pub unbound_userrealm: Option<(String, std::io::ErrorKind)>,
}

/// Starts everything on `dir` and returns once every listener is bound and `endpoints.json` is written.
pub async fn start(dir: &Path, args: &UpArgs, clock: Clock) -> anyhow::Result<Mimic> {
    let fresh = !dir.join("arm.db").exists();
    mimic_web::files::create_private_dir(dir)
        .with_context(|| format!("creating the data dir {}", dir.display()))?;
    let mut lock = DataDirLock::acquire(dir)?;
    let data_dir = DataDir::ensure_with_names(dir, &args.key_vault.tls_names(&args.tls_names))?;
    crate::trust::write_bundle(&data_dir.root, &data_dir.ca_pem)?;
    let started = clock.now();
    let fixture = Fixture::load(args.fixture.as_deref())?;
    crate::fixture_record::check(&data_dir, &fixture, args.fixture.as_deref())?;
    let mut tasks = Vec::new();
    // One set of run-time settings for the whole process: `mimic settings` changes all three.
    let reality = args.reality.reality();

    let (aad_addr, arm_addr, userrealm_addr) =
        (args.aad_bind(), args.arm_bind(), args.userrealm_bind());
    let mut aad_settings =
        crate::services::aad_settings(&data_dir, &fixture, &aad_addr, clock.clone());
    aad_settings.managed_identity_token_lifetime = args.mi_token_lifetime;
    aad_settings.key_vault_dns_suffix = args.key_vault.key_vault_dns_suffix.clone();
    // One fault book (`mimic chaos`) for AAD, which serves its internal API, and every IMDS.
    let faults = std::sync::Arc::new(mimic_web::chaos::FaultBook::new());
    aad_settings.faults = faults.clone();
    aad_settings.imds_shares_faults = true;
    aad_settings.reality = reality.clone();
    args.aad_lockout.apply(&mut aad_settings);
    if !userrealm_addr.is_empty() && userrealm_addr != aad_addr {
        aad_settings.extra_binds.push(userrealm_addr);
    }
    // AAD asks ARM which identities a VM has; ARM is bound after AAD, so the URL comes later.
    let arm_url_cell = aad_settings.arm_url.clone();
    let aad = mimic_aad::Application::build(aad_settings)
        .await
        .map_err(|error| listen_error(error, "AAD", "--aad-addr", &aad_addr))?;
    let unbound_userrealm = aad.unbound_extra_binds().first().cloned();
    let aad_url = local_url(&aad_addr, aad.port());
    let aad_handle = aad.handle();
    let issuers = aad.issuers();
    let (issuers_changed, issuer_events) = tokio::sync::mpsc::unbounded_channel();
    issuers.on_change(Box::new(move |list, done| {
        let _ = issuers_changed.send((list, done));
    }));
    tasks.push(spawn_server("aad", aad.run_until_stopped()));

    let (hook, events) = tokio::sync::mpsc::channel(16);
    let mut arm_settings =
        crate::services::arm_settings(&data_dir, &fixture, &arm_addr, &aad_url, clock.clone());
    arm_settings.vm_hook = Some(hook);
    arm_settings.lenient_api_versions = args.lenient_api_versions;
    arm_settings.reality = reality.clone();
    arm_settings.async_operation_seconds = args.async_operation_seconds;
    args.key_vault.apply(&mut arm_settings);
    let imds_cell = std::sync::Arc::new(std::sync::OnceLock::new());
    arm_settings.imds_directory = Some(imds_directory(imds_cell.clone()));
    // AAD runs in this process: ARM keeps principals' groups until a membership changes.
    arm_settings.membership_changes =
        Some(std::sync::Arc::new(mimic_aad::groups::membership_changes));
    let arm = mimic_arm::Application::build(arm_settings)
        .await
        .map_err(|error| listen_error(error, "ARM", "--arm-addr", &arm_addr))?;
    let arm_url = local_url(&arm_addr, arm.port());
    let _ = arm_url_cell.set(arm_url.clone());
    let arm_handle = arm.handle();
    tasks.push(spawn_server("arm", arm.run_until_stopped()));

    let mut host_settings =
        crate::services::imds_host_settings(&data_dir, &fixture, &arm_url, &aad_url, clock.clone());
    host_settings.limits = args.imds_limits.limits();
    host_settings.faults = faults;
    host_settings.unavailable_after_start = args.imds_limits.imds_unavailable_after_start;
    host_settings.reality = reality;
    (host_settings.ip, host_settings.base_port) = args.imds_binding();
    let imds = std::sync::Arc::new(mimic_imds::host::ImdsHost::new(host_settings));
    let _ = imds_cell.set(imds.clone());
    imds.reconcile()
        .await
        .context("starting the VMs' IMDS listeners")?;
    let endpoints = Endpoints {
        portal: format!("{arm_url}/portal/"),
        arm: arm_url,
        aad: aad_url,
        ca_cert: data_dir.pki.ca_cert.display().to_string(),
        tenant_id: fixture.tenant_id.clone(),
        subscription_id: fixture.subscription_id.clone(),
        resource_group: fixture.resource_group.clone(),
        operator: fixture.operator.clone(),
        vms: vm_endpoints(&imds),
        issuers: issuer_map(issuers.list()),
        pid: std::process::id(),
        version: mimic_web::VERSION.to_string(),
        started,
    };
    lock.record(&LockInfo {
        pid: endpoints.pid,
        arm: Some(endpoints.arm.clone()),
        aad: Some(endpoints.aad.clone()),
    })?;
    if fresh {
        // `mimic reset` while running restores this: the state the fixture made. Before
        // endpoints.json, which tells everyone mimic is ready.
        crate::snapshot::save_fixture_snapshot(&data_dir, &endpoints).await?;
    }
    endpoints.write(&data_dir.endpoints())?;
    tasks.push(tokio::spawn(forward_vm_events(
        events,
        issuer_events,
        imds.clone(),
        endpoints.clone(),
        data_dir.endpoints(),
    )));
    Ok(Mimic {
        endpoints,
        data_dir,
        clock,
        aad: aad_handle,
        arm: arm_handle,
        imds,
        tasks,
        lock,
        unbound_userrealm,
    })
}

/// Says which service could not listen where, and what to do when the address is in use.
fn listen_error(error: anyhow::Error, service: &str, flag: &str, addr: &str) -> anyhow::Error {
    let in_use = error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|cause| cause.kind() == std::io::ErrorKind::AddrInUse);
    if in_use {
        anyhow::anyhow!(
            "{service} cannot listen on {addr}: the address is in use (another mimic?). \
             Stop that process, or let the system pick a free port with `{flag} 127.0.0.1:0`"
        )
    } else {
        error.context(format!("starting {service} on {addr}"))
    }
}

impl Mimic {
    /// Stops every listener gracefully, removes `endpoints.json` and releases the data dir.
    pub async fn stop(self) {
        self.imds.shutdown().await;
        self.arm.stop(true).await;
        self.aad.stop(true).await;
        for task in self.tasks {
            // Awaited, so that no VM event rewrites endpoints.json after it is removed.
            task.abort();
            let _ = task.await;
        }
        if let Err(error) = std::fs::remove_file(self.data_dir.endpoints()) {
            tracing::warn!(%error, "removing endpoints.json");
        }
        drop(self.lock);
    }
}

fn spawn_server(
    name: &'static str,
    server: impl std::future::Future<Output = std::io::Result<()>> + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = server.await {
            tracing::error!(%error, service = name, "server stopped with an error");
        }
    })
}

/// Translates ARM's VM notifications into the IMDS host's and rewrites `endpoints.json`, both before
/// acknowledging: when a VM's PUT (or DELETE) returns, its IMDS is up (or gone) and the file says so.
async fn forward_vm_events(
    mut events: tokio::sync::mpsc::Receiver<(mimic_arm::VmEvent, tokio::sync::oneshot::Sender<()>)>,
    mut issuer_events: tokio::sync::mpsc::UnboundedReceiver<IssuerChange>,
    imds: std::sync::Arc<mimic_imds::host::ImdsHost>,
    mut endpoints: Endpoints,
    path: PathBuf,
) {
    loop {
        let ack = tokio::select! {
            event = events.recv() => {
                let Some((event, ack)) = event else { return };
                let event = match event {
                    mimic_arm::VmEvent::Created(id) => mimic_imds::host::HostEvent::Created(id),
                    mimic_arm::VmEvent::Deleted(id) => mimic_imds::host::HostEvent::Deleted(id),
                    mimic_arm::VmEvent::Resync => mimic_imds::host::HostEvent::Resync,
                    mimic_arm::VmEvent::IdentitiesChanged(id) => {
                        mimic_imds::host::HostEvent::IdentitiesChanged(id)
                    }
                };
                if let Err(error) = imds.handle(event).await {
                    tracing::error!(error = format!("{error:#}"), "updating the IMDS listeners");
                }
                endpoints.vms = vm_endpoints(&imds);
                ack
            }
            Some((list, done)) = issuer_events.recv() => {
                endpoints.issuers = issuer_map(list);
                done
            }
        };
        if let Err(error) = endpoints.write(&path) {
            tracing::error!(error = format!("{error:#}"), "rewriting endpoints.json");
        }
        let _ = ack.send(());
    }
}

/// Every issuer after a change, and the acknowledgement AAD's internal API waits for.
type IssuerChange = (
    Vec<mimic_aad::federation::issuers::IssuerView>,
    tokio::sync::oneshot::Sender<()>,
);

fn issuer_map(
    list: Vec<mimic_aad::federation::issuers::IssuerView>,
) -> std::collections::BTreeMap<String, String> {
    list.into_iter()
        .map(|view| (view.name, view.issuer))
        .collect()
}

/// For the portal's token inspector: a VM's ARM id → its IMDS URL, read from the IMDS host once
/// it exists (it starts after ARM, so the cell is filled then).
fn imds_directory(
    host: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<mimic_imds::host::ImdsHost>>>,
) -> mimic_arm::ImdsDirectory {
    std::sync::Arc::new(move |vm_id: &str| {
        let listeners = host.get()?.listeners();
        listeners
            .into_iter()
            .find(|listener| listener.vm_id.eq_ignore_ascii_case(vm_id))
            .map(|listener| listener.url)
    })
}

fn vm_endpoints(imds: &mimic_imds::host::ImdsHost) -> Vec<VmEndpoint> {
    imds.listeners()
        .into_iter()
        .map(|listener| VmEndpoint {
            name: listener.name,
            id: listener.vm_id,
            imds: listener.url,
        })
        .collect()
}

/// `mimic up` in the foreground: start, print a summary, stop on SIGINT or SIGTERM. With
/// `--ephemeral`, in a new temporary data dir that is removed after the stop (or a failed start).
pub async fn run(dir: &Path, args: UpArgs) -> anyhow::Result<()> {
    if !args.ephemeral {
        return run_in(dir, &args).await;
    }
    let temporary = tempfile::Builder::new()
        .prefix("mimic-")
        .tempdir()
        .context("creating a temporary data dir")?;
    let result = run_in(temporary.path(), &args).await;
    let path = temporary.path().display().to_string();
    temporary
        .close()
        .with_context(|| format!("removing the temporary data dir {path}"))?;
    result
}

async fn run_in(dir: &Path, args: &UpArgs) -> anyhow::Result<()> {
    // Caught from before the first file is written: a SIGTERM while starting (endpoints.json
    // already there) still ends in a clean stop.
    let mut signals = StopSignals::install()?;
    let mimic = start(dir, args, Clock::system()).await?;
    print!(
        "{}",
        summary(&mimic.endpoints, &mimic.data_dir, args.ephemeral)
    );
    if let Some((addr, kind)) = &mimic.unbound_userrealm {
        eprintln!("{}", userrealm_notice(addr, *kind));
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    signals.recv().await;
    eprintln!("mimic: stopping");
    mimic.stop().await;
    Ok(())
}

/// What the missing user-realm listener costs, and how to silence the notice.
fn userrealm_notice(addr: &str, kind: std::io::ErrorKind) -> String {
    let why = match kind {
        std::io::ErrorKind::PermissionDenied => {
            "ports below 1024 need root or CAP_NET_BIND_SERVICE".to_string()
        }
        std::io::ErrorKind::AddrInUse => format!("{addr} is taken by another process"),
        other => format!("{other}"),
    };
    format!(
        "mimic: AAD is not also listening on {addr} ({why}). Only `az login -u USER -p PASSWORD` \
         needs it (MSAL asks the authority's host on port 443 for user-realm discovery); service \
         principals, managed identities, the portal and every other sign-in work without it. \
         Silence this with --aad-userrealm-addr \"\" (MIMIC_AAD_USERREALM_ADDR=)."
    )
}

fn summary(endpoints: &Endpoints, data_dir: &DataDir, ephemeral: bool) -> String {
    let mut text = format!(
        "mimic {} is up (PID {}, data dir {}{})\n  ARM    {}\n  AAD    {}\n  Portal {}\n  CA     {}\n  tenant {}  subscription {}\n",
        mimic_web::VERSION,
        endpoints.pid,
        data_dir.root.display(),
        if ephemeral { ", ephemeral: removed on exit" } else { "" },
        endpoints.arm,
        endpoints.aad,
        endpoints.portal,
        endpoints.ca_cert,
        endpoints.tenant_id,
        endpoints.subscription_id
    );
    for vm in &endpoints.vms {
        text.push_str(&format!("  VM {:<10} IMDS {}\n", vm.name, vm.imds));
    }
    if ephemeral {
        text.push_str(&format!(
            "In other shells: export MIMIC_DATA_DIR={}\n",
            data_dir.root.display()
        ));
    }
    text.push_str("Operator shell: eval \"$(mimic env)\"   VM shell: eval \"$(mimic vm env vm1)\"   Stop: Ctrl-C\n");
    text
}

/// Resolves on SIGINT or SIGTERM.
pub async fn wait_for_signal() -> anyhow::Result<()> {
    StopSignals::install()?.recv().await;
    Ok(())
}

/// SIGINT and SIGTERM, caught (not fatal) from [`StopSignals::install`] on.
pub struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Starts catching both signals.
    pub fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves once either signal has arrived (also if it arrived before this call).
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(args: &[&str]) -> UpArgs {
        use clap::Parser;
        let line = [&["mimic", "up"], args].concat();
        match crate::cli::Cli::try_parse_from(line).unwrap().command {
            crate::cli::Command::Up(up) => up,
            other => panic!("not up: {other:?}"),
        }
    }

    #[test]
    fn listen_sets_arm_aad_and_userrealm_unless_their_own_flags_say_otherwise() {
        let binds = |up: UpArgs| (up.arm_bind(), up.aad_bind(), up.userrealm_bind());
        let local = ("127.0.0.1:8443", "127.0.0.1:8444", "127.0.0.1:443");
        let local = (local.0.into(), local.1.into(), local.2.into());
        assert_eq!(binds(up(&[])), local);
        let all = (
            "0.0.0.0:8443".into(),
            "0.0.0.0:8444".into(),
            "0.0.0.0:443".into(),
        );
        assert_eq!(binds(up(&["--listen", "0.0.0.0"])), all);
        let mixed = [
            "--listen",
            "0.0.0.0",
            "--arm-addr",
            "127.0.0.1:9000",
            "--aad-addr",
            ":0",
        ];
        let mixed = binds(up(&[&mixed[..], &["--aad-userrealm-addr", ""]].concat()));
        assert_eq!(
            mixed,
            ("127.0.0.1:9000".into(), "0.0.0.0:0".into(), String::new())
        );
        assert_eq!(up(&["--listen", "::"]).aad_bind(), "[::]:8444");
        let bad = ["mimic", "up", "--listen", "nowhere"];
        assert!(<crate::cli::Cli as clap::Parser>::try_parse_from(bad).is_err());
    }

    #[test]
    fn imds_stays_on_loopback_with_any_port_unless_opened() {
        let loopback = std::net::IpAddr::from(std::net::Ipv4Addr::LOCALHOST);
        assert_eq!(up(&[]).imds_binding(), (loopback, None));
        assert_eq!(
            up(&["--listen", "0.0.0.0"]).imds_binding(),
            (loopback, None)
        );
        let open = up(&["--imds-listen", "0.0.0.0"]).imds_binding();
        assert_eq!(open, ("0.0.0.0".parse().unwrap(), Some(50400)));
        let based = ["--imds-listen", "0.0.0.0", "--imds-base-port", "50500"];
        assert_eq!(up(&based).imds_binding().1, Some(50500));
        assert_eq!(
            up(&["--imds-base-port", "50500"]).imds_binding(),
            (loopback, Some(50500))
        );
    }

    #[test]
    fn local_urls_reach_every_interface_binds_on_loopback() {
        assert_eq!(local_url("0.0.0.0:8443", 8443), "https://127.0.0.1:8443");
        assert_eq!(local_url("127.0.0.2:0", 4000), "https://127.0.0.2:4000");
        assert_eq!(local_url("localhost:0", 4000), "https://127.0.0.1:4000");
    }

    #[test]
    fn the_default_fixture_names_its_operator_and_subscription() {
        let fixture = Fixture::load(None).unwrap();
        assert_eq!(
            fixture.operator.client_id,
            "0f1e2d3c-4b5a-4968-8776-655443322110"
        );
        assert_eq!(
            fixture.subscription_id,
            "9b2c4d6e-8f0a-4b1c-a3d5-e7f9a1b3c5d7"
        );
        assert_eq!(fixture.resource_group, "mimic-rg");
    }
}
