//! ROPC (`grant_type=password`), refresh tokens and user realm discovery.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_token::{Expectations, Verifier};
use serde_json::Value;

use mimic_testkit::fixture::*;
use mimic_testkit::TestAad;

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn ropc_with_the_right_password_returns_user_tokens_with_msals_fields() {
    let app = TestAad::spawn().await;

    let reply = app.ropc("organizations", ADMIN_UPN, ADMIN_PASSWORD).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body["expires_in"].is_i64());
    assert_eq!(reply.body["token_type"], "Bearer");
    assert!(reply.body["scope"]
        .as_str()
        .unwrap()
        .contains("https://management.core.windows.net//.default"));
    let verifier = Verifier::from_jwks(&app.jwks().await);
    let expect = Expectations {
        issuers: vec![format!("https://sts.windows.net/{TENANT}/")],
        audiences: vec![ARM_CORE.into()],
        leeway: 0,
    };
    let access: Value = verifier
        .verify(reply.token(), &expect, app.clock.now())
        .unwrap();
    assert_eq!(access["oid"], ADMIN_ID);
    assert_eq!(access["upn"], ADMIN_UPN);
    assert_eq!(access["appid"], AZURE_CLI);
    assert_eq!(access["idtyp"], "user");
    assert_eq!(access["scp"], "user_impersonation");
    assert_eq!(access["amr"][0], "pwd");
    assert_eq!(access["ver"], "1.0");
    let id = claims(reply.body["id_token"].as_str().unwrap());
    assert_eq!(id["aud"], AZURE_CLI);
    assert_eq!(id["iss"], format!("{}/{TENANT}/v2.0", app.aad.base));
    assert_eq!(id["preferred_username"], ADMIN_UPN);
    let info = URL_SAFE_NO_PAD
        .decode(reply.body["client_info"].as_str().unwrap())
        .unwrap();
    let info: Value = serde_json::from_slice(&info).unwrap();
    assert_eq!(info["uid"], ADMIN_ID);
    assert_eq!(info["utid"], TENANT);
}

#[tokio::test]
async fn ropc_with_a_wrong_password_returns_aadsts50126() {
    let app = TestAad::spawn().await;
    let reply = app.ropc(TENANT, ADMIN_UPN, "wrong").await;
    assert_eq!(
        (reply.status, reply.code(), reply.aadsts()),
        (400, "invalid_grant", 50126)
    );
}

#[tokio::test]
async fn ropc_for_an_unknown_user_returns_aadsts50034() {
    let app = TestAad::spawn().await;
    let reply = app
        .ropc("common", "nobody@mimic.onmicrosoft.com", "x")
        .await;
    assert_eq!(
        (reply.status, reply.code(), reply.aadsts()),
        (400, "invalid_grant", 50034)
    );
}

#[tokio::test]
async fn ropc_for_a_confidential_client_returns_aadsts700016() {
    let app = TestAad::spawn().await;
    let reply = app
        .token_v2(&[
            ("client_id", OPERATOR_APP_ID),
            ("grant_type", "password"),
            ("username", ADMIN_UPN),
            ("password", ADMIN_PASSWORD),
            ("scope", "https://management.azure.com/.default"),
        ])
        .await;
    assert_eq!(reply.aadsts(), 700016);
}

#[tokio::test]
async fn refresh_token_grant_returns_a_token_for_another_resource_and_tenant() {
    let app = TestAad::spawn().await;
    let first = app.ropc("organizations", ADMIN_UPN, ADMIN_PASSWORD).await;
    let refresh = first.body["refresh_token"].as_str().unwrap();
    let graph_scope = format!("{}//.default offline_access openid profile", app.aad.base);

    let reply = app
        .token_v2(&[
            ("client_id", AZURE_CLI),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", &graph_scope),
        ])
        .await;
    let wrong_client = app
        .token_v2(&[
            ("client_id", PORTAL),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", &graph_scope),
        ])
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(claims(reply.token())["aud"], format!("{}/", app.aad.base));
    assert_eq!(claims(reply.token())["oid"], ADMIN_ID);
    assert_eq!(
        (wrong_client.code(), wrong_client.aadsts()),
        ("invalid_grant", 70000)
    );
}

#[tokio::test]
async fn user_realm_is_managed_for_the_tenant_domain_and_unknown_otherwise() {
    let app = TestAad::spawn().await;

    let ours = app
        .aad
        .get(
            &format!("/common/userrealm/{ADMIN_UPN}?api-version=1.0"),
            None,
        )
        .await;
    let other = app
        .aad
        .get("/common/userrealm/a@example.com?api-version=1.0", None)
        .await;

    assert_eq!(ours.body["account_type"], "Managed");
    assert_eq!(ours.body["domain_name"], "mimic.onmicrosoft.com");
    assert_eq!(
        ours.body["cloud_audience_urn"],
        "urn:federation:MicrosoftOnline"
    );
    assert_eq!(other.body["account_type"], "Unknown");
}
