//! `mimic snapshot save|restore|list` and `mimic reset`, run as the binary against a running
//! mimic and against a stopped one: both stores come back together, principals no restored
//! identity owns are deleted, IMDS keeps its port, and a token issued before still verifies.

use tokio::process::Command;

use mimic_testkit::{fixture::READER, TestMimic};
use serde_json::json;

/// `mimic --data-dir DIR ARGS…`: (exit code, stdout + stderr). Async: the in-process mimic
/// shares this test's runtime, which must keep running while the command talks to it.
async fn mimic_cli(mimic: &TestMimic, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_mimic"))
        .arg("--data-dir")
        .arg(mimic.data_dir())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

async fn identity_status(mimic: &TestMimic, token: &str, name: &str) -> u16 {
    let path = format!("{}?api-version=2024-11-30", mimic.identity_id(name));
    mimic
        .arm
        .request("GET", &path, Some(token), None)
        .await
        .status
}

#[tokio::test]
async fn snapshot_restore_and_reset_while_running_bring_both_stores_back() {
    let mimic = TestMimic::start().await;
    let token = mimic.operator_token().await;
    mimic.create_identity(&token, "id1").await;
    let vm = mimic
        .patch_vm_identity(&token, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    let principal = vm.body["identity"]["principalId"]
        .as_str()
        .unwrap()
        .to_string();
    mimic
        .grant(&token, &mimic.group(), READER, &principal)
        .await;
    let imds_before = mimic.imds("vm1");

    let (saved, text) = mimic_cli(&mimic, &["snapshot", "save", "lab1"]).await;
    assert_eq!(saved, 0, "{text}");
    mimic.create_identity(&token, "id2").await;
    assert_eq!(mimic.principals_named("id2").await.len(), 1);

    let (restored, text) = mimic_cli(&mimic, &["snapshot", "restore", "lab1"]).await;

    assert_eq!(restored, 0, "{text}");
    assert_eq!(identity_status(&mimic, &token, "id2").await, 404);
    assert_eq!(identity_status(&mimic, &token, "id1").await, 200);
    assert!(
        mimic.principals_named("id2").await.is_empty(),
        "id2's principal is orphaned"
    );
    // The VM's IMDS came back on the same port and serves the restored identity.
    assert_eq!(mimic.endpoints_file().vm("vm1").unwrap().imds, imds_before);
    let vm_token = mimic
        .imds_token("vm1", "https://management.azure.com/", "")
        .await;
    assert_eq!(vm_token.status, 200, "{:?}", vm_token.body);

    let (reset, text) = mimic_cli(&mimic, &["reset"]).await;

    assert_eq!(reset, 0, "{text}");
    assert_eq!(
        identity_status(&mimic, &token, "id1").await,
        404,
        "token issued before still verifies"
    );
    assert!(mimic.principals_named("id1").await.is_empty());
    assert!(mimic.principals_named("vm1").await.is_empty());
    let vm_after = mimic
        .arm
        .request(
            "GET",
            &format!("{}?api-version=2024-11-01", mimic.vm_id("vm1")),
            Some(&token),
            None,
        )
        .await;
    assert!(vm_after.body["identity"].is_null(), "{}", vm_after.body);
    let (listed, text) = mimic_cli(&mimic, &["snapshot", "list"]).await;
    assert_eq!(listed, 0);
    assert_eq!(text.lines().collect::<Vec<_>>(), ["fixture", "lab1"]);
}

#[tokio::test]
async fn snapshot_restore_and_reset_work_while_stopped_too() {
    let mut mimic = TestMimic::start().await;
    let token = mimic.operator_token().await;
    mimic.create_identity(&token, "kept").await;
    assert_eq!(mimic_cli(&mimic, &["snapshot", "save", "one"]).await.0, 0);
    mimic.mimic.take().unwrap().stop().await;

    let (reset, text) = mimic_cli(&mimic, &["reset"]).await;
    assert_eq!(reset, 0, "{text}");
    assert!(!mimic.data_dir().join("arm.db").exists());
    let (restored, text) = mimic_cli(&mimic, &["snapshot", "restore", "one"]).await;
    assert_eq!(restored, 0, "{text}");
    let mimic = mimic.restart().await;

    let token = mimic.operator_token().await;
    assert_eq!(identity_status(&mimic, &token, "kept").await, 200);
    assert_eq!(mimic.principals_named("kept").await.len(), 1);
    let (missing, text) = mimic_cli(&mimic, &["snapshot", "restore", "nope"]).await;
    assert_ne!(missing, 0);
    assert!(text.contains("no snapshot 'nope'"), "{text}");
    let (bad, _) = mimic_cli(&mimic, &["snapshot", "save", "../escape"]).await;
    assert_ne!(bad, 0);
}
