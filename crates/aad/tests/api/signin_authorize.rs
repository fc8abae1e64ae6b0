//! The portal's authorization code + PKCE flow over real HTTP, and CORS on the token endpoint.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_token::{Expectations, Verifier};
use serde_json::Value;

use mimic_testkit::fixture::*;
use mimic_testkit::{Reply, TestAad};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://127.0.0.1:8443/portal/";
const SCOPE: &str = "https://management.azure.com/user_impersonation openid profile offline_access";

fn no_redirects(app: &TestAad) -> reqwest::Client {
    let ca = std::fs::read_to_string(app.dir.path().join("ca.pem")).unwrap();
    mimic_web::client_builder(Some(&ca))
        .unwrap()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn authorize_params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("client_id", PORTAL),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", SCOPE),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("state", "s1"),
        ("nonce", "n1"),
    ]
}

async fn sign_in(app: &TestAad, password: &str) -> reqwest::Response {
    let url = format!("{}/organizations/oauth2/v2.0/authorize", app.aad.base);
    let mut form = authorize_params();
    form.push(("login", ADMIN_UPN));
    form.push(("passwd", password));
    no_redirects(app)
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn code_of(response: &reqwest::Response) -> String {
    let location = response.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1;
    assert_eq!(state, "s1");
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned()
}

async fn redeem(app: &TestAad, code: &str, verifier: &str) -> Reply {
    app.token_v2(&[
        ("client_id", PORTAL),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
        ("scope", SCOPE),
    ])
    .await
}

#[tokio::test]
async fn authorize_page_shows_microsofts_sign_in_form() {
    let app = TestAad::spawn().await;
    let url = format!("{}/{TENANT}/oauth2/v2.0/authorize", app.aad.base);

    let response = app
        .aad
        .http
        .get(url)
        .query(&authorize_params())
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    for words in [
        "Sign in",
        "Email, phone, or Skype",
        "Password",
        "name=\"passwd\"",
    ] {
        assert!(html.contains(words), "{words}");
    }
    assert!(
        !html.contains("http://") && !html.contains("<script"),
        "no external assets"
    );
}

#[tokio::test]
async fn authorize_with_a_foreign_redirect_uri_shows_aadsts50011() {
    let app = TestAad::spawn().await;
    let url = format!("{}/{TENANT}/oauth2/v2.0/authorize", app.aad.base);
    let mut params = authorize_params();
    params[2] = ("redirect_uri", "https://evil.example/portal/");

    let response = app.aad.http.get(url).query(&params).send().await.unwrap();

    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("AADSTS50011"));
}

#[tokio::test]
async fn code_flow_with_pkce_returns_tokens_for_arm_and_the_code_is_single_use() {
    let app = TestAad::spawn().await;

    let response = sign_in(&app, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 302);
    let code = code_of(&response);
    let reply = redeem(&app, &code, VERIFIER).await;
    let again = redeem(&app, &code, VERIFIER).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    let verifier = Verifier::from_jwks(&app.jwks().await);
    let expect = Expectations {
        issuers: vec![format!("https://sts.windows.net/{TENANT}/")],
        audiences: vec![ARM.into()],
        leeway: 0,
    };
    let access: Value = verifier
        .verify(reply.token(), &expect, app.clock.now())
        .unwrap();
    assert_eq!(access["oid"], ADMIN_ID);
    assert_eq!(access["appid"], PORTAL);
    let id_expect = Expectations {
        issuers: vec![format!("{}/{TENANT}/v2.0", app.aad.base)],
        audiences: vec![PORTAL.into()],
        leeway: 0,
    };
    let id_token = reply.body["id_token"].as_str().unwrap();
    let id: Value = verifier
        .verify(id_token, &id_expect, app.clock.now())
        .unwrap();
    assert_eq!(id["nonce"], "n1");
    assert_eq!((again.code(), again.aadsts()), ("invalid_grant", 70000));
}

