//! `mimic vm exec NAME --netns -- CMD…` and `mimic vm shell NAME`: CMD runs in a fresh network
//! namespace that has only loopback, where `169.254.169.254:80` and `127.0.0.1:50342` serve that
//! VM's IMDS, and mimic's ARM and AAD answer at their usual `127.0.0.1` ports. Clients inside need no
//! configuration at all: they call the real link-local address, exactly as on an Azure VM.
//!
//! How: network namespaces isolate TCP but not the filesystem. The outer process (host network)
//! listens on unix sockets in a private 0700 directory (`imds.sock`, `arm.sock`, `aad.sock`) and
//! relays each connection to the VM's IMDS, ARM and AAD. It then starts `unshare --net -- mimic
//! netns-run …` (hidden). Inside the new namespace, that process refuses to go on unless the
//! namespace is not the host's and has no link but `lo` and no route off loopback; it brings `lo` up,
//! binds 169.254.169.254/32 on it, checks again (only `lo`, every route on `lo` without a gateway,
//! no default route, 169.254.169.254 local on `lo`), listens on the four TCP addresses, relays each
//! connection to its unix socket, and only then runs CMD. If the namespace cannot be made, mimic
//! says so and exits 125; it never falls back to the host network.
//!
//! Both processes pass SIGTERM (and SIGINT, when the terminal did not already deliver it) on to
//! their child and wait for it, so a `mimic vm exec --netns` that is told to stop ends CMD and
//! still removes its socket directory.

use std::os::unix::fs::DirBuilderExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::endpoints::{Endpoints, VmEndpoint};
use crate::persona::OTHER_IDENTITY_VARIABLES;

/// IMDS's link-local address, bound on the namespace's own loopback.
pub const LINK_LOCAL: &str = "169.254.169.254";
/// The deprecated VM-extension endpoint's port (`http://localhost:50342/oauth2/token`).
pub const EXTENSION_PORT: u16 = 50342;
/// The exit code when the namespace cannot be made or fails its checks (CMD never ran).
pub const NAMESPACE_FAILURE: u8 = 125;

/// The hidden `mimic netns-run` subcommand, run by `unshare --net` inside the new namespace.
#[derive(Debug, clap::Args)]
pub struct NetnsRunArgs {
    /// The directory with `imds.sock`, `arm.sock` and `aad.sock`.
    #[arg(long)]
    pub sockets: PathBuf,
    /// The port ARM listens on (served inside at 127.0.0.1 with this port).
    #[arg(long)]
    pub arm_port: u16,
    /// The port AAD listens on (served inside at 127.0.0.1 with this port).
    #[arg(long)]
    pub aad_port: u16,
    /// The host's network namespace (`readlink /proc/self/ns/net`); this one must differ.
    #[arg(long)]
    pub host_netns: String,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}

/// What `ip` reports about a namespace; the input of [`check_ready`].
#[derive(Debug, Clone, Default)]
pub struct NamespaceState {
    /// `ip -o link`.
    pub links: String,
    /// `ip -o addr`.
    pub addrs: String,
    /// `ip route show table all` followed by `ip -6 route show table all`.
    pub routes: String,
    /// `ip route get 169.254.169.254`.
    pub route_to_link_local: String,
}

/// The problems that make a namespace unsafe before anything is changed in it: a link other than
/// `lo`, or a route that is not on `lo` or goes through a gateway. Empty when it is loopback-only.
pub fn check_loopback_only(links: &str, routes: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for name in link_names(links) {
        if name != "lo" {
            problems.push(format!(
                "the namespace has a network link '{name}' (only 'lo' is allowed)"
            ));
        }
    }
    for route in routes
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
    {
        let words: Vec<&str> = route.split_whitespace().collect();
        let device = words
            .windows(2)
            .find(|pair| pair[0] == "dev")
            .map(|pair| pair[1]);
        let off_loopback = words.first() == Some(&"default")
            || words.iter().any(|word| matches!(*word, "via" | "nexthop"))
            || device != Some("lo");
        if off_loopback {
            problems.push(format!("the namespace has a route off loopback: '{route}'"));
        }
    }
    problems
}

/// The problems that stop CMD from running once the namespace is set up: everything
/// [`check_loopback_only`] refuses, plus 169.254.169.254 not bound on `lo` or not routed locally.
/// Empty when the namespace is safe to use.
pub fn check_ready(state: &NamespaceState) -> Vec<String> {
    let mut problems = check_loopback_only(&state.links, &state.routes);
    let bound_on_lo = state.addrs.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words.len() >= 4
            && words[1] == "lo"
            && words[2] == "inet"
            && words[3] == format!("{LINK_LOCAL}/32")
    });
    if !bound_on_lo {
        problems.push(format!(
            "{LINK_LOCAL}/32 is not bound on the namespace's loopback"
        ));
    }
    let local_route = format!("local {LINK_LOCAL} dev lo ");
    let routed_locally = state
        .route_to_link_local
        .lines()
        .next()
        .is_some_and(|line| format!("{} ", line.trim_end()).starts_with(&local_route));
    if !routed_locally {
        problems.push(format!(
            "{LINK_LOCAL} is not routed to the namespace's loopback: '{}'",
            state.route_to_link_local.trim()
        ));
    }
    problems
}

