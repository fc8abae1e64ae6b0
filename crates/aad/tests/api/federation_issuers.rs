//! mimic's OIDC issuers: created, imported, rotated and deleted through the internal API; served
//! as a cluster's service-account issuer serves itself (discovery, JWKS); their tokens verify with
//! what they publish.

use mimic_testkit::TestAad;
use mimic_token::{ExternalKey, Jws};
use serde_json::json;

use crate::helpers::jwt_part;

#[tokio::test]
async fn a_local_issuer_serves_discovery_and_jwks_that_verify_its_tokens() {
    let app = TestAad::spawn().await;
    let created = app.aad.internal("PUT", "/internal/issuers/ci", None).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let issuer = created.body["issuer"].as_str().unwrap().to_string();
    assert_eq!(issuer, app.aad.url("/issuers/ci"));
    // Creating it again changes nothing.
    let again = app.aad.internal("PUT", "/internal/issuers/ci", None).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["kids"], created.body["kids"]);

    let discovery = app
        .aad
        .get("/issuers/ci/.well-known/openid-configuration", None)
        .await;
    assert_eq!(discovery.status, 200, "{}", discovery.body);
    assert_eq!(discovery.body["issuer"], issuer.as_str());
    let jwks_uri = discovery.body["jwks_uri"].as_str().unwrap();
    let jwks = app
        .aad
        .get(jwks_uri.strip_prefix(&app.aad.url("")).unwrap(), None)
        .await;
    assert_eq!(jwks.status, 200);
    let keys = ExternalKey::all_of(&jwks.body);
    assert_eq!(keys.len(), 1);

    let minted = app
        .aad
        .internal(
            "POST",
            "/internal/issuers/ci/token",
            Some(json!({"subject": "system:serviceaccount:default:app", "lifetime": 600})),
        )
        .await;
    assert_eq!(minted.status, 200, "{}", minted.body);
    let token = minted.body["token"].as_str().unwrap();
    let claims = keys[0].verify(&Jws::parse(token).unwrap()).unwrap();
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["sub"], "system:serviceaccount:default:app");
    assert_eq!(claims["aud"], json!(["api://AzureADTokenExchange"]));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(claims["kubernetes.io"]["namespace"], "default");
    assert_eq!(jwt_part(token, 0)["kid"], keys[0].kid().unwrap());
}

#[tokio::test]
async fn rotation_publishes_the_new_key_beside_the_previous_one_and_signs_with_the_new() {
    let app = TestAad::spawn().await;
    app.aad.internal("PUT", "/internal/issuers/ci", None).await;
    let before = app.aad.get("/issuers/ci/openid/v1/jwks", None).await;
    let rotated = app
        .aad
        .internal("POST", "/internal/issuers/ci/rotate", None)
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let kid = rotated.body["kid"].as_str().unwrap();
    let after = app.aad.get("/issuers/ci/openid/v1/jwks", None).await;
    let kids: Vec<&str> = after.body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        vec![kid, before.body["keys"][0]["kid"].as_str().unwrap()]
    );
    let minted = app
        .aad
        .internal(
            "POST",
            "/internal/issuers/ci/token",
            Some(json!({"subject": "s"})),
        )
        .await;
    assert_eq!(
        jwt_part(minted.body["token"].as_str().unwrap(), 0)["kid"],
        kid
    );
}

#[tokio::test]
async fn the_internal_issuer_api_refuses_bad_input_without_the_key_and_changes_nothing() {
    let app = TestAad::spawn().await;
    // No internal key: refused like every internal route.
    let anonymous = app.aad.put("/internal/issuers/ci", None, json!({})).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    let cases = [
        ("PUT", "/internal/issuers/Bad_Name", None, 400),
        (
            "PUT",
            "/internal/issuers/half",
            Some(json!({"issuer": "https://x"})),
            400,
        ),
        (
            "PUT",
            "/internal/issuers/empty",
            Some(
                json!({"issuer": "https://kubernetes.default.svc.cluster.local", "jwks": {"keys": []}}),
            ),
            400,
        ),
        (
            "POST",
            "/internal/issuers/nobody/token",
            Some(json!({"subject": "s"})),
            404,
        ),
        ("POST", "/internal/issuers/nobody/rotate", None, 404),
        ("DELETE", "/internal/issuers/nobody", None, 404),
    ];
    for (method, path, body, status) in cases {
        let reply = app.aad.internal(method, path, body).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
    }
    app.aad.internal("PUT", "/internal/issuers/ci", None).await;
    for lifetime in [0, 59, 86401] {
        let reply = app
            .aad
            .internal(
                "POST",
                "/internal/issuers/ci/token",
                Some(json!({"subject": "s", "lifetime": lifetime})),
            )
            .await;
        assert_eq!(reply.status, 400, "lifetime {lifetime}: {}", reply.body);
    }
    let listed = app.aad.internal("GET", "/internal/issuers", None).await;
    let names: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["ci"]);
    assert_eq!(
        app.aad
            .get("/issuers/nobody/openid/v1/jwks", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn an_imported_issuer_is_listed_with_its_url_not_served_and_survives_a_restart() {
    let app = TestAad::spawn().await;
    let key = mimic_token::SigningKey::generate("cluster").unwrap();
    let jwks = serde_json::to_value(mimic_token::Jwks {
        keys: vec![mimic_token::Jwk::from_key(&key, None)],
    })
    .unwrap();
    let cluster = "https://kubernetes.default.svc.cluster.local";
    let imported = app
        .aad
        .internal(
            "PUT",
            "/internal/issuers/kind",
            Some(json!({"issuer": cluster, "jwks": jwks})),
        )
        .await;
    assert_eq!(imported.status, 201, "{}", imported.body);
    assert_eq!(imported.body["kind"], "imported");
    assert_eq!(imported.body["issuer"], cluster);
    // mimic holds no private key of a cluster: it neither serves nor signs for it.
    assert_eq!(
        app.aad
            .get("/issuers/kind/openid/v1/jwks", None)
            .await
            .status,
        404
    );
    let mint = app
        .aad
        .internal(
            "POST",
            "/internal/issuers/kind/token",
            Some(json!({"subject": "s"})),
        )
        .await;
    assert_eq!(mint.status, 400, "{}", mint.body);

    let (dir, internal_key, clock) = app.stop().await;
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(dir.path().join("issuers/kind.json"))
            .unwrap()
            .permissions()
            .mode()
    };
    assert_eq!(mode & 0o077, 0, "issuer files are owner-only");
    let app = TestAad::spawn_in(dir, internal_key, clock).await;
    let listed = app.aad.internal("GET", "/internal/issuers", None).await;
    assert_eq!(listed.body["value"][0]["issuer"], cluster);
    assert_eq!(listed.body["value"][0]["kids"][0], key.kid());
    let deleted = app
        .aad
        .internal("DELETE", "/internal/issuers/kind", None)
        .await;
    assert_eq!(deleted.status, 204);
    let listed = app.aad.internal("GET", "/internal/issuers", None).await;
    assert_eq!(listed.body["value"], json!([]));
}
