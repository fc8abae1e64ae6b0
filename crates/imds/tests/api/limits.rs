//! The per-VM rate limits: 20 requests/s and 5 concurrent for the managed-identity endpoints —
//! every token route of the listener together — 5 requests/s for the others, 429 over a limit
//! (in each route's own envelope), 0 = unlimited.

use std::time::{Duration, Instant};

use mimic_imds::{Limits, Settings};
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;

use crate::flavors::{arc_key_dir, files_in, token_routes};
use mimic_testkit::imds::{Identity, Imds, World};
use mimic_testkit::Reply;

const TOKEN: &str =
    "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com";
const INSTANCE: &str = "/metadata/instance?api-version=2021-02-01";

/// Sends `count` GETs to `path` at once; returns the answers and how long the burst took.
async fn burst(imds: &Imds, path: &str, count: usize) -> (Vec<Reply>, Duration) {
    let started = Instant::now();
    let mut requests = JoinSet::new();
    for _ in 0..count {
        let imds = Imds::at(imds.url().to_string());
        let path = path.to_string();
        requests.spawn(async move { imds.get(&path).await });
    }
    let answers = requests.join_all().await;
    (answers, started.elapsed())
}

/// How many requests a bucket of `per_second` may have refilled during `elapsed`.
fn refill(per_second: u32, elapsed: Duration) -> usize {
    (elapsed.as_secs_f64() * f64::from(per_second)).ceil() as usize
}

fn count(answers: &[Reply], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

async fn imds_with(world: &World, vm: &str, limits: Limits) -> Imds {
    Imds::start(Settings {
        limits,
        ..world.settings(vm)
    })
    .await
}

#[tokio::test]
async fn get_token_in_a_burst_above_20_per_second_gets_429_too_many_requests() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    // Azure's rate, without the concurrency limit so that the whole burst arrives at once.
    let limits = Limits {
        identity_concurrent: 0,
        ..Limits::default()
    };
    let imds = imds_with(&world, &vm, limits).await;
    assert_eq!(imds.token("").await.status, 200);

    let (answers, elapsed) = burst(&imds, TOKEN, 40).await;

    let (ok, throttled) = (count(&answers, 200), count(&answers, 429));
    assert_eq!(ok + throttled, 40, "{answers:?}");
    assert!(ok >= 19, "{ok} admitted");
    assert!(
        ok <= 20 + refill(20, elapsed),
        "{ok} admitted in {elapsed:?}"
    );
    assert!(throttled > 0, "none throttled in {elapsed:?}");
    let refused = answers.iter().find(|a| a.status == 429).unwrap();
    assert!(refused.content_type().starts_with("application/json"));
    assert_eq!(
        refused.json(),
        json!({"error": "too_many_requests", "error_description": "Too many requests"})
    );
}

#[tokio::test]
async fn get_token_below_the_limit_is_never_throttled_and_the_limit_refills() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    for _ in 0..15 {
        assert_eq!(imds.token("").await.status, 200);
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..15 {
        assert_eq!(imds.token("").await.status, 200);
    }
}

#[tokio::test]
async fn get_token_sixth_concurrent_request_gets_429() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    world.aad.answer_after(Duration::from_secs(2));
    let imds = world.imds(&vm).await;

    // bypass_cache: each of the five waits for the slow AAD.
    let mut slow = JoinSet::new();
    for _ in 0..5 {
        let imds = Imds::at(imds.url().to_string());
        slow.spawn(async move { imds.token("&bypass_cache=true").await });
    }
    for _ in 0..200 {
        if world.aad.received() == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(world.aad.received(), 5);
    let sixth = imds.token("").await;
    let info = imds
        .get("/metadata/identity/info?api-version=2018-02-01")
        .await;
    let instance = imds.get(INSTANCE).await;

    assert_eq!(sixth.status, 429, "{}", sixth.text);
    assert_eq!(sixth.json()["error"], "too_many_requests");
    assert_eq!(info.status, 429, "the limit covers every identity endpoint");
    assert_eq!(instance.status, 200, "instance metadata has its own limit");
    let answers = slow.join_all().await;
    assert!(answers.iter().all(|a| a.status == 200), "{answers:?}");
    assert_eq!(imds.token("").await.status, 200, "the slots are free again");
}

#[tokio::test]
async fn get_instance_in_a_burst_above_5_per_second_gets_429() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let imds = world.imds(&vm).await;

    let (answers, elapsed) = burst(&imds, INSTANCE, 12).await;
    let versions = imds.get("/metadata/versions").await;
    let token = imds.token("").await;

    let ok = count(&answers, 200);
    assert_eq!(ok + count(&answers, 429), 12, "{answers:?}");
    assert!(
        ok >= 5 && ok <= 5 + refill(5, elapsed),
        "{ok} in {elapsed:?}"
    );
    let refused = answers.iter().find(|a| a.status == 429).unwrap();
    assert_eq!(refused.json(), json!({"error": "Too many requests"}));
    assert_eq!(versions.status, 429, "versions shares the metadata limit");
    assert_eq!(token.status, 200, "tokens have their own limit");
}