/// The interface names of `ip -o link` (`eth0@if5` → `eth0`).
fn link_names(links: &str) -> Vec<&str> {
    links
        .lines()
        .filter_map(|line| line.split(':').nth(1))
        .map(|name| name.trim().split('@').next().unwrap_or_default())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Whether this process may create a network namespace: `unshare --net -- true`. The message says
/// why not (not root, no `unshare`, no kernel support).
pub fn ensure_namespaces_possible() -> Result<(), String> {
    let output = std::process::Command::new("unshare")
        .args(["--net", "--", "true"])
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
        let path = std::env::temp_dir().join(format!("mimic-netns-{}", uuid::Uuid::new_v4()));
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
        tokio::spawn(relay_unix_to_tcp(
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

/// `mimic vm exec NAME --netns -- CMD…` (and `mimic vm shell NAME`), in the host network.
pub async fn exec(
    dir: &Path,
    vm: &VmEndpoint,
    endpoints: &Endpoints,
    command_line: &[String],
) -> anyhow::Result<ExitCode> {
    let arm = loopback_target(&endpoints.arm, "ARM")?;
    let aad = loopback_target(&endpoints.aad, "AAD")?;
    let imds = loopback_target(&vm.imds, "the VM's IMDS")?;
    let config_dir = crate::az::prepare_vm_config_dir(dir, &vm.name, endpoints)?;
    // Before the socket directory exists: from then on a SIGTERM must not end mimic on the spot.
    let mut signals = Signals::install()?;
    let sockets = SocketDir::create()?;
    sockets.listen("imds.sock", imds)?;
    sockets.listen("arm.sock", arm.clone())?;
    sockets.listen("aad.sock", aad.clone())?;
    let host_netns = std::fs::read_link("/proc/self/ns/net")
        .context("reading /proc/self/ns/net")?
        .display()
        .to_string();
    let exe = std::env::current_exe().context("locating the mimic binary")?;
    let mut command = tokio::process::Command::new("unshare");
    command
        .arg("--net")
        .arg("--")
        .arg(exe)
        .arg("netns-run")
        .arg("--sockets")
        .arg(&sockets.0)
        .args([
            "--arm-port",
            &arm.1.to_string(),
            "--aad-port",
            &aad.1.to_string(),
        ])
        .args(["--host-netns", &host_netns, "--"])
        .args(command_line)
        .envs(crate::az::client_environment(endpoints, &config_dir))
        .env("MIMIC_VM", &vm.name);
    remove_identity_variables(&mut command);
    let status = wait_forwarding_signals(&mut command, "unshare", &mut signals).await?;
    // `sockets` is dropped on the way out, whatever ended the child.
    Ok(exit_code(status))
}

/// The hidden `mimic netns-run`: checks and sets up the namespace, then runs CMD.
pub async fn run_inside(args: NetnsRunArgs) -> anyhow::Result<ExitCode> {
    let mut signals = Signals::install()?;
    if let Err(problems) = prepare_namespace(&args.host_netns).await {
        eprintln!("mimic: refusing to run the command: this network namespace is not safe:");
        for problem in problems {
            eprintln!("  - {problem}");
        }
        return Ok(ExitCode::from(NAMESPACE_FAILURE));
    }
    let imds = args.sockets.join("imds.sock");
    let listeners = [
        (format!("{LINK_LOCAL}:80"), imds.clone()),
        (format!("127.0.0.1:{EXTENSION_PORT}"), imds),
        (
            format!("127.0.0.1:{}", args.arm_port),
            args.sockets.join("arm.sock"),
        ),
        (
            format!("127.0.0.1:{}", args.aad_port),
            args.sockets.join("aad.sock"),
        ),
    ];
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
    let (program, rest) = args
        .command
        .split_first()
        .context("mimic vm exec needs a command after --")?;
    let mut command = tokio::process::Command::new(program);
    command.args(rest);
    remove_identity_variables(&mut command);
    match wait_forwarding_signals(&mut command, program, &mut signals).await {
        Ok(status) => Ok(exit_code(status)),
        Err(error) => {
            eprintln!("mimic: {error:#}");
            Ok(ExitCode::from(127))
        }
    }
}

/// Refuses the host's namespace or one with a way out, then binds the link-local address on `lo`
/// and checks the result.
async fn prepare_namespace(host_netns: &str) -> Result<(), Vec<String>> {
    let own = std::fs::read_link("/proc/self/ns/net")
        .map(|link| link.display().to_string())
        .map_err(|error| vec![format!("cannot read /proc/self/ns/net: {error}")])?;
    if own == host_netns {
        return Err(vec![format!(
            "this is the host's network namespace ({own}), not a new one"
        )]);
    }
    let problems = check_loopback_only(&ip(&["-o", "link"]).await?, &routes().await?);
    if !problems.is_empty() {
        return Err(problems);
    }
    ip(&["link", "set", "lo", "up"]).await?;
    ip(&["addr", "add", &format!("{LINK_LOCAL}/32"), "dev", "lo"]).await?;
    let state = NamespaceState {
        links: ip(&["-o", "link"]).await?,
        addrs: ip(&["-o", "addr"]).await?,
        routes: routes().await?,
        route_to_link_local: ip(&["route", "get", LINK_LOCAL]).await?,
    };
    let problems = check_ready(&state);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
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

/// Drops the variables that would steer clients away from the link-local address.
fn remove_identity_variables(command: &mut tokio::process::Command) {
    command.env_remove("AZURE_POD_IDENTITY_AUTHORITY_HOST");
    for variable in OTHER_IDENTITY_VARIABLES {
        command.env_remove(variable);
    }
}

/// SIGTERM and SIGINT, caught: once installed they no longer end this process, and a signal that
/// arrives before the child exists is kept for it.
struct Signals {
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("catching SIGTERM")?,
            interrupt: signal(SignalKind::interrupt()).context("catching SIGINT")?,
        })
    }
}

/// Runs a child and waits for it, passing SIGTERM on to it. SIGINT is passed on only when this
/// process is not in its terminal's foreground process group: at Ctrl-C the terminal sends SIGINT
/// to the whole group, child included, and a second one could cut short the child's own cleanup.
/// Either way this process stays (relaying) until the child ends.
async fn wait_forwarding_signals(
    command: &mut tokio::process::Command,
    program: &str,
    signals: &mut Signals,
) -> anyhow::Result<std::process::ExitStatus> {
    let mut child = command
        .spawn()
        .with_context(|| format!("running {program}"))?;
    loop {
        tokio::select! {
            status = child.wait() => return status.with_context(|| format!("waiting for {program}")),
            Some(()) = signals.terminate.recv() => forward(&child, "TERM").await,
            Some(()) = signals.interrupt.recv() => {
                if !in_terminal_foreground() {
                    forward(&child, "INT").await;
                }
            }
        }
    }
}

/// Sends signal `name` to `child` (with kill(1): the crate forbids `unsafe`, which libc's would need).
async fn forward(child: &tokio::process::Child, name: &str) {
    let Some(pid) = child.id() else { return };
    let sent = tokio::process::Command::new("kill")
        .args(["-s", name, &pid.to_string()])
        .status()
        .await;
    if !sent.is_ok_and(|status| status.success()) {
        eprintln!("mimic: could not pass SIG{name} on to process {pid}");
    }
}

/// Whether this process is in the foreground process group of its controlling terminal
/// (`/proc/self/stat`: pgrp, field 5, equals tpgid, field 8). False without a terminal.
fn in_terminal_foreground() -> bool {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    in_foreground_by_stat(&stat)
}

fn in_foreground_by_stat(stat: &str) -> bool {
    // The command name (field 2) is in parentheses and may hold spaces and ')'.
    let Some((_, fields)) = stat.rsplit_once(')') else {
        return false;
    };
    let fields: Vec<&str> = fields.split_whitespace().collect();
    match (fields.get(2), fields.get(5)) {
        (Some(pgrp), Some(tpgid)) => pgrp == tpgid,
        _ => false,
    }
}

async fn relay_unix_to_tcp(listener: UnixListener, target: String) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let target = target.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = TcpStream::connect(&target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

async fn relay_tcp_to_unix(listener: TcpListener, socket: PathBuf) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let socket = socket.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = UnixStream::connect(&socket).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

/// A child's status as this process's exit code (a signal `n` → `128 + n`, as shells report it).
fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    let code = status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1);
    ExitCode::from(code.clamp(0, 255) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_foreground_by_stat_compares_the_process_group_with_the_terminals() {
        let cases = [
            ("4242 (mimic) S 1 4242 4242 34816 4242 4194560 0", true),
            ("4242 (mimic) S 1 4242 4242 34816 4300 4194560 0", false),
            ("4242 (mimic) S 1 4242 4242 0 -1 4194560 0", false),
            ("4242 (a) b) S 1 7 7 34816 7 0", true),
            ("garbage", false),
        ];
        for (stat, want) in cases {
            assert_eq!(in_foreground_by_stat(stat), want, "{stat}");
        }
    }
}
