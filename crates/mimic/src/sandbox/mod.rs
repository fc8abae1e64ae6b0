//! The sandbox: `mimic vm exec NAME --netns -- CMD…`, `mimic vm shell NAME`, `mimic workload
//! exec --netns -- CMD…` and the operator's `mimic exec -- CMD…` / `mimic shell` run CMD in a fresh network and mount namespace that has only loopback and
//! in which the command sees Azure as from inside Azure, with nothing configured:
//!
//! - a VM persona's IMDS at `169.254.169.254:80` and `127.0.0.1:50342` (a workload persona has none:
//!   it has its federated token file; the operator has its service principal's secret in `ARM_*`
//!   and `AZURE_*`, and az signed in with it: [`operator`]);
//! - Azure's public names — `management.azure.com`, `login.microsoftonline.com` and its aliases,
//!   `graph.microsoft.com` — in the namespace's own `/etc/hosts`, each on a loopback address of its
//!   own where port 443 reaches ARM or AAD ([`names`]), which answer with the data dir's server
//!   certificate (it names those hosts) and as the public cloud (discovery, issuers, links follow
//!   the Host: docs/hostnames.md); and `{vault}.vault.azure.net` for every live vault, on ARM's
//!   address, kept current while the command runs (`vaults.rs`);
//! - mimic's CA trusted everywhere clients look: the system bundle and certifi's, covered by the
//!   combined bundle ([`trust`]), and `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`,
//!   `NODE_EXTRA_CA_CERTS`;
//! - mimic's ARM and AAD also at their usual `127.0.0.1` ports;
//! - an az config dir of the persona's own with no cloud registered: az uses `AzureCloud`.
//!
//! How: namespaces isolate TCP but not the filesystem. The outer process (host network) listens on
//! unix sockets in a private 0700 directory (`imds.sock`, `arm.sock`, `aad.sock`), relays each
//! connection to the VM's IMDS, ARM and AAD, and writes the namespace's hosts file there. It then
//! starts `unshare --net --mount -- mimic netns-run …` (hidden). Inside, before changing anything,
//! that process refuses to go on unless the network namespace is not the host's and has no link but
//! `lo` and no route off loopback, and the mount namespace is not the host's (`checks.rs`); it brings
//! `lo` up, binds 169.254.169.254/32 on it (VM persona), checks again, makes every mount private,
//! bind-mounts the hosts file over `/etc/hosts` and the bundle over each trust file, checks that
//! every public name resolves to its loopback address alone, listens on its TCP addresses, relays
//! each connection to its unix socket, and only then runs CMD. If any step fails, mimic says so and
//! exits 125; it never falls back to the host network or the host's files.
//!
//! Both processes pass SIGTERM (and SIGINT, when the terminal did not already deliver it) on to
//! their child and wait for it, so a sandbox that is told to stop ends CMD and still removes its
//! socket directory.

mod checks;
pub mod names;
pub mod operator;
mod process;
pub mod trust;
mod vaults;

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use tokio::net::{TcpListener, UnixListener};

pub use checks::{check_loopback_only, check_ready, NamespaceState};
use process::{exit_code, relay_tcp_to_unix, wait_forwarding_signals, Signals};

use crate::endpoints::{Endpoints, VmEndpoint};
use crate::persona::OTHER_IDENTITY_VARIABLES;

/// IMDS's link-local address, bound on the namespace's own loopback.
pub const LINK_LOCAL: &str = "169.254.169.254";
/// The deprecated VM-extension endpoint's port (`http://localhost:50342/oauth2/token`).
pub const EXTENSION_PORT: u16 = 50342;
/// The exit code when the namespace cannot be made or fails its checks (CMD never ran).
pub const NAMESPACE_FAILURE: u8 = 125;
/// The hosts file's name in the socket directory.
const HOSTS_FILE: &str = "hosts";

