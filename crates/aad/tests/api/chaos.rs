//! `/internal/chaos…`: faults on the token endpoints in AAD's envelope, signing-key rollover with
//! a grace period in the JWKS, and the clock skew of issued tokens.

use mimic_testkit::fixture::OPERATOR_APP_ID;
use mimic_testkit::TestAad;
use serde_json::{json, Value};

use crate::helpers::jwt_part;

const ARM: &str = "https://management.azure.com/.default";

async fn add(aad: &TestAad, fault: Value) -> mimic_testkit::Reply {
    aad.aad
        .internal("POST", "/internal/chaos", Some(fault))
        .await
}

#[tokio::test]
async fn token_under_each_fault_answers_aads_envelope() {
    // (fault, status, error, AADSTS code)
    let cases = [
        (
            json!({"status": 503}),
            503,
            "temporarily_unavailable",
            90006,
        ),
        (
            json!({"error": "temporarily_unavailable"}),
            503,
            "temporarily_unavailable",
            90006,
        ),
        (
            json!({"status": 429}),
            429,
            "temporarily_unavailable",
            90006,
        ),
        (json!({"status": 500}), 500, "server_error", 50000),
        (json!({"error": "AADSTS50196"}), 400, "invalid_grant", 50196),
        (
            json!({"error": "AADSTS90033"}),
            503,
            "temporarily_unavailable",
            90033,
        ),
    ];
    for (effect, status, error, code) in cases {
        let aad = TestAad::spawn().await;
        let fault = json!({"service": "aad", "scope": "global", "effect": effect, "count": 1});
        assert_eq!(add(&aad, fault).await.status, 201);

        let struck = aad.operator_token(ARM).await;
        let after = aad.operator_token(ARM).await;

        assert_eq!(struck.status, status, "{effect}: {}", struck.text);
        let body = struck.json();
        assert_eq!(body["error"], error, "{effect}");
        assert_eq!(body["error_codes"], json!([code]), "{effect}");
        for field in ["trace_id", "correlation_id", "timestamp"] {
            assert!(body[field].is_string(), "{effect} {field}");
        }
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("AADSTS{code}: ")),
            "{effect}: {body}"
        );
        assert_eq!(after.status, 200, "{effect}: a count of 1 strikes once");
    }
}

#[tokio::test]
async fn token_under_a_429_fault_sends_retry_after() {
    let aad = TestAad::spawn().await;
    let fault = json!({"service": "aad", "scope": "global", "effect": {"status": 429}});
    add(&aad, fault).await;
    let custom =
        json!({"service": "aad", "scope": "global", "effect": {"status": 429}, "retryAfter": 5});

    let default = aad.operator_token(ARM).await;
    aad.aad.internal("DELETE", "/internal/chaos", None).await;
    add(&aad, custom).await;
    let five = aad.operator_token(ARM).await;

    assert_eq!(default.header("retry-after"), "60");
    assert_eq!(five.header("retry-after"), "5");
}

#[tokio::test]
async fn token_under_an_identity_fault_strikes_only_that_client() {
    let aad = TestAad::spawn().await;
    let fault = json!({"service": "aad", "scope": {"identity": "00000000-0000-0000-0000-00000000dead"},
                       "effect": {"status": 503}});
    add(&aad, fault).await;
    let operator = json!({"service": "aad", "scope": {"identity": OPERATOR_APP_ID}, "effect": {"status": 500}});

    let other = aad.operator_token(ARM).await;
    add(&aad, operator).await;
    let struck = aad.operator_token(ARM).await;

    assert_eq!(other.status, 200, "{}", other.text);
    assert_eq!(struck.status, 500);
}

