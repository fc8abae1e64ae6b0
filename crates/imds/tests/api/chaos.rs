//! `mimic chaos` faults on the token endpoint: each answered in IMDS's envelope, scoped, counted,
//! timed by the shared clock; the IMDS host's 410 after a VM starts.

use std::io::{Read, Write};
use std::sync::Arc;

use mimic_imds::host::{HostEvent, HostSettings, ImdsHost};
use mimic_imds::Settings;
use mimic_testkit::imds::{Identity, Imds, World};
use mimic_web::chaos::{Effect, FaultBook, FaultSpec, Scope, Service};
use serde_json::json;

use crate::host::host_settings;

fn fault(scope: Scope, effect: Effect) -> FaultSpec {
    FaultSpec {
        service: Service::Imds,
        scope,
        effect,
        for_seconds: None,
        count: None,
        probability: None,
        retry_after: None,
    }
}

/// VM `vm1` (system-assigned + id1) and its listener reading `book`.
async fn vm1(book: &Arc<FaultBook>) -> (World, Imds) {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1"), Identity::user(1)]);
    let imds = Imds::start(Settings {
        faults: book.clone(),
        ..world.settings(&vm)
    })
    .await;
    (world, imds)
}

#[tokio::test]
async fn get_token_under_each_status_fault_answers_imds_envelope() {
    let cases = [
        (
            410,
            json!({"error": "service_unavailable", "error_description": "IMDS is going through updates"}),
        ),
        (
            429,
            json!({"error": "too_many_requests", "error_description": "Too many requests"}),
        ),
        (
            500,
            json!({"error": "unknown", "error_description": "Failed to retrieve token from the Active directory. For details see logs in C:\\WindowsAzure\\Logs\\Plugins\\Microsoft.Identity.MSI\\MSI.log"}),
        ),
        (
            503,
            json!({"error": "service_unavailable", "error_description": "The service is temporarily unavailable"}),
        ),
    ];
    for (status, body) in cases {
        let book = Arc::new(FaultBook::new());
        let (world, imds) = vm1(&book).await;
        let spec = FaultSpec {
            count: Some(1),
            ..fault(Scope::Vm("vm1".into()), Effect::Status(status))
        };
        book.add(spec, world.clock.now()).unwrap();

        let struck = imds.token("").await;
        let after = imds.token("").await;

        assert_eq!(struck.status, status, "{}", struck.text);
        assert_eq!(struck.json(), body, "{status}");
        assert!(struck.content_type().starts_with("application/json"));
        assert_eq!(after.status, 200, "{status}: a count of 1 strikes once");
        assert!(book.list(world.clock.now()).is_empty());
    }
}

#[tokio::test]
async fn get_token_under_429_fault_sends_retry_after() {
    let book = Arc::new(FaultBook::new());
    let (world, imds) = vm1(&book).await;
    book.add(fault(Scope::Global, Effect::Status(429)), world.clock.now())
        .unwrap();

    let default = imds.token("").await;
    book.clear(None);
    let spec = FaultSpec {
        retry_after: Some(7),
        ..fault(Scope::Global, Effect::Status(429))
    };
    book.add(spec, world.clock.now()).unwrap();
    let custom = imds.token("").await;

    assert_eq!(default.status, 429);
    assert_eq!(default.header("retry-after"), "1");
    assert_eq!(custom.header("retry-after"), "7");
}

#[tokio::test]
async fn get_token_under_a_timed_410_recovers_when_the_clock_passes_the_window() {
    let book = Arc::new(FaultBook::new());
    let (world, imds) = vm1(&book).await;
    let spec = FaultSpec {
        for_seconds: Some(70),
        ..fault(Scope::Global, Effect::Status(410))
    };
    book.add(spec, world.clock.now()).unwrap();

    let during = imds.token("").await;
    world.clock.advance(70);
    let after = imds.token("").await;

    assert_eq!(during.status, 410);
    assert_eq!(after.status, 200, "{}", after.text);
}

