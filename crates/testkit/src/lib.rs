//! Dev-only: a whole mimic (AAD, ARM, one IMDS per VM) started in-process on port 0 in a temporary
//! data dir, with one helper per operation the tests use. Everything goes over real HTTP.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use base64::Engine;
use mimic::endpoints::Endpoints;
use mimic::up::{Mimic, UpArgs};
use mimic_token::Clock;
use serde_json::{json, Value};

/// ARM's audience as azure-identity and the management SDKs request it.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";
/// The Reader role definition's GUID.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/// A status code and a JSON body (Null when the body is empty or not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

/// A running mimic in a temporary data dir.
pub struct TestMimic {
    pub mimic: Option<Mimic>,
    pub endpoints: Endpoints,
    pub dir: tempfile::TempDir,
    /// Trusts the test CA; never uses a proxy.
    pub http: reqwest::Client,
    pub clock: Clock,
    /// The `mimic up` flags it runs with.
    pub args: UpArgs,
}

impl TestMimic {
    /// Starts mimic on ephemeral ports in a fresh data dir.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts mimic with `mimic up` flags changed by `change` (ports stay ephemeral).
    pub async fn start_with(change: impl FnOnce(&mut UpArgs)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut args = Self::default_args();
        change(&mut args);
        Self::start_in(dir, Clock::system(), args).await
    }

    fn default_args() -> UpArgs {
        UpArgs {
            listen: None,
            arm_addr: Some("127.0.0.1:0".into()),
            aad_addr: Some("127.0.0.1:0".into()),
            tls_names: Vec::new(),
            imds_listen: None,
            imds_base_port: None,
            fixture: None,
            // Tests run in parallel on one host: none of them takes port 443.
            aad_userrealm_addr: Some(String::new()),
            mi_token_lifetime: mimic::services::DEFAULT_MI_TOKEN_LIFETIME,
            aad_lockout: Default::default(),
            imds_limits: Default::default(),
            ephemeral: false,
            lenient_api_versions: false,
        }
    }

    async fn start_in(dir: tempfile::TempDir, clock: Clock, args: UpArgs) -> Self {
        let mimic = mimic::up::start(dir.path(), &args, clock.clone())
            .await
            .unwrap();
        let http = mimic_web::https_client(&mimic.data_dir.ca_pem).unwrap();
        let endpoints = mimic.endpoints.clone();
        Self {
            mimic: Some(mimic),
            endpoints,
            dir,
            http,
            clock,
            args,
        }
    }

    /// Stops everything and starts again on the same data dir.
    pub async fn restart(mut self) -> Self {
        if let Some(mimic) = self.mimic.take() {
            mimic.stop().await;
        }
        Self::start_in(self.dir, self.clock, self.args).await
    }

    /// Stops everything but keeps the data dir, for [`TestMimic::restart`] later.
    pub async fn stop_keeping_dir(&mut self) {
        if let Some(mimic) = self.mimic.take() {
            mimic.stop().await;
        }
    }

    /// Stops everything.
    pub async fn stop(mut self) {
        if let Some(mimic) = self.mimic.take() {
            mimic.stop().await;
        }
    }

    /// The data dir.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `endpoints.json` as currently on disk.
    pub fn endpoints_file(&self) -> Endpoints {
        Endpoints::read(&self.dir.path().join("endpoints.json")).unwrap()
    }

    /// `/subscriptions/{fixture subscription}`.
    pub fn subscription(&self) -> String {
        format!("/subscriptions/{}", self.endpoints.subscription_id)
    }

    /// `/subscriptions/{s}/resourceGroups/{fixture group}`.
    pub fn group(&self) -> String {
        format!(
            "{}/resourceGroups/{}",
            self.subscription(),
            self.endpoints.resource_group
        )
    }

    /// The ARM id of a VM in the fixture group.
    pub fn vm_id(&self, name: &str) -> String {
        format!(
            "{}/providers/Microsoft.Compute/virtualMachines/{name}",
            self.group()
        )
    }

    /// The ARM id of a user-assigned identity in the fixture group.
    pub fn identity_id(&self, name: &str) -> String {
        format!(
            "{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
            self.group()
        )
    }

