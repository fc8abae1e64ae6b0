//! `mimic aad`, `mimic arm` and `mimic imds --vm` as separate processes, wired by flags exactly as
//! docker-compose.yml wires them (there, by service name; here, on 127.0.0.1 with free ports).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::json;

struct Service(Child);

impl Service {
    /// SIGTERM, then whether the process exited within 15 s (it is killed otherwise).
    fn stop(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        for _ in 0..150 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
        false
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.stop();
        }
    }
}

/// Starts `mimic --data-dir DIR ARGS…` and returns it with the port it reports.
fn start(dir: &std::path::Path, args: &[&str]) -> (Service, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("the service exited before listening")
            .unwrap();
        if let Some(port) = line.split("listening on port ").nth(1) {
            break port.trim().parse().unwrap();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (Service(child), port)
}

#[tokio::test]
async fn separate_services_wired_by_flags_serve_the_lifecycle() {
    let dir = tempfile::tempdir().unwrap();
    let init = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("--data-dir")
        .arg(dir.path())
        .arg("init")
        .status()
        .unwrap();
    assert!(init.success());
    // AAD asks ARM about VMs and ARM asks AAD for keys: ARM's port is chosen first, as
    // docker-compose's fixed addresses are.
    let arm_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let arm = format!("https://127.0.0.1:{arm_port}");
    let (mut aad_service, aad_port) = start(
        dir.path(),
        &["aad", "--addr", "127.0.0.1:0", "--arm-url", &arm],
    );
    let aad = format!("https://127.0.0.1:{aad_port}");
    let arm_addr = format!("127.0.0.1:{arm_port}");
    let (mut arm_service, _) = start(dir.path(), &["arm", "--addr", &arm_addr, "--aad-url", &aad]);
    let fixture: serde_json::Value = serde_json::from_str(mimic::DEFAULT_FIXTURE).unwrap();
    let text = |pointer: &str| {
        fixture
            .pointer(pointer)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    let vm = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/vm1",
        text("/arm/subscriptions/0/subscriptionId"),
        text("/arm/resourceGroups/0/name")
    );
    let (mut imds_service, imds_port) = start(
        dir.path(),
        &[
            "imds",
            "--vm",
            &vm,
            "--addr",
            "127.0.0.1:0",
            "--arm-url",
            &arm,
            "--aad-url",
            &aad,
        ],
    );

    let http =
        mimic_web::https_client(&std::fs::read_to_string(dir.path().join("ca.pem")).unwrap())
            .unwrap();
    let form = [
        ("grant_type", "client_credentials".to_string()),
        ("client_id", text("/aad/servicePrincipals/0/appId")),
        (
            "client_secret",
            text("/aad/servicePrincipals/0/passwordCredentials/0/secretText"),
        ),
        ("scope", "https://management.azure.com/.default".to_string()),
    ];
    let token_url = format!("{aad}/{}/oauth2/v2.0/token", text("/tenant/id"));
    let reply: serde_json::Value = http
        .post(token_url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operator = reply["access_token"].as_str().unwrap();
    let enabled: serde_json::Value = http
        .patch(format!("{arm}{vm}?api-version=2024-11-01"))
        .bearer_auth(operator)
        .json(&json!({"identity": {"type": "SystemAssigned"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(enabled["identity"]["type"], "SystemAssigned", "{enabled}");

    let imds_url = format!("http://127.0.0.1:{imds_port}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/");
    let reply = http
        .get(imds_url)
        .header("Metadata", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let reply: serde_json::Value = reply.json().await.unwrap();
    let claims = mimic_testkit::claims(reply["access_token"].as_str().unwrap());
    assert_eq!(claims["oid"], enabled["identity"]["principalId"]);
    let read = http
        .get(format!("{arm}{vm}?api-version=2024-11-01"))
        .bearer_auth(reply["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 403, "no grant yet");

    for (name, service) in [
        ("imds", &mut imds_service),
        ("arm", &mut arm_service),
        ("aad", &mut aad_service),
    ] {
        assert!(service.stop(), "mimic {name} did not stop on SIGTERM");
    }
}
