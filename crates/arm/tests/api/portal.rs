//! The portal's static files and `config.json`, served without a token (docs/portal.md).

use mimic_testkit::fixture::{CONTRIBUTOR, GROUP, SUBSCRIPTION, TENANT};
use mimic_testkit::TestArm;

#[tokio::test]
async fn portal_config_without_token_returns_public_settings() {
    let app = TestArm::spawn().await;

    let reply = app
        .arm
        .request("GET", "/portal/config.json", None, None)
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["aadUrl"], app.aad.base.trim_end_matches('/'));
    assert_eq!(reply.body["tenantId"], TENANT);
    assert_eq!(
        reply.body["clientId"],
        "6d696d69-6370-4f72-8c74-616c00000001"
    );
    assert_eq!(reply.body["armUrl"], app.arm.base.trim_end_matches('/'));
    assert_eq!(
        reply.body["graphResourceId"],
        format!("{}/", app.aad.base.trim_end_matches('/'))
    );
    assert_eq!(reply.body.as_object().unwrap().len(), 5);
}

#[tokio::test]
async fn portal_page_without_token_returns_html_with_a_content_security_policy() {
    let app = TestArm::spawn().await;

    let reply = app.arm.request("GET", "/portal/", None, None).await;

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
    let app = TestArm::spawn().await;

    let reply = app.arm.request("GET", "/portal", None, None).await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.text.contains("mimic portal"));
}

