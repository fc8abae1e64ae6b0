//! The life of a data dir, through the binary: one `mimic up` per data dir (a lock the kernel
//! releases even on SIGKILL), `endpoints.json` gone on a clean stop and refused when stale,
//! `mimic status` and its exit codes, `--ephemeral`, the version, and the start-up messages.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// A `mimic up` child process on free ports.
struct Up {
    child: Child,
    dir: PathBuf,
}

impl Up {
    /// `mimic --data-dir DIR up` on free ports; returns once `endpoints.json` names this process.
    fn start(dir: &Path) -> Up {
        let child = up_command(dir).spawn().unwrap();
        let mut up = Up {
            child,
            dir: dir.to_path_buf(),
        };
        up.wait_for_endpoints();
        up
    }

    fn wait_for_endpoints(&mut self) {
        let pid = self.child.id();
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("mimic up exited early: {status}");
            }
            let file = std::fs::read_to_string(self.dir.join("endpoints.json")).ok();
            let endpoints = file.and_then(|text| serde_json::from_str::<Value>(&text).ok());
            if endpoints.is_some_and(|endpoints| endpoints["pid"] == pid) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("mimic up did not write endpoints.json");
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn endpoints(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("endpoints.json")).unwrap())
            .unwrap()
    }

    /// SIGTERM, then waits for the exit (SIGKILL after 15 s); whether it stopped on TERM.
    fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        for _ in 0..150 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.kill();
        false
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

fn up_command(dir: &Path) -> Command {
    up_command_with_userrealm(dir, "")
}

/// `mimic up` on free ports, AAD also on `userrealm` ("" for nowhere).
fn up_command_with_userrealm(dir: &Path, userrealm: &str) -> Command {
    support::up_command(dir, &[], userrealm)
}

