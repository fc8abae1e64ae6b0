//! `TestApp`: a real AAD and a real ARM on port 0 in a temporary data dir, seeded with the
//! default fixture, plus one helper per operation the tests use.

use std::sync::OnceLock;

use mimic_token::{AccessTokenClaims, Clock, SigningKey};
use mimic_web::{InternalKey, Pki};
use serde_json::{json, Value};

/// The default fixture's subscription.
pub const SUBSCRIPTION: &str = "9b2c4d6e-8f0a-4b1c-a3d5-e7f9a1b3c5d7";
/// The default fixture's tenant.
pub const TENANT: &str = "7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e";
/// The default fixture's resource group.
pub const GROUP: &str = "mimic-rg";
/// The fixture operator (Owner on the subscription).
pub const OPERATOR_APP_ID: &str = "0f1e2d3c-4b5a-4968-8776-655443322110";
/// The operator's secret.
pub const OPERATOR_SECRET: &str = "mimic-operator-secret";
/// The operator's object id.
pub const OPERATOR_OBJECT_ID: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
/// Reader.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
/// Contributor.
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// The role-assignment api-version az uses.
pub const RA_VERSION: &str = "2022-04-01";

/// A status, the headers and the JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// `error.code` of an ARM error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
    /// `error.message` of an ARM error body.
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

/// A service principal with a secret.
#[derive(Debug, Clone)]
pub struct Principal {
    pub object_id: String,
    pub app_id: String,
    pub secret: String,
}

/// A running AAD + ARM pair.
pub struct TestApp {
    pub arm_url: String,
    pub aad_url: String,
    pub http: reqwest::Client,
    pub internal_key: InternalKey,
    pub clock: Clock,
    /// Keeps the data dir alive as long as the app.
    _data_dir: tempfile::TempDir,
}

/// The AAD signing key, generated once per test binary (RSA generation is slow).
fn signing_key_pems() -> &'static (String, String) {
    static KEY: OnceLock<(String, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = SigningKey::generate("mimic AAD token signing").unwrap();
        (
            key.private_key_pem().to_string(),
            key.certificate_pem().to_string(),
        )
    })
}

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/default.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

