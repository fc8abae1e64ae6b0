//! A standalone IMDS (`mimic imds`, as in docker-compose) against the real ARM and AAD: it keeps
//! the VM's identities in memory through ARM's host-API watch, so a cached token asks ARM
//! nothing, and once ARM has answered the write that removed an identity, no request gets that
//! identity's token — the same promise `mimic up`'s in-process host keeps (host_memory.rs).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;

use mimic_imds::Settings;
use mimic_testkit::fixture::{vm_id, TENANT};
use mimic_testkit::imds::Imds;
use mimic_testkit::TestArm;

/// The real ARM and AAD, one VM with a system- and a user-assigned identity, and a standalone
/// IMDS for it (no rate limits: the tests send bursts).
async fn standalone() -> (TestArm, String, Value, Imds) {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let identity = app.create_identity(&operator, "watched-uami").await;
    let identity_id = identity["id"].as_str().unwrap().to_string();
    app.create_vm(&operator, "watched").await;
    let patched = app
        .patch_identity(
            &operator,
            "watched",
            json!({"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {identity_id: {}}}),
        )
        .await;
    assert_eq!(
        patched["identity"]["type"], "SystemAssigned, UserAssigned",
        "{patched}"
    );
    let ca = std::fs::read_to_string(app.ca_path()).unwrap();
    let settings = Settings {
        limits: mimic_imds::Limits::unlimited(),
        clock: app.clock.clone(),
        ..Settings::new(
            vm_id("watched"),
            &app.arm.base,
            &app.aad.base,
            TENANT,
            &ca,
            app.internal_key.clone(),
        )
    };
    let imds = Imds::start(settings).await;
    (app, operator, identity, imds)
}

type Value = serde_json::Value;

async fn host_api(app: &TestArm) -> Value {
    let status = app.arm.internal("GET", "/internal/status", None).await;
    assert_eq!(status.status, 200, "{}", status.text);
    status.body["hostApi"].clone()
}

/// Waits (bounded) until ARM counts the IMDS among its watchers holding the current generation:
/// being counted as a watcher is not enough, as ARM counts it on its first poll, before the IMDS
/// has taken the answer in (until then, requests still ask ARM).
async fn until_watched(app: &TestArm) {
    for _ in 0..200 {
        if host_api(app).await["watchersCurrent"] == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the IMDS never watched ARM's host API");
}

#[tokio::test]
async fn get_token_from_a_standalone_imds_asks_arm_nothing_while_it_watches() {
    let (app, _, _, imds) = standalone().await;
    until_watched(&app).await;
    let first = imds.token("").await;
    assert_eq!(first.status, 200, "{}", first.text);
    // AAD asked ARM once for the miss (it checks the identity is on the VM before minting).
    let reads = host_api(&app).await["identityReads"].clone();

    for _ in 0..10 {
        let reply = imds.token("").await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.json()["access_token"], first.json()["access_token"]);
    }

    assert_eq!(host_api(&app).await["identityReads"], reads);
}

#[tokio::test]
async fn get_token_under_load_never_serves_an_identity_after_arm_answered_its_removal() {
    let (app, operator, identity, imds) = standalone().await;
    until_watched(&app).await;
    let imds = Arc::new(imds);
    let selector = Arc::new(format!(
        "&client_id={}",
        identity["properties"]["clientId"].as_str().unwrap()
    ));
    let acknowledged = Arc::new(AtomicBool::new(false));
    let served_before = Arc::new(AtomicUsize::new(0));
    // 20 requests in flight at any time; each notes whether it was sent after ARM answered.
    let clients: Vec<_> = (0..20)
        .map(|_| {
            let (imds, selector) = (imds.clone(), selector.clone());
            let (acknowledged, served_before) = (acknowledged.clone(), served_before.clone());
            tokio::spawn(async move {
                let mut after = Vec::new();
                while after.len() < 5 {
                    let sent_after_ack = acknowledged.load(Ordering::SeqCst);
                    let reply = imds.token(&selector).await;
                    match sent_after_ack {
                        true => after.push((reply.status, reply.text)),
                        false if reply.status == 200 => {
                            served_before.fetch_add(1, Ordering::SeqCst);
                        }
                        false => {}
                    }
                }
                after
            })
        })
        .collect();
    while served_before.load(Ordering::SeqCst) < 40 {
        tokio::task::yield_now().await;
    }

    // The user-assigned identity leaves the VM; ARM answers once the watcher holds the change.
    let patched = app
        .patch_identity(&operator, "watched", json!({"type": "SystemAssigned"}))
        .await;
    assert_eq!(patched["identity"]["type"], "SystemAssigned", "{patched}");
    acknowledged.store(true, Ordering::SeqCst);
    let mut after = Vec::new();
    for client in clients {
        after.extend(client.await.unwrap());
    }

    assert_eq!(after.len(), 20 * 5);
    for (status, text) in &after {
        assert_eq!(*status, 400, "{text}");
        assert!(text.contains("Identity not found"), "{text}");
    }
    // The system identity is still served.
    assert_eq!(imds.token("").await.status, 200);
}