/// `mimic --data-dir DIR ARGS…`, run to completion.
fn mimic(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The commit the binary should report: as the build script finds it.
fn expected_version() -> String {
    let commit = std::env::var("MIMIC_GIT_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(|| {
            let output = Command::new("git")
                .args(["rev-parse", "--short", "HEAD"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .ok()?;
            output
                .status
                .success()
                .then(|| text(&output.stdout).trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    format!("{} ({commit})", env!("CARGO_PKG_VERSION"))
}

fn assert_not_running(dir: &Path, args: &[&str]) {
    let output = mimic(dir, args);
    assert_eq!(output.status.code(), Some(1), "mimic {args:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("mimic is not running (data dir {}", dir.display())),
        "mimic {args:?}: {stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "mimic {args:?} printed {:?}",
        text(&output.stdout)
    );
}

#[test]
fn up_on_a_data_dir_in_use_exits_1_naming_the_running_pid_and_ports() {
    let dir = tempfile::tempdir().unwrap();
    let first = Up::start(dir.path());
    let before = first.endpoints();

    let second = up_command(dir.path())
        .stderr(Stdio::piped())
        .output()
        .unwrap();

    assert_eq!(second.status.code(), Some(1));
    let stderr = text(&second.stderr);
    assert!(stderr.contains(&format!("PID {}", first.pid())), "{stderr}");
    assert!(stderr.contains(before["arm"].as_str().unwrap()), "{stderr}");
    assert!(stderr.contains(before["aad"].as_str().unwrap()), "{stderr}");
    assert_eq!(
        first.endpoints(),
        before,
        "the refused start changed endpoints.json"
    );
    assert_eq!(mimic(dir.path(), &["status"]).status.code(), Some(0));
}

#[test]
fn sigterm_removes_endpoints_json_and_readers_say_not_running() {
    let dir = tempfile::tempdir().unwrap();
    let mut up = Up::start(dir.path());
    assert!(mimic(dir.path(), &["env"]).status.success());

    assert!(up.terminate(), "mimic up did not stop on SIGTERM");

    assert!(!dir.path().join("endpoints.json").exists());
    assert_not_running(dir.path(), &["env"]);
    assert_not_running(dir.path(), &["vm", "list"]);
}

#[test]
fn after_sigkill_stale_endpoints_are_refused_and_a_new_up_starts() {
    let dir = tempfile::tempdir().unwrap();
    let mut up = Up::start(dir.path());
    let killed = up.pid();

    up.kill();

    let stale = up.endpoints();
    assert_eq!(
        stale["pid"], killed,
        "the killed process's file stays behind"
    );
    assert_not_running(dir.path(), &["env"]);
    assert_not_running(dir.path(), &["vm", "list"]);
    assert_not_running(dir.path(), &["vm", "exec", "vm1", "--", "true"]);
    assert_eq!(mimic(dir.path(), &["status"]).status.code(), Some(3));
    let again = Up::start(dir.path());
    assert_ne!(again.pid(), killed);
    let env = mimic(dir.path(), &["env"]);
    assert!(env.status.success(), "{}", text(&env.stderr));
    assert!(text(&env.stdout).contains(again.endpoints()["arm"].as_str().unwrap()));
}

#[tokio::test]
async fn status_exits_0_with_counts_while_running_and_3_when_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let mut up = Up::start(dir.path());
    create_identity(&up.endpoints(), dir.path(), "counted").await;

    let running = mimic(dir.path(), &["status"]);

    assert_eq!(running.status.code(), Some(0), "{}", text(&running.stderr));
    let stdout = text(&running.stdout);
    for line in [
        format!("mimic is running (data dir {})", dir.path().display()),
        format!("PID        {}", up.pid()),
        format!("version    {}", expected_version()),
        format!("ARM        {}", up.endpoints()["arm"].as_str().unwrap()),
        "subscriptions     1".to_string(),
        "resource groups   1".to_string(),
        "VMs               2".to_string(),
        "identities        1 user-assigned, 0 system-assigned".to_string(),
        "principals        2 (1 managed identities)".to_string(),
    ] {
        assert!(stdout.contains(&line), "no {line:?} in:\n{stdout}");
    }
    assert!(stdout.contains("role assignments"), "{stdout}");
    assert!(stdout.contains("uptime"), "{stdout}");

    assert!(up.terminate());
    let stopped = mimic(dir.path(), &["status"]);
    assert_eq!(stopped.status.code(), Some(3));
    assert!(text(&stopped.stdout).contains("mimic is not running"));
}

/// Creates a user-assigned identity as the fixture operator.
async fn create_identity(endpoints: &Value, dir: &Path, name: &str) {
    let field = |pointer: &str| endpoints.pointer(pointer).unwrap().as_str().unwrap();
    let http =
        mimic_web::https_client(&std::fs::read_to_string(dir.join("ca.pem")).unwrap()).unwrap();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", field("/operator/client_id")),
        ("client_secret", field("/operator/client_secret")),
        ("scope", "https://management.azure.com/.default"),
    ];
    let token: Value = http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            field("/aad"),
            field("/tenant_id")
        ))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}?api-version=2024-11-30",
        field("/arm"),
        field("/subscription_id"),
        field("/resource_group")
    );
    let created = http
        .put(url)
        .bearer_auth(token["access_token"].as_str().unwrap())
        .json(&json!({"location": "eastus"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
}

#[test]
fn ephemeral_up_runs_in_a_private_temporary_dir_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let unused = tmp.path().join("not-this-one");
    let mut child = up_command(&unused)
        .arg("--ephemeral")
        .env("TMPDIR", tmp.path())
        .spawn()
        .unwrap();
    let mut data_dir = None;
    for _ in 0..600 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "mimic up --ephemeral exited"
        );
        data_dir = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.join("endpoints.json").exists());
        if data_dir.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let data_dir = data_dir.expect("no ephemeral data dir with endpoints.json");
    let mut up = Up {
        child,
        dir: data_dir.clone(),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&data_dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    assert!(!unused.exists(), "--data-dir was used despite --ephemeral");
    assert_eq!(mimic(&data_dir, &["status"]).status.code(), Some(0));

    assert!(up.terminate());

    let left: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn version_flag_shows_the_version_and_commit() {
    let output = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("--version")
        .output()
        .unwrap();

    assert!(output.status.success());
    assert_eq!(
        text(&output.stdout),
        format!("mimic {}\n", expected_version())
    );
}

#[tokio::test]
async fn arm_aad_and_imds_answer_with_x_mimic_version() {
    let dir = tempfile::tempdir().unwrap();
    let up = Up::start(dir.path());
    let endpoints = up.endpoints();
    let http =
        mimic_web::https_client(&std::fs::read_to_string(dir.path().join("ca.pem")).unwrap())
            .unwrap();
    let urls = [
        format!("{}/healthz", endpoints["arm"].as_str().unwrap()),
        format!("{}/healthz", endpoints["aad"].as_str().unwrap()),
        format!(
            "{}/metadata/instance?api-version=2021-02-01",
            endpoints["vms"][0]["imds"].as_str().unwrap()
        ),
    ];
    for url in urls {
        let response = http
            .get(&url)
            .header("Metadata", "true")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response
                .headers()
                .get("x-mimic-version")
                .map(|value| value.to_str().unwrap().to_string()),
            Some(expected_version()),
            "{url}"
        );
    }
}

#[test]
fn an_address_in_use_names_the_service_and_suggests_port_0() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();

    let output = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["up", "--arm-addr", &addr, "--aad-addr", "127.0.0.1:0"])
        .args(["--aad-userrealm-addr", ""])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "ARM cannot listen on {addr}: the address is in use"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("--arm-addr 127.0.0.1:0"), "{stderr}");
    assert!(!dir.path().join("endpoints.json").exists());
    assert_eq!(mimic(dir.path(), &["status"]).status.code(), Some(3));
}

#[test]
fn a_taken_userrealm_address_is_explained_and_mimic_still_starts() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let log = dir.path().join("stderr.log");
    let mut command = up_command_with_userrealm(dir.path(), &addr);
    command.stderr(std::fs::File::create(&log).unwrap());
    let mut up = Up {
        child: command.spawn().unwrap(),
        dir: dir.path().to_path_buf(),
    };
    up.wait_for_endpoints();

    assert!(up.terminate());

    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(
        stderr.contains(&format!(
            "AAD is not also listening on {addr} ({addr} is taken by another process)"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("az login -u USER -p PASSWORD"), "{stderr}");
    assert!(stderr.contains("--aad-userrealm-addr \"\""), "{stderr}");
}