impl TestApp {
    /// Starts AAD and ARM with the default fixture.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], with `configure` applied to ARM's settings before it starts.
    pub async fn spawn_with(configure: impl FnOnce(&mut mimic_arm::Settings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::at(dir.path());
        let certificate = pki.ensure().unwrap();
        let ca_pem = std::fs::read_to_string(&pki.ca_cert).unwrap();
        let internal_key = InternalKey::generate();
        let clock = Clock::system();
        let fixture = fixture();
        let keys_dir = dir.path().join("aad");
        std::fs::create_dir_all(&keys_dir).unwrap();
        let (key_pem, cert_pem) = signing_key_pems();
        std::fs::write(keys_dir.join("signing-key.pem"), key_pem).unwrap();
        std::fs::write(keys_dir.join("signing-cert.pem"), cert_pem).unwrap();

        let mut aad = mimic_aad::Settings::for_data_dir(
            dir.path(),
            "127.0.0.1:0",
            certificate.clone(),
            internal_key.clone(),
        );
        aad.tenant_id = TENANT.to_string();
        aad.fixture = Some(fixture["aad"].clone());
        aad.clock = clock.clone();
        let aad = mimic_aad::Application::build(aad).await.unwrap();
        let aad_url = aad.base_url().to_string();
        tokio::spawn(aad.run_until_stopped());

        let mut arm = mimic_arm::Settings::new(
            dir.path().join("arm.db"),
            certificate,
            ca_pem.clone(),
            aad_url.clone(),
            TENANT,
            internal_key.clone(),
        );
        arm.bind = "127.0.0.1:0".to_string();
        arm.fixture = Some(fixture["arm"].clone());
        arm.clock = clock.clone();
        configure(&mut arm);
        let arm = mimic_arm::Application::build(arm).await.unwrap();
        let arm_url = format!("https://127.0.0.1:{}", arm.port());
        tokio::spawn(arm.run_until_stopped());

        Self {
            arm_url,
            aad_url,
            http: mimic_web::https_client(&ca_pem).unwrap(),
            internal_key,
            clock,
            _data_dir: dir,
        }
    }

    /// The local CA's certificate file (for clients outside reqwest, e.g. curl).
    pub fn ca_path(&self) -> std::path::PathBuf {
        self._data_dir.path().join("ca.pem")
    }

    /// `/subscriptions/{fixture subscription}`.
    pub fn subscription(&self) -> String {
        format!("/subscriptions/{SUBSCRIPTION}")
    }

    /// `/subscriptions/{s}/resourceGroups/{name}`.
    pub fn group(&self, name: &str) -> String {
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{name}")
    }

    /// An access token by client credentials for `https://management.azure.com/.default`.
    pub async fn token(&self, app_id: &str, secret: &str) -> String {
        let url = format!("{}/{TENANT}/oauth2/v2.0/token", self.aad_url);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", app_id),
            ("client_secret", secret),
            ("scope", "https://management.azure.com/.default"),
        ];
        let response = self.http.post(url).form(&form).send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "token: {body}");
        body["access_token"].as_str().unwrap().to_string()
    }

    /// The fixture operator's token.
    pub async fn operator_token(&self) -> String {
        self.token(OPERATOR_APP_ID, OPERATOR_SECRET).await
    }

    /// A new plain service principal with a secret (AAD internal API), and its token.
    pub async fn new_principal(&self, name: &str) -> (Principal, String) {
        let secret = format!("secret-{}", uuid::Uuid::new_v4());
        let body = json!({"displayName": name, "servicePrincipalType": "Application",
            "passwordCredentials": [{"secretText": secret}]});
        let response = self
            .http
            .post(format!("{}/internal/servicePrincipals", self.aad_url))
            .header(mimic_web::INTERNAL_KEY_HEADER, self.internal_key.expose())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.unwrap();
        let principal = Principal {
            object_id: created["id"].as_str().unwrap().to_string(),
            app_id: created["appId"].as_str().unwrap().to_string(),
            secret,
        };
        let token = self.token(&principal.app_id, &principal.secret).await;
        (principal, token)
    }

    /// An ARM request; `path` carries its query.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.arm_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap()).await
    }

    /// An ARM request with a raw body and extra headers.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.arm_url))
            .body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send().await.unwrap()).await
    }

    /// `GET` with a token.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.request("GET", path, Some(token), None).await
    }

    /// PUTs a resource group in the fixture subscription.
    pub async fn put_group(&self, token: &str, name: &str, body: Value) -> Reply {
        let path = format!("{}?api-version=2024-11-01", self.group(name));
        self.request("PUT", &path, Some(token), Some(body)).await
    }

    /// PUTs a role assignment named `name` at `scope` granting `role` (GUID) to `principal_id`.
    pub async fn put_assignment(
        &self,
        token: &str,
        scope: &str,
        name: &str,
        role: &str,
        principal_id: &str,
    ) -> Reply {
        let path = format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}"
        );
        let definition = format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{role}"
        );
        let body = json!({"properties": {"roleDefinitionId": definition,
            "principalId": principal_id, "principalType": "ServicePrincipal"}});
        self.request("PUT", &path, Some(token), Some(body)).await
    }

    /// Grants `role` at `scope` to `principal_id` as the operator; returns the assignment's name.
    pub async fn grant(&self, scope: &str, role: &str, principal_id: &str) -> String {
        let token = self.operator_token().await;
        let name = uuid::Uuid::new_v4().to_string();
        let reply = self
            .put_assignment(&token, scope, &name, role, principal_id)
            .await;
        assert_eq!(reply.status, 201, "grant: {}", reply.text);
        name
    }

    /// The AAD signing key (to mint tokens with chosen claims).
    pub fn signing_key(&self) -> SigningKey {
        let (key_pem, cert_pem) = signing_key_pems();
        SigningKey::from_pem(key_pem, cert_pem).unwrap()
    }

    /// Claims of a valid operator token, to be altered by tests.
    pub fn operator_claims(&self) -> AccessTokenClaims {
        let now = self.clock.now();
        AccessTokenClaims {
            aud: "https://management.azure.com".into(),
            iss: format!("https://sts.windows.net/{TENANT}/"),
            iat: now,
            nbf: now,
            exp: now + 3599,
            aio: String::new(),
            appid: OPERATOR_APP_ID.into(),
            appidacr: "1".into(),
            idp: format!("https://sts.windows.net/{TENANT}/"),
            idtyp: Some("app".into()),
            oid: OPERATOR_OBJECT_ID.into(),
            rh: String::new(),
            sub: OPERATOR_OBJECT_ID.into(),
            tid: TENANT.into(),
            uti: uuid::Uuid::new_v4().to_string(),
            ver: "1.0".into(),
            xms_mirid: None,
            xms_az_rid: None,
            xms_cc: None,
        }
    }

    /// Signs claims with AAD's key.
    pub fn mint(&self, claims: &AccessTokenClaims) -> String {
        self.signing_key().sign(claims).unwrap()
    }
}

async fn read(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}
