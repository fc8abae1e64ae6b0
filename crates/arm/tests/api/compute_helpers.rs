//! Helpers for the compute and managed-identity tests: paths, one helper per operation, and
//! lookups in AAD's internal API and ARM's host API.

use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp, GROUP, SUBSCRIPTION};

/// The api-version az uses to PATCH VMs.
pub const VM_WRITE_VERSION: &str = "2024-11-01";
/// The api-version az uses to GET VMs.
pub const VM_READ_VERSION: &str = "2026-04-01";
/// The api-version az uses for user-assigned identities.
pub const MSI_VERSION: &str = "2025-05-31-preview";
/// Virtual Machine Contributor.
pub const VM_CONTRIBUTOR: &str = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c";
/// Managed Identity Operator.
pub const MI_OPERATOR: &str = "f1a07417-d97a-45cb-824c-7a7467783830";

/// The canonical id of a VM in the fixture group.
pub fn vm_id(name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.Compute/virtualMachines/{name}")
}

/// The canonical id of a user-assigned identity in the fixture group.
pub fn identity_id(name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}")
}

/// A minimal VM body as a mgmt SDK would send it.
pub fn vm_body() -> Value {
    json!({
        "location": "eastus",
        "properties": {
            "hardwareProfile": {"vmSize": "Standard_B2s"},
            "storageProfile": {
                "imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"},
                "osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}}
            },
            "osProfile": {"computerName": "web01", "adminUsername": "azureuser", "adminPassword": "never-echoed"},
            "unknownProperty": {"ignored": true}
        }
    })
}

impl TestApp {
    /// PUTs a VM in the fixture group.
    pub async fn put_vm(&self, token: &str, name: &str, body: Value) -> Reply {
        let path = format!("{}?api-version={VM_WRITE_VERSION}", vm_id(name));
        self.request("PUT", &path, Some(token), Some(body)).await
    }

    /// PUTs a minimal VM and asserts it was created.
    pub async fn create_vm(&self, token: &str, name: &str) -> Value {
        let reply = self.put_vm(token, name, vm_body()).await;
        assert_eq!(reply.status, 201, "create VM {name}: {}", reply.text);
        reply.body
    }

    /// GETs a VM with az's read api-version.
    pub async fn get_vm(&self, token: &str, name: &str) -> Reply {
        let path = format!("{}?api-version={VM_READ_VERSION}", vm_id(name));
        self.get(&path, token).await
    }

    /// PATCHes a VM.
    pub async fn patch_vm(&self, token: &str, name: &str, body: Value) -> Reply {
        let path = format!("{}?api-version={VM_WRITE_VERSION}", vm_id(name));
        self.request("PATCH", &path, Some(token), Some(body)).await
    }

    /// PATCHes a VM's identity block and asserts success.
    pub async fn patch_identity(&self, token: &str, name: &str, identity: Value) -> Value {
        let reply = self
            .patch_vm(token, name, json!({"identity": identity}))
            .await;
        assert_eq!(reply.status, 200, "PATCH {identity}: {}", reply.text);
        reply.body
    }

    /// DELETEs a VM.
    pub async fn delete_vm(&self, token: &str, name: &str) -> Reply {
        let path = format!("{}?api-version={VM_WRITE_VERSION}", vm_id(name));
        self.request("DELETE", &path, Some(token), None).await
    }

    /// PUTs a user-assigned identity in the fixture group.
    pub async fn put_identity(&self, token: &str, name: &str, body: Value) -> Reply {
        let path = format!("{}?api-version={MSI_VERSION}", identity_id(name));
        self.request("PUT", &path, Some(token), Some(body)).await
    }

    /// Creates a user-assigned identity; returns its body.
    pub async fn create_identity(&self, token: &str, name: &str) -> Value {
        let reply = self
            .put_identity(token, name, json!({"location": "eastus"}))
            .await;
        assert_eq!(reply.status, 201, "create identity {name}: {}", reply.text);
        reply.body
    }

    /// DELETEs a user-assigned identity.
    pub async fn delete_identity(&self, token: &str, name: &str) -> Reply {
        let path = format!("{}?api-version={MSI_VERSION}", identity_id(name));
        self.request("DELETE", &path, Some(token), None).await
    }

    /// Whether AAD knows a service principal (AAD internal API).
    pub async fn aad_has_principal(&self, object_id: &str) -> bool {
        let response = self
            .http
            .get(format!(
                "{}/internal/servicePrincipals/{object_id}",
                self.aad_url
            ))
            .header(mimic_web::INTERNAL_KEY_HEADER, self.internal_key.expose())
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            200 => true,
            404 => false,
            other => panic!("AAD internal GET answered {other}"),
        }
    }

    /// A service principal as AAD stores it (AAD internal API).
    pub async fn aad_principal(&self, object_id: &str) -> Value {
        let response = self
            .http
            .get(format!(
                "{}/internal/servicePrincipals/{object_id}",
                self.aad_url
            ))
            .header(mimic_web::INTERNAL_KEY_HEADER, self.internal_key.expose())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// A GET on ARM's host API with the internal key (`path` includes any query).
    pub async fn host_get(&self, path: &str) -> Reply {
        self.raw(
            "GET",
            path,
            &[(mimic_web::INTERNAL_KEY_HEADER, self.internal_key.expose())],
            "",
        )
        .await
    }

    /// `GET /internal/vms/identities?id=<vm id>`.
    pub async fn host_identities(&self, vm_id: &str) -> Reply {
        let query = serde_urlencoded::to_string([("id", vm_id)]).unwrap();
        self.host_get(&format!("/internal/vms/identities?{query}"))
            .await
    }
}