#[tokio::test]
async fn get_token_under_an_identity_fault_strikes_only_that_identity() {
    let book = Arc::new(FaultBook::new());
    let (world, imds) = vm1(&book).await;
    let user = Identity::user(1);
    book.add(
        fault(Scope::Identity(user.client_id.clone()), Effect::Status(500)),
        world.clock.now(),
    )
    .unwrap();

    let system = imds.token("").await;
    let by_client_id = imds.token(&format!("&client_id={}", user.client_id)).await;
    let by_object_id = imds
        .token(&format!("&object_id={}", user.principal_id))
        .await;

    assert_eq!(system.status, 200, "{}", system.text);
    assert_eq!(by_client_id.status, 500);
    assert_eq!(
        by_object_id.status, 500,
        "the identity, however it is selected"
    );
    assert_eq!(book.list(world.clock.now())[0].hits, 2);
}

#[tokio::test]
async fn get_token_under_a_resource_fault_strikes_only_that_resource() {
    let book = Arc::new(FaultBook::new());
    let (world, imds) = vm1(&book).await;
    book.add(
        fault(
            Scope::Resource("https://vault.azure.net".into()),
            Effect::Status(503),
        ),
        world.clock.now(),
    )
    .unwrap();

    let arm = imds.token("").await;
    let vault = imds
        .get("/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net/")
        .await;

    assert_eq!(arm.status, 200);
    assert_eq!(vault.status, 503);
}

#[tokio::test]
async fn get_token_under_a_delay_fault_answers_the_token() {
    let book = Arc::new(FaultBook::new());
    let (world, imds) = vm1(&book).await;
    book.add(fault(Scope::Global, Effect::Delay(20)), world.clock.now())
        .unwrap();

    let slow = imds.token("").await;

    assert_eq!(slow.status, 200, "{}", slow.text);
    assert_eq!(book.list(world.clock.now())[0].hits, 1);
}

#[tokio::test]
async fn get_token_under_a_reset_fault_closes_the_connection_without_an_answer() {
    let book = Arc::new(FaultBook::new());
    let (world, imds) = vm1(&book).await;
    book.add(fault(Scope::Global, Effect::Reset), world.clock.now())
        .unwrap();
    let address = imds.url().trim_start_matches("http://").to_string();

    let received = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        stream
            .write_all(b"GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com HTTP/1.1\r\nHost: x\r\nMetadata: true\r\n\r\n")
            .unwrap();
        let mut received = Vec::new();
        let _ = stream.read_to_end(&mut received);
        received
    })
    .await
    .unwrap();

    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    // The listener itself is unharmed.
    book.clear(None);
    assert_eq!(imds.token("").await.status, 200);
}

#[tokio::test]
async fn get_token_of_another_service_or_vm_fault_is_untouched() {
    let book = Arc::new(FaultBook::new());
    let (world, imds) = vm1(&book).await;
    let mut aad = fault(Scope::Global, Effect::Status(503));
    aad.service = Service::Aad;
    book.add(aad, world.clock.now()).unwrap();
    book.add(
        fault(Scope::Vm("vm2".into()), Effect::Status(410)),
        world.clock.now(),
    )
    .unwrap();

    let answer = imds.token("").await;

    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[tokio::test]
async fn a_hosted_vm_answers_410_for_the_window_after_its_listener_starts() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let book = Arc::new(FaultBook::new());
    let host = ImdsHost::new(HostSettings {
        faults: book.clone(),
        unavailable_after_start: 5,
        ..host_settings(&world, world.dir.path())
    });
    host.handle(HostEvent::Created(vm.clone())).await.unwrap();
    let imds = Imds::at(host.listeners()[0].url.clone());

    let starting = imds.token("").await;
    let listed = book.list(world.clock.now());
    world.clock.advance(5);
    let started = imds.token("").await;

    assert_eq!(starting.status, 410, "{}", starting.text);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].origin, "setting");
    assert_eq!(listed[0].spec.scope, Scope::Vm(vm));
    assert_eq!(started.status, 200, "{}", started.text);
    host.shutdown().await;
}
