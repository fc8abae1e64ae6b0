use mimic_token::SigningKey;

use crate::helpers::{assertion, verify};
use mimic_testkit::fixture::{ARM, OPERATOR_APP_ID, OPERATOR_OBJECT_ID};
use mimic_testkit::TestAad;

const VM: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";

#[tokio::test]
async fn restart_on_the_same_dir_keeps_principals_and_the_signing_key() {
    let app = TestAad::spawn().await;
    let key = SigningKey::generate("vm1").unwrap();
    let principal = app.create_managed_identity(&key, VM).await;
    let app_id = principal["appId"].as_str().unwrap().to_string();
    let before = app
        .operator_token("https://management.azure.com/.default")
        .await;
    let kid = app.jwks().await.keys[0].kid.clone();
    assert_eq!(app.delete_principal(OPERATOR_OBJECT_ID).await.status, 204);
    let (dir, internal_key, clock) = app.stop().await;

    let app = TestAad::spawn_in(dir, internal_key, clock).await;

    let jwks = app.jwks().await;
    assert_eq!(jwks.keys[0].kid, kid);
    assert!(
        verify(before.token(), &jwks, ARM).is_ok(),
        "a token from before the restart verifies"
    );
    assert_eq!(
        app.get_principal(principal["id"].as_str().unwrap())
            .await
            .body,
        principal
    );
    let jwt = assertion(&key, &app_id, &app.token_url_v1(), app.clock.now(), None);
    assert_eq!(app.assertion_token(&app_id, &jwt, ARM).await.status, 200);
    assert_eq!(
        app.get_principal(OPERATOR_OBJECT_ID).await.status,
        404,
        "the fixture applies to an empty directory only"
    );
    let operator = app
        .operator_token("https://management.azure.com/.default")
        .await;
    assert_eq!(operator.aadsts(), 700016, "{} was deleted", OPERATOR_APP_ID);
}