#[tokio::test]
async fn limits_are_configurable_and_zero_means_unlimited() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let strict = Limits {
        identity_per_second: 2,
        identity_concurrent: 1,
        metadata_per_second: 1,
    };
    let imds = imds_with(&world, &vm, strict).await;
    let tokens = [
        imds.token("").await.status,
        imds.token("").await.status,
        imds.token("").await.status,
    ];
    let instances = [
        imds.get(INSTANCE).await.status,
        imds.get(INSTANCE).await.status,
    ];
    assert_eq!(tokens, [200, 200, 429]);
    assert_eq!(instances, [200, 429]);

    let unlimited = world.imds_unlimited(&vm).await;
    let (tokens, _) = burst(&unlimited, TOKEN, 40).await;
    let (instances, _) = burst(&unlimited, INSTANCE, 20).await;
    assert_eq!(count(&tokens, 200), 40);
    assert_eq!(count(&instances, 200), 20);
}

/// VM `vm1` (system-assigned + id1) and its listener with `limits`; Arc keys in a temp dir.
async fn vm1_with(limits: Limits) -> (World, String, Imds) {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1"), Identity::user(1)]);
    let imds = Imds::start(Settings {
        limits,
        arc_key_dir: arc_key_dir(&world),
        ..world.settings(&vm)
    })
    .await;
    (world, vm, imds)
}

/// Asks `/metadata/identity/info` (no token involved) until it answers `status` (a bound of 30 s,
/// not a speed: a loaded CI machine takes a while to notice a dropped connection).
async fn await_info(imds: &Imds, status: u16) {
    let path = "/metadata/identity/info?api-version=2018-02-01";
    for _ in 0..3000 {
        if imds.get(path).await.status == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("/metadata/identity/info never answered {status}");
}

#[tokio::test]
async fn token_routes_share_one_concurrency_budget_and_answer_429_in_their_own_envelope() {
    let (world, vm, imds) = vm1_with(Limits {
        identity_per_second: 0,
        identity_concurrent: 1,
        metadata_per_second: 0,
    })
    .await;
    // A Cloud Shell POST whose body has not all arrived holds the one slot for as long as we like.
    let address = imds.url().trim_start_matches("http://");
    let mut held = tokio::net::TcpStream::connect(address).await.unwrap();
    held.write_all(
        b"POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nMetadata: true\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nresource=",
    )
    .await
    .unwrap();
    await_info(&imds, 429).await;

    for route in token_routes(&world, &vm) {
        let answer = route.send(&imds, &[]).await;
        route.assert_error(&answer, 429, "too_many_requests", "Too many requests");
    }
    let instance = imds.get(INSTANCE).await;

    assert_eq!(instance.status, 200, "instance metadata has its own budget");
    assert!(world.aad.issued().is_empty(), "a token was issued");
    assert_eq!(
        files_in(&arc_key_dir(&world)),
        0,
        "Arc wrote a challenge key"
    );
    drop(held);
    await_info(&imds, 200).await;
    let app_service = &token_routes(&world, &vm)[1];
    assert_eq!(
        app_service.send(&imds, &[]).await.status,
        200,
        "the slot is free again"
    );
}

#[tokio::test]
async fn token_routes_share_one_rate_budget_whichever_route_spends_it() {
    let limits = Limits {
        identity_per_second: 2,
        identity_concurrent: 0,
        metadata_per_second: 0,
    };
    // (IMDS, App Service, Azure ML, Cloud Shell, VM extension, Arc): two through one route spend
    // the budget, then every route is over it.
    for first in [1, 0, 4] {
        let (world, vm, imds) = vm1_with(limits).await;
        let routes = token_routes(&world, &vm);
        let order = [first, first].into_iter().chain(0..routes.len());

        let started = Instant::now();
        let mut answers = Vec::new();
        for index in order {
            answers.push((index, routes[index].send(&imds, &[]).await));
        }
        let elapsed = started.elapsed();

        let name = routes[first].name;
        assert!(
            answers[..2].iter().all(|(_, a)| a.status != 429),
            "{name}: {answers:?}"
        );
        let admitted = answers.iter().filter(|(_, a)| a.status != 429).count();
        assert!(
            admitted <= 2 + refill(2, elapsed),
            "{name} first: {admitted} of {} admitted in {elapsed:?}: {answers:?}",
            answers.len()
        );
        for (index, answer) in answers.iter().filter(|(_, a)| a.status == 429) {
            routes[*index].assert_error(answer, 429, "too_many_requests", "Too many requests");
        }
    }
}
