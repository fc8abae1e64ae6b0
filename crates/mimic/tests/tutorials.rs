//! Runs the tutorials in `docs/` against the real `mimic` binary.
//!
//! Each test starts `mimic up` on a fresh data dir (ports chosen by the OS), waits for
//! `endpoints.json`, and runs `scripts/run-tutorial.py` on one tutorial: every ```bash block of the
//! document runs in one shell and must print what the document's Output block says.
//! Needs `python3`, `bash`, `curl` and `jq` on PATH. All traffic goes to 127.0.0.1.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(15);

/// A running `mimic up`; stopped with SIGTERM (then SIGKILL) when dropped, so a failing test never
/// leaves a server behind.
struct Mimic {
    child: Child,
    data_dir: tempfile::TempDir,
}

impl Mimic {
    fn start() -> Mimic {
        let data_dir = tempfile::tempdir().expect("temp data dir");
        let log = |name: &str| File::create(data_dir.path().join(name)).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_mimic"))
            .arg("--data-dir")
            .arg(data_dir.path())
            .args([
                "up",
                "--arm-addr",
                "127.0.0.1:0",
                "--aad-addr",
                "127.0.0.1:0",
            ])
            .env_remove("MIMIC_ARM_ADDR")
            .env_remove("MIMIC_AAD_ADDR")
            .stdin(Stdio::null())
            .stdout(log("mimic.stdout"))
            .stderr(log("mimic.stderr"))
            .spawn()
            .expect("spawn mimic up");
        let mut mimic = Mimic { child, data_dir };
        mimic.wait_for_endpoints();
        mimic
    }

    fn dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Waits until `endpoints.json` exists and parses (it is written atomically once all
    /// listeners are bound).
    fn wait_for_endpoints(&mut self) {
        let path = self.dir().join("endpoints.json");
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
                    return;
                }
            }
            if let Some(status) = self.child.try_wait().expect("poll mimic") {
                panic!(
                    "mimic up exited early ({status}) before writing endpoints.json\n{}",
                    self.logs()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "no endpoints.json after {STARTUP_TIMEOUT:?}\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn logs(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir().join(name)).unwrap_or_default();
        format!(
            "--- mimic stdout ---\n{}\n--- mimic stderr ---\n{}",
            read("mimic.stdout"),
            read("mimic.stderr")
        )
    }

    /// SIGTERM, then wait; SIGKILL if it does not stop in time. Returns whether it stopped on TERM.
    fn stop(&mut self) -> bool {
        if self.child.try_wait().ok().flatten().is_some() {
            return true;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        false
    }
}

impl Drop for Mimic {
    fn drop(&mut self) {
        self.stop();
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// PATH with the directory of the `mimic` binary first, so `mimic env` in the docs is this build.
fn path_with_mimic() -> OsString {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_mimic"))
        .parent()
        .expect("binary dir")
        .to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin_dir).chain(std::env::split_paths(&rest)))
        .expect("PATH")
}

fn require_tools() {
    for tool in ["python3", "bash", "curl", "jq"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok();
        assert!(found, "the tutorial tests need `{tool}` on PATH");
    }
}

fn run_tutorial(mimic: &Mimic, doc: &str) -> Output {
    let root = workspace_root();
    Command::new("python3")
        .arg(root.join("scripts/run-tutorial.py"))
        .arg(root.join(doc))
        .env("MIMIC_DATA_DIR", mimic.dir())
        .env("PATH", path_with_mimic())
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/run-tutorial.py")
}

fn check_tutorial(doc: &str) {
    require_tools();
    let mut mimic = Mimic::start();
    let output = run_tutorial(&mimic, doc);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() {
        panic!(
            "{doc} does not match a real run:\n{report}\n{}",
            mimic.logs()
        );
    }
    assert!(
        mimic.stop(),
        "mimic up did not stop on SIGTERM\n{}",
        mimic.logs()
    );
}

#[test]
fn tutorial_user_assigned_matches_real_run() {
    check_tutorial("docs/tutorial-user-assigned.md");
}

#[test]
fn tutorial_system_assigned_matches_real_run() {
    check_tutorial("docs/tutorial-system-assigned.md");
}

/// The README's five-minute walk, run exactly as written (no CA flags: `mimic env` makes curl trust
/// mimic): the first read is refused, the grant is created, the second read allowed.
#[test]
fn readme_walk_shows_403_before_the_grant_and_200_after() {
    require_tools();
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let section = readme
        .split("## Five minutes")
        .nth(1)
        .expect("the README has a 'Five minutes' section");
    let script = section
        .split("```bash\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a bash block in the walk");
    let mut mimic = Mimic::start();
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .env("MIMIC_DATA_DIR", mimic.dir())
        .env("PATH", path_with_mimic())
        .env_remove("AZURE_POD_IDENTITY_AUTHORITY_HOST")
        .stdin(Stdio::null())
        .output()
        .expect("run the README walk");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let detail = format!(
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        mimic.logs()
    );
    assert!(output.status.success(), "the README walk failed:\n{detail}");
    assert_eq!(lines.len(), 4, "health, two reads and the grant:\n{detail}");
    assert_eq!(lines[0], r#"{"status":"ok"}"#, "health:\n{detail}");
    assert!(
        lines[1].contains(r#""code":"AuthorizationFailed""#) && lines[1].ends_with("-> HTTP 403"),
        "before the grant:\n{detail}"
    );
    assert_eq!(lines[2], "grant -> HTTP 201", "the grant:\n{detail}");
    assert!(
        lines[3].contains(r#""provisioningState":"Succeeded""#)
            && lines[3].ends_with("-> HTTP 200"),
        "after the grant:\n{detail}"
    );
    assert!(mimic.stop(), "mimic up did not stop on SIGTERM");
}
