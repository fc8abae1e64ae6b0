//! `TestApp`: one AAD per test, with one helper per operation, and token/assertion utilities.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mimic_aad::{Application, Settings};
use mimic_token::{AccessTokenClaims, ClientAssertionClaims, Clock, Jwks, SigningKey};
use mimic_web::{InternalKey, Pki, INTERNAL_KEY_HEADER};
use serde_json::{json, Value};

pub const TENANT: &str = "7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e";
pub const DOMAIN: &str = "mimic.onmicrosoft.com";
pub const OPERATOR_ID: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
pub const OPERATOR_APP_ID: &str = "0f1e2d3c-4b5a-4968-8776-655443322110";
pub const OPERATOR_SECRET: &str = "mimic-operator-secret";
pub const ARM_CORE: &str = "https://management.core.windows.net/";
pub const ARM: &str = "https://management.azure.com";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub const ADMIN_ID: &str = "ad000000-0000-4000-8000-00000000a001";
pub const ADMIN_UPN: &str = "admin@mimic.onmicrosoft.com";
pub const ADMIN_PASSWORD: &str = "Mimic-Admin-1!";
pub const AZURE_CLI: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
pub const PORTAL: &str = "6d696d69-6370-4f72-8c74-616c00000001";

/// The operator principal and the admin user, as the default fixture declares them.
pub fn fixture() -> Value {
    json!({"servicePrincipals": [{
        "id": OPERATOR_ID, "appId": OPERATOR_APP_ID, "displayName": "mimic-operator",
        "servicePrincipalType": "Application",
        "passwordCredentials": [{"secretText": OPERATOR_SECRET}]
    }], "users": [{
        "id": ADMIN_ID, "userPrincipalName": ADMIN_UPN, "displayName": "Mimic Admin",
        "passwordProfile": {"password": ADMIN_PASSWORD}
    }]})
}

/// A status, headers and JSON body (Null if none).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(text.is_empty() || !body.is_null(), "not JSON: {text}");
        Self {
            status,
            headers,
            body,
        }
    }

    /// The AADSTS code of an error envelope.
    pub fn code(&self) -> i64 {
        self.body["error_codes"][0].as_i64().unwrap_or(-1)
    }

    /// The `error` of an error envelope.
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }

    /// The access token of a success body.
    pub fn token(&self) -> &str {
        self.body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {}", self.body))
    }
}

