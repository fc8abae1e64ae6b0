//! ARM decides from memory (verified tokens and the authorization index): the invariants the
//! caches must keep, under concurrency — a revoked grant is denied, a new grant is honoured, an
//! expired token is refused — as soon as the write that changed them has answered.

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