#[tokio::test]
async fn code_flow_with_a_wrong_verifier_returns_aadsts501481() {
    let app = TestAad::spawn().await;
    let code = code_of(&sign_in(&app, ADMIN_PASSWORD).await);

    let reply = redeem(
        &app,
        &code,
        "not-the-verifier-not-the-verifier-not-the-verifier",
    )
    .await;

    assert_eq!((reply.code(), reply.aadsts()), ("invalid_grant", 501481));
}

#[tokio::test]
async fn sign_in_with_a_wrong_password_shows_the_page_again_with_aadsts50126() {
    let app = TestAad::spawn().await;

    let response = sign_in(&app, "wrong").await;

    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(
        "AADSTS50126: Error validating credentials due to invalid username or password."
    ));
}

#[tokio::test]
async fn token_endpoint_answers_cors_preflight_and_posts_for_loopback_origins() {
    let app = TestAad::spawn().await;
    let origin = "https://127.0.0.1:8443";

    let preflight = app
        .aad
        .http
        .request(reqwest::Method::OPTIONS, app.token_url_v2())
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    let post = app
        .aad
        .http
        .post(app.token_url_v2())
        .header("Origin", origin)
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", PORTAL),
            ("code", "x"),
            ("code_verifier", "y"),
        ])
        .send()
        .await
        .unwrap();
    let foreign = app
        .aad
        .http
        .post(app.token_url_v2())
        .header("Origin", "https://evil.example")
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .unwrap();

    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], origin);
    assert_eq!(post.status(), 400);
    assert_eq!(post.headers()["access-control-allow-origin"], origin);
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[test]
fn challenge_constant_is_the_s256_of_the_verifier() {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, VERIFIER.as_bytes());
    assert_eq!(URL_SAFE_NO_PAD.encode(digest), CHALLENGE);
}

/// A Graph token for the admin through the portal client (password, then the refresh-token grant
/// for Graph, as the portal asks for it).
async fn portal_graph_token(app: &TestAad) -> String {
    let signed_in = app
        .token_v2(&[
            ("client_id", PORTAL),
            ("grant_type", "password"),
            ("username", ADMIN_UPN),
            ("password", ADMIN_PASSWORD),
            ("scope", SCOPE),
        ])
        .await;
    let refresh = signed_in.body["refresh_token"].as_str().unwrap();
    let graph_scope = format!("{}//.default", app.aad.base);
    let graph = app
        .token_v2(&[
            ("client_id", PORTAL),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", &graph_scope),
        ])
        .await;
    assert_eq!(graph.status, 200, "{}", graph.body);
    graph.token().to_string()
}

#[tokio::test]
async fn graph_answers_cors_preflight_for_patch_and_delete_and_its_errors_carry_the_origin() {
    let app = TestAad::spawn().await;
    let origin = "https://127.0.0.1:8443";
    let token = portal_graph_token(&app).await;
    let ghost = format!("{}/v1.0/users/{}", app.aad.base, uuid::Uuid::new_v4());

    let mut preflights = Vec::new();
    for method in ["PATCH", "DELETE", "POST"] {
        let preflight = app
            .aad
            .http
            .request(reqwest::Method::OPTIONS, &ghost)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method)
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type",
            )
            .send()
            .await
            .unwrap();
        preflights.push((method, preflight));
    }
    let delete = app
        .aad
        .http
        .delete(&ghost)
        .header("Origin", origin)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    for (method, preflight) in preflights {
        assert_eq!(preflight.status(), 204, "{method}");
        assert_eq!(preflight.headers()["access-control-allow-origin"], origin);
        let methods = preflight.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            methods.split(", ").any(|allowed| allowed == method),
            "{method} not in {methods}"
        );
    }
    assert_eq!(delete.status(), 404);
    assert_eq!(delete.headers()["access-control-allow-origin"], origin);
    let body: Value = delete.json().await.unwrap();
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");
}

