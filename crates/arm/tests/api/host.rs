//! The ARM host API for IMDS (docs/internal-apis.md): VMs and their current identities.

use serde_json::json;

use crate::compute_helpers::system_principal;
use mimic_testkit::fixture::{identity_id, vm_id, GROUP, SUBSCRIPTION, TENANT};
use mimic_testkit::TestArm;

#[tokio::test]
async fn host_vms_lists_every_vm() {
    let app = TestArm::spawn().await;

    let reply = app.host_get("/internal/vms").await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["value"][0],
        json!({"id": vm_id("vm1"), "name": "vm1", "resourceGroup": GROUP, "subscriptionId": SUBSCRIPTION,
            "location": "eastus", "vmId": "5e1d2c3b-4a59-4687-9765-a4b3c2d1e0f9"})
    );
    assert_eq!(reply.body["value"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn host_identities_returns_the_current_identities_and_no_key_material() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let identity = app.create_identity(&token, "id1").await;
    let vm = app
        .patch_identity(&token, "vm1", json!({"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {identity_id("id1"): {}}}))
        .await;

    let reply = app.host_identities(&vm_id("VM1").to_lowercase()).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["vm"], vm);
    let identities = reply.body["identities"].as_array().unwrap();
    assert_eq!(identities.len(), 2);
    let system = &identities[0];
    assert_eq!(system["type"], "SystemAssigned");
    assert_eq!(system["resourceId"], vm_id("vm1"));
    assert_eq!(system["principalId"], system_principal(&vm));
    assert_eq!(system["tenantId"], TENANT);
    let user = &identities[1];
    assert_eq!(user["type"], "UserAssigned");
    assert_eq!(user["resourceId"], identity_id("id1"));
    assert_eq!(user["clientId"], identity["properties"]["clientId"]);
    // No identity has a key anywhere: nothing to leak.
    assert!(!reply.text.contains("PRIVATE KEY"), "{}", reply.text);
    assert!(!reply.text.contains("privateKeyPem"), "{}", reply.text);
    for entry in identities {
        let principal = app
            .aad_principal(entry["principalId"].as_str().unwrap())
            .await;
        assert_eq!(principal["appId"], entry["clientId"]);
    }
}

#[tokio::test]
async fn host_identities_reflects_removal_and_404s_for_a_deleted_vm() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    app.patch_identity(&token, "vm2", json!({"type": "SystemAssigned"}))
        .await;
    app.patch_identity(&token, "vm2", json!({"type": "None"}))
        .await;

    let after_removal = app.host_identities(&vm_id("vm2")).await;
    app.delete_vm(&token, "vm2").await;
    let after_delete = app.host_identities(&vm_id("vm2")).await;
    let listed = app.host_get("/internal/vms").await;

    assert_eq!(after_removal.status, 200);
    assert_eq!(after_removal.body["identities"], json!([]));
    assert_eq!(after_delete.status, 404, "{}", after_delete.text);
    assert_eq!(after_delete.code(), "ResourceNotFound");
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn host_api_without_the_internal_key_returns_401() {
    let app = TestArm::spawn().await;

    let missing = app.arm.raw("GET", "/internal/vms", &[], "").await;
    let wrong = app
        .arm
        .raw(
            "GET",
            "/internal/vms",
            &[(mimic_web::INTERNAL_KEY_HEADER, "wrong")],
            "",
        )
        .await;

    for reply in [missing, wrong] {
        assert_eq!(reply.status, 401);
        assert!(reply.body["error"]["code"].is_string(), "{}", reply.text);
    }
}

#[tokio::test]
async fn host_status_counts_what_arm_holds() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;
    let before = app.host_get("/internal/status").await;
    app.create_identity(&token, "counted").await;
    app.patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;

    let after = app.host_get("/internal/status").await;

    assert_eq!(before.status, 200, "{}", before.text);
    assert_eq!(after.status, 200, "{}", after.text);
    for (field, added) in [
        ("subscriptions", 0),
        ("resourceGroups", 0),
        ("virtualMachines", 0),
        ("userAssignedIdentities", 1),
        ("systemAssignedIdentities", 1),
        ("roleAssignments", 0),
    ] {
        let count = |reply: &mimic_testkit::Reply| reply.body[field].as_i64().unwrap();
        assert_eq!(
            count(&after) - count(&before),
            added,
            "{field}: {}",
            after.text
        );
    }
    assert_eq!(before.body["virtualMachines"], 2);
    assert_eq!(before.body["userAssignedIdentities"], 0);
}

#[tokio::test]
async fn host_status_without_the_internal_key_returns_401_even_with_a_token() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let missing = app.arm.raw("GET", "/internal/status", &[], "").await;
    let wrong = app
        .arm
        .raw(
            "GET",
            "/internal/status",
            &[(mimic_web::INTERNAL_KEY_HEADER, "wrong")],
            "",
        )
        .await;
    let bearer = app.arm.get("/internal/status", Some(&token)).await;

    for reply in [missing, wrong, bearer] {
        assert_eq!(reply.status, 401, "{}", reply.text);
        assert_eq!(reply.code(), "InvalidInternalKey", "{}", reply.text);
        assert!(reply.body.get("subscriptions").is_none());
    }
}

#[tokio::test]
async fn host_api_refuses_a_peer_the_settings_do_not_admit_with_the_same_401_as_a_wrong_key() {
    // The harness connects from 127.0.0.1, which the default (loopback) admits; `Nobody` shows the
    // gate and the extractor honour the peer rule without a second interface. The decision itself
    // is unit-tested in mimic-web (`InternalPeers::admits`).
    let open = TestArm::spawn().await;
    let closed = TestArm::spawn_with(|settings| {
        settings.internal_peers = mimic_web::InternalPeers::Nobody;
    })
    .await;

    let admitted = open.host_get("/internal/vms").await;
    let refused = closed.host_get("/internal/vms").await;
    let status = closed.host_get("/internal/status").await;
    let wrong_key = open
        .arm
        .raw(
            "GET",
            "/internal/vms",
            &[(mimic_web::INTERNAL_KEY_HEADER, "wrong")],
            "",
        )
        .await;

    assert_eq!(admitted.status, 200, "{}", admitted.text);
    for reply in [&refused, &status] {
        assert_eq!(reply.status, 401, "{}", reply.text);
        assert_eq!(reply.body, wrong_key.body);
    }
    // The public API is not affected.
    let token = closed.operator_token().await;
    let listed = closed
        .arm
        .get("/subscriptions?api-version=2022-12-01", Some(&token))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
}

/// One watch poll of `vm` as watcher `watcher` holding `holds` (ARM's `host_watch`).
async fn poll(app: &TestArm, vm: &str, watcher: &str, holds: Option<&str>) -> mimic_testkit::Reply {
    let key = app.internal_key.expose().to_string();
    let path = format!("/internal/vms/identities?id={}&wait=10", urlencoding(vm));
    let mut headers = vec![
        (mimic_web::INTERNAL_KEY_HEADER, key.as_str()),
        ("x-mimic-watcher", watcher),
    ];
    if let Some(holds) = holds {
        headers.push(("if-none-match", holds));
    }
    app.arm.raw("GET", &path, &headers, "").await
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn etag(reply: &mimic_testkit::Reply) -> String {
    reply.headers["etag"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_write_is_answered_only_once_every_watcher_holds_the_change() {
    let app = std::sync::Arc::new(TestArm::spawn().await);
    let token = app.operator_token().await;
    let vm = vm_id("vm1");
    let first = poll(&app, &vm, "w1", None).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let held = etag(&first);
    assert!(first.body["identities"].as_array().unwrap().is_empty());

    // The watcher's next poll waits; the write answers it, then waits for the watcher's ack.
    let waiting = tokio::spawn({
        let (app, vm, held) = (app.clone(), vm.clone(), held.clone());
        async move { poll(&app, &vm, "w1", Some(&held)).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let write = tokio::spawn({
        let (app, token) = (app.clone(), token.clone());
        async move {
            app.patch_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
                .await
        }
    });
    let changed = waiting.await.unwrap();
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_ne!(etag(&changed), held);
    assert_eq!(changed.body["identities"][0]["type"], "SystemAssigned");
    // Not yet acknowledged: the write is still waiting (up to the watcher's lease, 12 s).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !write.is_finished(),
        "ARM answered before the watcher held the change"
    );

    // The watcher polls again holding the new generation: that is its ack.
    let acked = tokio::spawn({
        let (app, vm, holds) = (app.clone(), vm.clone(), etag(&changed));
        async move { poll(&app, &vm, "w1", Some(&holds)).await }
    });
    let written = write.await.unwrap();
    assert_eq!(written["identity"]["type"], "SystemAssigned");
    // Nothing changed since: the poll is held, then answers 304 (not awaited here).
    acked.abort();
    let status = app.arm.internal("GET", "/internal/status", None).await;
    assert_eq!(status.body["hostApi"]["watchers"], 1, "{}", status.text);
}

#[tokio::test]
async fn a_watch_poll_is_answered_304_when_nothing_changed_and_404_with_a_tag_for_a_gone_vm() {
    let app = TestArm::spawn().await;
    let first = poll(&app, &vm_id("vm1"), "w", None).await;
    let held = etag(&first);
    let key = app.internal_key.expose().to_string();
    let path = format!(
        "/internal/vms/identities?id={}&wait=1",
        urlencoding(&vm_id("vm1"))
    );
    let unchanged = app
        .arm
        .raw(
            "GET",
            &path,
            &[
                (mimic_web::INTERNAL_KEY_HEADER, key.as_str()),
                ("if-none-match", held.as_str()),
            ],
            "",
        )
        .await;
    assert_eq!(unchanged.status, 304, "{}", unchanged.text);
    assert_eq!(etag(&unchanged), held);

    let gone = poll(&app, &vm_id("no-such-vm"), "w", None).await;
    assert_eq!(gone.status, 404, "{}", gone.text);
    assert_eq!(gone.body["error"]["code"], "ResourceNotFound");
    assert!(!etag(&gone).is_empty());
}
