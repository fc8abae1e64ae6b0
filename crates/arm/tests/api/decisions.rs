//! ARM decides from memory (verified tokens and the authorization index): the invariants the
//! caches must keep, under concurrency — a revoked grant is denied, a new grant is honoured, an
//! expired token is refused, a key rollover retires the old key's tokens — as soon as the change
//! has been answered.

use mimic_testkit::fixture::{GROUP, GROUP_VERSION, RA_VERSION, READER};
use mimic_testkit::TestArm;

fn group_path(app: &TestArm) -> String {
    format!("{}?api-version={GROUP_VERSION}", app.group(GROUP))
}

#[tokio::test]
async fn a_revoked_grant_is_denied_once_the_delete_has_answered_even_under_load() {
    let app = TestArm::spawn().await;
    let (principal, token) = app.new_principal("reader").await;
    let assignment = app
        .grant(&app.group(GROUP), READER, &principal.object_id)
        .await;
    let path = group_path(&app);
    // Warm every cache: the token is verified and the principal's assignments are in memory.
    for _ in 0..3 {
        assert_eq!(app.arm.get(&path, Some(&token)).await.status, 200);
    }

    // Readers keep asking while the grant is deleted; none of them may see a 5xx.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (arm, path, token, stop) = (app.arm.clone(), path.clone(), token.clone(), stop.clone());
        readers.spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                statuses.push(arm.get(&path, Some(&token)).await.status);
            }
            statuses
        });
    }
    let operator = app.operator_token().await;
    let delete = format!(
        "{}/providers/Microsoft.Authorization/roleAssignments/{assignment}?api-version={RA_VERSION}",
        app.group(GROUP)
    );
    let deleted = app.arm.delete(&delete, Some(&operator)).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);

    // Every request that starts after the delete answered is refused.
    for _ in 0..20 {
        let reply = app.arm.get(&path, Some(&token)).await;
        assert_eq!(reply.status, 403, "{}", reply.text);
        assert_eq!(reply.code(), "AuthorizationFailed");
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for statuses in readers.join_all().await {
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 403),
            "{statuses:?}"
        );
    }
}

#[tokio::test]
async fn a_new_grant_is_honoured_as_soon_as_it_is_created() {
    let app = TestArm::spawn().await;
    let (principal, token) = app.new_principal("late").await;
    let path = group_path(&app);
    // The (empty) assignment list is cached by these refusals.
    for _ in 0..3 {
        assert_eq!(app.arm.get(&path, Some(&token)).await.status, 403);
    }
    app.grant(&app.group(GROUP), READER, &principal.object_id)
        .await;
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn a_verified_token_is_refused_once_it_expires() {
    let app = TestArm::spawn().await;
    let mut claims = app.operator_claims();
    claims.exp = claims.iat + 600;
    let token = app.mint(&claims);
    let path = group_path(&app);
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 200);
    assert_eq!(app.arm.get(&path, Some(&token)).await.status, 200);

    // Past exp and the five minutes of leeway.
    app.clock.advance(600 + 301);
    let reply = app.arm.get(&path, Some(&token)).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(reply.code(), "ExpiredAuthenticationToken");
}

/// What a stand-in for AAD's key endpoint publishes: swapped by the test to roll the key over.
type Published = std::sync::Arc<std::sync::Mutex<mimic_token::Jwks>>;

/// Serves `published` at `/{tenant}/discovery/v2.0/keys` over HTTPS with ARM's server certificate
/// (so ARM trusts it) on a thread of its own; everything else is 404. Returns its URL.
fn key_endpoint(certificate: &mimic_web::ServerCertificate, published: Published) -> String {
    let tls = mimic_web::rustls_server_config(certificate).expect("TLS");
    let listener = mimic_web::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("bound").port();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(move || {
                let published = published.clone();
                actix_web::App::new().route(
                    "/{tenant}/discovery/v2.0/keys",
                    actix_web::web::get().to(move || {
                        let keys = published.lock().unwrap().clone();
                        async move { actix_web::HttpResponse::Ok().json(keys) }
                    }),
                )
            })
            .workers(1)
            .listen_rustls_0_23(listener, tls)
            .expect("listening")
            .run()
            .await
        })
    });
    format!("https://127.0.0.1:{port}")
}

/// A signing-key rollover retires every verified token: once ARM has answered a token signed with
/// the new key, a token of the old key (verified and cached, in use by concurrent readers) is
/// refused on every request that starts afterwards.
#[tokio::test]
async fn a_key_rollover_retires_tokens_of_the_old_key_even_under_load() {
    use mimic_token::{Jwk, Jwks, SigningKey};
    // The harness's AAD key: the data dir's, whichever AAD (here none) runs on it.
    let old_key = mimic_testkit::TestArm::harness_signing_key();
    let published: Published = std::sync::Arc::new(std::sync::Mutex::new(Jwks {
        keys: vec![Jwk::from_key(&old_key, None)],
    }));
    let endpoint = published.clone();
    let app = TestArm::spawn_with(move |settings| {
        settings.aad_url = key_endpoint(&settings.server_certificate, endpoint);
    })
    .await;
    let path = group_path(&app);
    let old_token = app.mint(&app.operator_claims());
    assert_eq!(app.arm.get(&path, Some(&old_token)).await.status, 200);

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (arm, path, token, stop) = (
            app.arm.clone(),
            path.clone(),
            old_token.clone(),
            stop.clone(),
        );
        readers.spawn(async move {
            let mut statuses = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                statuses.push(arm.get(&path, Some(&token)).await.status);
            }
            statuses
        });
    }
    // AAD rolls its key over. ARM refetches the keys at once for a token naming an unknown key.
    let new_key = SigningKey::generate("rolled").unwrap();
    *published.lock().unwrap() = Jwks {
        keys: vec![Jwk::from_key(&new_key, None)],
    };
    let mut claims = app.operator_claims();
    claims.uti = uuid::Uuid::new_v4().to_string();
    let new_token = new_key.sign(&claims).unwrap();
    let accepted = app.arm.get(&path, Some(&new_token)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);

    for _ in 0..20 {
        let refused = app.arm.get(&path, Some(&old_token)).await;
        assert_eq!(refused.status, 401, "{}", refused.text);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for statuses in readers.join_all().await {
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 401),
            "{statuses:?}"
        );
    }
}
