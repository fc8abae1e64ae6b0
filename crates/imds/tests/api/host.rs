//! ImdsHost: one listener per VM, following ARM, with ports kept across restarts.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use mimic_imds::host::{HostEvent, HostSettings, ImdsHost, VmListener};
use tokio::sync::{mpsc, oneshot};

use mimic_testkit::fixture::{vm_id, TENANT};
use mimic_testkit::imds::{Identity, Imds, World};

pub(crate) fn host_settings(world: &World, data_dir: &Path) -> HostSettings {
    HostSettings {
        arm_url: world.arm.url.clone(),
        aad_url: world.aad.url.clone(),
        tenant_id: TENANT.to_string(),
        ca_pem: world.ca_pem.clone(),
        internal_key: world.key.clone(),
        data_dir: data_dir.to_path_buf(),
        clock: world.clock.clone(),
        limits: mimic_imds::Limits::default(),
        ip: std::net::Ipv4Addr::LOCALHOST.into(),
        base_port: None,
        faults: std::sync::Arc::default(),
        unavailable_after_start: 0,
        reality: mimic_web::reality::Reality::new(),
    }
}

fn persisted(data_dir: &Path) -> BTreeMap<String, u16> {
    let text = std::fs::read_to_string(data_dir.join("imds-ports.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn port_of(listener: &VmListener) -> u16 {
    listener.url.rsplit(':').next().unwrap().parse().unwrap()
}

async fn is_listening(url: &str) -> bool {
    let address = url.trim_start_matches("http://");
    tokio::net::TcpStream::connect(address).await.is_ok()
}

#[tokio::test]
async fn reconcile_starts_one_listener_per_vm_and_persists_the_ports() {
    let world = World::new().await;
    let system = Identity::system("vm1");
    world.add_vm("vm1", std::slice::from_ref(&system));
    world.add_vm("vm2", &[Identity::user(1)]);
    let host = ImdsHost::new(host_settings(&world, world.dir.path()));

    host.reconcile().await.unwrap();

    let listeners = host.listeners();
    let names: Vec<&str> = listeners.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["vm1", "vm2"]);
    assert_eq!(listeners[0].vm_id, vm_id("vm1"));
    let token = Imds::at(listeners[0].url.clone()).token("").await;
    assert_eq!(token.status, 200, "{}", token.text);
    assert_eq!(token.json()["client_id"], system.client_id.as_str());
    let expected: BTreeMap<String, u16> = listeners
        .iter()
        .map(|l| (l.vm_id.to_lowercase(), port_of(l)))
        .collect();
    assert_eq!(persisted(world.dir.path()), expected);
    host.shutdown().await;
}

#[tokio::test]
async fn reconcile_stops_the_listeners_of_vms_arm_no_longer_has() {
    let world = World::new().await;
    world.add_vm("vm1", &[]);
    world.add_vm("vm2", &[]);
    let host = ImdsHost::new(host_settings(&world, world.dir.path()));
    host.reconcile().await.unwrap();
    let vm2_url = host.listeners()[1].url.clone();

    world.arm.delete_vm(&vm_id("vm2"));
    host.reconcile().await.unwrap();

    let names: Vec<String> = host.listeners().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["vm1"]);
    assert!(!is_listening(&vm2_url).await);
    assert_eq!(persisted(world.dir.path()).len(), 1);
    host.shutdown().await;
}

#[tokio::test]
async fn run_hook_starts_and_stops_listeners_before_acknowledging() {
    let world = World::new().await;
    let host = std::sync::Arc::new(ImdsHost::new(host_settings(&world, world.dir.path())));
    host.reconcile().await.unwrap();
    assert!(host.listeners().is_empty());
    let (hook, events) = mpsc::channel(4);
    let runner = tokio::spawn({
        let host = host.clone();
        async move { host.run_hook(events).await }
    });

    // A VM is created: when the ack arrives, its IMDS already serves tokens.
    let vm = world.add_vm("vm3", &[Identity::system("vm3")]);
    let (ack, acked) = oneshot::channel();
    hook.send((HostEvent::Created(vm.clone()), ack))
        .await
        .unwrap();
    acked.await.unwrap();
    let listener = host.listeners().pop().unwrap();
    assert_eq!(
        (listener.name.as_str(), listener.vm_id.as_str()),
        ("vm3", vm.as_str())
    );
    assert_eq!(Imds::at(listener.url.clone()).token("").await.status, 200);

    // It is deleted: when the ack arrives, the listener is gone and its port forgotten.
    world.arm.delete_vm(&vm);
    let (ack, acked) = oneshot::channel();
    hook.send((HostEvent::Deleted(vm.to_uppercase()), ack))
        .await
        .unwrap();
    acked.await.unwrap();
    assert!(host.listeners().is_empty());
    assert!(!is_listening(&listener.url).await);
    assert!(persisted(world.dir.path()).is_empty());

    drop(hook);
    tokio::time::timeout(Duration::from_secs(5), runner)
        .await
        .unwrap()
        .unwrap();
    host.shutdown().await;
}

