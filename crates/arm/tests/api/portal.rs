//! The portal's static files and `config.json`, served without a token (docs/portal.md).

use crate::helpers::{TestApp, TENANT};

#[tokio::test]
async fn portal_config_without_token_returns_public_settings() {
    let app = TestApp::spawn().await;

    let reply = app.request("GET", "/portal/config.json", None, None).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["aadUrl"], app.aad_url.trim_end_matches('/'));
    assert_eq!(reply.body["tenantId"], TENANT);
    assert_eq!(
        reply.body["clientId"],
        "6d696d69-6370-4f72-8c74-616c00000001"
    );
    assert_eq!(reply.body["armUrl"], app.arm_url.trim_end_matches('/'));
    assert_eq!(reply.body.as_object().unwrap().len(), 4);
}

#[tokio::test]
async fn portal_page_without_token_returns_html_with_a_content_security_policy() {
    let app = TestApp::spawn().await;

    let reply = app.request("GET", "/portal/", None, None).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply
        .text
        .contains("<script type=\"module\" src=\"/portal/app.js\">"));
    let content_type = reply.headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let policy = reply.headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'self'"), "{policy}");
}

#[tokio::test]
async fn portal_without_trailing_slash_redirects_to_the_page() {
    let app = TestApp::spawn().await;

    let reply = app.request("GET", "/portal", None, None).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.text.contains("mimic portal"));
}

#[tokio::test]
async fn portal_assets_are_served_as_javascript_modules() {
    let app = TestApp::spawn().await;

    for name in ["app.js", "auth.js", "arm.js", "dom.js", "identity.js"] {
        let reply = app
            .request("GET", &format!("/portal/{name}"), None, None)
            .await;

        assert_eq!(reply.status, 200, "{name}");
        let content_type = reply.headers["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("text/javascript"),
            "{name}: {content_type}"
        );
        assert!(
            !reply.text.contains("innerHTML"),
            "{name} must build the DOM with textContent"
        );
    }
}

#[tokio::test]
async fn portal_unknown_file_returns_404() {
    let app = TestApp::spawn().await;

    let reply = app.request("GET", "/portal/secrets.json", None, None).await;

    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn portal_prefix_does_not_open_arm_paths() {
    let app = TestApp::spawn().await;

    let reply = app
        .request("GET", "/portalx/subscriptions", None, None)
        .await;

    assert_eq!(reply.status, 401, "{}", reply.text);
}
