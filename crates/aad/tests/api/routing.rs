use mimic_testkit::fixture::TENANT;
use mimic_testkit::TestAad;

#[tokio::test]
async fn unknown_urls_and_wrong_methods_get_aads_json_envelope() {
    let app = TestAad::spawn().await;
    let cases = [
        (reqwest::Method::GET, "/nowhere".to_string(), 404, 9002313),
        (
            reqwest::Method::GET,
            format!("/{TENANT}/oauth2/v2.0/devicecode"),
            404,
            9002313,
        ),
        (
            reqwest::Method::GET,
            format!("/{TENANT}/oauth2/v2.0/token"),
            405,
            900561,
        ),
        (
            reqwest::Method::PUT,
            format!("/{TENANT}/oauth2/token"),
            405,
            900561,
        ),
        (
            reqwest::Method::POST,
            format!("/{TENANT}/v2.0/.well-known/openid-configuration"),
            405,
            900561,
        ),
    ];
    for (method, path, status, code) in cases {
        let response = app
            .aad
            .http
            .request(method.clone(), format!("{}{path}", app.aad.base))
            .send()
            .await
            .unwrap();

        assert_eq!(response.status().as_u16(), status, "{method} {path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error_codes"][0], code, "{method} {path}: {body}");
        assert_eq!(body["error"], "invalid_request");
    }
    // The internal API answers nothing, not even 405, to a caller without the key.
    let internal = format!("{}/internal/servicePrincipals", app.aad.base);
    let without_key = app.aad.http.delete(&internal).send().await.unwrap();
    assert_eq!(without_key.status().as_u16(), 401);
    let with_key = app
        .aad
        .http
        .delete(&internal)
        .header(mimic_web::INTERNAL_KEY_HEADER, app.internal_key.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status().as_u16(), 405);
    let body: serde_json::Value = with_key.json().await.unwrap();
    assert_eq!(body["error_codes"][0], 900561, "{body}");
}

#[tokio::test]
async fn the_method_not_allowed_message_names_both_methods() {
    let app = TestAad::spawn().await;

    let reply = app.aad.get(&format!("/{TENANT}/oauth2/token"), None).await;

    let description = reply.body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(
            "AADSTS900561: The endpoint only accepts POST requests. Received a GET request."
        ),
        "{description}"
    );
}

#[tokio::test]
async fn an_oversized_body_gets_the_envelope_not_the_framework_error() {
    let app = TestAad::spawn().await;
    let body = format!(
        "grant_type=client_credentials&junk={}",
        "a".repeat(512 * 1024)
    );

    let response = app
        .aad
        .http
        .post(app.token_url_v2())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_codes"][0], 90004);
}

#[tokio::test]
async fn an_internal_request_that_is_not_json_gets_the_envelope() {
    let app = TestAad::spawn().await;

    let response = app
        .aad
        .http
        .post(format!("{}/internal/servicePrincipals", app.aad.base))
        .header(mimic_web::INTERNAL_KEY_HEADER, app.internal_key.expose())
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "Request_BadRequest");
}