#[tokio::test]
async fn handle_created_twice_keeps_one_listener() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let host = ImdsHost::new(host_settings(&world, world.dir.path()));

    host.handle(HostEvent::Created(vm.clone())).await.unwrap();
    let first = host.listeners();
    host.handle(HostEvent::Created(vm.to_lowercase()))
        .await
        .unwrap();

    assert_eq!(host.listeners(), first);
    assert_eq!(first.len(), 1);
    host.handle(HostEvent::Deleted(vm_id("unknown")))
        .await
        .unwrap();
    assert_eq!(host.listeners(), first);
    host.shutdown().await;
}

#[tokio::test]
async fn a_new_host_reuses_the_persisted_ports() {
    let world = World::new().await;
    world.add_vm("vm1", &[Identity::system("vm1")]);
    world.add_vm("vm2", &[]);
    let first = ImdsHost::new(host_settings(&world, world.dir.path()));
    first.reconcile().await.unwrap();
    let before = first.listeners();
    first.shutdown().await;
    assert!(first.listeners().is_empty());
    assert!(!is_listening(&before[0].url).await);

    let second = ImdsHost::new(host_settings(&world, world.dir.path()));
    second.reconcile().await.unwrap();

    assert_eq!(second.listeners(), before);
    assert_eq!(Imds::at(before[0].url.clone()).token("").await.status, 200);
    second.shutdown().await;
}

#[tokio::test]
async fn a_persisted_port_that_is_taken_is_replaced() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port();
    let ports = serde_json::json!({ vm.to_lowercase(): taken, "/subscriptions/x/gone": 1 });
    std::fs::write(world.dir.path().join("imds-ports.json"), ports.to_string()).unwrap();
    let host = ImdsHost::new(host_settings(&world, world.dir.path()));

    host.reconcile().await.unwrap();

    let port = port_of(&host.listeners()[0]);
    assert_ne!(port, taken);
    assert_eq!(
        persisted(world.dir.path()),
        BTreeMap::from([(vm.to_lowercase(), port)])
    );
    host.shutdown().await;
}

#[tokio::test]
async fn subscribe_sees_every_change_of_the_listener_set() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[]);
    let host = ImdsHost::new(host_settings(&world, world.dir.path()));
    let mut changes = host.subscribe();

    host.handle(HostEvent::Created(vm.clone())).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), changes.changed())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changes.borrow_and_update().len(), 1);

    host.handle(HostEvent::Deleted(vm)).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), changes.changed())
        .await
        .unwrap()
        .unwrap();
    assert!(changes.borrow_and_update().is_empty());
    host.shutdown().await;
}

#[tokio::test]
async fn reconcile_when_arm_is_unreachable_fails() {
    let world = World::new().await;
    let mut settings = host_settings(&world, world.dir.path());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    settings.arm_url = format!("https://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let host = ImdsHost::new(settings);

    assert!(host.reconcile().await.is_err());
    assert!(host.listeners().is_empty());
}

/// A base port with the next few ports free at the time of asking (the system's choice).
fn free_base_port() -> u16 {
    loop {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = probe.local_addr().unwrap().port();
        drop(probe);
        let free = (base..base.saturating_add(3))
            .all(|port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
        if free && base < u16::MAX - 3 {
            return base;
        }
    }
}

#[tokio::test]
async fn fixed_ports_go_to_vms_in_id_order_and_survive_a_restart_and_a_new_vm() {
    let world = World::new().await;
    world.add_vm("vm2", &[]);
    world.add_vm("vm1", &[]);
    let base = free_base_port();
    let settings = HostSettings {
        base_port: Some(base),
        ..host_settings(&world, world.dir.path())
    };
    let host = ImdsHost::new(settings.clone());
    host.reconcile().await.unwrap();
    let first: Vec<u16> = host.listeners().iter().map(port_of).collect();
    assert_eq!(first, [base, base + 1], "vm1 then vm2, by ARM id");
    host.shutdown().await;

    // A new VM that sorts first does not move the others: it takes the next free port.
    world.add_vm("vm0", &[]);
    let again = ImdsHost::new(settings);
    again.reconcile().await.unwrap();

    let ports: BTreeMap<String, u16> = again
        .listeners()
        .iter()
        .map(|l| (l.name.clone(), port_of(l)))
        .collect();
    let want = [("vm0", base + 2), ("vm1", base), ("vm2", base + 1)];
    let want: BTreeMap<String, u16> = want.iter().map(|(n, p)| (n.to_string(), *p)).collect();
    assert_eq!(ports, want);
    assert_eq!(persisted(world.dir.path()).len(), 3);
    assert!(again.listeners()[0].url.starts_with("http://127.0.0.1:"));
    again.shutdown().await;
}

#[tokio::test]
async fn a_taken_fixed_port_is_an_error_not_another_port() {
    let world = World::new().await;
    world.add_vm("vm1", &[]);
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port();
    let host = ImdsHost::new(HostSettings {
        base_port: Some(taken),
        ..host_settings(&world, world.dir.path())
    });

    let error = host.reconcile().await.unwrap_err();

    assert!(
        format!("{error:#}").contains(&format!("port {taken}")),
        "{error:#}"
    );
    assert!(host.listeners().is_empty());
    host.shutdown().await;
}