#[tokio::test]
async fn graph_answers_cors_preflight_and_gets_for_loopback_origins() {
    let app = TestAad::spawn().await;
    let origin = "https://127.0.0.1:8443";
    let token = portal_graph_token(&app).await;
    let users_url = format!("{}/v1.0/users?$top=100", app.aad.base);

    let preflight = app
        .aad
        .http
        .request(reqwest::Method::OPTIONS, &users_url)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    let get = app
        .aad
        .http
        .get(&users_url)
        .header("Origin", origin)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let foreign = app
        .aad
        .http
        .get(&users_url)
        .header("Origin", "https://evil.example")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();

    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], origin);
    assert!(preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("authorization"));
    assert_eq!(get.status(), 200);
    assert_eq!(get.headers()["access-control-allow-origin"], origin);
    let users: Value = get.json().await.unwrap();
    assert!(users["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|user| user["userPrincipalName"] == ADMIN_UPN));
    assert_eq!(foreign.status(), 200);
    assert!(foreign
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

/// Posts the sign-in form for `login` with these extra fields.
async fn submit(app: &TestAad, login: &str, fields: &[(&'static str, &str)]) -> reqwest::Response {
    let url = format!("{}/organizations/oauth2/v2.0/authorize", app.aad.base);
    let mut form: Vec<(&str, &str)> = authorize_params();
    form.push(("login", login));
    form.extend_from_slice(fields);
    no_redirects(app)
        .post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_user_who_must_change_the_password_updates_it_on_the_page_then_signs_in() {
    let graph = crate::helpers::Graph::spawn().await;
    let app = &graph.app;
    let login = format!("pat@{DOMAIN}");
    graph.create_user("pat", "First-Pass-1!", true).await;

    let asked = submit(app, &login, &[("passwd", "First-Pass-1!")]).await;

    assert_eq!(asked.status(), 200);
    let page = asked.text().await.unwrap();
    assert!(page.contains("<h1>Update your password</h1>"), "{page}");
    for field in [
        "name=\"passwd\"",
        "name=\"newpasswd\"",
        "name=\"confirmnewpasswd\"",
    ] {
        assert!(page.contains(field), "{field}");
    }
    let cases = [
        (
            "New-Pass-2!",
            "Other-Pass-2!",
            "The passwords don&#39;t match.",
        ),
        (
            "First-Pass-1!",
            "First-Pass-1!",
            "You can&#39;t reuse your current password.",
        ),
        (
            "weakweak",
            "weakweak",
            "Passwords must have at least 8 characters",
        ),
    ];
    for (new, confirm, problem) in cases {
        let fields = [
            ("passwd", "First-Pass-1!"),
            ("newpasswd", new),
            ("confirmnewpasswd", confirm),
        ];
        let response = submit(app, &login, &fields).await;
        assert_eq!(response.status(), 200, "{new}");
        let page = response.text().await.unwrap();
        assert!(page.contains(problem), "{new}: {page}");
    }
    assert_eq!(
        app.ropc(TENANT, &login, "First-Pass-1!").await.aadsts(),
        50055,
        "unchanged"
    );

    let fields = [
        ("passwd", "First-Pass-1!"),
        ("newpasswd", "New-Pass-2!"),
        ("confirmnewpasswd", "New-Pass-2!"),
    ];
    let changed = submit(app, &login, &fields).await;

    assert_eq!(changed.status(), 302);
    let token = redeem(app, &code_of(&changed), VERIFIER).await;
    assert_eq!(token.status, 200, "{}", token.body);
    assert_eq!(app.ropc(TENANT, &login, "New-Pass-2!").await.status, 200);
    assert_eq!(
        app.ropc(TENANT, &login, "First-Pass-1!").await.aadsts(),
        50126
    );
}

#[tokio::test]
async fn a_disabled_user_is_refused_on_the_page_with_aadsts50057() {
    let graph = crate::helpers::Graph::spawn().await;
    let user = graph.create_user("quin", "Quin-Pass-1!", false).await;
    let path = format!("/users/{}", user["id"].as_str().unwrap());
    assert_eq!(
        graph
            .patch(&path, serde_json::json!({"accountEnabled": false}))
            .await
            .status,
        204
    );

    let response = submit(
        &graph.app,
        &format!("quin@{DOMAIN}"),
        &[("passwd", "Quin-Pass-1!")],
    )
    .await;

    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("AADSTS50057: The user account is disabled."),
        "{page}"
    );
}
