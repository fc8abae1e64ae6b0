//! Smart Lockout: wrong passwords in a row lock a user out with AADSTS50053, on the token endpoint
//! and on the login page, until the lockout expires (the test clock moves past it).

use serde_json::json;

use mimic_testkit::fixture::*;
use mimic_testkit::{Reply, TestAad};

const LOCKED: &str = "AADSTS50053: The account is locked";

/// Sends `count` wrong passwords for `username`, each answered as today (AADSTS50126).
async fn fail(app: &TestAad, username: &str, count: usize) {
    for attempt in 1..=count {
        let reply = app.ropc(TENANT, username, "wrong").await;
        assert_eq!(
            (reply.status, reply.code(), reply.aadsts()),
            (400, "invalid_grant", 50126),
            "wrong password #{attempt}: {}",
            reply.body
        );
    }
}

fn assert_locked(reply: &Reply) {
    assert_eq!(
        (reply.status, reply.code(), reply.aadsts()),
        (400, "invalid_grant", 50053),
        "{}",
        reply.body
    );
    let description = reply.body["error_description"].as_str().unwrap();
    assert!(description.starts_with(LOCKED), "{description}");
    assert!(reply.body.get("access_token").is_none());
}

#[tokio::test]
async fn ropc_after_ten_wrong_passwords_refuses_the_right_one_with_aadsts50053() {
    let app = TestAad::spawn().await;

    fail(&app, ADMIN_UPN, 10).await;
    let right = app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await;
    let wrong = app.ropc(TENANT, ADMIN_UPN, "wrong").await;

    assert_locked(&right);
    assert_locked(&wrong);
    assert!(right.body["error_uri"]
        .as_str()
        .unwrap()
        .ends_with("/error?code=50053"));
}

#[tokio::test]
async fn ropc_after_the_lockout_expires_accepts_the_right_password_and_counts_from_zero() {
    let app = TestAad::spawn().await;
    fail(&app, ADMIN_UPN, 10).await;
    assert_locked(&app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await);

    app.clock.advance(61);
    fail(&app, ADMIN_UPN, 9).await;
    let reply = app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn ropc_with_a_success_between_failures_does_not_lock() {
    let app = TestAad::spawn().await;

    fail(&app, ADMIN_UPN, 9).await;
    let between = app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await;
    fail(&app, ADMIN_UPN, 9).await;
    let after = app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await;

    assert_eq!(between.status, 200, "{}", between.body);
    assert_eq!(after.status, 200, "{}", after.body);
}

#[tokio::test]
async fn ropc_with_lockout_off_never_locks() {
    let cases = [("threshold 0", 0, 60), ("seconds 0", 10, 0)];
    for (case, threshold, seconds) in cases {
        let app = TestAad::spawn_with(|settings| {
            settings.lockout_threshold = threshold;
            settings.lockout_seconds = seconds;
        })
        .await;

        fail(&app, ADMIN_UPN, 12).await;
        let reply = app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await;

        assert_eq!(reply.status, 200, "{case}: {}", reply.body);
    }
}

#[tokio::test]
async fn ropc_with_a_configured_policy_locks_at_its_threshold_for_its_duration() {
    let app = TestAad::spawn_with(|settings| {
        settings.lockout_threshold = 3;
        settings.lockout_seconds = 300;
    })
    .await;

    fail(&app, ADMIN_UPN, 3).await;
    assert_locked(&app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await);
    app.clock.advance(61);
    assert_locked(&app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await);
    app.clock.advance(300);
    let reply = app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn ropc_lockout_of_one_user_leaves_another_signing_in() {
    let app = TestAad::spawn().await;
    let bob = app
        .create_user(&json!({
            "userPrincipalName": "bob@mimic.onmicrosoft.com", "displayName": "Bob",
            "passwordProfile": {"password": "Bob-1!"}
        }))
        .await;
    assert_eq!(bob.status, 201, "{}", bob.body);

    fail(&app, ADMIN_UPN, 10).await;
    let other = app
        .ropc(TENANT, "bob@mimic.onmicrosoft.com", "Bob-1!")
        .await;

    assert_eq!(other.status, 200, "{}", other.body);
    assert_locked(&app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await);
}

/// POSTs the portal's login form with `password`; redirects are not followed.
async fn authorize_sign_in(app: &TestAad, password: &str) -> reqwest::Response {
    let ca = std::fs::read_to_string(app.dir.path().join("ca.pem")).unwrap();
    let client = mimic_web::client_builder(Some(&ca))
        .unwrap()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = [
        ("client_id", PORTAL),
        ("response_type", "code"),
        ("redirect_uri", "https://127.0.0.1:8443/portal/"),
        (
            "scope",
            "https://management.azure.com/user_impersonation openid",
        ),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
        ("login", ADMIN_UPN),
        ("passwd", password),
    ];
    client
        .post(format!(
            "{}/organizations/oauth2/v2.0/authorize",
            app.aad.base
        ))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn authorize_post_after_ten_wrong_passwords_shows_aadsts50053_and_issues_no_code() {
    let app = TestAad::spawn().await;
    for attempt in 1..=10 {
        let response = authorize_sign_in(&app, "wrong").await;
        let html = response.text().await.unwrap();
        assert!(html.contains("AADSTS50126"), "wrong password #{attempt}");
    }

    let response = authorize_sign_in(&app, ADMIN_PASSWORD).await;

    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains(LOCKED), "{html}");
    assert_locked(&app.ropc(TENANT, ADMIN_UPN, ADMIN_PASSWORD).await);
}
