//! `directory/deletedItems` for applications and service principals over HTTPS: a deleted
//! application (and its service principal) leaves every live read and stops signing in, waits in
//! deleted items with `deletedDateTime`, comes back on restore with its credentials (the service
//! principal on its own restore), and is gone everywhere once purged. Deleted principals' directory
//! roles and memberships go with them and come back with them. `addKey`/`removeKey` with Graph's
//! proof of possession.

use mimic_token::SigningKey;
use serde_json::{json, Value};

use crate::graph_applications::{text, Graph};
use crate::helpers::{assert_graph_error, assertion, jwt_part};
use mimic_testkit::fixture::{OPERATOR_APP_ID, OPERATOR_SECRET};
use mimic_testkit::Reply;

/// Directory Readers' role template id.
const DIRECTORY_READERS: &str = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";
const DELETED_APPLICATIONS: &str = "/v1.0/directory/deletedItems/microsoft.graph.application";
const DELETED_PRINCIPALS: &str = "/v1.0/directory/deletedItems/microsoft.graph.servicePrincipal";

/// An application with a service principal and a secret: (object id, app id, principal id, secret).
async fn app_with_secret(
    graph: &Graph,
    name: &str,
    uris: &[&str],
) -> (String, String, String, String) {
    let app = graph
        .create_application(json!({"displayName": name, "identifierUris": uris}))
        .await;
    let principal = graph.create_service_principal(&text(&app, "appId")).await;
    let secret = graph.add_password("applications", &text(&app, "id")).await;
    (
        text(&app, "id"),
        text(&app, "appId"),
        text(&principal, "id"),
        text(&secret, "secretText"),
    )
}

async fn sign_in(graph: &Graph, app_id: &str, secret: &str) -> Reply {
    graph
        .secret_token_v1(app_id, secret, "https://management.azure.com/")
        .await
}

fn listed(reply: &Reply, id: &str) -> Option<Value> {
    reply.body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", reply.body))
        .iter()
        .find(|item| item["id"] == id)
        .cloned()
}

