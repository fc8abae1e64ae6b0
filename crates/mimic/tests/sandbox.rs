//! The sandbox (`mimic vm exec NAME --netns`): the namespace checks (pure, table-driven), the refusals (each in a
//! throwaway namespace, so nothing on the host changes), and the link-local address end to end
//! against a real `mimic up`. Network safety: traffic to 169.254.169.254 only ever comes from curl
//! inside a namespace mimic made; everything else goes to 127.0.0.1.
//!
//! The namespace tests need root (CAP_SYS_ADMIN), `unshare`, `ip`, `curl` and `setpriv`; without
//! root they print why and return.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use mimic::sandbox::{check_loopback_only, check_ready, NamespaceState, NAMESPACE_FAILURE};
use serde_json::{json, Value};

const LO_LINK: &str = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n";
const ETH0_LINK: &str = "2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n";
const GOOD_ADDRS: &str =
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n\
1: lo    inet 169.254.169.254/32 scope global lo\\       valid_lft forever preferred_lft forever\n\
1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever\n";
const GOOD_ROUTES: &str =
    "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 \n\
local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 \n\
broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1 \n\
local 169.254.169.254 dev lo table local proto kernel scope host src 169.254.169.254 \n\
local ::1 dev lo table local proto kernel metric 0 pref medium\n";
const GOOD_ROUTE_GET: &str =
    "local 169.254.169.254 dev lo src 169.254.169.254 uid 0 \n    cache <local> \n";

fn good() -> NamespaceState {
    NamespaceState {
        links: LO_LINK.into(),
        addrs: GOOD_ADDRS.into(),
        routes: GOOD_ROUTES.into(),
        route_to_link_local: GOOD_ROUTE_GET.into(),
    }
}

#[test]
fn check_ready_namespace_cases_accept_only_the_loopback_only_namespace() {
    let cases: Vec<(&str, NamespaceState, Option<&str>)> = vec![
        ("the good case", good(), None),
        (
            "a default route",
            NamespaceState {
                routes: format!("default via 192.0.2.1 dev eth0 \n{GOOD_ROUTES}"),
                ..good()
            },
            Some("route off loopback: 'default via 192.0.2.1 dev eth0'"),
        ),
        (
            "a default route on lo",
            NamespaceState {
                routes: format!("default dev lo scope link \n{GOOD_ROUTES}"),
                ..good()
            },
            Some("route off loopback: 'default dev lo scope link'"),
        ),
        (
            "a route through a gateway",
            NamespaceState {
                routes: format!("10.0.0.0/8 via 127.0.0.2 dev lo\n{GOOD_ROUTES}"),
                ..good()
            },
            Some("route off loopback: '10.0.0.0/8 via 127.0.0.2 dev lo'"),
        ),
        (
            "a subnet on eth0",
            NamespaceState {
                routes: format!(
                    "192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2\n{GOOD_ROUTES}"
                ),
                ..good()
            },
            Some("route off loopback: '192.0.2.0/24 dev eth0"),
        ),
        (
            "an IPv6 default route",
            NamespaceState {
                routes: format!("{GOOD_ROUTES}default via fe80::1 dev eth0 metric 1024\n"),
                ..good()
            },
            Some("route off loopback: 'default via fe80::1"),
        ),
        (
            "an eth0 link",
            NamespaceState {
                links: format!("{LO_LINK}{ETH0_LINK}"),
                ..good()
            },
            Some("network link 'eth0'"),
        ),
        (
            "169.254.169.254 missing on lo",
            NamespaceState {
                addrs: GOOD_ADDRS
                    .lines()
                    .filter(|l| !l.contains("169.254"))
                    .collect(),
                ..good()
            },
            Some("169.254.169.254/32 is not bound on the namespace's loopback"),
        ),
        (
            "169.254.169.254 on another device",
            NamespaceState {
                addrs: "2: eth0    inet 169.254.169.254/32 scope global eth0\n".into(),
                ..good()
            },
            Some("169.254.169.254/32 is not bound on the namespace's loopback"),
        ),
        (
            "169.254.169.254 routed elsewhere",
            NamespaceState {
                route_to_link_local: "169.254.169.254 via 192.0.2.1 dev eth0 src 192.0.2.2\n"
                    .into(),
                ..good()
            },
            Some("169.254.169.254 is not routed to the namespace's loopback"),
        ),
        (
            "the route lookup failed",
            NamespaceState {
                route_to_link_local: String::new(),
                ..good()
            },
            Some("169.254.169.254 is not routed to the namespace's loopback"),
        ),
    ];
    for (name, state, expected) in cases {
        let problems = check_ready(&state);
        match expected {
            None => assert!(problems.is_empty(), "{name}: {problems:?}"),
            Some(needle) => assert!(
                problems.iter().any(|problem| problem.contains(needle)),
                "{name}: expected a problem containing {needle:?}, got {problems:?}"
            ),
        }
    }
}

