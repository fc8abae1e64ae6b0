//! What the tests that run `mimic up` as a process share (`mod support;` in each): the command line
//! on free loopback ports, waiting for `endpoints.json`, and the operator's token from it.
#![allow(dead_code)] // each test binary uses its own part

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

/// `mimic [GLOBAL_FLAGS] --data-dir DIR up` on free loopback ports, AAD also on `userrealm` ("" for
/// nowhere), quiet (`RUST_LOG=warn`, stdout and stderr discarded: callers may redirect them).
pub fn up_command(dir: &Path, global_flags: &[&str], userrealm: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mimic"));
    command
        .arg("--data-dir")
        .arg(dir)
        .args(global_flags)
        .args([
            "up",
            "--arm-addr",
            "127.0.0.1:0",
            "--aad-addr",
            "127.0.0.1:0",
        ])
        .args(["--aad-userrealm-addr", userrealm])
        .env("RUST_LOG", "warn")
        .env_remove("MIMIC_EPHEMERAL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Waits (30 s at most) until `DIR/endpoints.json` exists, and returns it.
pub fn wait_for_endpoints(dir: &Path) -> Value {
    let path = dir.join("endpoints.json");
    let ready = (0..600).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        path.exists()
    });
    assert!(ready, "mimic up did not write {}", path.display());
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// An HTTPS client trusting the data dir's CA.
pub fn https_client(dir: &Path) -> reqwest::Client {
    let ca = std::fs::read_to_string(dir.join("ca.pem")).unwrap();
    mimic_web::https_client(&ca).unwrap()
}

/// `endpoints[pointer]` as a string.
pub fn text(endpoints: &Value, pointer: &str) -> String {
    endpoints
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("endpoints.json has no {pointer}"))
        .to_string()
}

/// The fixture operator's ARM token (client credentials, as `endpoints.json` names them).
pub async fn operator_token(http: &reqwest::Client, endpoints: &Value) -> String {
    let url = format!(
        "{}/{}/oauth2/v2.0/token",
        text(endpoints, "/aad"),
        text(endpoints, "/tenant_id")
    );
    let form = [
        ("grant_type", "client_credentials".to_string()),
        ("client_id", text(endpoints, "/operator/client_id")),
        ("client_secret", text(endpoints, "/operator/client_secret")),
        ("scope", "https://management.azure.com/.default".to_string()),
    ];
    let body: Value = http
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// Runs `mimic --data-dir DIR ARGS…` to completion off the async runtime, quiet, with no stdin and
/// without the operator credentials, fixture or CA a developer's shell may export (each command
/// under test gets what the test gives it, not what the shell has).
pub async fn mimic(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mimic"));
    command
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("MIMIC_CLIENT_ID")
        .env_remove("MIMIC_CLIENT_SECRET")
        .env_remove("MIMIC_FIXTURE")
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}
