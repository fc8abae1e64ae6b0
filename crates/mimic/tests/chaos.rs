//! `mimic chaos` (the binary, against an in-process `mimic up`): faults added, listed, cleared
//! and shown by `mimic status`; IMDS and AAD answering them in their envelopes; a signing-key
//! rollover that ARM follows; AAD's clock skew against ARM's five minutes of leeway.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Output;

use mimic_testkit::TestMimic;
use support::mimic;

const ARM_SCOPE: &str = "https://management.azure.com/.default";
const ARM_RESOURCE: &str = "https%3A%2F%2Fmanagement.azure.com%2F";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `kid` of a JWT's header.
fn kid(token: &str) -> String {
    mimic_token::Verifier::kid_of(token).unwrap().unwrap()
}

#[tokio::test]
async fn chaos_add_list_clear_strike_imds_and_aad_and_show_in_status() {
    let app = TestMimic::start().await;
    let dir = app.data_dir();
    let token = app.operator_token().await;
    let identity = serde_json::json!({"type": "SystemAssigned"});
    assert_eq!(
        app.patch_vm_identity(&token, "vm1", identity).await.status,
        200
    );

    let added = mimic(dir, &["chaos", "add", "vm1", "imds", "410", "--for", "70s"]).await;
    let gone = app.imds_token("vm1", ARM_RESOURCE, "").await;
    let aad = mimic(
        dir,
        &[
            "chaos",
            "add",
            "global",
            "aad",
            "temporarily_unavailable",
            "--count",
            "1",
        ],
    )
    .await;
    let operator = &app.endpoints.operator;
    let busy = app
        .client_credentials(&operator.client_id, &operator.client_secret, ARM_SCOPE)
        .await;
    let again = app
        .client_credentials(&operator.client_id, &operator.client_secret, ARM_SCOPE)
        .await;
    let listed = mimic(dir, &["chaos", "list"]).await;
    let status = mimic(dir, &["status"]).await;
    let cleared = mimic(dir, &["chaos", "clear"]).await;
    let back = app.imds_token("vm1", ARM_RESOURCE, "").await;

    assert_eq!(added.status.code(), Some(0), "{added:?}");
    let vm1 = app.vm_id("vm1");
    assert!(
        stdout(&added).starts_with(&format!("added #1 imds 410 on vm:{vm1}, 70 s left")),
        "{}",
        stdout(&added)
    );
    assert_eq!(gone.status, 410, "{}", gone.text);
    assert_eq!(
        gone.json(),
        serde_json::json!({"error": "service_unavailable", "error_description": "IMDS is going through updates"})
    );
    assert_eq!(aad.status.code(), Some(0), "{aad:?}");
    assert_eq!(busy.status, 503, "{}", busy.text);
    assert_eq!(busy.json()["error"], "temporarily_unavailable");
    assert_eq!(busy.json()["error_codes"], serde_json::json!([90006]));
    for field in ["trace_id", "correlation_id", "timestamp"] {
        assert!(busy.json()[field].is_string(), "{field}: {}", busy.text);
    }
    assert!(busy.json()["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS90006: The service is temporarily unavailable."));
    assert_eq!(again.status, 200, "a count of 1: {}", again.text);
    let listed = stdout(&listed);
    assert!(
        listed.contains(&format!("#1 imds 410 on vm:{vm1}")),
        "{listed}"
    );
    assert!(listed.contains(", 1 hits (mimic chaos)"), "{listed}");
    assert!(
        !listed.contains("#2"),
        "the used-up AAD fault is gone: {listed}"
    );
    assert!(listed.contains("AAD signs with kid "), "{listed}");
    assert!(
        stdout(&status).contains("  faults            1\n"),
        "{}",
        stdout(&status)
    );
    assert_eq!(stdout(&cleared), "removed 1 fault\n");
    assert_eq!(back.status, 200, "{}", back.text);
}

#[tokio::test]
async fn chaos_add_with_a_bad_target_or_fault_is_refused_and_adds_nothing() {
    let app = TestMimic::start().await;
    let dir = app.data_dir();

    let no_vm = mimic(dir, &["chaos", "add", "vm9", "imds", "410"]).await;
    let wrong_fault = mimic(dir, &["chaos", "add", "global", "aad", "410"]).await;
    let no_delay = mimic(dir, &["chaos", "add", "global", "imds", "delay"]).await;
    let bad_probability = mimic(
        dir,
        &[
            "chaos",
            "add",
            "global",
            "imds",
            "500",
            "--probability",
            "2",
        ],
    )
    .await;
    let listed = mimic(dir, &["chaos", "list"]).await;

    assert_eq!(no_vm.status.code(), Some(1));
    assert!(
        stderr(&no_vm).contains("no VM named 'vm9'"),
        "{}",
        stderr(&no_vm)
    );
    assert_eq!(wrong_fault.status.code(), Some(1));
    assert!(
        stderr(&wrong_fault).contains("AAD faults are 429, 500, 503"),
        "{}",
        stderr(&wrong_fault)
    );
    assert_eq!(no_delay.status.code(), Some(1));
    assert_eq!(bad_probability.status.code(), Some(1));
    assert!(
        stderr(&bad_probability).contains("probability must be above 0 and at most 1"),
        "{}",
        stderr(&bad_probability)
    );
    assert!(
        stdout(&listed).starts_with("no faults\n"),
        "{}",
        stdout(&listed)
    );
}

