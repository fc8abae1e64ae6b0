//! Token checks for the AAD tests: verifying what AAD issues with an independent JWT library, and
//! building the client assertions IMDS sends.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_testkit::fixture::TENANT;
use mimic_token::{AccessTokenClaims, ClientAssertionClaims, Clock, Jwks, SigningKey};
use serde_json::{json, Value};

/// The JSON of one base64url part of a JWT.
pub fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("a JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// Verifies `token` against the JWKS with raw aws-lc-rs, independently of `mimic_token`'s
/// verifier: RS256 signature by the key its `kid` names, then issuer, exact audience, and `exp`
/// (system clock, one minute of leeway).
pub fn verify(token: &str, jwks: &Jwks, audience: &str) -> Result<AccessTokenClaims, String> {
    let header = jwt_part(token, 0);
    if header["alg"] != "RS256" {
        return Err(format!("alg {}", header["alg"]));
    }
    let jwk = jwks
        .keys
        .iter()
        .find(|k| header["kid"] == k.kid.as_str())
        .expect("the token's kid is in the JWKS");
    let (signed, signature) = token.rsplit_once('.').ok_or("not a JWT")?;
    let decode = |text: &str| URL_SAFE_NO_PAD.decode(text).map_err(|e| e.to_string());
    aws_lc_rs::signature::RsaPublicKeyComponents {
        n: decode(&jwk.n)?,
        e: decode(&jwk.e)?,
    }
    .verify(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        signed.as_bytes(),
        &decode(signature)?,
    )
    .map_err(|_| "the signature does not verify".to_string())?;
    let claims: AccessTokenClaims =
        serde_json::from_value(jwt_part(token, 1)).map_err(|e| e.to_string())?;
    if claims.iss != format!("https://sts.windows.net/{TENANT}/") {
        return Err(format!("iss {}", claims.iss));
    }
    if claims.aud != audience {
        return Err(format!("aud {}", claims.aud));
    }
    if claims.exp + 60 < Clock::system().now() {
        return Err(format!("expired at {}", claims.exp));
    }
    Ok(claims)
}

/// A client assertion signed by `key` (RS256, header `x5t`).
pub fn assertion(
    key: &SigningKey,
    client_id: &str,
    aud: &str,
    now: i64,
    xms_az_rid: Option<&str>,
) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "x5t": key.kid()});
    key.sign_with_header(&header, &assertion_claims(client_id, aud, now, xms_az_rid))
        .unwrap()
}

/// The claims IMDS puts in an assertion.
pub fn assertion_claims(
    client_id: &str,
    aud: &str,
    now: i64,
    xms_az_rid: Option<&str>,
) -> ClientAssertionClaims {
    ClientAssertionClaims {
        aud: aud.into(),
        iss: client_id.into(),
        sub: client_id.into(),
        jti: uuid::Uuid::new_v4().to_string(),
        exp: now + 600,
        nbf: Some(now),
        iat: Some(now),
        xms_az_rid: xms_az_rid.map(str::to_string),
    }
}

/// An AAD and a Graph token for the operator (what `mimic az` uses), with one method per verb
/// under `/v1.0`.
pub struct Graph {
    pub app: mimic_testkit::TestAad,
    pub token: String,
}

impl Graph {
    /// A fresh AAD with the fixture directory.
    pub async fn spawn() -> Self {
        let app = mimic_testkit::TestAad::spawn().await;
        let reply = app
            .operator_token(&format!("{}//.default", app.aad.base))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let token = reply.token().to_string();
        Self { app, token }
    }

    pub async fn get(&self, path: &str) -> mimic_testkit::Reply {
        self.app
            .aad
            .get(&format!("/v1.0{path}"), Some(&self.token))
            .await
    }

    /// `GET` with `ConsistencyLevel: eventual` (Graph's advanced queries).
    pub async fn get_eventual(&self, path: &str) -> mimic_testkit::Reply {
        let request = self
            .app
            .aad
            .http
            .get(self.app.aad.url(&format!("/v1.0{path}")))
            .bearer_auth(&self.token)
            .header("ConsistencyLevel", "eventual");
        self.app.aad.send(request).await
    }

    pub async fn post(&self, path: &str, body: Value) -> mimic_testkit::Reply {
        let path = format!("/v1.0{path}");
        self.app
            .aad
            .post(&path, Some(&self.token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> mimic_testkit::Reply {
        let path = format!("/v1.0{path}");
        self.app.aad.patch(&path, Some(&self.token), body).await
    }

    pub async fn delete(&self, path: &str) -> mimic_testkit::Reply {
        let path = format!("/v1.0{path}");
        self.app.aad.delete(&path, Some(&self.token)).await
    }

    /// Creates a user through Graph (asserting 201); returns its body.
    pub async fn create_user(&self, name: &str, password: &str, force_change: bool) -> Value {
        let reply = self
            .post(
                "/users",
                json!({"accountEnabled": true, "displayName": name, "mailNickname": name,
                "userPrincipalName": format!("{name}@{}", mimic_testkit::fixture::DOMAIN),
                "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": force_change}}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body
    }

    /// Creates a security group through Graph (asserting 201); returns its id.
    pub async fn create_group(&self, name: &str) -> String {
        let reply = self
            .post(
                "/groups",
                json!({"displayName": name, "mailNickname": name, "mailEnabled": false, "securityEnabled": true}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_string()
    }

    /// Adds `member` to `group` (asserting 204).
    pub async fn add_member(&self, group: &str, member: &str) {
        let reply = self
            .post(
                &format!("/groups/{group}/members/$ref"),
                json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")}),
            )
            .await;
        assert_eq!(reply.status, 204, "{}", reply.text);
    }

    /// Every item of a collection, following `@odata.nextLink`; and how many pages it took.
    pub async fn all_pages(&self, path: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut next = Some(format!("{}/v1.0{path}", self.app.aad.base));
        let mut pages = 0;
        while let Some(url) = next.take() {
            let reply = self
                .app
                .aad
                .get(
                    url.strip_prefix(&self.app.aad.base).unwrap(),
                    Some(&self.token),
                )
                .await;
            assert_eq!(reply.status, 200, "{url}: {}", reply.body);
            items.extend(reply.body["value"].as_array().unwrap().iter().cloned());
            next = reply.body["@odata.nextLink"].as_str().map(str::to_string);
            pages += 1;
            assert!(pages < 50, "too many pages");
        }
        (items, pages)
    }
}

/// The ids of a collection's items.
pub fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

/// Asserts the reply is Graph's error envelope with this status, code and message.
pub fn assert_graph_error(reply: &mimic_testkit::Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.body["error"]["code"], code, "{}", reply.text);
    assert_eq!(reply.body["error"]["message"], message, "{}", reply.text);
    assert!(reply.body["error"]["innerError"]["request-id"].is_string());
}
