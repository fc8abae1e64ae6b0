//! The README's test command (`scripts/test.sh`) explains itself and checks what it needs before
//! any long step: `--help` starts nothing, and a machine that cannot run a part is told exactly
//! what is missing at once, with a non-zero exit.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/test.sh")
}

#[test]
fn help_prints_the_parts_and_runs_nothing() {
    let output = Command::new("bash")
        .arg(script())
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .unwrap();

    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for part in ["--quick", "--clients", "--portal", "--help"] {
        assert!(text.contains(part), "{part} in:\n{text}");
    }
}

#[test]
fn an_unknown_option_is_refused_with_the_usage() {
    let output = Command::new("bash")
        .arg(script())
        .arg("--everything-please")
        .stdin(Stdio::null())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("Usage:"));
}

#[test]
fn without_root_the_namespace_suites_say_so_at_once() {
    if !Path::new("/usr/bin/setpriv").exists() {
        panic!("setpriv (util-linux) is needed to run as another user");
    }
    // A copy another user can read, wherever this clone lives.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scripts")).unwrap();
    let copy = dir.path().join("scripts/test.sh");
    std::fs::copy(script(), &copy).unwrap();
    for path in [dir.path(), &dir.path().join("scripts"), &copy] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "bash"])
        .arg(&copy)
        .arg("--clients")
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .stdin(Stdio::null())
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("missing:"), "{text}");
    assert!(text.contains("root"), "{text}");
    assert!(text.contains("--quick"), "{text}");
}