#[tokio::test]
async fn a_deleted_application_waits_in_deleted_items_and_restore_brings_it_back() {
    let graph = Graph::spawn().await;
    let (id, app_id, principal, secret) =
        app_with_secret(&graph, "recyclable", &["api://recyclable"]).await;
    assert_eq!(sign_in(&graph, &app_id, &secret).await.status, 200);

    let deleted = graph.delete(&format!("/v1.0/applications/{id}")).await;

    assert_eq!(deleted.status, 204, "{}", deleted.body);
    for path in [
        format!("/v1.0/applications/{id}"),
        format!("/v1.0/applications(appId='{app_id}')"),
        format!("/v1.0/servicePrincipals/{principal}"),
    ] {
        assert_eq!(graph.get(&path).await.status, 404, "{path}");
    }
    assert!(!graph.ids("/v1.0/applications").await.contains(&id));
    let applications = graph.get(DELETED_APPLICATIONS).await;
    let shown = listed(&applications, &id).expect("the application is in deleted items");
    assert_eq!(shown["@odata.type"], "#microsoft.graph.application");
    assert_eq!(shown["appId"], app_id.as_str());
    assert!(shown["deletedDateTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(shown["passwordCredentials"].as_array().unwrap().len(), 1);
    let principals = graph.get(DELETED_PRINCIPALS).await;
    assert!(
        listed(&principals, &principal).is_some(),
        "{}",
        principals.body
    );
    let one = graph
        .get(&format!("/v1.0/directory/deletedItems/{id}"))
        .await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert_eq!(one.body["@odata.type"], "#microsoft.graph.application");
    // Its secret signs nobody in, and nobody gets a token for it, as for a missing application.
    let refused = sign_in(&graph, &app_id, &secret).await;
    assert_eq!(refused.aadsts(), 700016, "{}", refused.body);
    let operator = graph
        .secret_token_v1(OPERATOR_APP_ID, OPERATOR_SECRET, "api://recyclable")
        .await;
    assert_eq!(operator.aadsts(), 500011, "{}", operator.body);

    // The service principal cannot come back before its application.
    let early = graph
        .post(
            &format!("/v1.0/directory/deletedItems/{principal}/restore"),
            json!({}),
        )
        .await;
    assert_eq!(early.status, 400, "{}", early.body);
    assert_eq!(early.code(), "Request_BadRequest", "{}", early.body);

    // Its identifier URI is free meanwhile; a restore while it is taken is Graph's conflict.
    let squatter = graph
        .create_application(
            json!({"displayName": "squatter", "identifierUris": ["api://recyclable"]}),
        )
        .await;
    let conflict = graph
        .post(
            &format!("/v1.0/directory/deletedItems/{id}/restore"),
            json!({}),
        )
        .await;
    assert_graph_error(
        &conflict,
        400,
        "Request_BadRequest",
        "Another object with the same value for property identifierUris already exists.",
    );
    assert!(listed(&graph.get(DELETED_APPLICATIONS).await, &id).is_some());
    graph
        .patch(
            &format!("/v1.0/applications/{}", text(&squatter, "id")),
            json!({"identifierUris": []}),
        )
        .await;

    let restored = graph
        .post(
            &format!("/v1.0/directory/deletedItems/{id}/restore"),
            json!({}),
        )
        .await;

    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(restored.body["@odata.type"], "#microsoft.graph.application");
    assert_eq!(restored.body["identifierUris"], json!(["api://recyclable"]));
    assert_eq!(restored.body["deletedDateTime"], Value::Null);
    assert_eq!(
        graph.get(&format!("/v1.0/applications/{id}")).await.status,
        200
    );
    assert!(listed(&graph.get(DELETED_APPLICATIONS).await, &id).is_none());
    // Restoring the application does not restore its service principal (Entra's rule).
    let without_principal = sign_in(&graph, &app_id, &secret).await;
    assert_eq!(
        without_principal.aadsts(),
        7000229,
        "{}",
        without_principal.body
    );
    let principal_back = graph
        .post(
            &format!("/v1.0/directory/deletedItems/{principal}/restore"),
            json!({}),
        )
        .await;
    assert_eq!(principal_back.status, 200, "{}", principal_back.body);
    assert_eq!(
        principal_back.body["@odata.type"],
        "#microsoft.graph.servicePrincipal"
    );
    assert_eq!(sign_in(&graph, &app_id, &secret).await.status, 200);
}

#[tokio::test]
async fn a_purged_application_is_gone_everywhere_with_its_service_principal() {
    let graph = Graph::spawn().await;
    let (id, app_id, principal, secret) = app_with_secret(&graph, "purged", &[]).await;
    graph
        .delete(&format!("/v1.0/applications(appId='{app_id}')"))
        .await;

    let purged = graph
        .delete(&format!("/v1.0/directory/deletedItems/{id}"))
        .await;

    assert_eq!(purged.status, 204, "{}", purged.body);
    for path in [
        format!("/v1.0/directory/deletedItems/{id}"),
        format!("/v1.0/directory/deletedItems/{principal}"),
        format!("/v1.0/applications/{id}"),
        format!("/v1.0/servicePrincipals/{principal}"),
    ] {
        assert_eq!(graph.get(&path).await.status, 404, "{path}");
    }
    let restore = graph
        .post(
            &format!("/v1.0/directory/deletedItems/{id}/restore"),
            json!({}),
        )
        .await;
    assert_eq!(restore.status, 404, "{}", restore.body);
    let again = graph
        .delete(&format!("/v1.0/directory/deletedItems/{id}"))
        .await;
    assert_eq!(again.status, 404, "{}", again.body);
    assert_eq!(sign_in(&graph, &app_id, &secret).await.aadsts(), 700016);
}

/// The principal ids holding a directory role.
async fn role_holders(graph: &Graph) -> Vec<String> {
    let reply = graph
        .get("/v1.0/roleManagement/directory/roleAssignments")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| text(item, "principalId"))
        .collect()
}

async fn assign_role(graph: &Graph, principal: &str) {
    let reply = graph
        .post(
            "/v1.0/roleManagement/directory/roleAssignments",
            json!({"principalId": principal, "roleDefinitionId": DIRECTORY_READERS, "directoryScopeId": "/"}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
}

#[tokio::test]
async fn a_deleted_service_principal_leaves_its_groups_and_roles_and_restore_brings_them_back() {
    let graph = Graph::spawn().await;
    let (_, app_id, principal, secret) = app_with_secret(&graph, "member", &[]).await;
    let group = graph
        .post(
            "/v1.0/groups",
            json!({"displayName": "team", "mailNickname": "team", "mailEnabled": false, "securityEnabled": true}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let members = format!("/v1.0/groups/{}/members", text(&group.body, "id"));
    let reference = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{principal}")});
    assert_eq!(
        graph
            .post(&format!("{members}/$ref"), reference)
            .await
            .status,
        204
    );
    assign_role(&graph, &principal).await;

    let deleted = graph
        .delete(&format!("/v1.0/servicePrincipals/{principal}"))
        .await;

    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert!(!graph.ids(&members).await.contains(&principal));
    assert!(!role_holders(&graph).await.contains(&principal));
    assert!(listed(&graph.get(DELETED_PRINCIPALS).await, &principal).is_some());
    // The application stays; without its service principal it signs nobody in.
    assert_eq!(sign_in(&graph, &app_id, &secret).await.aadsts(), 7000229);

    let restored = graph
        .post(
            &format!("/v1.0/directory/deletedItems/{principal}/restore"),
            json!({}),
        )
        .await;

    assert_eq!(restored.status, 200, "{}", restored.body);
    assert_eq!(graph.ids(&members).await, vec![principal.clone()]);
    assert!(role_holders(&graph).await.contains(&principal));
    assert_eq!(sign_in(&graph, &app_id, &secret).await.status, 200);

    // Purged: its role assignment is gone for good.
    graph
        .delete(&format!("/v1.0/servicePrincipals/{principal}"))
        .await;
    let purged = graph
        .delete(&format!("/v1.0/directory/deletedItems/{principal}"))
        .await;
    assert_eq!(purged.status, 204, "{}", purged.body);
    assert!(!role_holders(&graph).await.contains(&principal));
    assert!(graph.ids(&members).await.is_empty());
}

#[tokio::test]
async fn a_deleted_user_holds_no_directory_role_until_restored_and_a_purged_one_none() {
    let graph = Graph::spawn().await;
    let user = graph
        .post(
            "/v1.0/users",
            json!({"accountEnabled": true, "displayName": "reader", "mailNickname": "reader",
                "userPrincipalName": format!("reader@{}", mimic_testkit::fixture::DOMAIN),
                "passwordProfile": {"password": "Str0ng-Passw0rd!", "forceChangePasswordNextSignIn": false}}),
        )
        .await;
    assert_eq!(user.status, 201, "{}", user.body);
    let id = text(&user.body, "id");
    assign_role(&graph, &id).await;

    graph.delete(&format!("/v1.0/users/{id}")).await;
    let while_deleted = role_holders(&graph).await;
    graph
        .post(
            &format!("/v1.0/directory/deletedItems/{id}/restore"),
            json!({}),
        )
        .await;
    let restored = role_holders(&graph).await;
    graph.delete(&format!("/v1.0/users/{id}")).await;
    graph
        .delete(&format!("/v1.0/directory/deletedItems/{id}"))
        .await;
    let purged = role_holders(&graph).await;

    assert!(!while_deleted.contains(&id));
    assert!(restored.contains(&id));
    assert!(!purged.contains(&id));
}

/// A proof of possession signed by `key`: `aud`, `iss`, `nbf`, `exp` as given.
fn proof(key: &SigningKey, claims: Value) -> String {
    key.sign_with_header(
        &json!({"alg": "RS256", "typ": "JWT", "x5t": key.kid()}),
        &claims,
    )
    .unwrap()
}

fn good_claims(issuer: &str, now: i64) -> Value {
    json!({"aud": "00000002-0000-0000-c000-000000000000", "iss": issuer, "nbf": now, "exp": now + 600})
}

fn new_key_body(key: &SigningKey, proof: &str) -> Value {
    json!({"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": key.certificate_base64()},
           "passwordCredential": null, "proof": proof})
}

async fn certificate_sign_in(graph: &Graph, app_id: &str, key: &SigningKey) -> Reply {
    let now = graph.app.clock.now();
    let signed = assertion(key, app_id, &graph.app.token_url_v1(), now, None);
    graph.app.assertion_token(app_id, &signed, app_id).await
}

#[tokio::test]
async fn add_key_with_a_valid_proof_adds_a_signing_certificate_and_remove_key_stops_one() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "roller"}))
        .await;
    let (id, app_id) = (text(&app, "id"), text(&app, "appId"));
    graph.create_service_principal(&app_id).await;
    let old = SigningKey::generate("CN=old").unwrap();
    let path = format!("/v1.0/applications/{id}");
    graph
        .patch(&path, json!({"keyCredentials": [{"key": old.certificate_base64(), "type": "AsymmetricX509Cert", "usage": "Verify"}]}))
        .await;
    let old_key_id = text(&graph.get(&path).await.body["keyCredentials"][0], "keyId");
    let new = SigningKey::generate("CN=new").unwrap();
    let now = graph.app.clock.now();

    let added = graph
        .post(
            &format!("{path}/addKey"),
            new_key_body(&new, &proof(&old, good_claims(&id, now))),
        )
        .await;

    assert_eq!(added.status, 200, "{}", added.body);
    assert!(added.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#microsoft.graph.keyCredential"));
    assert_eq!(added.body["type"], "AsymmetricX509Cert");
    assert_eq!(added.body["usage"], "Verify");
    assert_eq!(
        graph.get(&path).await.body["keyCredentials"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let signed_in = certificate_sign_in(&graph, &app_id, &new).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    assert_eq!(jwt_part(signed_in.token(), 1)["appidacr"], "2");

    let removed = graph
        .post(
            &format!("{path}/removeKey"),
            json!({"keyId": old_key_id, "proof": proof(&new, good_claims(&id, now))}),
        )
        .await;

    assert_eq!(removed.status, 204, "{}", removed.body);
    assert_eq!(
        certificate_sign_in(&graph, &app_id, &old).await.aadsts(),
        700027
    );
    assert_eq!(certificate_sign_in(&graph, &app_id, &new).await.status, 200);
}

#[tokio::test]
async fn add_key_and_remove_key_without_a_valid_proof_are_refused_and_change_nothing() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "guarded"}))
        .await;
    let id = text(&app, "id");
    let path = format!("/v1.0/applications/{id}");
    let owned = SigningKey::generate("CN=owned").unwrap();
    graph
        .patch(&path, json!({"keyCredentials": [{"key": owned.certificate_base64(), "type": "AsymmetricX509Cert", "usage": "Verify"}]}))
        .await;
    let key_id = text(&graph.get(&path).await.body["keyCredentials"][0], "keyId");
    let stranger = SigningKey::generate("CN=stranger").unwrap();
    let new = SigningKey::generate("CN=new").unwrap();
    let now = graph.app.clock.now();
    let aud = "00000002-0000-0000-c000-000000000000";
    let cases = [
        (
            "signed by a key the application does not have",
            proof(&stranger, good_claims(&id, now)),
        ),
        (
            "expired",
            proof(
                &owned,
                json!({"aud": aud, "iss": id, "nbf": now - 3600, "exp": now - 3000}),
            ),
        ),
        (
            "Microsoft Graph's audience",
            proof(
                &owned,
                json!({"aud": "00000003-0000-0000-c000-000000000000", "iss": id, "nbf": now, "exp": now + 600}),
            ),
        ),
        (
            "another issuer",
            proof(
                &owned,
                good_claims("00000000-0000-4000-8000-000000000001", now),
            ),
        ),
        (
            "longer than ten minutes",
            proof(
                &owned,
                json!({"aud": aud, "iss": id, "nbf": now, "exp": now + 3600}),
            ),
        ),
        ("not a JWT", "not-a-jwt".to_string()),
    ];

    for (case, bad) in &cases {
        let added = graph
            .post(&format!("{path}/addKey"), new_key_body(&new, bad))
            .await;
        assert_graph_error(
            &added,
            401,
            "Authentication_MissingOrMalformed",
            "Access Token missing or malformed.",
        );
        let removed = graph
            .post(
                &format!("{path}/removeKey"),
                json!({"keyId": key_id, "proof": bad}),
            )
            .await;
        assert_eq!(removed.status, 401, "{case}: {}", removed.body);
    }
    let missing = graph
        .post(&format!("{path}/addKey"), json!({"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": new.certificate_base64()}}))
        .await;
    assert_eq!(missing.status, 401, "{}", missing.body);

    let keys = graph.get(&path).await.body["keyCredentials"].clone();
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
    assert_eq!(keys[0]["keyId"], key_id.as_str());
}

