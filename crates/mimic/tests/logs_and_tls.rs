//! `mimic up` as a process: the request line it logs (docs/logging.md) and the combined CA bundle
//! `mimic env` exports (docs/sdk.md). All traffic goes to 127.0.0.1.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

const ARM_SCOPE: &str = "https://management.azure.com/.default";
/// Variables that would name a CA bundle before `mimic env` does.
const TLS_VARIABLES: &[&str] = &[
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
];

struct Running {
    child: Child,
    data_dir: PathBuf,
    endpoints: Value,
    http: reqwest::Client,
}

/// `mimic up` on free ports with the default log level and `flags` (global flags such as
/// `--log-file`); stderr goes to `stderr` (a file) or nowhere. Returns once `endpoints.json` exists.
fn start(data_dir: &Path, flags: &[&str], stderr: Option<&Path>) -> Running {
    let stderr = match stderr {
        Some(path) => Stdio::from(std::fs::File::create(path).unwrap()),
        None => Stdio::null(),
    };
    let child = support::up_command(data_dir, flags, "")
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .stderr(stderr)
        .spawn()
        .unwrap();
    let endpoints = support::wait_for_endpoints(data_dir);
    Running {
        child,
        data_dir: data_dir.to_path_buf(),
        endpoints,
        http: support::https_client(data_dir),
    }
}

impl Running {
    fn text(&self, pointer: &str) -> String {
        self.endpoints[pointer].as_str().unwrap().to_string()
    }

    /// A service principal with no role assignment, made through AAD's internal API: (oid, appid, secret).
    async fn roleless_principal(&self) -> (String, String, String) {
        let key = std::fs::read_to_string(self.data_dir.join("internal.key")).unwrap();
        let secret = format!("secret-{}", uuid::Uuid::new_v4());
        let body = json!({"displayName": "log-reader", "servicePrincipalType": "Application",
            "passwordCredentials": [{"secretText": secret}]});
        let response = self
            .http
            .post(format!("{}/internal/servicePrincipals", self.text("aad")))
            .header(mimic_web::INTERNAL_KEY_HEADER, key.trim())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        let text = |key: &str| created[key].as_str().unwrap().to_string();
        (text("id"), text("appId"), secret)
    }

    async fn token(&self, client_id: &str, secret: &str) -> String {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.text("aad"),
            self.text("tenant_id")
        );
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", ARM_SCOPE),
        ];
        let body: Value = self
            .http
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

    /// The fixture group's path, as a client would write it.
    fn group_path(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            self.text("subscription_id"),
            self.text("resource_group")
        )
    }

    /// GET the fixture group with `token`: (status, body).
    async fn get_group(&self, token: Option<&str>) -> (u16, Value) {
        let url = format!(
            "{}{}?api-version=2021-04-01",
            self.text("arm"),
            self.group_path()
        );
        let mut request = self.http.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    fn stop(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[tokio::test]
async fn up_log_file_has_one_line_with_the_reason_for_a_403_and_no_ansi() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mimic.log");
    let mimic = start(
        &dir.path().join("data"),
        &["--log-file", log.to_str().unwrap()],
        None,
    );
    let (oid, appid, secret) = mimic.roleless_principal().await;
    let token = mimic.token(&appid, &secret).await;

    let (status, body) = mimic.get_group(Some(&token)).await;
    let group_path = mimic.group_path();
    mimic.stop();

    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "AuthorizationFailed");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("no role assignment"),
        "the wire message is ARM's: {message}"
    );
    let text = std::fs::read(&log).unwrap();
    assert!(!text.contains(&0x1b), "no ANSI escape in a log file");
    let text = String::from_utf8(text).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| line.contains(&format!("oid={oid}")) && line.contains("mimic::request"))
        .collect();
    assert_eq!(lines.len(), 1, "one line for the caller's request:\n{text}");
    let line = lines[0];
    // Beside it, the decision's own line explains the denial (docs/rbac.md, `mimic explain`).
    let explained = text
        .lines()
        .find(|line| line.contains("authorization denied") && line.contains(&format!("oid={oid}")))
        .unwrap_or_else(|| panic!("an `authorization denied` line:\n{text}"));
    for part in [
        "reason=\"no role assignment of this principal or its groups at or above this scope\"",
        "roles_that_grant=\"Contributor, Owner, Reader",
    ] {
        assert!(explained.contains(part), "{part} missing in: {explained}");
    }
    let reason = format!(
        "reason=\"no role assignment of {oid} grants Microsoft.Resources/subscriptions/resourceGroups/read at {group_path}\""
    );
    for part in [
        " INFO ",
        "method=GET",
        &format!("path={group_path} "),
        "status=403",
        &format!("appid={appid}"),
        "operation=ResourceGroups_Get ",
        &reason,
    ] {
        assert!(line.contains(part), "{part} missing in: {line}");
    }
}