#[tokio::test]
async fn internal_chaos_lists_and_clears_and_refuses_what_it_cannot_serve() {
    let aad = TestAad::spawn().await;
    let fault = json!({"service": "aad", "scope": {"resource": "https://vault.azure.net"},
                       "effect": {"delay": 10}, "forSeconds": 60});
    let before = aad.clock.now();
    let added = add(&aad, fault).await;
    let after = aad.clock.now();
    let refused = [
        json!({"service": "imds", "scope": "global", "effect": {"status": 410}}),
        json!({"service": "aad", "scope": "global", "effect": "reset"}),
        json!({"service": "aad", "scope": "global", "effect": {"status": 410}}),
        json!({"service": "aad", "scope": "global", "effect": {"status": 500}, "probability": 0}),
        json!({"service": "aad"}),
    ];
    let mut refusals = Vec::new();
    for body in refused {
        refusals.push((body.clone(), add(&aad, body).await));
    }
    let listed = aad.aad.internal("GET", "/internal/chaos", None).await;
    let cleared = aad
        .aad
        .internal("DELETE", "/internal/chaos?id=1", None)
        .await;
    let empty = aad.aad.internal("GET", "/internal/chaos", None).await;
    let no_key = mimic_testkit::Client::https(
        aad.aad.base.clone(),
        &std::fs::read_to_string(aad.dir.path().join("ca.pem")).unwrap(),
    )
    .get("/internal/chaos", None)
    .await;

    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.json()["id"], 1);
    let until = added.json()["until"].as_i64().unwrap();
    assert!(
        (before + 60..=after + 60).contains(&until),
        "{}",
        added.text
    );
    for (body, refusal) in refusals {
        assert_eq!(refusal.status, 400, "{body}: {}", refusal.text);
        assert_eq!(refusal.json()["error"], "Request_BadRequest", "{body}");
    }
    let listed = listed.json();
    assert_eq!(listed["faults"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["clockSkewSeconds"], 0);
    assert_eq!(listed["retiringKeys"], json!([]));
    assert_eq!(listed["signingKid"], aad.jwks().await.keys[0].kid);
    assert_eq!(cleared.json(), json!({"removed": 1}));
    assert_eq!(empty.json()["faults"], json!([]));
    assert_eq!(no_key.status, 401);
}

#[tokio::test]
async fn rollover_signs_with_a_new_kid_and_publishes_the_old_one_for_the_grace_period() {
    let aad = TestAad::spawn().await;
    let before = aad.operator_token(ARM).await.token().to_string();
    let old_kid = jwt_part(&before, 0)["kid"].as_str().unwrap().to_string();

    let rolled = aad
        .aad
        .internal(
            "POST",
            "/internal/chaos/rollover",
            Some(json!({"graceSeconds": 120})),
        )
        .await;
    let after = aad.operator_token(ARM).await.token().to_string();
    let during = aad
        .aad
        .get(
            &format!("/{}/discovery/v2.0/keys", mimic_testkit::fixture::TENANT),
            None,
        )
        .await;
    aad.clock.advance(120);
    let past = aad.jwks().await;
    let saved = std::fs::read_to_string(aad.dir.path().join("aad").join("signing-cert.pem"));

    assert_eq!(rolled.status, 200, "{}", rolled.text);
    let new_kid = rolled.json()["kid"].as_str().unwrap().to_string();
    assert_eq!(rolled.json()["previousKid"], old_kid.as_str());
    assert_ne!(new_kid, old_kid);
    assert_eq!(jwt_part(&after, 0)["kid"], new_kid.as_str());
    let kids: Vec<String> = during.json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| key["kid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kids, [new_kid.clone(), old_kid]);
    assert_eq!(during.header("cache-control"), "max-age=120, private");
    assert_eq!(past.keys.len(), 1);
    assert_eq!(past.keys[0].kid, new_kid);
    assert!(saved.is_ok(), "the new key is the tenant's key from now on");
}

#[tokio::test]
async fn a_rolled_key_survives_a_restart() {
    let aad = TestAad::spawn().await;
    let rolled = aad
        .aad
        .internal(
            "POST",
            "/internal/chaos/rollover",
            Some(json!({"graceSeconds": 0})),
        )
        .await;
    let new_kid = rolled.json()["kid"].as_str().unwrap().to_string();

    let (dir, key, clock) = aad.stop().await;
    let restarted = TestAad::spawn_in(dir, key, clock).await;

    let keys = restarted.jwks().await;
    assert_eq!(keys.keys.len(), 1);
    assert_eq!(keys.keys[0].kid, new_kid);
}

#[tokio::test]
async fn skew_shifts_the_times_of_issued_tokens() {
    let aad = TestAad::spawn().await;
    let skewed = aad
        .aad
        .internal(
            "PUT",
            "/internal/chaos/skew",
            Some(json!({"seconds": -600})),
        )
        .await;
    let token = aad.operator_token(ARM).await;
    let too_far = aad
        .aad
        .internal(
            "PUT",
            "/internal/chaos/skew",
            Some(json!({"seconds": 31 * 86400})),
        )
        .await;

    assert_eq!(skewed.json(), json!({"clockSkewSeconds": -600}));
    let claims = jwt_part(token.token(), 1);
    let now = aad.clock.now();
    let iat = claims["iat"].as_i64().unwrap();
    assert!((now - 610..=now - 590).contains(&iat), "{claims}");
    assert_eq!(claims["nbf"], iat);
    assert_eq!(too_far.status, 400);
}
