use mimic_testkit::fixture::{DOMAIN, TENANT};
use mimic_testkit::TestAad;

#[tokio::test]
async fn openid_configuration_v2_returns_aad_document_for_guid_and_domain() {
    let app = TestAad::spawn().await;
    for tenant in [
        TENANT,
        DOMAIN,
        &DOMAIN.to_uppercase(),
        &TENANT.to_uppercase(),
    ] {
        let reply = app.openid_configuration(tenant).await;

        assert_eq!(reply.status, 200, "{tenant}: {}", reply.body);
        let doc = &reply.body;
        let authority = format!("{}/{TENANT}", app.aad.base);
        assert_eq!(doc["issuer"], format!("{authority}/v2.0"), "{tenant}");
        assert_eq!(
            doc["token_endpoint"],
            format!("{authority}/oauth2/v2.0/token")
        );
        assert_eq!(
            doc["authorization_endpoint"],
            format!("{authority}/oauth2/v2.0/authorize")
        );
        assert_eq!(
            doc["device_authorization_endpoint"],
            format!("{authority}/oauth2/v2.0/devicecode")
        );
        assert_eq!(doc["jwks_uri"], format!("{authority}/discovery/v2.0/keys"));
        assert_eq!(
            doc["end_session_endpoint"],
            format!("{authority}/oauth2/v2.0/logout")
        );
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic"
            ])
        );
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["RS256"])
        );
        for key in [
            "response_modes_supported",
            "subject_types_supported",
            "response_types_supported",
            "scopes_supported",
            "request_uri_parameter_supported",
            "userinfo_endpoint",
            "http_logout_supported",
            "frontchannel_logout_supported",
            "claims_supported",
            "tenant_region_scope",
            "cloud_instance_name",
            "cloud_graph_host_name",
            "msgraph_host",
            "rbac_url",
        ] {
            assert!(!doc[key].is_null(), "{key} missing");
        }
        assert_eq!(
            reply.headers["content-type"],
            "application/json; charset=utf-8"
        );
    }
}

#[tokio::test]
async fn openid_configuration_v1_has_the_sts_issuer() {
    let app = TestAad::spawn().await;

    let reply = app
        .aad
        .get(&format!("/{DOMAIN}/.well-known/openid-configuration"), None)
        .await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["issuer"],
        format!("https://sts.windows.net/{TENANT}/")
    );
    assert_eq!(
        reply.body["token_endpoint"],
        format!("{}/{TENANT}/oauth2/token", app.aad.base)
    );
    assert_eq!(
        reply.body["jwks_uri"],
        format!("{}/{TENANT}/discovery/keys", app.aad.base)
    );
    assert_eq!(
        reply.body["authorization_endpoint"],
        format!("{}/{TENANT}/oauth2/authorize", app.aad.base)
    );
}

#[tokio::test]
async fn openid_configuration_for_common_names_the_tenantid_placeholder() {
    let app = TestAad::spawn().await;

    let reply = app.openid_configuration("common").await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.body["issuer"],
        format!("{}/{{tenantid}}/v2.0", app.aad.base)
    );
    assert_eq!(
        reply.body["token_endpoint"],
        format!("{}/common/oauth2/v2.0/token", app.aad.base)
    );
}

#[tokio::test]
async fn openid_configuration_for_an_unknown_tenant_returns_aadsts90002() {
    let app = TestAad::spawn().await;
    for path in [
        "/other.onmicrosoft.com/v2.0/.well-known/openid-configuration",
        "/00000000-0000-0000-0000-000000000000/.well-known/openid-configuration",
        "/other.onmicrosoft.com/discovery/v2.0/keys",
    ] {
        let reply = app.aad.get(path, None).await;

        assert_eq!(reply.status, 400, "{path}");
        assert_eq!(reply.code(), "invalid_tenant", "{path}");
        assert_eq!(reply.aadsts(), 90002, "{path}");
        let description = reply.body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with("AADSTS90002: Tenant '"),
            "{description}"
        );
        assert!(description.contains("\r\nTrace ID: "), "{description}");
        assert_eq!(
            reply.body["error_uri"],
            format!("{}/error?code=90002", app.aad.base)
        );
        for id in ["trace_id", "correlation_id"] {
            assert!(
                uuid::Uuid::parse_str(reply.body[id].as_str().unwrap()).is_ok(),
                "{id}"
            );
        }
        let timestamp = reply.body["timestamp"].as_str().unwrap();
        assert!(
            chrono::NaiveDateTime::parse_from_str(timestamp, "%Y-%m-%d %H:%M:%SZ").is_ok(),
            "{timestamp}"
        );
    }
}
