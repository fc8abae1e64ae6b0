//! Load bench against the running binary (127.0.0.1 only, bounded request counts): IMDS's token
//! endpoint with a cached token, and an authorized ARM GET. Each is reported as a ratio to a bare
//! actix-web handler measured in the same run over the same transport (HTTP for IMDS, HTTPS for ARM),
//! so the figures say what mimic's work costs on this machine, not how fast the machine is.
//!
//! Run: `cargo bench -p mimic --bench load` (MIMIC_BENCH_REQUESTS, MIMIC_BENCH_CONCURRENCY adjust it).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Stats {
    requests: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Stats {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// Sends `total` GETs with `concurrency` in flight; every one must answer 200.
async fn load(
    client: &reqwest::Client,
    url: &str,
    headers: &[(&str, String)],
    total: usize,
    concurrency: usize,
) -> Stats {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (client, url) = (client.clone(), url.to_string());
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let count = total / concurrency + usize::from(worker < total % concurrency);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(count);
            for _ in 0..count {
                let began = Instant::now();
                let mut request = client.get(&url).timeout(Duration::from_secs(10));
                for (name, value) in &headers {
                    request = request.header(name, value);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), 200, "{url}");
                response.bytes().await.unwrap();
                latencies.push(began.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = start.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Stats {
        requests: latencies.len(),
        elapsed,
        p50: at(0.5),
        p99: at(0.99),
    }
}

/// A bare actix-web handler, the baseline: same framework, no work. Returns its port.
fn baseline_server(tls: Option<rustls::ServerConfig>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(|| {
                actix_web::App::new().default_service(actix_web::web::to(|| async {
                    actix_web::HttpResponse::Ok().json(json!({"status": "ok"}))
                }))
            })
            .workers(1);
            let server = match tls {
                Some(config) => server.listen_rustls_0_23(listener, config).unwrap(),
                None => server.listen(listener).unwrap(),
            };
            server.run().await.unwrap();
        });
    });
    port
}

struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

fn start_mimic(dir: &std::path::Path) -> (Child, Value) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args([
            "--data-dir",
            dir.to_str().unwrap(),
            "up",
            "--arm-addr",
            "127.0.0.1:0",
            "--aad-addr",
            "127.0.0.1:0",
        ])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let child = Child(child);
    let path = dir.join("endpoints.json");
    for _ in 0..600 {
        if let Ok(text) = std::fs::read_to_string(&path) {
            return (child, serde_json::from_str(&text).unwrap());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("mimic did not write endpoints.json within 60 s");
}

async fn prepare(http: &reqwest::Client, endpoints: &Value) -> (String, String, String) {
    let text = |pointer: &str| {
        endpoints
            .pointer(pointer)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    let token_url = format!("{}/{}/oauth2/v2.0/token", text("/aad"), text("/tenant_id"));
    let form = [
        ("grant_type", "client_credentials".to_string()),
        ("client_id", text("/operator/client_id")),
        ("client_secret", text("/operator/client_secret")),
        ("scope", "https://management.azure.com/.default".to_string()),
    ];
    let reply: Value = http
        .post(token_url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let operator = reply["access_token"].as_str().unwrap().to_string();
    let group = format!(
        "/subscriptions/{}/resourceGroups/{}",
        text("/subscription_id"),
        text("/resource_group")
    );
    let vm = format!(
        "{}{group}/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-11-01",
        text("/arm")
    );
    let enabled: Value = http
        .patch(vm)
        .bearer_auth(&operator)
        .json(&json!({"identity": {"type": "SystemAssigned"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let principal = enabled["identity"]["principalId"].as_str().unwrap();
    let assignment = format!(
        "{}{group}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
        text("/arm"),
        uuid::Uuid::new_v4()
    );
    let definition = format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", text("/subscription_id"));
    let body = json!({"properties": {"roleDefinitionId": definition, "principalId": principal, "principalType": "ServicePrincipal"}});
    assert_eq!(
        http.put(assignment)
            .bearer_auth(&operator)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let imds = endpoints["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|vm| vm["name"] == "vm1")
        .unwrap()["imds"]
        .as_str()
        .unwrap()
        .to_string();
    let imds_url = format!("{imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/");
    let reply: Value = http
        .get(&imds_url)
        .header("Metadata", "true")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vm_token = reply["access_token"].as_str().unwrap().to_string();
    (
        imds_url,
        format!("{}{group}?api-version=2024-11-01", text("/arm")),
        vm_token,
    )
}

fn row(name: &str, stats: &Stats, baseline: &Stats) -> String {
    format!(
        "| {name} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} |",
        stats.requests,
        stats.rate(),
        stats.p50.as_secs_f64() * 1e3,
        stats.p99.as_secs_f64() * 1e3,
        stats.rate() / baseline.rate()
    )
}

fn main() {
    let total: usize = std::env::var("MIMIC_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let concurrency: usize = std::env::var("MIMIC_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let dir = tempfile::tempdir().unwrap();
    let (_child, endpoints) = start_mimic(dir.path());
    let ca = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();
    let pki = mimic_web::Pki::at(dir.path());
    let tls = mimic_web::rustls_server_config(&pki.load_server().unwrap()).unwrap();
    let http_port = baseline_server(None);
    let https_port = baseline_server(Some(tls));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = mimic_web::https_client(&ca).unwrap();
        let (imds_url, arm_url, vm_token) = prepare(&http, &endpoints).await;
        let metadata = [("Metadata", "true".to_string())];
        let bearer = [("Authorization", format!("Bearer {vm_token}"))];
        // Warm up every target once so connection set-up and first-token minting are not measured.
        for (url, headers) in [(imds_url.as_str(), &metadata[..]), (arm_url.as_str(), &bearer[..])] {
            load(&http, url, headers, concurrency, concurrency).await;
        }
        let plain = load(&http, &format!("http://127.0.0.1:{http_port}/"), &[], total, concurrency).await;
        let imds = load(&http, &imds_url, &metadata, total, concurrency).await;
        let tls = load(&http, &format!("https://127.0.0.1:{https_port}/"), &[], total, concurrency).await;
        let arm = load(&http, &arm_url, &bearer, total, concurrency).await;
        println!("{total} requests per target, {concurrency} in flight, one machine (client and servers share its cores)\n");
        println!("| target | requests | req/s | p50 | p99 | ratio to baseline |");
        println!("|---|---|---|---|---|---|");
        println!("{}", row("baseline: bare actix-web handler, HTTP", &plain, &plain));
        println!("{}", row("IMDS token (cached), HTTP", &imds, &plain));
        println!("{}", row("baseline: bare actix-web handler, HTTPS", &tls, &tls));
        println!("{}", row("ARM GET resource group (authorized), HTTPS", &arm, &tls));
    });
}
