//! Bad input gets the error Azure gives, in Azure's envelope, and changes nothing.

use base64::Engine;
use mimic_testkit::{claims, TestMimic};
use mimic_token::SigningKey;
use serde_json::{json, Value};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The operator token's claims with `exp` moved, signed by the real AAD key from the data dir.
fn resigned(mimic: &TestMimic, token: &str, change: impl FnOnce(&mut Value)) -> String {
    let dir = mimic.data_dir().join("aad");
    let key = std::fs::read_to_string(dir.join("signing-key.pem")).unwrap();
    let cert = std::fs::read_to_string(dir.join("signing-cert.pem")).unwrap();
    let key = SigningKey::from_pem(&key, &cert).unwrap();
    let mut body = claims(token);
    change(&mut body);
    key.sign(&body).unwrap()
}

async fn groups(mimic: &TestMimic, token: &str) -> Vec<String> {
    let list = mimic
        .arm
        .request(
            "GET",
            &format!(
                "{}/resourcegroups?api-version=2024-11-01",
                mimic.subscription()
            ),
            Some(token),
            None,
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn bad_tokens_get_the_401_codes_arm_gives() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let now = mimic.clock.now();
    let expired = resigned(&mimic, &operator, |c| {
        c["exp"] = json!(now - 3600);
        c["nbf"] = json!(now - 7200);
        c["iat"] = json!(now - 7200);
    });
    let wrong_audience = resigned(&mimic, &operator, |c| {
        c["aud"] = json!("https://vault.azure.net")
    });
    let other_key = SigningKey::generate("forger").unwrap();
    let kid = mimic_token::Verifier::kid_of(&operator).unwrap().unwrap();
    let forged = other_key
        .sign_with_header(
            &json!({"typ": "JWT", "alg": "RS256", "kid": kid, "x5t": kid}),
            &claims(&operator),
        )
        .unwrap();
    let alg_none = format!(
        "{}.{}.",
        b64(br#"{"typ":"JWT","alg":"none"}"#),
        b64(&serde_json::to_vec(&claims(&operator)).unwrap())
    );

    let path = format!("{}?api-version=2024-11-01", mimic.group());
    let cases = [
        (None, "AuthenticationFailed"),
        (Some("not-a-jwt"), "InvalidAuthenticationToken"),
        (Some(forged.as_str()), "InvalidAuthenticationToken"),
        (Some(alg_none.as_str()), "InvalidAuthenticationToken"),
        (Some(expired.as_str()), "ExpiredAuthenticationToken"),
        (
            Some(wrong_audience.as_str()),
            "InvalidAuthenticationTokenAudience",
        ),
    ];
    for (token, code) in cases {
        let reply = mimic.arm.request("GET", &path, token, None).await;
        assert_eq!(reply.status, 401, "{code}: {}", reply.body);
        assert_eq!(reply.body["error"]["code"], code, "{}", reply.body);
        let challenge = reply
            .headers
            .get("www-authenticate")
            .map(|value| value.to_str().unwrap().to_string());
        assert!(
            challenge
                .unwrap_or_default()
                .starts_with("Bearer authorization_uri="),
            "{code}: WWW-Authenticate"
        );
    }
    mimic.stop().await;
}

#[tokio::test]
async fn malformed_requests_get_arm_errors_and_change_nothing() {
    let mimic = TestMimic::start().await;
    let operator = mimic.operator_token().await;
    let before = groups(&mimic, &operator).await;
    let sub = mimic.subscription();

    let no_version = mimic
        .arm
        .request(
            "PUT",
            &format!("{sub}/resourcegroups/new-group"),
            Some(&operator),
            Some(json!({"location": "eastus"})),
        )
        .await;
    assert_eq!(
        (no_version.status, no_version.body["error"]["code"].as_str()),
        (400, Some("MissingApiVersionParameter"))
    );

    let bad_json = mimic
        .http
        .put(format!(
            "{}{sub}/resourcegroups/new-group?api-version=2024-11-01",
            mimic.endpoints.arm
        ))
        .bearer_auth(&operator)
        .header("content-type", "application/json")
        .body("{\"location\": ")
        .send()
        .await
        .unwrap();
    let bad_json = mimic_testkit::Reply::read(bad_json).await;
    assert_eq!(bad_json.status, 400, "{}", bad_json.body);
    assert_eq!(bad_json.body["error"]["code"], "InvalidRequestContent");

    let bad_name = mimic
        .arm
        .request(
            "PUT",
            &format!("{sub}/resourcegroups/bad%23name?api-version=2024-11-01"),
            Some(&operator),
            Some(json!({"location": "eastus"})),
        )
        .await;
    assert_eq!(bad_name.status, 400, "{}", bad_name.body);
    assert!(
        bad_name.body["error"]["code"].is_string(),
        "{}",
        bad_name.body
    );

    let bad_identity_name = format!(
        "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/-x?api-version=2024-11-30",
        mimic.group()
    );
    let reply = mimic
        .arm
        .request(
            "PUT",
            &bad_identity_name,
            Some(&operator),
            Some(json!({"location": "eastus"})),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);

    let unknown = mimic
        .arm
        .request(
            "GET",
            &format!("{sub}/providers/Microsoft.Nope/things/x?api-version=2024-11-01"),
            Some(&operator),
            None,
        )
        .await;
    assert!(
        unknown.status == 400 || unknown.status == 404,
        "{}",
        unknown.body
    );
    assert!(
        unknown.body["error"]["code"].is_string(),
        "unknown routes use the ARM envelope: {}",
        unknown.body
    );

    assert_eq!(groups(&mimic, &operator).await, before, "nothing changed");
    mimic.stop().await;
}
