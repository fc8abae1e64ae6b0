//! Load bench against the running binary (127.0.0.1 only, bounded in time): each target is
//! measured closed-loop — a fixed number of requests in flight, a warm-up, then a wall-clock
//! window — and reported beside a baseline measured in the same run that does the least work the
//! target cannot avoid, so the figures say what mimic's own work costs on this machine:
//!
//! | target | baseline |
//! |---|---|
//! | IMDS cached token (HTTP) | bare actix-web answering a body of the same size (HTTP) |
//! | AAD client-credentials token (HTTPS) | bare actix-web doing one RS256 signature per request (HTTPS) |
//! | ARM GET of a resource group, caller with few / many assignments (HTTPS) | bare actix-web, same body size (HTTPS) |
//! | ARM PUT user-assigned identity (HTTPS) | raw sqlx: two durable commits per operation (AAD's principal, ARM's identity) with ARM's pragmas |
//! | ARM PUT role assignment (HTTPS) | raw sqlx: one durable commit per operation |
//!
//! IMDS's per-VM rate limits are turned off for the run (they would refuse the load by design).
//!
//! It also reports `mimic up`'s time to ready (spawn → `endpoints.json`) on a new data dir and on
//! the same one again at the end, its resident memory when idle after start and after every
//! target has run, and the ARM GET of a caller with 10
//! assignments again once the subscription holds `MIMIC_BENCH_SUBSCRIPTION` more assignments (of
//! another principal), so the decision's cost can be compared for a small and a large subscription.
//!
//! Run: `cargo bench -p mimic --bench load`. `MIMIC_BENCH_SECONDS` (window per target, default 5),
//! `MIMIC_BENCH_CONCURRENCY` (default 16), `MIMIC_BENCH_MANY` (assignments of the "many" caller,
//! default 4000), `MIMIC_BENCH_SUBSCRIPTION` (assignments added to the subscription, default
//! 100000). CI runs it short: `MIMIC_BENCH_SECONDS=1 MIMIC_BENCH_MANY=200
//! MIMIC_BENCH_SUBSCRIPTION=1000`.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How one target is measured.
#[derive(Clone, Copy)]
struct Window {
    warmup: Duration,
    measure: Duration,
    concurrency: usize,
}

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

/// Runs `call` closed-loop: `window.concurrency` workers each call it again as soon as it
/// returns, first for the warm-up (not measured), then for the window. `call(n)` gets a number
/// unique across the run and must succeed (it panics otherwise).
async fn run<F, Fut>(window: Window, call: F) -> Stats
where
    F: Fn(u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let measure_from = started + window.warmup;
    let until = measure_from + window.measure;
    let mut workers = Vec::new();
    for _ in 0..window.concurrency {
        let (call, counter) = (call.clone(), counter.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let began = Instant::now();
                if began >= until {
                    break;
                }
                call(counter.fetch_add(1, Ordering::Relaxed)).await;
                if began >= measure_from {
                    latencies.push(began.elapsed());
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    latencies.sort();
    assert!(!latencies.is_empty(), "no request completed in the window");
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Stats {
        requests: latencies.len(),
        elapsed: window.measure,
        p50: at(0.5),
        p99: at(0.99),
    }
}

/// Sends a request and insists on `expected`.
async fn expect(request: reqwest::RequestBuilder, expected: u16) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    assert_eq!(
        status,
        expected,
        "{}",
        String::from_utf8_lossy(&body[..body.len().min(400)])
    );
}

/// A bare actix-web server on its own thread (one worker per core): every request gets `body`,
/// after `work` (the baseline's unavoidable work). Returns its port.
fn baseline_server(tls: Option<rustls::ServerConfig>, body: String, work: fn() -> usize) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                let body = body.clone();
                actix_web::App::new().default_service(actix_web::web::to(move || {
                    let body = body.clone();
                    async move {
                        std::hint::black_box(work());
                        actix_web::HttpResponse::Ok()
                            .content_type("application/json")
                            .body(body)
                    }
                }))
            })
            .workers(2);
            let server = match tls {
                Some(config) => server.listen_rustls_0_23(listener, config).unwrap(),
                None => server.listen(listener).unwrap(),
            };
            server.run().await.unwrap();
        });
    });
    port
}