#[test]
fn check_loopback_only_fresh_namespace_accepts_and_host_refuses() {
    // A fresh namespace before `lo` is up: only lo, no routes at all.
    let fresh_links = "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n";
    assert!(check_loopback_only(fresh_links, "\n").is_empty());
    let host = check_loopback_only(
        &format!("{LO_LINK}{ETH0_LINK}"),
        &format!("default via 192.0.2.1 dev eth0 \n{GOOD_ROUTES}"),
    );
    assert_eq!(host.len(), 2, "{host:?}");
}

// --- the real thing (root) ------------------------------------------------------------------------

fn mimic_bin() -> &'static str {
    env!("CARGO_BIN_EXE_mimic")
}

/// Whether this process may make network namespaces; says why not otherwise.
fn namespaces_available() -> bool {
    let ok = Command::new("unshare")
        .args(["--net", "--", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !ok {
        eprintln!("skipping: cannot create network namespaces here (needs root and unshare)");
    }
    ok
}

/// A directory anyone may write to, for a marker file CMD would create.
fn marker_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    Command::new("chmod")
        .arg("0777")
        .arg(dir.path())
        .status()
        .unwrap();
    let marker = dir.path().join("cmd-ran");
    (dir, marker)
}

/// Runs `bash -c SCRIPT` in a throwaway namespace with `$0` = the mimic binary and `$1` = the marker.
fn in_throwaway_namespace(script: &str, marker: &Path) -> Output {
    Command::new("unshare")
        .args(["--net", "--", "bash", "-c", script, mimic_bin()])
        .arg(marker)
        .output()
        .unwrap()
}

fn assert_refused(output: &Output, marker: &Path, reason: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(NAMESPACE_FAILURE.into()),
        "{stderr}"
    );
    assert!(stderr.contains(reason), "{stderr}");
    assert!(!marker.exists(), "the command ran");
}

const NETNS_RUN: &str = r#""$0" netns-run --sockets /nonexistent --arm-port 1 --aad-port 2 --imds --host-netns "$HOST" --host-mntns "${MNT:-other}" --bundle /nonexistent --trust /nonexistent -- touch "$1""#;