/// A running AAD in a temporary data dir.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub internal_key: InternalKey,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    /// AAD with the operator fixture, in a fresh data dir.
    pub async fn spawn() -> Self {
        Self::spawn_in(
            tempfile::tempdir().unwrap(),
            InternalKey::generate(),
            Clock::system(),
        )
        .await
    }

    /// AAD with the operator fixture and `configure` applied to its settings, in a fresh data dir.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::spawn_configured(dir, InternalKey::generate(), Clock::system(), configure).await
    }

    /// AAD on an existing data dir.
    pub async fn spawn_in(dir: tempfile::TempDir, internal_key: InternalKey, clock: Clock) -> Self {
        Self::spawn_configured(dir, internal_key, clock, |_| {}).await
    }

    async fn spawn_configured(
        dir: tempfile::TempDir,
        internal_key: InternalKey,
        clock: Clock,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let certificate = Pki::at(dir.path()).ensure().unwrap();
        let mut settings = Settings {
            bind: "127.0.0.1:0".into(),
            fixture: Some(fixture()),
            clock: clock.clone(),
            tenant_id: TENANT.into(),
            tenant_domain: DOMAIN.into(),
            ..Settings::for_data_dir(dir.path(), "127.0.0.1:0", certificate, internal_key.clone())
        };
        configure(&mut settings);
        let app = Application::build(settings).await.unwrap();
        let base = format!("https://127.0.0.1:{}", app.port());
        assert_eq!(app.base_url(), base);
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let ca = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();
        Self {
            base,
            client: mimic_web::https_client(&ca).unwrap(),
            internal_key,
            clock,
            dir,
            handle,
        }
    }

    /// Stops the server and hands back what a restart needs.
    pub async fn stop(self) -> (tempfile::TempDir, InternalKey, Clock) {
        self.handle.stop(true).await;
        (self.dir, self.internal_key, self.clock)
    }

    pub async fn get(&self, path: &str) -> Reply {
        Reply::from(
            self.client
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn openid_configuration(&self, tenant: &str) -> Reply {
        self.get(&format!("/{tenant}/v2.0/.well-known/openid-configuration"))
            .await
    }

    pub async fn jwks(&self) -> Jwks {
        let reply = self.get(&format!("/{TENANT}/discovery/v2.0/keys")).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        serde_json::from_value(reply.body).unwrap()
    }

    pub fn token_url_v1(&self) -> String {
        format!("{}/{TENANT}/oauth2/token", self.base)
    }

    pub fn token_url_v2(&self) -> String {
        format!("{}/{TENANT}/oauth2/v2.0/token", self.base)
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Reply {
        Reply::from(self.client.post(url).form(form).send().await.unwrap()).await
    }

    pub async fn token_v1(&self, form: &[(&str, &str)]) -> Reply {
        self.post_form(&self.token_url_v1(), form).await
    }

    pub async fn token_v2(&self, form: &[(&str, &str)]) -> Reply {
        self.post_form(&self.token_url_v2(), form).await
    }

    /// v2 client credentials with the operator's secret.
    pub async fn operator_token(&self, scope: &str) -> Reply {
        self.token_v2(&[
            ("client_id", OPERATOR_APP_ID),
            ("grant_type", "client_credentials"),
            ("client_secret", OPERATOR_SECRET),
            ("scope", scope),
        ])
        .await
    }

    /// v1 client credentials with a client assertion.
    pub async fn assertion_token(&self, client_id: &str, assertion: &str, resource: &str) -> Reply {
        self.token_v1(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("resource", resource),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
        ])
        .await
    }

    pub async fn create_principal(&self, body: &Value) -> Reply {
        let request = self
            .client
            .post(format!("{}/internal/servicePrincipals", self.base))
            .header(INTERNAL_KEY_HEADER, self.internal_key.expose())
            .json(body);
        Reply::from(request.send().await.unwrap()).await
    }

    pub async fn create_user(&self, body: &Value) -> Reply {
        let request = self
            .client
            .post(format!("{}/internal/users", self.base))
            .header(INTERNAL_KEY_HEADER, self.internal_key.expose())
            .json(body);
        Reply::from(request.send().await.unwrap()).await
    }

    /// ROPC for the Azure CLI at `tenant`.
    pub async fn ropc(&self, tenant: &str, username: &str, password: &str) -> Reply {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", self.base);
        self.post_form(
            &url,
            &[
                ("client_id", AZURE_CLI),
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
                (
                    "scope",
                    "https://management.core.windows.net//.default offline_access openid profile",
                ),
                ("client_info", "1"),
            ],
        )
        .await
    }

    pub async fn get_principal(&self, id: &str) -> Reply {
        let request = self
            .client
            .get(format!("{}/internal/servicePrincipals/{id}", self.base))
            .header(INTERNAL_KEY_HEADER, self.internal_key.expose());
        Reply::from(request.send().await.unwrap()).await
    }

    pub async fn delete_principal(&self, id: &str) -> Reply {
        let request = self
            .client
            .delete(format!("{}/internal/servicePrincipals/{id}", self.base))
            .header(INTERNAL_KEY_HEADER, self.internal_key.expose());
        Reply::from(request.send().await.unwrap()).await
    }

    /// Creates a managed identity whose key credential is `key`'s certificate.
    pub async fn create_managed_identity(&self, key: &SigningKey, resource_id: &str) -> Value {
        let reply = self
            .create_principal(&json!({
                "displayName": "vm1",
                "servicePrincipalType": "ManagedIdentity",
                "managedIdentityResourceId": resource_id,
                "alternativeNames": ["isExplicit=False", resource_id],
                "keyCredentials": [{"key": key.certificate_pem()}],
            }))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body
    }
}

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