/// Who the command inside the sandbox is.
#[derive(Debug, Clone)]
pub enum Persona<'a> {
    /// Code on a VM: its IMDS on the link-local address, no identity variables at all.
    Vm(&'a VmEndpoint),
    /// A workload-identity pod: no IMDS; `environment` (client id, tenant, token file, authority
    /// host, as the AKS webhook sets them), and no variable of a managed-identity endpoint.
    Workload {
        /// The variables the pod gets.
        environment: Vec<(String, String)>,
    },
    /// The operator (`mimic shell`, `mimic exec`): no IMDS; the fixture operator's service
    /// principal in `ARM_*` and `AZURE_*` ([`operator::environment`]), az signed in as it.
    Operator {
        /// The variables the operator's commands get.
        environment: Vec<(String, String)>,
    },
}

impl Persona<'_> {
    /// The az config dir of this persona inside the sandbox (no cloud registered).
    fn config_dir(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        let root = dir
            .canonicalize()
            .context("resolving the data dir")?
            .join("az")
            .join("sandbox");
        Ok(match self {
            Persona::Vm(vm) => root.join("vms").join(&vm.name),
            Persona::Workload { .. } => root.join("workload"),
            Persona::Operator { .. } => root.join("operator"),
        })
    }

    /// The variables that would steer clients to another identity source than the persona's.
    fn removed_variables(&self) -> Vec<&'static str> {
        match self {
            Persona::Vm(_) => std::iter::once("AZURE_POD_IDENTITY_AUTHORITY_HOST")
                .chain(OTHER_IDENTITY_VARIABLES.iter().copied())
                .collect(),
            Persona::Workload { .. } => vec![
                "AZURE_POD_IDENTITY_AUTHORITY_HOST",
                "IDENTITY_ENDPOINT",
                "IDENTITY_HEADER",
                "IDENTITY_SERVER_THUMBPRINT",
                "IMDS_ENDPOINT",
                "MSI_ENDPOINT",
                "MSI_SECRET",
                "AZURE_CLIENT_SECRET",
                "AZURE_CLIENT_CERTIFICATE_PATH",
            ],
            Persona::Operator { .. } => operator::removed_variables(),
        }
    }
}

/// The hidden `mimic netns-run` subcommand, run by `unshare --net --mount` inside the new namespaces.
#[derive(Debug, clap::Args)]
pub struct NetnsRunArgs {
    /// The directory with `imds.sock`, `arm.sock`, `aad.sock` and the hosts file.
    #[arg(long)]
    pub sockets: PathBuf,
    /// The port ARM listens on (served inside at 127.0.0.1 with this port).
    #[arg(long)]
    pub arm_port: u16,
    /// The port AAD listens on (served inside at 127.0.0.1 with this port).
    #[arg(long)]
    pub aad_port: u16,
    /// Serve `imds.sock` on 169.254.169.254:80 and 127.0.0.1:50342 (the VM persona).
    #[arg(long)]
    pub imds: bool,
    /// The host's network namespace (`readlink /proc/self/ns/net`); this one must differ.
    #[arg(long)]
    pub host_netns: String,
    /// The host's mount namespace (`readlink /proc/self/ns/mnt`); this one must differ.
    #[arg(long)]
    pub host_mntns: String,
    /// The combined CA bundle, bind-mounted over each --trust file.
    #[arg(long)]
    pub bundle: PathBuf,
    /// A file clients read their roots from (the system bundle, certifi's).
    #[arg(long = "trust")]
    pub trust: Vec<PathBuf>,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}

/// Whether this process may create a network namespace: `unshare --net -- true`. The message says
/// why not (not root, no `unshare`, no kernel support).
pub fn ensure_namespaces_possible() -> Result<(), String> {
    let output = std::process::Command::new("unshare")
        .args(["--net", "--mount", "--", "true"])
        .output();
    let why = match output {
        Ok(output) if output.status.success() => return Ok(()),
        Ok(output) => String::from_utf8_lossy(&output.stderr).trim().to_string(),
        Err(error) => format!("cannot run 'unshare' (util-linux): {error}"),
    };
    Err(format!(
        "mimic: cannot create a network namespace ({why}).\n\
         --netns needs root (or CAP_SYS_ADMIN) and the 'unshare' and 'ip' commands. mimic never runs \
         the command on the host network instead; without --netns, `mimic vm exec` reaches the VM's \
         IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST."
    ))
}

