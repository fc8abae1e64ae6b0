//! [`TestAad`]: one real AAD on port 0 in a temporary data dir, seeded with [`fixture::aad`], and
//! one helper per AAD operation the tests use.

use actix_web::dev::ServerHandle;
use mimic_aad::{Application, Settings};
use mimic_token::{Clock, Jwks, SigningKey};
use mimic_web::{InternalKey, Pki};
use serde_json::{json, Value};

use crate::fixture::{
    self, AZURE_CLI, DOMAIN, JWT_BEARER, OPERATOR_APP_ID, OPERATOR_SECRET, TENANT,
};
use crate::{Client, Reply};

/// A running AAD.
pub struct TestAad {
    /// AAD, with the internal key; every reply must be empty or JSON.
    pub aad: Client,
    /// The internal key AAD was started with.
    pub internal_key: InternalKey,
    /// The clock AAD reads; tests may advance it.
    pub clock: Clock,
    /// The data dir (CA, AAD's database and keys); removed on drop.
    pub dir: tempfile::TempDir,
    handle: ServerHandle,
}

impl TestAad {
    /// AAD with the fixture directory, in a fresh data dir.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestAad::spawn`], with `configure` applied to AAD's settings before it starts.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("a temporary data dir");
        Self::start(dir, InternalKey::generate(), Clock::system(), configure).await
    }

    /// AAD on an existing data dir (what [`TestAad::stop`] handed back), as after a restart.
    pub async fn spawn_in(dir: tempfile::TempDir, internal_key: InternalKey, clock: Clock) -> Self {
        Self::start(dir, internal_key, clock, |_| {}).await
    }

    async fn start(
        dir: tempfile::TempDir,
        internal_key: InternalKey,
        clock: Clock,
        configure: impl FnOnce(&mut Settings),
    ) -> Self {
        let certificate = Pki::at(dir.path()).ensure().expect("the test CA");
        let mut settings = Settings {
            bind: "127.0.0.1:0".into(),
            fixture: Some(fixture::aad()),
            clock: clock.clone(),
            tenant_id: TENANT.into(),
            tenant_domain: DOMAIN.into(),
            ..Settings::for_data_dir(dir.path(), "127.0.0.1:0", certificate, internal_key.clone())
        };
        configure(&mut settings);
        let app = Application::build(settings).await.expect("AAD starts");
        let base = format!("https://127.0.0.1:{}", app.port());
        assert_eq!(app.base_url(), base);
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let ca = std::fs::read_to_string(dir.path().join("ca.pem")).expect("reading ca.pem");
        Self {
            aad: Client::https(base, &ca)
                .with_internal_key(internal_key.clone())
                .json_only(),
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

    /// The OIDC discovery document of `tenant` (v2).
    pub async fn openid_configuration(&self, tenant: &str) -> Reply {
        let path = format!("/{tenant}/v2.0/.well-known/openid-configuration");
        self.aad.get(&path, None).await
    }

    /// The signing keys (v2 JWKS); asserts success.
    pub async fn jwks(&self) -> Jwks {
        let reply = self
            .aad
            .get(&format!("/{TENANT}/discovery/v2.0/keys"), None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        serde_json::from_value(reply.body).expect("a JWKS")
    }

    /// The v1 token endpoint's URL (a client assertion's audience).
    pub fn token_url_v1(&self) -> String {
        self.aad.url(&format!("/{TENANT}/oauth2/token"))
    }

    /// The v2 token endpoint's URL.
    pub fn token_url_v2(&self) -> String {
        self.aad.url(&format!("/{TENANT}/oauth2/v2.0/token"))
    }

    /// A v1 token request.
    pub async fn token_v1(&self, form: &[(&str, &str)]) -> Reply {
        self.aad
            .form(&format!("/{TENANT}/oauth2/token"), form)
            .await
    }

    /// A v2 token request.
    pub async fn token_v2(&self, form: &[(&str, &str)]) -> Reply {
        self.aad
            .form(&format!("/{TENANT}/oauth2/v2.0/token"), form)
            .await
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

    /// ROPC for the Azure CLI at `tenant`.
    pub async fn ropc(&self, tenant: &str, username: &str, password: &str) -> Reply {
        let scope = "https://management.core.windows.net//.default offline_access openid profile";
        self.ropc_scope(tenant, username, password, scope).await
    }

    /// Like [`TestAad::ropc`], asking for `scope`.
    pub async fn ropc_scope(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
        scope: &str,
    ) -> Reply {
        let form = [
            ("client_id", AZURE_CLI),
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("scope", scope),
            ("client_info", "1"),
        ];
        self.aad
            .form(&format!("/{tenant}/oauth2/v2.0/token"), &form)
            .await
    }

    /// Creates a service principal (internal API).
    pub async fn create_principal(&self, body: &Value) -> Reply {
        self.aad
            .internal("POST", "/internal/servicePrincipals", Some(body.clone()))
            .await
    }

    /// Creates a user (internal API).
    pub async fn create_user(&self, body: &Value) -> Reply {
        self.aad
            .internal("POST", "/internal/users", Some(body.clone()))
            .await
    }

    /// Reads a service principal (internal API).
    pub async fn get_principal(&self, id: &str) -> Reply {
        let path = format!("/internal/servicePrincipals/{id}");
        self.aad.internal("GET", &path, None).await
    }

    /// Deletes a service principal (internal API).
    pub async fn delete_principal(&self, id: &str) -> Reply {
        let path = format!("/internal/servicePrincipals/{id}");
        self.aad.internal("DELETE", &path, None).await
    }

    /// Creates a managed identity for `resource_id` whose key credential is `key`'s certificate;
    /// asserts success and returns the principal.
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