/// `identity.principalId` of a VM body.
pub fn system_principal(vm: &Value) -> String {
    vm["identity"]["principalId"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The keys of `identity.userAssignedIdentities`, sorted.
pub fn user_identity_ids(vm: &Value) -> Vec<String> {
    let mut ids: Vec<String> = vm["identity"]["userAssignedIdentities"]
        .as_object()
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

/// ARM and AAD started with a VM hook (see [`spawn_with_vm_hook`]).
pub struct HookedApp {
    pub arm_url: String,
    pub aad_url: String,
    pub http: reqwest::Client,
    _data_dir: tempfile::TempDir,
}

impl HookedApp {
    /// The fixture operator's ARM token.
    pub async fn operator_token(&self) -> String {
        use crate::helpers::{OPERATOR_APP_ID, OPERATOR_SECRET, TENANT};
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", OPERATOR_APP_ID),
            ("client_secret", OPERATOR_SECRET),
            ("scope", "https://management.azure.com/.default"),
        ];
        let url = format!("{}/{TENANT}/oauth2/v2.0/token", self.aad_url);
        let body: Value = self
            .http
            .post(url)
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// An ARM request on a VM of the fixture group; returns the status.
    pub async fn vm_request(
        &self,
        method: &str,
        token: &str,
        name: &str,
        body: Option<Value>,
    ) -> u16 {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let url = format!(
            "{}{}?api-version={VM_WRITE_VERSION}",
            self.arm_url,
            vm_id(name)
        );
        let mut request = self.http.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap().status().as_u16()
    }
}

/// Starts AAD and ARM like `TestApp::spawn`, with ARM announcing VM changes on a hook; returns
/// the app and the receiving end, which the test must acknowledge.
pub async fn spawn_with_vm_hook() -> (
    HookedApp,
    tokio::sync::mpsc::Receiver<(mimic_arm::VmEvent, tokio::sync::oneshot::Sender<()>)>,
) {
    spawn_hooked(false).await
}

/// Like [`spawn_with_vm_hook`]; with `wrong_key`, ARM holds another internal key than AAD, so
/// AAD refuses every principal ARM asks for.
pub async fn spawn_hooked(
    wrong_key: bool,
) -> (
    HookedApp,
    tokio::sync::mpsc::Receiver<(mimic_arm::VmEvent, tokio::sync::oneshot::Sender<()>)>,
) {
    use crate::helpers::TENANT;
    let dir = tempfile::tempdir().unwrap();
    let pki = mimic_web::Pki::at(dir.path());
    let certificate = pki.ensure().unwrap();
    let ca_pem = std::fs::read_to_string(&pki.ca_cert).unwrap();
    let internal_key = mimic_web::InternalKey::generate();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/default.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let keys_dir = dir.path().join("aad");
    std::fs::create_dir_all(&keys_dir).unwrap();
    let key = mimic_token::SigningKey::generate("mimic AAD token signing").unwrap();
    std::fs::write(keys_dir.join("signing-key.pem"), key.private_key_pem()).unwrap();
    std::fs::write(keys_dir.join("signing-cert.pem"), key.certificate_pem()).unwrap();

    let mut aad = mimic_aad::Settings::for_data_dir(
        dir.path(),
        "127.0.0.1:0",
        certificate.clone(),
        internal_key.clone(),
    );
    aad.tenant_id = TENANT.to_string();
    aad.fixture = Some(fixture["aad"].clone());
    let aad = mimic_aad::Application::build(aad).await.unwrap();
    let aad_url = aad.base_url().to_string();
    tokio::spawn(aad.run_until_stopped());

    let (hook, events) = tokio::sync::mpsc::channel(8);
    let arm_key = match wrong_key {
        true => mimic_web::InternalKey::generate(),
        false => internal_key,
    };
    let mut arm = mimic_arm::Settings::new(
        dir.path().join("arm.db"),
        certificate,
        ca_pem.clone(),
        aad_url.clone(),
        TENANT,
        arm_key,
    );
    arm.bind = "127.0.0.1:0".to_string();
    arm.fixture = Some(fixture["arm"].clone());
    arm.vm_hook = Some(hook);
    let arm = mimic_arm::Application::build(arm).await.unwrap();
    let arm_url = format!("https://127.0.0.1:{}", arm.port());
    tokio::spawn(arm.run_until_stopped());
    let app = HookedApp {
        arm_url,
        aad_url,
        http: mimic_web::https_client(&ca_pem).unwrap(),
        _data_dir: dir,
    };
    (app, events)
}
