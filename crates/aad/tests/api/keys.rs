use mimic_testkit::fixture::TENANT;
use mimic_testkit::TestAad;

#[tokio::test]
async fn keys_publish_only_public_parameters_on_every_path() {
    let app = TestAad::spawn().await;
    let allowed = ["kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"];
    for path in [
        format!("/{TENANT}/discovery/v2.0/keys"),
        format!("/{TENANT}/discovery/keys"),
        "/common/discovery/v2.0/keys".to_string(),
        "/common/discovery/keys".to_string(),
    ] {
        let reply = app.aad.get(&path, None).await;

        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        let keys = reply.body["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "{path}");
        let key = keys[0].as_object().unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(!key.contains_key(private), "{path} publishes {private}");
        }
        for name in key.keys() {
            assert!(
                allowed.contains(&name.as_str()),
                "{path}: unexpected {name}"
            );
        }
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["kid"], key["x5t"]);
        assert_eq!(key["e"], "AQAB");
    }
}

#[tokio::test]
async fn keys_name_the_tenant_issuer_and_the_kid_tokens_carry() {
    let app = TestAad::spawn().await;

    let jwks = app.jwks().await;
    let token = app
        .operator_token("https://management.azure.com/.default")
        .await;

    assert_eq!(
        jwks.keys[0].issuer.as_deref(),
        Some(format!("{}/{TENANT}/v2.0", app.aad.base).as_str())
    );
    let header = crate::helpers::jwt_part(token.token(), 0);
    assert_eq!(header["kid"], jwks.keys[0].kid.as_str());
    assert_eq!(header["x5t"], jwks.keys[0].kid.as_str());
}