#[test]
fn netns_run_in_the_callers_namespace_refuses_and_never_runs_the_command() {
    if !namespaces_available() {
        return;
    }
    let (_dir, marker) = marker_dir();
    let script = format!(r#"HOST=$(readlink /proc/self/ns/net); exec {NETNS_RUN}"#);
    let output = in_throwaway_namespace(&script, &marker);
    assert_refused(&output, &marker, "this is the host's network namespace");
}

#[test]
fn netns_run_with_a_default_route_refuses_and_never_runs_the_command() {
    if !namespaces_available() {
        return;
    }
    let (_dir, marker) = marker_dir();
    let script = format!(
        r#"ip link set lo up && ip route add default dev lo && HOST=other && exec {NETNS_RUN}"#
    );
    let output = in_throwaway_namespace(&script, &marker);
    assert_refused(&output, &marker, "route off loopback: 'default dev lo");
}

#[test]
fn netns_run_with_another_link_refuses_and_never_runs_the_command() {
    if !namespaces_available() {
        return;
    }
    let (_dir, marker) = marker_dir();
    let script =
        format!(r#"ip link add v0 type veth peer name v1 && HOST=other && exec {NETNS_RUN}"#);
    let output = in_throwaway_namespace(&script, &marker);
    assert_refused(&output, &marker, "network link 'v");
}

#[test]
fn netns_run_in_the_callers_mount_namespace_refuses_and_never_runs_the_command() {
    if !namespaces_available() {
        return;
    }
    let (_dir, marker) = marker_dir();
    // A new, loopback-only network namespace, but the caller's files: nothing may be mounted.
    let hosts_before = std::fs::read_to_string("/etc/hosts").unwrap();
    let script = format!(r#"HOST=other && MNT=$(readlink /proc/self/ns/mnt) && exec {NETNS_RUN}"#);
    let output = in_throwaway_namespace(&script, &marker);
    assert_refused(&output, &marker, "this is the host's mount namespace");
    assert_eq!(std::fs::read_to_string("/etc/hosts").unwrap(), hosts_before);
}

#[test]
fn vm_exec_netns_without_privileges_fails_and_never_runs_the_command() {
    if !namespaces_available() || Command::new("setpriv").arg("--version").output().is_err() {
        return;
    }
    let (_dir, marker) = marker_dir();
    let output = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            mimic_bin(),
        ])
        .args([
            "--data-dir",
            "/nonexistent",
            "vm",
            "exec",
            "vm1",
            "--netns",
            "--",
            "touch",
        ])
        .arg(&marker)
        .output()
        .unwrap();
    assert_refused(&output, &marker, "mimic: cannot create a network namespace");
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("never runs the command on the host network"));
}

/// A running `mimic up` on a fresh data dir; SIGTERM on drop.
struct Mimic {
    child: Child,
    dir: tempfile::TempDir,
    endpoints: Value,
}

impl Mimic {
    fn start() -> Mimic {
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("mimic.log")).unwrap();
        let child = Command::new(mimic_bin())
            .arg("--data-dir")
            .arg(dir.path())
            .args([
                "up",
                "--arm-addr",
                "127.0.0.1:0",
                "--aad-addr",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let path = dir.path().join("endpoints.json");
        let endpoints = loop {
            if let Some(endpoints) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|text| serde_json::from_str(&text).ok())
            {
                break endpoints;
            }
            assert!(Instant::now() < deadline, "mimic up did not start");
            std::thread::sleep(Duration::from_millis(100));
        };
        Mimic {
            child,
            dir,
            endpoints,
        }
    }

    fn field(&self, name: &str) -> String {
        self.endpoints[name].as_str().unwrap().to_string()
    }

    fn client(&self) -> reqwest::Client {
        let ca = std::fs::read_to_string(self.field("ca_cert")).unwrap();
        mimic_web::https_client(&ca).unwrap()
    }

    /// `METHOD {arm}{path}` as the fixture operator (Owner); the reply must be a success.
    async fn arm(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let client = self.client();
        let operator = &self.endpoints["operator"];
        let token: Value = client
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                self.field("aad"),
                self.field("tenant_id")
            ))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", operator["client_id"].as_str().unwrap()),
                ("client_secret", operator["client_secret"].as_str().unwrap()),
                ("scope", "https://management.azure.com/.default"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut request = client
            .request(method, format!("{}{path}", self.field("arm")))
            .bearer_auth(token["access_token"].as_str().unwrap());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = request.send().await.unwrap();
        let status = reply.status();
        let text = reply.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Enables the system-assigned identity of a fixture VM; returns its ARM id.
    async fn enable_system_identity(&self, vm: &str) -> String {
        let id = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{vm}",
            self.field("subscription_id"),
            self.field("resource_group")
        );
        let body = json!({"identity": {"type": "SystemAssigned"}});
        let path = format!("{id}?api-version=2024-11-01");
        self.arm(reqwest::Method::PATCH, &path, Some(body)).await;
        id
    }

    /// The ARM path of key vault `name` in the fixture group, at az's api-version.
    fn vault_path(&self, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{name}?api-version=2026-02-01",
            self.field("subscription_id"),
            self.field("resource_group")
        )
    }

    async fn create_vault(&self, name: &str) {
        let body = json!({"location": "eastus", "properties": {
            "tenantId": self.field("tenant_id"), "sku": {"family": "A", "name": "standard"}}});
        let path = self.vault_path(name);
        self.arm(reqwest::Method::PUT, &path, Some(body)).await;
    }

    /// Deletes (soft-deletes) key vault `name`.
    async fn delete_vault(&self, name: &str) {
        let path = self.vault_path(name);
        self.arm(reqwest::Method::DELETE, &path, None).await;
    }

    /// `mimic vm exec VM --netns -- ARGS…`.
    fn exec_netns(&self, vm: &str, args: &[&str]) -> Output {
        Command::new(mimic_bin())
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(["vm", "exec", vm, "--netns", "--"])
            .args(args)
            .env_remove("AZURE_POD_IDENTITY_AUTHORITY_HOST")
            .output()
            .unwrap()
    }
}