#[tokio::test]
async fn chaos_rollover_is_followed_by_arm_through_the_grace_period_then_the_old_key_is_refused() {
    let app = TestMimic::start().await;
    let operator = &app.endpoints.operator;
    let group = format!("{}?api-version=2021-04-01", app.group());
    let old = app.operator_token().await;
    assert_eq!(app.arm.get(&group, Some(&old)).await.status, 200);

    let rolled = mimic(app.data_dir(), &["chaos", "rollover", "--grace", "60s"]).await;
    let new = app
        .client_credentials(&operator.client_id, &operator.client_secret, ARM_SCOPE)
        .await
        .token()
        .to_string();
    let keys = app.jwks().await;
    let with_new = app.arm.get(&group, Some(&new)).await;
    let with_old = app.arm.get(&group, Some(&old)).await;
    let status = mimic(app.data_dir(), &["status"]).await;
    app.clock.advance(60);
    let old_after = app.arm.get(&group, Some(&old)).await;
    let new_after = app.arm.get(&group, Some(&new)).await;

    assert_eq!(rolled.status.code(), Some(0), "{rolled:?}");
    assert_ne!(kid(&new), kid(&old));
    assert!(
        stdout(&rolled).starts_with(&format!(
            "AAD signs with kid {}; kid {} stays in the JWKS for 60 s",
            kid(&new),
            kid(&old)
        )),
        "{}",
        stdout(&rolled)
    );
    let kids: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [kid(&new), kid(&old)]);
    assert_eq!(
        with_new.status, 200,
        "ARM refetches for the new kid: {}",
        with_new.text
    );
    assert_eq!(
        with_old.status, 200,
        "the old key is still published: {}",
        with_old.text
    );
    assert!(
        stdout(&status).contains("  signing key       AAD signs with kid "),
        "{}",
        stdout(&status)
    );
    assert_eq!(old_after.status, 401, "{}", old_after.text);
    assert_eq!(
        old_after.json()["error"]["code"],
        "InvalidAuthenticationToken"
    );
    assert_eq!(new_after.status, 200, "{}", new_after.text);
    assert_eq!(app.jwks().await["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn chaos_skew_beyond_arms_five_minutes_makes_new_tokens_not_yet_valid() {
    let app = TestMimic::start().await;
    let group = format!("{}?api-version=2021-04-01", app.group());

    let ahead = mimic(app.data_dir(), &["chaos", "skew", "+600"]).await;
    let early = app.operator_token().await;
    let refused = app.arm.get(&group, Some(&early)).await;
    let within = mimic(app.data_dir(), &["chaos", "skew", "+200"]).await;
    let tolerated = app.arm.get(&group, Some(&app.operator_token().await)).await;
    let reset = mimic(app.data_dir(), &["chaos", "skew", "0"]).await;

    assert_eq!(ahead.status.code(), Some(0), "{ahead:?}");
    assert_eq!(stdout(&ahead), "AAD's token clock is +600 s ahead\n");
    let claims = early.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    let now = app.clock.now();
    assert!(claims["nbf"].as_i64().unwrap() >= now + 590, "{claims}");
    assert_eq!(refused.status, 401, "{}", refused.text);
    assert_eq!(
        refused.json()["error"]["code"],
        "InvalidAuthenticationToken"
    );
    assert_eq!(within.status.code(), Some(0));
    assert_eq!(tolerated.status, 200, "{}", tolerated.text);
    assert_eq!(stdout(&reset), "AAD's token clock is true time (no skew)\n");
}

#[tokio::test]
async fn aad_faults_reach_a_vm_through_its_imds_in_imds_terms() {
    let app = TestMimic::start().await;
    let dir = app.data_dir();
    let token = app.operator_token().await;
    let identity = serde_json::json!({"type": "SystemAssigned"});
    assert_eq!(
        app.patch_vm_identity(&token, "vm1", identity).await.status,
        200
    );

    mimic(dir, &["chaos", "add", "vm1", "aad", "429", "--count", "1"]).await;
    let throttled = app.imds_token("vm1", ARM_RESOURCE, "").await;
    let vault = "resource:https://vault.azure.net";
    mimic(dir, &["chaos", "add", vault, "aad", "503", "--count", "1"]).await;
    let unavailable = app
        .imds_token("vm1", "https%3A%2F%2Fvault.azure.net", "")
        .await;
    let fine = app.imds_token("vm1", ARM_RESOURCE, "").await;

    assert_eq!(throttled.status, 429, "{}", throttled.text);
    assert_eq!(throttled.json()["error"], "too_many_requests");
    assert_eq!(unavailable.status, 500, "{}", unavailable.text);
    assert_eq!(unavailable.json()["error"], "unknown");
    assert_eq!(fine.status, 200, "{}", fine.text);
}