/// A JSON body of exactly `len` bytes.
fn body_of(len: usize) -> String {
    let filler = len.saturating_sub(r#"{"x":""}"#.len());
    format!(r#"{{"x":"{}"}}"#, "a".repeat(filler))
}

fn no_work() -> usize {
    0
}

/// One RS256 signature with raw aws-lc-rs and a key parsed once: the work a token mint cannot
/// avoid.
fn sign_once() -> usize {
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    static KEY: std::sync::OnceLock<KeyPair> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| KeyPair::generate(KeySize::Rsa2048).unwrap());
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        b"header.payload-of-a-typical-access-token-with-its-claims",
        &mut signature,
    )
    .unwrap();
    signature.len()
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

/// The resident set of a process, in MiB (Linux `/proc`).
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// Starts `mimic up`; returns it, its endpoints and how long it took to be ready (the time until
/// `endpoints.json` exists, which it writes once every listener is bound and serving).
fn start_mimic(dir: &std::path::Path) -> (Child, Value, Duration) {
    let started = Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_mimic"))
        .args(["--data-dir", dir.to_str().unwrap(), "up"])
        .args(["--arm-addr", "127.0.0.1:0", "--aad-addr", "127.0.0.1:0"])
        .args(["--aad-userrealm-addr", ""])
        // The bench measures mimic's work, not IMDS's rate limits (which refuse load by design).
        .args([
            "--imds-identity-rps",
            "0",
            "--imds-identity-concurrency",
            "0",
        ])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let child = Child(child);
    let path = dir.join("endpoints.json");
    while started.elapsed() < Duration::from_secs(60) {
        if path.exists() {
            let ready = started.elapsed();
            let text = std::fs::read_to_string(&path).unwrap();
            return (child, serde_json::from_str(&text).unwrap(), ready);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("mimic did not write endpoints.json within 60 s");
}

/// What the targets need, prepared through mimic's own APIs.
struct Setup {
    arm: String,
    group_id: String,
    subscription_id: String,
    operator: String,
    token_url: String,
    token_form: Vec<(&'static str, String)>,
    imds_url: String,
    few_token: String,
    many_token: String,
    assignee: String,
    /// Every role definition id (built-ins): the PUT role-assignment target varies the role.
    roles: Vec<String>,
    /// Groups the PUT role-assignment target assigns at (with `roles`, the distinct grants).
    assign_groups: Vec<String>,
}

fn text(endpoints: &Value, pointer: &str) -> String {
    endpoints
        .pointer(pointer)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// AAD's v2 token endpoint for the fixture tenant.
fn token_url(endpoints: &Value) -> String {
    format!(
        "{}/{}/oauth2/v2.0/token",
        text(endpoints, "/aad"),
        text(endpoints, "/tenant_id")
    )
}

/// The client-credentials form for an ARM token.
fn token_form(client_id: String, secret: String) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", "https://management.azure.com/.default".to_string()),
    ]
}

/// An ARM token for these credentials.
async fn arm_token(http: &reqwest::Client, url: &str, form: &[(&'static str, String)]) -> String {
    let reply: Value = http
        .post(url)
        .form(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["access_token"].as_str().unwrap().to_string()
}

/// A service principal through AAD's internal API; its object id and an ARM token.
async fn principal(
    http: &reqwest::Client,
    endpoints: &Value,
    internal_key: &str,
    name: &str,
) -> (String, String) {
    let secret = format!("secret-{}", uuid::Uuid::new_v4());
    let created: Value = http
        .post(format!(
            "{}/internal/servicePrincipals",
            text(endpoints, "/aad")
        ))
        .header("x-mimic-internal-key", internal_key)
        .json(
            &json!({"displayName": name, "servicePrincipalType": "Application",
            "passwordCredentials": [{"secretText": secret}]}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let form = token_form(created["appId"].as_str().unwrap().to_string(), secret);
    (
        created["id"].as_str().unwrap().to_string(),
        arm_token(http, &token_url(endpoints), &form).await,
    )
}

/// Creates resource group `name`; returns its id.
async fn create_group(http: &reqwest::Client, setup: &Setup, name: &str) -> String {
    let id = format!(
        "/subscriptions/{}/resourceGroups/{name}",
        setup.subscription_id
    );
    let url = format!("{}{id}?api-version=2024-11-01", setup.arm);
    let request = http
        .put(url)
        .bearer_auth(&setup.operator)
        .json(&json!({"location": "eastus"}));
    let status = request.send().await.unwrap().status();
    assert!(status.is_success(), "{status}");
    id
}

/// Grants `principal` role `n % 900` of the built-in catalogue at group `g{n / 900}` (creating
/// groups as needed), so `count` grants are all different.
async fn grant_many(http: &reqwest::Client, setup: &Setup, principal: &str, count: usize) {
    let roles = &setup.roles;
    let per_group = roles.len().min(900);
    let groups = count.div_ceil(per_group);
    for g in 0..groups {
        create_group(http, setup, &format!("bench-{principal}-{g}")).await;
    }
    let grants = futures::stream::iter(0..count).map(|n| {
        let http = http.clone();
        let scope = format!(
            "/subscriptions/{}/resourceGroups/bench-{principal}-{}",
            setup.subscription_id,
            n / per_group
        );
        let url = format!(
            "{}{scope}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
            setup.arm,
            uuid::Uuid::new_v4()
        );
        let body = json!({"properties": {"roleDefinitionId": roles[n % per_group],
            "principalId": principal, "principalType": "ServicePrincipal"}});
        let operator = setup.operator.clone();
        async move { expect(http.put(url).bearer_auth(operator).json(&body), 201).await }
    });
    use futures::StreamExt;
    grants.buffer_unordered(16).collect::<Vec<()>>().await;
}

async fn prepare(
    http: &reqwest::Client,
    endpoints: &Value,
    internal_key: &str,
    many: usize,
) -> Setup {
    let token_url = token_url(endpoints);
    let token_form = token_form(
        text(endpoints, "/operator/client_id"),
        text(endpoints, "/operator/client_secret"),
    );
    let operator = arm_token(http, &token_url, &token_form).await;
    let subscription_id = text(endpoints, "/subscription_id");
    let group_id = format!(
        "/subscriptions/{subscription_id}/resourceGroups/{}",
        text(endpoints, "/resource_group")
    );
    let arm = text(endpoints, "/arm");
    // vm1's system identity with Reader on the group: the IMDS target.
    let enabled: Value = http
        .patch(format!(
            "{arm}{group_id}/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-11-01"
        ))
        .bearer_auth(&operator)
        .json(&json!({"identity": {"type": "SystemAssigned"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(enabled["identity"]["principalId"].is_string(), "{enabled}");
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
    let (few, few_token) = principal(http, endpoints, internal_key, "bench-few").await;
    let (many_id, many_token) = principal(http, endpoints, internal_key, "bench-many").await;
    let (assignee, _) = principal(http, endpoints, internal_key, "bench-assignee").await;
    let roles: Value = http
        .get(format!(
            "{arm}{group_id}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01"
        ))
        .bearer_auth(&operator)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let roles: Vec<String> = roles["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|role| role["id"].as_str().unwrap().to_string())
        .collect();
    let mut setup = Setup {
        arm,
        group_id,
        subscription_id,
        operator,
        token_url,
        token_form,
        imds_url,
        few_token,
        many_token,
        assignee,
        roles,
        assign_groups: Vec::new(),
    };
    for g in 0..20 {
        let id = create_group(http, &setup, &format!("bench-assign-{g}")).await;
        setup.assign_groups.push(id);
    }
    // Reader on the fixture group for both callers; 9 / many-1 more grants elsewhere.
    for (id, extra) in [(&few, 9), (&many_id, many.saturating_sub(1))] {
        let reader = format!(
            "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
            setup.subscription_id
        );
        let url = format!(
            "{}{}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
            setup.arm,
            setup.group_id,
            uuid::Uuid::new_v4()
        );
        let body = json!({"properties": {"roleDefinitionId": reader, "principalId": id,
            "principalType": "ServicePrincipal"}});
        expect(http.put(url).bearer_auth(&setup.operator).json(&body), 201).await;
        grant_many(http, &setup, id, extra).await;
    }
    setup
}

fn row(name: &str, stats: &Stats, baseline: &Stats) -> String {
    format!(
        "| {name} | {:.0} | {:.2} ms | {:.2} ms | {:.3} |",
        stats.rate(),
        stats.p50.as_secs_f64() * 1e3,
        stats.p99.as_secs_f64() * 1e3,
        stats.rate() / baseline.rate()
    )
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let seconds = env_number("MIMIC_BENCH_SECONDS", 5);
    let window = Window {
        warmup: Duration::from_millis(seconds * 200),
        measure: Duration::from_secs(seconds),
        concurrency: env_number("MIMIC_BENCH_CONCURRENCY", 16) as usize,
    };
    let writes = Window {
        concurrency: 8,
        ..window
    };
    let many = env_number("MIMIC_BENCH_MANY", 4000) as usize;
    let bulk = env_number("MIMIC_BENCH_SUBSCRIPTION", 100_000) as usize;
    let dir = tempfile::tempdir().unwrap();
    let (child, endpoints, ready) = start_mimic(dir.path());
    let pid = child.0.id();
    std::thread::sleep(Duration::from_millis(500));
    let idle_rss = rss_mib(pid);
    let ca = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();
    let internal_key = std::fs::read_to_string(dir.path().join("internal.key"))
        .unwrap()
        .trim()
        .to_string();
    let pki = mimic_web::Pki::at(dir.path());
    let tls = mimic_web::rustls_server_config(&pki.load_server().unwrap()).unwrap();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = mimic_web::https_client(&ca).unwrap();
        let setup = Arc::new(prepare(&http, &endpoints, &internal_key, many).await);
        let sample = |request: reqwest::RequestBuilder| async move {
            request.send().await.unwrap().bytes().await.unwrap().len()
        };
        let imds_len = sample(http.get(&setup.imds_url).header("Metadata", "true")).await;
        let group_url = format!("{}{}?api-version=2024-11-01", setup.arm, setup.group_id);
        let group_len = sample(http.get(&group_url).bearer_auth(&setup.few_token)).await;
        let token_len = sample(http.post(&setup.token_url).form(&setup.token_form)).await;
        let plain = baseline_server(None, body_of(imds_len), no_work);
        let tls_plain = baseline_server(Some(tls.clone()), body_of(group_len), no_work);
        let tls_sign = baseline_server(Some(tls), body_of(token_len), sign_once);

        let get = |url: String, bearer: Option<String>, extra: Option<(&'static str, &'static str)>| {
            let http = http.clone();
            move |_| {
                let mut request = http.get(&url);
                if let Some(token) = &bearer {
                    request = request.bearer_auth(token);
                }
                if let Some((name, value)) = extra {
                    request = request.header(name, value);
                }
                expect(request, 200)
            }
        };
        let bare_http = run(window, get(format!("http://127.0.0.1:{plain}/"), None, None)).await;
        let imds = run(window, get(setup.imds_url.clone(), None, Some(("Metadata", "true")))).await;
        let bare_https = run(window, get(format!("https://127.0.0.1:{tls_plain}/"), None, None)).await;
        let arm_few = run(window, get(group_url.clone(), Some(setup.few_token.clone()), None)).await;
        let arm_many = run(window, get(group_url.clone(), Some(setup.many_token.clone()), None)).await;
        // The subscription grows by `bulk` assignments of another principal: the few caller's
        // decision should not notice.
        let (bulk_id, _) = principal(&http, &endpoints, &internal_key, "bench-bulk").await;
        grant_many(&http, &setup, &bulk_id, bulk).await;
        let arm_few_big = run(window, get(group_url.clone(), Some(setup.few_token.clone()), None)).await;
        let bare_sign = run(window, get(format!("https://127.0.0.1:{tls_sign}/"), None, None)).await;
        let mint = {
            let (http, setup) = (http.clone(), setup.clone());
            run(window, move |_| expect(http.post(&setup.token_url).form(&setup.token_form), 200)).await
        };
        let put_identity = {
            let (http, setup) = (http.clone(), setup.clone());
            let run_id = uuid::Uuid::new_v4().simple().to_string();
            run(writes, move |n| {
                let url = format!(
                    "{}{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/b{}-{n}?api-version=2024-11-30",
                    setup.arm, setup.group_id, &run_id[..8]
                );
                expect(http.put(url).bearer_auth(&setup.operator).json(&json!({"location": "eastus"})), 201)
            })
            .await
        };
        let put_assignment = {
            let (http, setup) = (http.clone(), setup.clone());
            run(writes, move |n| {
                // Each PUT a new grant: one (role, scope) pair of the catalogue × the bench groups.
                let n = n as usize;
                let roles = &setup.roles;
                let scope = &setup.assign_groups[(n / roles.len()) % setup.assign_groups.len()];
                let url = format!(
                    "{}{scope}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
                    setup.arm,
                    uuid::Uuid::new_v4()
                );
                let body = json!({"properties": {"roleDefinitionId": roles[n % roles.len()],
                    "principalId": setup.assignee, "principalType": "ServicePrincipal"}});
                expect(http.put(url).bearer_auth(&setup.operator).json(&body), 201)
            })
            .await
        };
        let commits = |per_operation: u32| {
            let path = dir.path().join(format!("baseline-{per_operation}.db"));
            async move {
                let pool = mimic_arm::db::connect(&path).await.unwrap();
                sqlx::query("CREATE TABLE IF NOT EXISTS bench (id INTEGER PRIMARY KEY, body TEXT)")
                    .execute(&pool)
                    .await
                    .unwrap();
                run(writes, move |n| {
                    let pool = pool.clone();
                    async move {
                        for _ in 0..per_operation {
                            let mut tx = mimic_arm::db::begin_write(&pool).await.unwrap();
                            sqlx::query("INSERT INTO bench (body) VALUES (?)")
                                .bind(format!("operation {n}"))
                                .execute(&mut *tx)
                                .await
                                .unwrap();
                            tx.commit().await.unwrap();
                        }
                    }
                })
                .await
            }
        };
        let two_commits = commits(2).await;
        let one_commit = commits(1).await;

        println!(
            "Closed loop, {} s window after {} ms warm-up; {} in flight for reads, {} for writes; \
             client and servers share this machine's cores.\n",
            window.measure.as_secs(),
            window.warmup.as_millis(),
            window.concurrency,
            writes.concurrency
        );
        println!("| target | req/s | p50 | p99 | ratio to its baseline |");
        println!("|---|---|---|---|---|");
        println!("{}", row("baseline: bare actix-web, same body size as IMDS, HTTP", &bare_http, &bare_http));
        println!("{}", row("IMDS token (cached), HTTP", &imds, &bare_http));
        println!("{}", row("baseline: bare actix-web + one RS256 signature, HTTPS", &bare_sign, &bare_sign));
        println!("{}", row("AAD client-credentials token (secret), HTTPS", &mint, &bare_sign));
        println!("{}", row("baseline: bare actix-web, same body size as ARM, HTTPS", &bare_https, &bare_https));
        println!("{}", row("ARM GET resource group, caller with 10 assignments", &arm_few, &bare_https));
        println!("{}", row(&format!("ARM GET resource group, caller with {many} assignments"), &arm_many, &bare_https));
        println!("{}", row(&format!("ARM GET resource group, caller with 10, subscription +{bulk} assignments"), &arm_few_big, &bare_https));
        println!("{}", row("baseline: raw sqlx, 2 durable commits per operation", &two_commits, &two_commits));
        println!("{}", row("ARM PUT user-assigned identity (new)", &put_identity, &two_commits));
        println!("{}", row("baseline: raw sqlx, 1 durable commit per operation", &one_commit, &one_commit));
        println!("{}", row("ARM PUT role assignment (new)", &put_assignment, &one_commit));
        println!(
            "\nmany/few ARM GET p50: {:.2}×; large/small subscription ARM GET p50: {:.2}×",
            arm_many.p50.as_secs_f64() / arm_few.p50.as_secs_f64(),
            arm_few_big.p50.as_secs_f64() / arm_few.p50.as_secs_f64()
        );
        let served: usize = [&imds, &arm_few, &arm_many, &arm_few_big, &mint, &put_identity, &put_assignment]
            .iter()
            .map(|stats| stats.requests)
            .sum::<usize>()
            + many
            + bulk;
        let after_rss = rss_mib(pid);
        // Again on the same data dir, as every start but the first is: no keys to generate, no
        // fixture to apply.
        drop(child);
        let (again, _, ready_again) = start_mimic(dir.path());
        drop(again);
        println!(
            "mimic up: ready in {:.1} ms on a new data dir (RSA-2048 signing key generated), {:.1} ms \
             on the same data dir again; resident memory {:.1} MiB idle after start, {:.1} MiB after \
             serving {served} requests (measured windows, warm-ups not counted, plus the setup's grants)",
            ready.as_secs_f64() * 1e3,
            ready_again.as_secs_f64() * 1e3,
            idle_rss,
            after_rss
        );
    });
}