impl Drop for Mimic {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{:?}\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn mirid(token_json: &str) -> String {
    let reply: Value = serde_json::from_str(token_json).unwrap();
    let payload = reply["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["xms_mirid"].as_str().unwrap().to_string()
}

/// Seed 004's line, for the system-assigned identity (no client_id).
const SEED_CURL: &str = "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F";

#[tokio::test]
async fn vm_exec_netns_link_local_address_serves_that_vms_identity() {
    if !namespaces_available() {
        return;
    }
    let mimic = Mimic::start();
    let vm1 = mimic.enable_system_identity("vm1").await;
    let vm2 = mimic.enable_system_identity("vm2").await;
    for (vm, id) in [("vm1", &vm1), ("vm2", &vm2)] {
        let reply =
            stdout(&mimic.exec_netns(vm, &["curl", "-s", "-H", "Metadata:true", SEED_CURL]));
        assert_eq!(&mirid(&reply), id, "{reply}");
    }
    // ARM stays reachable at its usual address; nothing but loopback exists in there.
    let arm = format!(
        "{}/metadata/endpoints?api-version=2022-09-01",
        mimic.field("arm")
    );
    let ca = mimic.field("ca_cert");
    let code = stdout(&mimic.exec_netns(
        "vm1",
        &[
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--cacert",
            &ca,
            &arm,
        ],
    ));
    assert_eq!(code, "200");
    let links = stdout(&mimic.exec_netns("vm1", &["ip", "-o", "link"]));
    assert_eq!(links.lines().count(), 1, "{links}");
    assert_eq!(
        stdout(&mimic.exec_netns("vm1", &["ip", "route", "show"])),
        ""
    );
    // No identity variable reaches the command, and the exit status is the command's.
    let env = stdout(&mimic.exec_netns("vm1", &["env"]));
    assert!(!env.contains("AZURE_POD_IDENTITY_AUTHORITY_HOST"), "{env}");
    let failed = mimic.exec_netns("vm1", &["sh", "-c", "exit 7"]);
    assert_eq!(failed.status.code(), Some(7));
    // `mimic vm shell` is the same, with $SHELL reading commands from stdin.
    let mut shell = Command::new(mimic_bin())
        .arg("--data-dir")
        .arg(mimic.dir.path())
        .args(["vm", "shell", "vm2"])
        .env("SHELL", "/bin/sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script =
        format!("echo \"vm=$MIMIC_VM\"\ncurl -s -H Metadata:true '{SEED_CURL}'; echo\nexit 3\n");
    std::io::Write::write_all(shell.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
    let output = shell.wait_with_output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{printed}");
    let mut lines = printed.lines();
    assert_eq!(lines.next(), Some("vm=vm2"));
    assert_eq!(mirid(lines.next().unwrap()), vm2);
}

/// The `mimic-sandbox-*` directories in `dir`.
fn socket_dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("mimic-sandbox-"))
        })
        .collect()
}

