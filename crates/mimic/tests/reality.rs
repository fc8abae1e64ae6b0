//! Reality modes through the binary against an in-process `mimic up` (docs/reality-modes.md):
//! a delay set at start (`--principal-propagation`), changed with `mimic settings set`, shown by
//! `mimic status`, and waited for with `mimic wait --settled`. Time moves through the shared
//! clock, never by sleeping.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Output;

use mimic_testkit::TestMimic;
use serde_json::json;
use support::mimic;

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const ARM: &str = "https://management.azure.com/";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The seconds `text` says are left before `principal` applies (`principal {id} in {N}s`).
fn seconds_left(text: &str, principal: &str) -> u64 {
    let marker = format!("principal {principal} in ");
    let rest = &text[text.find(&marker).unwrap_or_else(|| panic!("{text}")) + marker.len()..];
    rest[..rest.find('s').unwrap()].parse().unwrap()
}

/// PUTs a Reader grant on the fixture group to `principal_id`, `principalType` only if given.
async fn assign(
    app: &TestMimic,
    token: &str,
    principal_id: &str,
    principal_type: Option<&str>,
) -> mimic_testkit::Reply {
    let path = format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{}?api-version=2022-04-01",
        app.group(),
        uuid::Uuid::new_v4()
    );
    let mut properties = json!({
        "roleDefinitionId": format!("{}/providers/Microsoft.Authorization/roleDefinitions/{READER}", app.subscription()),
        "principalId": principal_id,
    });
    if let Some(kind) = principal_type {
        properties["principalType"] = json!(kind);
    }
    app.arm
        .put(&path, Some(token), json!({ "properties": properties }))
        .await
}

#[tokio::test]
async fn a_delay_set_at_start_holds_a_new_identity_back_until_mimic_wait_settled() {
    let app = TestMimic::start_with(|args| args.reality.principal_propagation = Some(30)).await;
    let dir = app.data_dir();
    let shown = mimic(dir, &["settings"]).await;
    assert_eq!(shown.status.code(), Some(0), "{shown:?}");
    assert!(
        stdout(&shown).contains("principal-propagation        30s"),
        "{}",
        stdout(&shown)
    );
    let set = mimic(
        dir,
        &["settings", "set", "role-assignment-propagation", "5s"],
    )
    .await;
    assert_eq!(set.status.code(), Some(0), "{set:?}");
    assert_eq!(stdout(&set), "role-assignment-propagation = 5s\n");

    let operator = app.operator_token().await;
    let identity = app.create_identity(&operator, "fresh").await;
    let principal_id = identity["properties"]["principalId"].as_str().unwrap();
    let refused = assign(&app, &operator, principal_id, None).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.code(), "PrincipalNotFound");

    let status = mimic(dir, &["status"]).await;
    let text = stdout(&status);
    assert!(
        text.contains("reality    principal-propagation 30s, role-assignment-propagation 5s"),
        "{text}"
    );
    // The delay counts down on the wall clock too: at most 30 s left, more than none.
    let left = seconds_left(&text, principal_id);
    assert!((1..=30).contains(&left), "{text}");
    let early = mimic(dir, &["wait", "--settled", "--timeout", "0s"]).await;
    assert_eq!(early.status.code(), Some(1), "{early:?}");
    let said = stderr(&early);
    assert!(
        said.starts_with("mimic: not settled after 0s: 1 change(s) pending (principal "),
        "{said}"
    );
    assert!(
        (1..=30).contains(&seconds_left(&said, principal_id)),
        "{said}"
    );

    app.clock.advance(30);
    let waited = mimic(dir, &["wait", "--settled", "--timeout", "1m"]).await;
    assert_eq!(waited.status.code(), Some(0), "{waited:?}");
    assert_eq!(stdout(&waited), "settled\n");
    let granted = assign(&app, &operator, principal_id, None).await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    app.stop().await;
}

#[tokio::test]
async fn mimic_settings_refuses_unknown_names_and_bad_values_and_wait_needs_a_running_mimic() {
    let app = TestMimic::start().await;
    let dir = app.data_dir();
    let unknown = mimic(dir, &["settings", "set", "nope", "1s"]).await;
    assert_eq!(unknown.status.code(), Some(1), "{unknown:?}");
    assert!(
        stderr(&unknown).contains("no setting is named 'nope'"),
        "{}",
        stderr(&unknown)
    );
    let bad = mimic(dir, &["settings", "set", "token-cache-realism", "10s"]).await;
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    let settled = mimic(dir, &["wait", "--settled"]).await;
    assert_eq!(settled.status.code(), Some(0), "{settled:?}");
    app.stop().await;
    let stopped = tempfile::tempdir().unwrap();
    let not_running = mimic(stopped.path(), &["wait", "--settled"]).await;
    assert_eq!(not_running.status.code(), Some(3), "{not_running:?}");
    assert!(stdout(&not_running).contains("mimic is not running"));
    let not_running = mimic(stopped.path(), &["settings"]).await;
    assert_eq!(not_running.status.code(), Some(3), "{not_running:?}");
}

#[tokio::test]
async fn token_cache_realism_keeps_serving_a_removed_identitys_cached_token_until_it_expires() {
    let app = TestMimic::start_with(|args| args.reality.token_cache_realism = true).await;
    let operator = app.operator_token().await;
    let enabled = app
        .patch_vm_identity(&operator, "vm1", json!({"type": "SystemAssigned"}))
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    let first = app.imds_token("vm1", ARM, "").await;
    assert_eq!(first.status, 200, "{}", first.body);

    let disabled = app
        .patch_vm_identity(&operator, "vm1", json!({"type": "None"}))
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    let cached = app.imds_token("vm1", ARM, "").await;
    assert_eq!(cached.status, 200, "{}", cached.body);
    assert_eq!(cached.body["access_token"], first.body["access_token"]);
    // Asking past the cache reaches AAD, which refuses: the identity is gone.
    let bypassed = app.imds_token("vm1", ARM, "&bypass_cache=true").await;
    assert_eq!(bypassed.status, 400, "{}", bypassed.body);
    // Once the token has expired, nothing is left to serve.
    let expires_in: i64 = first.body["expires_in"].as_str().unwrap().parse().unwrap();
    app.clock.advance(expires_in + 1);
    let expired = app.imds_token("vm1", ARM, "").await;
    assert_eq!(expired.status, 400, "{}", expired.body);
    assert_eq!(
        expired.body,
        json!({"error": "invalid_request", "error_description": "Identity not found"})
    );
    app.stop().await;
}
