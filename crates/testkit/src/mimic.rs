//! [`TestMimic`]: a whole mimic (AAD, ARM, one IMDS per VM) started in-process on port 0 in a
//! temporary data dir, as `mimic up` runs it.

use std::path::Path;

use mimic::endpoints::Endpoints;
use mimic::up::{Mimic, UpArgs};
use mimic_token::Clock;
use serde_json::{json, Value};

use crate::fixture::{ARM_SCOPE, RA_VERSION, VM_WRITE_VERSION};
use crate::{Client, Reply};

/// A running mimic in a temporary data dir.
pub struct TestMimic {
    /// The running services; `None` once stopped.
    pub mimic: Option<Mimic>,
    /// Where the services listen (as `endpoints.json` had it at start).
    pub endpoints: Endpoints,
    /// ARM, with the internal key.
    pub arm: Client,
    /// AAD, with the internal key.
    pub aad: Client,
    /// The data dir; removed on drop.
    pub dir: tempfile::TempDir,
    /// Trusts the test CA; never uses a proxy.
    pub http: reqwest::Client,
    /// The clock every service reads; tests may advance it.
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
            async_operation_seconds: 0,
            key_vault: Default::default(),
            reality: Default::default(),
        }
    }

    async fn start_in(dir: tempfile::TempDir, clock: Clock, args: UpArgs) -> Self {
        let mimic = mimic::up::start(dir.path(), &args, clock.clone())
            .await
            .unwrap();
        let http = mimic_web::https_client(&mimic.data_dir.ca_pem).unwrap();
        let endpoints = mimic.endpoints.clone();
        let key = mimic.data_dir.internal_key.clone();
        Self {
            mimic: Some(mimic),
            arm: Client::new(endpoints.arm.clone(), http.clone()).with_internal_key(key.clone()),
            aad: Client::new(endpoints.aad.clone(), http.clone()).with_internal_key(key),
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
        let path = format!("/{}/oauth2/v2.0/token", self.endpoints.tenant_id);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", scope),
        ];
        self.aad.form(&path, &form).await
    }

    /// The fixture operator's ARM token (Owner on the subscription).
    pub async fn operator_token(&self) -> String {
        let operator = &self.endpoints.operator;
        let reply = self
            .client_credentials(&operator.client_id, &operator.client_secret, ARM_SCOPE)
            .await;
        assert_eq!(reply.status, 200, "operator token: {}", reply.body);
        reply.token().to_string()
    }

    /// Creates a service principal with a secret through AAD's internal API: (object id, app id, secret).
    pub async fn create_service_principal(&self, name: &str) -> (String, String, String) {
        let secret = format!("secret-{}", uuid::Uuid::new_v4());
        let body = json!({"displayName": name, "servicePrincipalType": "Application", "passwordCredentials": [{"secretText": secret}]});
        let created = self
            .aad
            .internal("POST", "/internal/servicePrincipals", Some(body))
            .await;
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
        let path = format!("/internal/servicePrincipals/{object_id}");
        match self.aad.internal("GET", &path, None).await.status {
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
        let filter = format!("displayName eq '{display_name}'");
        let request = self
            .aad
            .http
            .get(self.aad.url("/v1.0/servicePrincipals"))
            .query(&[("$filter", filter.as_str())])
            .bearer_auth(token.token());
        let listed = self.aad.send(request).await;
        assert_eq!(listed.status, 200, "graph: {}", listed.body);
        listed.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|principal| principal["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Grants a role (by definition GUID) to a principal at a scope; returns the assignment's id.
    pub async fn grant(&self, token: &str, scope: &str, role: &str, principal_id: &str) -> String {
        let name = uuid::Uuid::new_v4();
        let path = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version={RA_VERSION}");
        let definition = format!(
            "{}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            self.subscription()
        );
        let body = json!({"properties": {"roleDefinitionId": definition, "principalId": principal_id, "principalType": "ServicePrincipal"}});
        let created = self.arm.put(&path, Some(token), body).await;
        assert_eq!(created.status, 201, "grant: {}", created.body);
        created.body["id"].as_str().unwrap().to_string()
    }

    /// Creates a user-assigned identity in the fixture group; returns its ARM JSON.
    pub async fn create_identity(&self, token: &str, name: &str) -> Value {
        let path = format!("{}?api-version=2024-11-30", self.identity_id(name));
        let created = self
            .arm
            .put(&path, Some(token), json!({"location": "eastus"}))
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
        let path = format!("{}?api-version={VM_WRITE_VERSION}", self.vm_id(vm));
        self.arm
            .patch(&path, Some(token), json!({"identity": identity}))
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
        let imds = Client::new(self.imds(vm), self.http.clone());
        let path = format!(
            "/metadata/identity/oauth2/token?api-version=2018-02-01&resource={resource}{query}"
        );
        imds.raw("GET", &path, &[("Metadata", "true")], "").await
    }

    /// The AAD JWKS document.
    pub async fn jwks(&self) -> Value {
        let path = format!("/{}/discovery/v2.0/keys", self.endpoints.tenant_id);
        self.aad.get(&path, None).await.body
    }
}