#[tokio::test]
async fn up_log_format_json_writes_one_json_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mimic.jsonl");
    let mimic = start(
        &dir.path().join("data"),
        &["--log-format", "json", "--log-file", log.to_str().unwrap()],
        None,
    );

    let (status, _) = mimic.get_group(None).await;
    let group_path = mimic.group_path();
    mimic.stop();

    assert_eq!(status, 401);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let request = lines
        .iter()
        .find(|line| line["path"] == group_path.as_str())
        .unwrap_or_else(|| panic!("no request line:\n{text}"));
    assert_eq!(request["level"], "INFO");
    assert_eq!(request["method"], "GET");
    assert_eq!(request["status"], 401);
    assert_eq!(
        request["reason"],
        "Authentication failed. The 'Authorization' header is missing."
    );
    assert!(
        request.get("oid").is_none(),
        "no caller without a token: {request}"
    );
}

#[tokio::test]
async fn up_logs_to_a_non_terminal_stderr_without_ansi() {
    let dir = tempfile::tempdir().unwrap();
    let stderr = dir.path().join("stderr.txt");
    let mimic = start(&dir.path().join("data"), &[], Some(&stderr));

    let (status, _) = mimic.get_group(None).await;
    let group_path = mimic.group_path();
    mimic.stop();

    assert_eq!(status, 401);
    let text = std::fs::read(&stderr).unwrap();
    assert!(
        !text.contains(&0x1b),
        "no ANSI escape when stderr is a file"
    );
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.lines()
            .any(|line| line.contains(&format!("path={group_path} status=401"))),
        "the request line is on stderr:\n{text}"
    );
}

/// Runs `script` in `sh -c` with no CA variables and no proxies, `$MIMIC` the binary and
/// `$DATA` the data dir: (exit code, stdout).
fn shell(data_dir: &Path, script: &str) -> (i32, String) {
    let mut command = Command::new("sh");
    command
        .args(["-c", script])
        .env("MIMIC", env!("CARGO_BIN_EXE_mimic"))
        .env("DATA", data_dir)
        .env("NO_PROXY", "127.0.0.1")
        .stderr(Stdio::inherit());
    for variable in TLS_VARIABLES {
        command.env_remove(variable);
    }
    for proxy in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        command.env_remove(proxy);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    (output.status.code().unwrap_or(-1), stdout)
}

const PYTHON_HEALTHZ: &str = "import os, ssl, urllib.request; \
    print(urllib.request.urlopen(os.environ['MIMIC_ARM'] + '/healthz', \
    context=ssl.create_default_context()).status)";

#[tokio::test]
async fn env_ca_bundle_lets_curl_and_python_reach_mimic_without_flags() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mimic = start(&data_dir, &[], None);
    let env = r#"eval "$("$MIMIC" --data-dir "$DATA" env)""#;

    let curl = shell(
        &data_dir,
        &format!(r#"{env}; curl -sS "$MIMIC_ARM/healthz""#),
    );
    let python = shell(
        &data_dir,
        &format!("{env}; python3 -c \"{PYTHON_HEALTHZ}\""),
    );
    let bare_curl = shell(
        &data_dir,
        &format!(r#"{env}; unset SSL_CERT_FILE CURL_CA_BUNDLE; curl -s "$MIMIC_ARM/healthz""#),
    );
    let vm_env = shell(&data_dir, r#""$MIMIC" --data-dir "$DATA" vm env vm1"#);
    mimic.stop();

    assert_eq!(curl.0, 0, "curl trusts mimic through the bundle: {curl:?}");
    assert_eq!(
        python.0, 0,
        "python trusts mimic through SSL_CERT_FILE: {python:?}"
    );
    assert_eq!(python.1.trim(), "200");
    assert_eq!(
        bare_curl.0, 60,
        "without the bundle curl refuses mimic's certificate"
    );
    let bundle_path = data_dir.canonicalize().unwrap().join("ca-bundle.pem");
    let bundle = std::fs::read_to_string(&bundle_path).unwrap();
    let ca = std::fs::read_to_string(data_dir.join("ca.pem")).unwrap();
    assert!(bundle.ends_with(&ca), "mimic's CA closes the bundle");
    let system = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if system.is_file() {
        let roots = std::fs::read_to_string(system).unwrap();
        assert!(
            bundle.starts_with(roots.trim_end()),
            "the system roots open the bundle"
        );
    }
    let quoted = format!("'{}'", bundle_path.display());
    for variable in ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"] {
        let line = format!("export {variable}={quoted}\n");
        assert!(
            vm_env.1.contains(&line),
            "mimic vm env exports {variable}: {}",
            vm_env.1
        );
    }
    let node = format!(
        "export NODE_EXTRA_CA_CERTS='{}'\n",
        data_dir.canonicalize().unwrap().join("ca.pem").display()
    );
    assert!(vm_env.1.contains(&node), "{}", vm_env.1);
}