#[tokio::test]
async fn an_application_rolls_its_own_keys_without_a_graph_permission() {
    let graph = Graph::spawn().await;
    let app = graph
        .create_application(json!({"displayName": "self-roller"}))
        .await;
    let (id, app_id) = (text(&app, "id"), text(&app, "appId"));
    graph.create_service_principal(&app_id).await;
    let old = SigningKey::generate("CN=old").unwrap();
    graph
        .patch(&format!("/v1.0/applications/{id}"), json!({"keyCredentials": [{"key": old.certificate_base64(), "type": "AsymmetricX509Cert", "usage": "Verify"}]}))
        .await;
    let now = graph.app.clock.now();
    let signed = assertion(&old, &app_id, &graph.app.token_url_v2(), now, None);
    let token = graph
        .app
        .token_v2(&[
            ("grant_type", "client_credentials"),
            ("client_id", &app_id),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &signed),
            ("scope", &format!("{}//.default", graph.app.aad.base)),
        ])
        .await;
    assert_eq!(token.status, 200, "{}", token.body);
    let new = SigningKey::generate("CN=new").unwrap();

    let added = graph
        .app
        .aad
        .post(
            &format!("/v1.0/applications/{id}/addKey"),
            Some(token.token()),
            Some(new_key_body(&new, &proof(&old, good_claims(&id, now)))),
        )
        .await;
    let other = graph
        .create_application(json!({"displayName": "other"}))
        .await;
    let foreign = graph
        .app
        .aad
        .post(
            &format!("/v1.0/applications/{}/addKey", text(&other, "id")),
            Some(token.token()),
            Some(new_key_body(
                &new,
                &proof(&old, good_claims(&text(&other, "id"), now)),
            )),
        )
        .await;

    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    assert_eq!(certificate_sign_in(&graph, &app_id, &new).await.status, 200);
}