/// A host/port of a loopback URL from endpoints.json.
fn loopback_target(url: &str, what: &str) -> anyhow::Result<(String, u16)> {
    let parsed =
        reqwest::Url::parse(url).with_context(|| format!("parsing the {what} URL {url}"))?;
    let host = parsed.host_str().unwrap_or_default().to_string();
    let port = parsed
        .port_or_known_default()
        .with_context(|| format!("the {what} URL {url} has no port"))?;
    if !matches!(host.as_str(), "127.0.0.1" | "localhost") {
        anyhow::bail!("--netns needs {what} on 127.0.0.1 (it is at {url})");
    }
    Ok(("127.0.0.1".to_string(), port))
}

/// Removes the private socket directory when the exec ends.
struct SocketDir(PathBuf);

impl SocketDir {
    fn create() -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!("mimic-sandbox-{}", uuid::Uuid::new_v4()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        Ok(Self(path))
    }

    fn listen(&self, name: &str, target: (String, u16)) -> anyhow::Result<()> {
        let path = self.0.join(name);
        let listener = UnixListener::bind(&path)
            .with_context(|| format!("listening on {}", path.display()))?;
        tokio::spawn(process::relay_unix_to_tcp(
            listener,
            format!("{}:{}", target.0, target.1),
        ));
        Ok(())
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `command_line` as `persona` in a new sandbox, from the host network; its exit code.
pub async fn exec(
    dir: &Path,
    persona: Persona<'_>,
    endpoints: &Endpoints,
    command_line: &[String],
) -> anyhow::Result<ExitCode> {
    let arm = loopback_target(&endpoints.arm, "ARM")?;
    let aad = loopback_target(&endpoints.aad, "AAD")?;
    let imds = match &persona {
        Persona::Vm(vm) => Some(loopback_target(&vm.imds, "the VM's IMDS")?),
        Persona::Workload { .. } | Persona::Operator { .. } => None,
    };
    let config_dir = persona.config_dir(dir)?;
    std::fs::create_dir_all(&config_dir)
        .with_context(|| format!("creating {}", config_dir.display()))?;
    let bundle = sandbox_bundle(endpoints);
    let trust_targets = trust::targets();
    let (vault_source, vault_names) = vault_names(dir, endpoints).await;
    // Before the socket directory exists: from then on a SIGTERM must not end mimic on the spot.
    let mut signals = Signals::install()?;
    let sockets = SocketDir::create()?;
    if let Some(imds) = imds.clone() {
        sockets.listen("imds.sock", imds)?;
    }
    sockets.listen("arm.sock", arm.clone())?;
    sockets.listen("aad.sock", aad.clone())?;
    let original = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let hosts = vaults::HostsFile::new(sockets.0.join(HOSTS_FILE), original);
    hosts.write(&vault_names)?;
    let poller =
        vault_source.map(|source| vaults::Poller::start(source, hosts, vault_names.clone()));
    let mut command = tokio::process::Command::new("unshare");
    command
        .args(["--net", "--mount", "--propagation", "private", "--"])
        .arg(std::env::current_exe().context("locating the mimic binary")?)
        .arg("netns-run")
        .arg("--sockets")
        .arg(&sockets.0)
        .args(["--arm-port", &arm.1.to_string()])
        .args(["--aad-port", &aad.1.to_string()])
        .args(["--host-netns", &namespace_of("net")?])
        .args(["--host-mntns", &namespace_of("mnt")?])
        .arg("--bundle")
        .arg(&bundle);
    if imds.is_some() {
        command.arg("--imds");
    }
    for target in &trust_targets {
        command.arg("--trust").arg(target);
    }
    command.arg("--").args(command_line);
    for variable in persona.removed_variables() {
        command.env_remove(variable);
    }
    command.envs(environment(endpoints, &config_dir, &bundle));
    match &persona {
        Persona::Vm(vm) => command.env("MIMIC_VM", &vm.name),
        Persona::Workload { environment } | Persona::Operator { environment } => {
            command.envs(environment.iter().cloned())
        }
    };
    let status = wait_forwarding_signals(&mut command, "unshare", &mut signals).await;
    if let Some(poller) = poller {
        poller.stop().await;
    }
    // `sockets` is dropped on the way out, whatever ended the child.
    Ok(exit_code(status?))
}

/// Where the vault names come from and the names now. Without them (no internal key, ARM not
/// answering) the sandbox still runs, without `{vault}.vault.azure.net`, and says so.
async fn vault_names(
    dir: &Path,
    endpoints: &Endpoints,
) -> (Option<vaults::VaultSource>, Vec<String>) {
    let source = vaults::VaultSource::new(dir, endpoints);
    let fetched = match &source {
        Ok(source) => source.fetch().await,
        Err(error) => Err(anyhow::anyhow!("{error:#}")),
    };
    match fetched {
        Ok(names) => (source.ok(), names),
        Err(error) => {
            eprintln!(
                "mimic: key vault names will not resolve in the sandbox: cannot list them: {error:#}"
            );
            (None, Vec::new())
        }
    }
}

/// The bundle the sandbox trusts: the data dir's combined bundle, or mimic's CA alone when there is
/// none (inside, nothing else is reachable anyway).
fn sandbox_bundle(endpoints: &Endpoints) -> PathBuf {
    let ca = PathBuf::from(&endpoints.ca_cert);
    ca.parent()
        .map(|dir| dir.join(crate::trust::BUNDLE_FILE))
        .filter(|bundle| bundle.is_file())
        .unwrap_or(ca)
}

/// The variables every sandboxed command gets: the CA variables, its az config dir, az's
/// telemetry off (nothing could carry it out).
fn environment(endpoints: &Endpoints, config_dir: &Path, bundle: &Path) -> Vec<(String, String)> {
    let bundle = bundle.display().to_string();
    vec![
        ("SSL_CERT_FILE".into(), bundle.clone()),
        ("REQUESTS_CA_BUNDLE".into(), bundle.clone()),
        ("CURL_CA_BUNDLE".into(), bundle),
        ("NODE_EXTRA_CA_CERTS".into(), endpoints.ca_cert.clone()),
        ("AZURE_CONFIG_DIR".into(), config_dir.display().to_string()),
        ("AZURE_CORE_COLLECT_TELEMETRY".into(), "false".into()),
        ("AZURE_CORE_SURVEY_MESSAGE".into(), "false".into()),
    ]
}

/// `readlink /proc/self/ns/{kind}`, e.g. `net:[4026531840]`.
fn namespace_of(kind: &str) -> anyhow::Result<String> {
    let path = format!("/proc/self/ns/{kind}");
    Ok(std::fs::read_link(&path)
        .with_context(|| format!("reading {path}"))?
        .display()
        .to_string())
}

/// The hidden `mimic netns-run`: checks and sets up the namespaces, then runs CMD.
pub async fn run_inside(args: NetnsRunArgs) -> anyhow::Result<ExitCode> {
    let mut signals = Signals::install()?;
    let mounted_hosts = match prepare(&args).await {
        Ok(mounted_hosts) => mounted_hosts,
        Err(problems) => {
            eprintln!("mimic: refusing to run the command: this namespace is not safe:");
            for problem in problems {
                eprintln!("  - {problem}");
            }
            return Ok(ExitCode::from(NAMESPACE_FAILURE));
        }
    };
    let mut listeners: Vec<(String, PathBuf)> = Vec::new();
    if args.imds {
        let imds = args.sockets.join("imds.sock");
        listeners.push((format!("{LINK_LOCAL}:80"), imds.clone()));
        listeners.push((format!("127.0.0.1:{EXTENSION_PORT}"), imds));
    }
    listeners.push((
        format!("127.0.0.1:{}", args.arm_port),
        args.sockets.join("arm.sock"),
    ));
    listeners.push((
        format!("127.0.0.1:{}", args.aad_port),
        args.sockets.join("aad.sock"),
    ));
    for binding in names::bindings() {
        listeners.push((
            format!("{}:{}", binding.ip, names::HTTPS_PORT),
            args.sockets.join(binding.service.socket()),
        ));
    }
    for (address, socket) in listeners {
        let listener = match TcpListener::bind(&address).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!("mimic: cannot listen on {address} inside the namespace: {error}");
                return Ok(ExitCode::from(NAMESPACE_FAILURE));
            }
        };
        tokio::spawn(relay_tcp_to_unix(listener, socket));
    }
    tokio::spawn(vaults::follow_hosts_file(
        args.sockets.join(HOSTS_FILE),
        mounted_hosts,
    ));
    let (program, rest) = args
        .command
        .split_first()
        .context("mimic needs a command after --")?;
    let mut command = tokio::process::Command::new(program);
    command.args(rest);
    match wait_forwarding_signals(&mut command, program, &mut signals).await {
        Ok(status) => Ok(exit_code(status)),
        Err(error) => {
            eprintln!("mimic: {error:#}");
            Ok(ExitCode::from(127))
        }
    }
}

