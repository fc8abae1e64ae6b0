//! Workload identity federation end to end, through ARM and AAD over HTTPS: a user-assigned
//! identity with no VM, a federated credential created through ARM, a token of mimic's local
//! issuer exchanged at AAD for the identity's ARM token (its `oid` and `xms_mirid`, no
//! `xms_az_rid`), ARM's 403 before a grant and 200 after; a deleted credential or identity stops
//! the exchange at once.

use mimic_testkit::fixture::{group_id, identity_id, JWT_BEARER, MSI_VERSION, READER, TENANT};
use mimic_testkit::{Reply, TestArm};
use serde_json::{json, Value};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

const SUBJECT: &str = "system:serviceaccount:default:app";
const AUDIENCE: &str = "api://AzureADTokenExchange";

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn exchange(app: &TestArm, client_id: &str, assertion: &str) -> Reply {
    app.aad
        .form(
            &format!("/{TENANT}/oauth2/v2.0/token"),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
                ("scope", "https://management.azure.com/.default"),
            ],
        )
        .await
}

async fn mint(app: &TestArm) -> String {
    let reply = app
        .aad
        .internal(
            "POST",
            "/internal/issuers/pods/token",
            Some(json!({"subject": SUBJECT, "lifetime": 3600})),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_pods_token_becomes_the_identitys_token_which_arm_authorizes_by_its_grants() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let identity = app.create_identity(&operator, "pod-id").await;
    let (principal, client_id) = (
        identity["properties"]["principalId"]
            .as_str()
            .unwrap()
            .to_string(),
        identity["properties"]["clientId"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let issuer = app
        .aad
        .internal("PUT", "/internal/issuers/pods", None)
        .await;
    assert_eq!(issuer.status, 201, "{}", issuer.body);
    let fic = format!(
        "{}/federatedIdentityCredentials/aks?api-version={MSI_VERSION}",
        identity_id("pod-id")
    );
    let created = app
        .arm
        .put(
            &fic,
            Some(&operator),
            json!({"properties": {"issuer": issuer.body["issuer"], "subject": SUBJECT,
                                  "audiences": [AUDIENCE]}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let assertion = mint(&app).await;
    let issued = exchange(&app, &client_id, &assertion).await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let token = issued.body["access_token"].as_str().unwrap().to_string();
    let claims = claims(&token);
    assert_eq!(claims["oid"], principal.as_str());
    assert_eq!(claims["appid"], client_id.as_str());
    assert_eq!(
        claims["xms_mirid"].as_str().unwrap().to_lowercase(),
        identity_id("pod-id").to_lowercase()
    );
    assert!(claims.get("xms_az_rid").is_none(), "{claims}");

    let group = format!("{}?api-version=2024-11-01", group_id("mimic-rg"));
    let before = app.arm.get(&group, Some(&token)).await;
    assert_eq!(before.status, 403, "{}", before.text);
    assert_eq!(before.code(), "AuthorizationFailed");
    app.grant(&group_id("mimic-rg"), READER, &principal).await;
    let after = app.arm.get(&group, Some(&token)).await;
    assert_eq!(after.status, 200, "{}", after.text);

    // The credential deleted: the same pod token is refused at once.
    let deleted = app.arm.delete(&fic, Some(&operator)).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let refused = exchange(&app, &client_id, &assertion).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(refused.aadsts(), 700211, "{}", refused.body);
}

#[tokio::test]
async fn deleting_the_identity_stops_its_federated_exchange() {
    let app = TestArm::spawn().await;
    let operator = app.operator_token().await;
    let identity = app.create_identity(&operator, "gone").await;
    let client_id = identity["properties"]["clientId"]
        .as_str()
        .unwrap()
        .to_string();
    let issuer = app
        .aad
        .internal("PUT", "/internal/issuers/pods", None)
        .await;
    let fic = format!(
        "{}/federatedIdentityCredentials/aks?api-version={MSI_VERSION}",
        identity_id("gone")
    );
    let body = json!({"properties": {"issuer": issuer.body["issuer"], "subject": SUBJECT,
                                     "audiences": [AUDIENCE]}});
    assert_eq!(app.arm.put(&fic, Some(&operator), body).await.status, 201);
    let assertion = mint(&app).await;
    assert_eq!(exchange(&app, &client_id, &assertion).await.status, 200);
    let deleted = app
        .arm
        .delete(
            &format!("{}?api-version={MSI_VERSION}", identity_id("gone")),
            Some(&operator),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let refused = exchange(&app, &client_id, &assertion).await;
    // No principal has that client id any more: Entra's unknown-application answer.
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(refused.aadsts(), 700016, "{}", refused.body);
}