/// Starts `mimic vm exec vm1 --netns -- sh -c 'echo ready; exec sleep 30'` with its own TMPDIR
/// (where the socket directory goes) in its own process group (so it has no terminal in the
/// foreground, as under a service manager), sends `signal` once the command runs, and returns
/// how mimic ended and the socket directories left in its TMPDIR.
fn exec_netns_ended_by(mimic: &Mimic, signal: &str) -> (std::process::ExitStatus, Vec<PathBuf>) {
    use std::io::BufRead;
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    let mut exec = Command::new(mimic_bin())
        .arg("--data-dir")
        .arg(mimic.dir.path())
        .args(["vm", "exec", "vm1", "--netns", "--"])
        .args(["sh", "-c", "echo ready; exec sleep 30"])
        .env("TMPDIR", tmp.path())
        .env_remove("AZURE_POD_IDENTITY_AUTHORITY_HOST")
        .process_group(0)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(exec.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready");
    assert_eq!(
        socket_dirs(tmp.path()).len(),
        1,
        "no socket dir while running"
    );

    Command::new("kill")
        .args(["-s", signal, &exec.id().to_string()])
        .status()
        .unwrap();
    let status = exec.wait().unwrap();
    (status, socket_dirs(tmp.path()))
}

#[tokio::test]
async fn vm_exec_netns_ended_by_sigterm_or_sigint_ends_the_command_and_removes_its_socket_dir() {
    if !namespaces_available() {
        return;
    }
    let mimic = Mimic::start();
    mimic.enable_system_identity("vm1").await;

    for (signal, number) in [("TERM", 15), ("INT", 2)] {
        let (status, left) = exec_netns_ended_by(&mimic, signal);

        // The command's own end, passed through: it got the signal (not 0 after 30 s).
        assert_eq!(status.code(), Some(128 + number), "SIG{signal}: {status:?}");
        assert_eq!(left, Vec::<PathBuf>::new(), "SIG{signal}: left behind");
    }
}

/// Reads one line of the sandboxed command's output (blocking: mimic runs in its own process).
fn next_line(reader: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line.trim_end().to_string()
}

#[tokio::test]
async fn vm_exec_netns_vault_names_resolve_as_vaults_are_created_and_deleted_while_it_runs() {
    if !namespaces_available() {
        return;
    }
    let mimic = Mimic::start();
    mimic.create_vault("kv-before").await;
    // Resolved with getaddrinfo (getent ahostsv4), as clients resolve; `timeout` only ends a
    // command that would otherwise wait for ever, so that the test fails instead of hanging.
    let script = r#"
        resolve() { getent ahostsv4 "$1.vault.azure.net" | awk 'NR == 1 { print $1 }'; }
        echo "before=$(resolve kv-before)"
        until [ -n "$(resolve kv-after)" ]; do sleep 0.2; done
        echo "after=$(resolve kv-after)"
        curl -sS -o /dev/null -D - "https://kv-after.vault.azure.net/secrets/s1?api-version=7.5" \
            | tr -d '\r' | grep -i '^www-authenticate:'
        while [ -n "$(resolve kv-before)" ]; do sleep 0.2; done
        echo "deleted=$(resolve kv-before)"
        getent ahostsv4 management.azure.com | awk 'NR == 1 { print "management=" $1 }'
    "#;
    let mut exec = Command::new(mimic_bin())
        .arg("--data-dir")
        .arg(mimic.dir.path())
        .args([
            "vm", "exec", "vm1", "--netns", "--", "timeout", "120", "sh", "-c",
        ])
        .arg(script)
        .env_remove("AZURE_POD_IDENTITY_AUTHORITY_HOST")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = std::io::BufReader::new(exec.stdout.take().unwrap());

    // A vault that existed when the sandbox started resolves from the first lookup on.
    assert_eq!(next_line(&mut reader), "before=127.0.0.2");
    mimic.create_vault("kv-after").await;
    assert_eq!(next_line(&mut reader), "after=127.0.0.2");
    // ARM's listener answers the new name as Key Vault: its challenge, with Azure's authority.
    let header = next_line(&mut reader);
    let (name, challenge) = header.split_once(": ").unwrap_or_default();
    assert_eq!(name.to_ascii_lowercase(), "www-authenticate", "{header}");
    assert_eq!(
        challenge,
        format!(
            "Bearer authorization=\"https://login.microsoftonline.com/{}\", resource=\"https://vault.azure.net\"",
            mimic.field("tenant_id")
        )
    );
    mimic.delete_vault("kv-before").await;
    // A soft-deleted vault stops resolving; the fixed names stay.
    assert_eq!(next_line(&mut reader), "deleted=");
    assert_eq!(next_line(&mut reader), "management=127.0.0.2");
    assert!(exec.wait().unwrap().success());
}

#[tokio::test]
async fn operator_exec_has_the_operators_credentials_azures_names_and_nothing_pointing_elsewhere() {
    if !namespaces_available() {
        return;
    }
    let mimic = Mimic::start();
    // The operator signs in with `ARM_*` against login.microsoftonline.com and lists the groups at
    // management.azure.com — Azure's names, no CA option: the sandbox's trust alone. Variables set
    // outside that would send a client elsewhere are gone inside.
    let script = r#"
        for variable in ARM_CLIENT_ID ARM_TENANT_ID ARM_SUBSCRIPTION_ID AZURE_CLIENT_ID \
            AZURE_TENANT_ID AZURE_SUBSCRIPTION_ID IDENTITY_ENDPOINT ARM_USE_MSI \
            ARM_METADATA_HOSTNAME AZURE_FEDERATED_TOKEN_FILE; do
            eval "echo $variable=\${$variable-unset}"
        done
        [ "$ARM_CLIENT_SECRET" = "$AZURE_CLIENT_SECRET" ] && [ -n "$ARM_CLIENT_SECRET" ] && echo secret=set
        token=$(curl -sS --fail "https://login.microsoftonline.com/$ARM_TENANT_ID/oauth2/v2.0/token" \
            -d grant_type=client_credentials -d "client_id=$ARM_CLIENT_ID" \
            --data-urlencode "client_secret=$ARM_CLIENT_SECRET" \
            --data-urlencode "scope=https://management.azure.com/.default" \
            | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
        curl -sS --fail -H "Authorization: Bearer $token" \
            "https://management.azure.com/subscriptions/$ARM_SUBSCRIPTION_ID/resourcegroups?api-version=2021-04-01"
    "#;
    let output = Command::new(mimic_bin())
        .arg("--data-dir")
        .arg(mimic.dir.path())
        .args(["exec", "--", "timeout", "120", "sh", "-c", script])
        .env("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi")
        .env("ARM_USE_MSI", "true")
        .env("ARM_METADATA_HOSTNAME", "127.0.0.1:9")
        .env("AZURE_FEDERATED_TOKEN_FILE", "/nonexistent")
        // Without az the sign-in step has nothing to do; this test is about the sandbox itself.
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .unwrap();
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let operator = mimic.endpoints["operator"]["client_id"].as_str().unwrap();
    let (tenant, subscription) = (mimic.field("tenant_id"), mimic.field("subscription_id"));
    let expected = [
        format!("ARM_CLIENT_ID={operator}"),
        format!("ARM_TENANT_ID={tenant}"),
        format!("ARM_SUBSCRIPTION_ID={subscription}"),
        format!("AZURE_CLIENT_ID={operator}"),
        format!("AZURE_TENANT_ID={tenant}"),
        format!("AZURE_SUBSCRIPTION_ID={subscription}"),
        "IDENTITY_ENDPOINT=unset".to_string(),
        "ARM_USE_MSI=unset".to_string(),
        "ARM_METADATA_HOSTNAME=unset".to_string(),
        "AZURE_FEDERATED_TOKEN_FILE=unset".to_string(),
        "secret=set".to_string(),
    ];
    assert_eq!(lines[..expected.len()], expected);
    let groups: Value = serde_json::from_str(lines[expected.len()]).unwrap();
    let names: Vec<&str> = groups["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&mimic.field("resource_group").as_str()),
        "{groups}"
    );
}
