//! AAD reached by Entra's and Graph's public names, as inside the sandbox (docs/hostnames.md): the
//! discovery documents, id tokens' `iss` and Graph's links follow the `Host` the request came to;
//! MSAL's instance discovery. The requests go to 127.0.0.1 with the public name in `Host`, which is
//! what the sandbox's relay delivers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use mimic_testkit::fixture::*;
use mimic_testkit::{Reply, TestAad};

const LOGIN: &str = "login.microsoftonline.com";
const INSTANCE: &str = "/common/discovery/instance?api-version=1.1&authorization_endpoint=";

async fn get_as(app: &TestAad, host: &str, path: &str, token: Option<&str>) -> Reply {
    let mut headers = vec![("Host", host.to_string())];
    if let Some(token) = token {
        headers.push(("Authorization", format!("Bearer {token}")));
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    app.aad.raw("GET", path, &headers, "").await
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn openid_configuration_at_a_public_name_names_that_host_and_its_issuers() {
    let app = TestAad::spawn().await;
    let cases = [
        (
            LOGIN,
            "v2.0/",
            format!("https://{LOGIN}/{TENANT}/v2.0"),
            "oauth2/v2.0/token",
        ),
        (
            "login.windows.net:443",
            "",
            format!("https://sts.windows.net/{TENANT}/"),
            "oauth2/token",
        ),
    ];
    for (host, version, issuer, token_path) in cases {
        let path = format!("/{TENANT}/{version}.well-known/openid-configuration");
        let reply = get_as(&app, host, &path, None).await;

        assert_eq!(reply.status, 200, "{host}: {}", reply.text);
        let name = host.trim_end_matches(":443");
        assert_eq!(reply.body["issuer"], issuer, "{host}");
        assert_eq!(
            reply.body["token_endpoint"],
            format!("https://{name}/{TENANT}/{token_path}"),
            "{host}"
        );
    }
}

#[tokio::test]
async fn openid_configuration_for_any_other_host_keeps_mimics_own_url() {
    let app = TestAad::spawn().await;

    let path = format!("/{TENANT}/v2.0/.well-known/openid-configuration");
    let reply = get_as(&app, "login.example.com", &path, None).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["issuer"],
        format!("{}/{TENANT}/v2.0", app.aad.base)
    );
}

#[tokio::test]
async fn instance_discovery_answers_msals_request_with_the_public_clouds_aliases() {
    let app = TestAad::spawn().await;
    let cases = [
        (
            format!("https://{LOGIN}/common/oauth2/v2.0/authorize"),
            format!("https://{LOGIN}/common/v2.0/.well-known/openid-configuration"),
        ),
        (
            format!("https://login.windows.net/{TENANT}/oauth2/authorize"),
            format!("https://login.windows.net/{TENANT}/.well-known/openid-configuration"),
        ),
    ];
    for (authority, discovery) in cases {
        let path = format!("{INSTANCE}{}", urlencoding(&authority));
        let reply = get_as(&app, LOGIN, &path, None).await;

        assert_eq!(reply.status, 200, "{authority}: {}", reply.text);
        assert_eq!(
            reply.body,
            json!({
                "tenant_discovery_endpoint": discovery,
                "api-version": "1.1",
                "metadata": [{
                    "preferred_network": LOGIN,
                    "preferred_cache": "login.windows.net",
                    "aliases": [LOGIN, "login.windows.net", "login.microsoft.com", "sts.windows.net"],
                }],
            }),
            "{authority}"
        );
    }
}

#[tokio::test]
async fn instance_discovery_of_mimics_own_authority_lists_its_host_alone() {
    let app = TestAad::spawn().await;
    let authority = format!("{}/organizations/oauth2/v2.0/authorize", app.aad.base);
    let host = app.aad.base.trim_start_matches("https://").to_string();

    let reply = app
        .aad
        .get(&format!("{INSTANCE}{}", urlencoding(&authority)), None)
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["tenant_discovery_endpoint"],
        format!("https://{host}/organizations/v2.0/.well-known/openid-configuration")
    );
    assert_eq!(reply.body["metadata"][0]["aliases"], json!([host]));
}

#[tokio::test]
async fn instance_discovery_of_an_unknown_authority_is_aadsts50049() {
    let app = TestAad::spawn().await;
    for authority in [
        "https://login.example.com/common/oauth2/v2.0/authorize",
        "",
        "nonsense",
    ] {
        let path = format!("{INSTANCE}{}", urlencoding(authority));
        let reply = get_as(&app, LOGIN, &path, None).await;

        assert_eq!(reply.status, 400, "{authority}: {}", reply.text);
        assert_eq!(reply.body["error"], "invalid_instance", "{authority}");
        assert_eq!(reply.body["error_codes"], json!([50049]), "{authority}");
    }
}

#[tokio::test]
async fn ropc_at_the_public_name_signs_the_id_token_with_that_issuer() {
    let app = TestAad::spawn().await;
    let form = [
        ("client_id", AZURE_CLI),
        ("grant_type", "password"),
        ("username", ADMIN_UPN),
        ("password", ADMIN_PASSWORD),
        (
            "scope",
            "https://management.azure.com//.default openid profile",
        ),
    ];
    let body = serde_urlencoded::to_string(form).unwrap();
    let headers = [
        ("Host", LOGIN),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];

    let reply = app
        .aad
        .raw(
            "POST",
            &format!("/{TENANT}/oauth2/v2.0/token"),
            &headers,
            &body,
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    let id_token = claims(reply.body["id_token"].as_str().unwrap());
    assert_eq!(id_token["iss"], format!("https://{LOGIN}/{TENANT}/v2.0"));
    // Access tokens keep the v1 issuer, as Entra's for ARM do.
    let access = claims(reply.body["access_token"].as_str().unwrap());
    assert_eq!(access["iss"], format!("https://sts.windows.net/{TENANT}/"));
}

#[tokio::test]
async fn graph_at_graph_microsoft_com_links_to_that_host() {
    let app = TestAad::spawn().await;
    let token = app
        .operator_token("https://graph.microsoft.com/.default")
        .await;
    let token = token.body["access_token"].as_str().unwrap().to_string();
    let path = format!("/v1.0/servicePrincipals(appId='{OPERATOR_APP_ID}')");

    let public = get_as(&app, "graph.microsoft.com", &path, Some(&token)).await;
    let own = app.aad.get(&path, Some(&token)).await;

    assert_eq!(public.status, 200, "{}", public.text);
    assert_eq!(
        public.body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity"
    );
    assert_eq!(
        own.body["@odata.context"],
        format!("{}/v1.0/$metadata#servicePrincipals/$entity", app.aad.base)
    );
}

/// Percent-encodes a query value.
fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
