//! ImdsHost keeps each VM's identities in memory, replaced when ARM announces a change
//! (`HostEvent::IdentitiesChanged`): the cached path asks ARM nothing, and once the announcement
//! is acknowledged no request gets a token of an identity the VM lost.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use mimic_imds::host::{HostEvent, ImdsHost};
use mimic_testkit::fixture::vm_id;
use mimic_testkit::imds::{Identity, Imds, World};

use crate::host::host_settings;

/// A host with one listener for `vm` and no rate limits (the tests send bursts).
async fn hosted(world: &World, vm: &str) -> (ImdsHost, Imds) {
    let settings = mimic_imds::host::HostSettings {
        limits: mimic_imds::Limits::unlimited(),
        ..host_settings(world, world.dir.path())
    };
    let host = ImdsHost::new(settings);
    host.handle(HostEvent::Created(vm.to_string()))
        .await
        .unwrap();
    let url = host.listeners()[0].url.clone();
    (host, Imds::at(url))
}

#[tokio::test]
async fn get_token_from_a_hosted_listener_asks_arm_nothing_per_request() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let (host, imds) = hosted(&world, &vm).await;
    let lookups_at_start = world.arm.identity_requests();

    for _ in 0..10 {
        let reply = imds.token("").await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }

    assert_eq!(world.arm.identity_requests(), lookups_at_start);
    assert_eq!(world.aad.issued().len(), 1);
    host.shutdown().await;
}

#[tokio::test]
async fn get_token_under_load_never_serves_an_identity_after_its_removal_was_acknowledged() {
    let world = World::new().await;
    let (system, user) = (Identity::system("vm1"), Identity::user(1));
    let vm = world.add_vm("vm1", &[system, user.clone()]);
    let (host, imds) = hosted(&world, &vm).await;
    let imds = Arc::new(imds);
    let selector = Arc::new(format!("&client_id={}", user.client_id));
    let acknowledged = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let served_before = Arc::new(AtomicUsize::new(0));
    // 50 requests in flight at any time; each notes whether it was sent after the ack.
    let clients: Vec<_> = (0..50)
        .map(|_| {
            let (imds, selector) = (imds.clone(), selector.clone());
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            let served_before = served_before.clone();
            tokio::spawn(async move {
                let mut after = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let sent_after_ack = acknowledged.load(Ordering::SeqCst);
                    let reply = imds.token(&selector).await;
                    match sent_after_ack {
                        true => after.push((reply.status, reply.text)),
                        false if reply.status == 200 => {
                            served_before.fetch_add(1, Ordering::SeqCst);
                        }
                        false => {}
                    }
                    if after.len() >= 5 {
                        break;
                    }
                }
                after
            })
        })
        .collect();
    while served_before.load(Ordering::SeqCst) < 100 {
        tokio::task::yield_now().await;
    }

    // ARM commits the removal, then announces it and waits for the ack before answering.
    world.arm.remove_identity(&vm, &user.client_id);
    host.handle(HostEvent::IdentitiesChanged(vm.clone()))
        .await
        .unwrap();
    acknowledged.store(true, Ordering::SeqCst);
    let mut after = Vec::new();
    for client in clients {
        after.extend(client.await.unwrap());
    }
    stop.store(true, Ordering::SeqCst);

    assert_eq!(after.len(), 50 * 5);
    for (status, text) in &after {
        assert_eq!(*status, 400, "{text}");
        assert!(text.contains("Identity not found"), "{text}");
    }
    host.shutdown().await;
}

#[tokio::test]
async fn get_token_after_the_system_identity_was_re_enabled_returns_the_new_principals_token() {
    let world = World::new().await;
    let vm = world.add_vm("vm1", &[Identity::system("vm1")]);
    let (host, imds) = hosted(&world, &vm).await;
    let first = imds.token("").await;
    assert_eq!(first.status, 200, "{}", first.text);

    // Disabled and enabled again: same VM, a new principal and client id.
    let renewed = Identity {
        client_id: "c9999999-0000-4000-8000-000000000009".into(),
        principal_id: "p9999999-0000-4000-8000-000000000009".into(),
        ..Identity::system("vm1")
    };
    world.add_vm("vm1", std::slice::from_ref(&renewed));
    host.handle(HostEvent::IdentitiesChanged(vm_id("vm1").to_uppercase()))
        .await
        .unwrap();
    let second = imds.token("").await;

    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(second.json()["client_id"], renewed.client_id.as_str());
    assert_ne!(second.json()["access_token"], first.json()["access_token"]);
    let issued = world.aad.issued();
    assert_eq!(issued.len(), 2);
    assert_eq!(issued[1].client_id, renewed.client_id);
    host.shutdown().await;
}