#[tokio::test]
async fn a_service_principal_adds_a_key_that_signs_its_client_assertions() {
    let graph = Graph::spawn().await;
    let old = SigningKey::generate("CN=sp-old").unwrap();
    let created = graph
        .app
        .create_principal(&json!({"displayName": "sp-roller", "keyCredentials": [{"key": old.certificate_base64()}]}))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let (id, app_id) = (text(&created.body, "id"), text(&created.body, "appId"));
    let new = SigningKey::generate("CN=sp-new").unwrap();
    let now = graph.app.clock.now();
    let path = format!("/v1.0/servicePrincipals/{id}");

    let refused = graph
        .post(
            &format!("{path}/addKey"),
            new_key_body(&new, &proof(&new, good_claims(&id, now))),
        )
        .await;
    let added = graph
        .post(
            &format!("{path}/addKey"),
            new_key_body(&new, &proof(&old, good_claims(&id, now))),
        )
        .await;

    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(added.status, 200, "{}", added.body);
    let signed_in = certificate_sign_in(&graph, &app_id, &new).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    let removed = graph
        .post(
            &format!("{path}/removeKey"),
            json!({"keyId": added.body["keyId"], "proof": proof(&old, good_claims(&id, now))}),
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    assert_eq!(
        certificate_sign_in(&graph, &app_id, &new).await.aadsts(),
        700027
    );
}