    /// A token by client credentials (v2 endpoint) for `scope`.
    pub async fn client_credentials(&self, client_id: &str, secret: &str, scope: &str) -> Reply {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.endpoints.aad, self.endpoints.tenant_id
        );
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", scope),
        ];
        reply(self.http.post(url).form(&form).send().await.unwrap()).await
    }

    /// The fixture operator's ARM token (Owner on the subscription).
    pub async fn operator_token(&self) -> String {
        let operator = &self.endpoints.operator;
        let reply = self
            .client_credentials(&operator.client_id, &operator.client_secret, ARM_SCOPE)
            .await;
        assert_eq!(reply.status, 200, "operator token: {}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_string()
    }

    /// Creates a service principal with a secret through AAD's internal API: (object id, app id, secret).
    pub async fn create_service_principal(&self, name: &str) -> (String, String, String) {
        let secret = format!("secret-{}", uuid::Uuid::new_v4());
        let body = json!({"displayName": name, "servicePrincipalType": "Application", "passwordCredentials": [{"secretText": secret}]});
        let response = self
            .http
            .post(format!("{}/internal/servicePrincipals", self.endpoints.aad))
            .header(
                mimic_web::INTERNAL_KEY_HEADER,
                self.mimic.as_ref().unwrap().data_dir.internal_key.expose(),
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        let created = reply(response).await;
        assert_eq!(
            created.status, 201,
            "create service principal: {}",
            created.body
        );
        let text = |key: &str| created.body[key].as_str().unwrap().to_string();
        (text("id"), text("appId"), secret)
    }

    /// Whether AAD knows a principal (internal API).
    pub async fn principal_exists(&self, object_id: &str) -> bool {
        let response = self
            .http
            .get(format!(
                "{}/internal/servicePrincipals/{object_id}",
                self.endpoints.aad
            ))
            .header(
                mimic_web::INTERNAL_KEY_HEADER,
                self.mimic.as_ref().unwrap().data_dir.internal_key.expose(),
            )
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => true,
            404 => false,
            other => panic!("principal lookup answered {other}"),
        }
    }

    /// The ids of the directory's service principals named `display_name` (Microsoft Graph, as the
    /// operator).
    pub async fn principals_named(&self, display_name: &str) -> Vec<String> {
        let operator = &self.endpoints.operator;
        let scope = format!("{}/.default", self.endpoints.aad.trim_end_matches('/'));
        let token = self
            .client_credentials(&operator.client_id, &operator.client_secret, &scope)
            .await;
        assert_eq!(token.status, 200, "graph token: {}", token.body);
        let token = token.body["access_token"].as_str().unwrap();
        let filter = format!("displayName eq '{display_name}'");
        let listed = reply(
            self.http
                .get(format!("{}/v1.0/servicePrincipals", self.endpoints.aad))
                .query(&[("$filter", filter.as_str())])
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(listed.status, 200, "graph: {}", listed.body);
        listed.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|principal| principal["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// An ARM request: `path` is an ARM path with its query (`?api-version=` included).
    pub async fn arm(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.endpoints.arm));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        reply(request.send().await.unwrap()).await
    }

    /// Grants a role (by definition GUID) to a principal at a scope; returns the assignment's id.
    pub async fn grant(&self, token: &str, scope: &str, role: &str, principal_id: &str) -> String {
        let name = uuid::Uuid::new_v4();
        let path = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01");
        let definition = format!(
            "{}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            self.subscription()
        );
        let body = json!({"properties": {"roleDefinitionId": definition, "principalId": principal_id, "principalType": "ServicePrincipal"}});
        let created = self.arm("PUT", &path, Some(token), Some(body)).await;
        assert_eq!(created.status, 201, "grant: {}", created.body);
        created.body["id"].as_str().unwrap().to_string()
    }

    /// Creates a user-assigned identity in the fixture group; returns its ARM JSON.
    pub async fn create_identity(&self, token: &str, name: &str) -> Value {
        let path = format!("{}?api-version=2024-11-30", self.identity_id(name));
        let created = self
            .arm(
                "PUT",
                &path,
                Some(token),
                Some(json!({"location": "eastus"})),
            )
            .await;
        assert!(
            created.status == 201 || created.status == 200,
            "create identity: {}",
            created.body
        );
        created.body
    }

    /// PATCHes a VM's identity block (as az does); returns the reply.
    pub async fn patch_vm_identity(&self, token: &str, vm: &str, identity: Value) -> Reply {
        let path = format!("{}?api-version=2024-11-01", self.vm_id(vm));
        self.arm(
            "PATCH",
            &path,
            Some(token),
            Some(json!({"identity": identity})),
        )
        .await
    }

    /// The IMDS base URL of a VM, as endpoints.json has it now.
    pub fn imds(&self, vm: &str) -> String {
        self.endpoints_file()
            .vm(vm)
            .unwrap_or_else(|| panic!("no IMDS for {vm}"))
            .imds
            .clone()
    }

    /// An IMDS token request with `Metadata: true`; `query` is appended after api-version and resource.
    pub async fn imds_token(&self, vm: &str, resource: &str, query: &str) -> Reply {
        let url = format!(
            "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={resource}{query}",
            self.imds(vm)
        );
        reply(
            self.http
                .get(url)
                .header("Metadata", "true")
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// The AAD JWKS document.
    pub async fn jwks(&self) -> Value {
        let url = format!(
            "{}/{}/discovery/v2.0/keys",
            self.endpoints.aad, self.endpoints.tenant_id
        );
        reply(self.http.get(url).send().await.unwrap()).await.body
    }
}

/// Reads a response into a [`Reply`].
pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        body,
        headers,
    }
}

/// The claims of a JWT, decoded without verification (for assertions on their values).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}