/// Refuses the host's namespaces or a network with a way out; then sets up the network (lo up,
/// the link-local address for a VM) and checks it again; then the files (hosts, trust) and how the
/// names resolve. The hosts file's contents as read just before it was mounted (the mount shows
/// those or newer ones, [`vaults::follow_hosts_file`]).
async fn prepare(args: &NetnsRunArgs) -> Result<String, Vec<String>> {
    let own = namespace_of("net").map_err(|error| vec![format!("{error:#}")])?;
    if own == args.host_netns {
        return Err(vec![format!(
            "this is the host's network namespace ({own}), not a new one"
        )]);
    }
    let problems = check_loopback_only(&ip(&["-o", "link"]).await?, &routes().await?);
    if !problems.is_empty() {
        return Err(problems);
    }
    let own = namespace_of("mnt").map_err(|error| vec![format!("{error:#}")])?;
    if own == args.host_mntns {
        return Err(vec![format!(
            "this is the host's mount namespace ({own}), not a new one: its files stay untouched"
        )]);
    }
    ip(&["link", "set", "lo", "up"]).await?;
    let problems = match args.imds {
        true => {
            ip(&["addr", "add", &format!("{LINK_LOCAL}/32"), "dev", "lo"]).await?;
            check_ready(&NamespaceState {
                links: ip(&["-o", "link"]).await?,
                addrs: ip(&["-o", "addr"]).await?,
                routes: routes().await?,
                route_to_link_local: ip(&["route", "get", LINK_LOCAL]).await?,
            })
        }
        false => check_loopback_only(&ip(&["-o", "link"]).await?, &routes().await?),
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    mount(&["--make-rprivate", "/"]).await?;
    let hosts = args.sockets.join(HOSTS_FILE);
    let hosts_text = std::fs::read_to_string(&hosts)
        .map_err(|error| vec![format!("cannot read {}: {error}", hosts.display())])?;
    mount(&["--bind", &hosts.display().to_string(), "/etc/hosts"]).await?;
    for target in &args.trust {
        let (bundle, target) = (
            args.bundle.display().to_string(),
            target.display().to_string(),
        );
        mount(&["--bind", &bundle, &target]).await?;
    }
    let problems = names::check_resolution(&names::bindings()).await;
    match problems.is_empty() {
        true => Ok(hosts_text),
        false => Err(problems),
    }
}

/// Runs `mount ARGS…` (the crate forbids `unsafe`, which mount(2) through libc would need).
pub(super) async fn mount(args: &[&str]) -> Result<(), Vec<String>> {
    let output = tokio::process::Command::new("mount")
        .args(args)
        .output()
        .await
        .map_err(|error| vec![format!("cannot run 'mount' (util-linux): {error}")])?;
    if !output.status.success() {
        return Err(vec![format!(
            "'mount {}' failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )]);
    }
    Ok(())
}

async fn routes() -> Result<String, Vec<String>> {
    let v4 = ip(&["route", "show", "table", "all"]).await?;
    let v6 = ip(&["-6", "route", "show", "table", "all"]).await?;
    Ok(format!("{v4}\n{v6}"))
}

/// Runs `ip ARGS…`; its stdout, or why it failed.
async fn ip(args: &[&str]) -> Result<String, Vec<String>> {
    let output = tokio::process::Command::new("ip")
        .args(args)
        .output()
        .await
        .map_err(|error| vec![format!("cannot run 'ip' (iproute2): {error}")])?;
    if !output.status.success() {
        return Err(vec![format!(
            "'ip {}' failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )]);
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