#[tokio::test]
async fn portal_assets_are_served_as_javascript_modules() {
    let app = TestArm::spawn().await;

    // Every module in crates/arm/portal-ui is embedded: a file left out of `ASSETS` would 404.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("portal-ui");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".js"))
        .collect();
    names.sort();
    assert!(
        names.contains(&"managed-identity.js".to_string()),
        "{names:?}"
    );
    for name in &names {
        let reply = app
            .arm
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
        assert_eq!(
            reply.text,
            std::fs::read_to_string(dir.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn portal_unknown_file_returns_404() {
    let app = TestArm::spawn().await;

    let reply = app
        .arm
        .request("GET", "/portal/secrets.json", None, None)
        .await;

    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn portal_prefix_does_not_open_arm_paths() {
    let app = TestArm::spawn().await;

    let reply = app
        .arm
        .request("GET", "/portalx/subscriptions", None, None)
        .await;

    assert_eq!(reply.status, 401, "{}", reply.text);
}

/// A fake IMDS on 127.0.0.1:0: `/ok/metadata/identity/oauth2/token` answers a token when asked
/// with `Metadata: true`, `/none/…` answers IMDS's 400 "Identity not found".
async fn fake_imds() -> String {
    use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
    async fn ok(request: HttpRequest) -> HttpResponse {
        let query = request.query_string().to_string();
        let metadata = request
            .headers()
            .get("Metadata")
            .map(|v| v.as_bytes().to_vec());
        match metadata.as_deref() == Some(b"true".as_slice())
            && query.contains("api-version=2018-02-01")
            && query.contains("resource=https%3A%2F%2Fmanagement.azure.com%2F")
        {
            true => HttpResponse::Ok().json(serde_json::json!({
                "access_token": "fake.vm.token", "token_type": "Bearer",
                "resource": "https://management.azure.com/", "expires_in": "86399"})),
            false => HttpResponse::BadRequest().json(serde_json::json!({
                "error": "invalid_request", "error_description": query})),
        }
    }
    async fn none() -> HttpResponse {
        HttpResponse::BadRequest().json(serde_json::json!({
            "error": "invalid_request", "error_description": "Identity not found"}))
    }
    let server = HttpServer::new(|| {
        App::new()
            .route("/ok/metadata/identity/oauth2/token", web::get().to(ok))
            .route("/none/metadata/identity/oauth2/token", web::get().to(none))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://127.0.0.1:{}", server.addrs()[0].port());
    tokio::spawn(server.run());
    url
}

fn vm_id(name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.Compute/virtualMachines/{name}")
}

/// ARM with an IMDS directory: vm1 → the fake's token, vm2 → "Identity not found".
async fn app_with_imds() -> TestArm {
    let imds = fake_imds().await;
    TestArm::spawn_with(move |settings| {
        settings.imds_directory = Some(std::sync::Arc::new(move |id: &str| {
            let name = id
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            match name.as_str() {
                "vm1" => Some(format!("{imds}/ok")),
                "vm2" => Some(format!("{imds}/none")),
                _ => None,
            }
        }));
    })
    .await
}

fn vm_token_body(name: &str) -> Option<serde_json::Value> {
    Some(serde_json::json!({"vmId": vm_id(name), "resource": "https://management.azure.com/"}))
}

#[tokio::test]
async fn vm_token_without_token_returns_401() {
    let app = app_with_imds().await;

    let reply = app
        .arm
        .request("POST", "/portal/api/vm-token", None, vm_token_body("vm1"))
        .await;

    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(reply.code(), "AuthenticationFailed");
}

#[tokio::test]
async fn vm_token_without_run_command_returns_403_authorization_failed() {
    let app = app_with_imds().await;
    let (principal, token) = app.new_principal("no-rights").await;

    let reply = app
        .arm
        .request(
            "POST",
            "/portal/api/vm-token",
            Some(&token),
            vm_token_body("vm1"),
        )
        .await;

    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(reply.code(), "AuthorizationFailed");
    assert!(reply.message().contains(&principal.object_id));
    assert!(reply
        .message()
        .contains("Microsoft.Compute/virtualMachines/runCommand/action"));
}

#[tokio::test]
async fn vm_token_for_operator_relays_the_imds_token() {
    let app = app_with_imds().await;
    let token = app.operator_token().await;

    let reply = app
        .arm
        .request(
            "POST",
            "/portal/api/vm-token",
            Some(&token),
            vm_token_body("vm1"),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["access_token"], "fake.vm.token");
    assert_eq!(reply.body["resource"], "https://management.azure.com/");
}

#[tokio::test]
async fn vm_token_for_a_contributor_on_the_vm_returns_200() {
    let app = app_with_imds().await;
    let (principal, token) = app.new_principal("vm-contributor").await;
    app.grant(&vm_id("vm1"), CONTRIBUTOR, &principal.object_id)
        .await;

    let reply = app
        .arm
        .request(
            "POST",
            "/portal/api/vm-token",
            Some(&token),
            vm_token_body("vm1"),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn vm_token_for_a_vm_without_identity_relays_the_imds_400() {
    let app = app_with_imds().await;
    let token = app.operator_token().await;

    let reply = app
        .arm
        .request(
            "POST",
            "/portal/api/vm-token",
            Some(&token),
            vm_token_body("vm2"),
        )
        .await;

    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.body["error_description"], "Identity not found");
}

#[tokio::test]
async fn vm_token_for_an_unknown_vm_returns_404_resource_not_found() {
    let app = app_with_imds().await;
    let token = app.operator_token().await;

    let reply = app
        .arm
        .request(
            "POST",
            "/portal/api/vm-token",
            Some(&token),
            vm_token_body("vm9"),
        )
        .await;

    assert_eq!(reply.status, 404, "{}", reply.text);
    assert_eq!(reply.code(), "ResourceNotFound");
}

#[tokio::test]
async fn vm_token_with_a_non_vm_id_returns_400_invalid_request_content() {
    let app = app_with_imds().await;
    let token = app.operator_token().await;
    let body = serde_json::json!({"vmId": app.group(GROUP)});

    let reply = app
        .arm
        .request("POST", "/portal/api/vm-token", Some(&token), Some(body))
        .await;

    assert_eq!(reply.status, 400, "{}", reply.text);
    assert_eq!(reply.code(), "InvalidRequestContent");
}

#[tokio::test]
async fn vm_token_without_imds_directory_returns_404_naming_mimic_up() {
    let app = TestArm::spawn().await;
    let token = app.operator_token().await;

    let reply = app
        .arm
        .request(
            "POST",
            "/portal/api/vm-token",
            Some(&token),
            vm_token_body("vm1"),
        )
        .await;

    assert_eq!(reply.status, 404, "{}", reply.text);
    assert_eq!(reply.code(), "NotFound");
    assert!(reply.message().contains("mimic up"), "{}", reply.text);
}

#[tokio::test]
async fn vm_imds_for_a_reader_returns_the_vms_imds_address_and_403_without_read() {
    let app = app_with_imds().await;
    let path = format!("/portal/api/vm-imds?vmId={}", vm_id("vm1"));
    let token = app.operator_token().await;

    let reply = app.arm.request("GET", &path, Some(&token), None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply.body["imds"].as_str().unwrap().ends_with("/ok"),
        "{}",
        reply.text
    );

    let (_, stranger) = app.new_principal("no-read").await;
    let denied = app.arm.request("GET", &path, Some(&stranger), None).await;
    assert_eq!(denied.status, 403, "{}", denied.text);
    assert_eq!(denied.code(), "AuthorizationFailed");
}
