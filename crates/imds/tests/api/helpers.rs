//! The test world: a local CA, fake ARM and AAD, identities, and one IMDS.

use mimic_imds::{Application, Settings};
use mimic_token::Clock;
use mimic_web::InternalKey;
use serde_json::{json, Value};

use crate::fake_aad::{FakeAad, Principal};
use crate::fake_arm::{FakeArm, FakeVm};

pub const TENANT: &str = "7d1c3a4e-5b6f-4a8d-9c2e-1f3b5d7a9c0e";
pub const SUBSCRIPTION: &str = "9b2c4d6e-8f0a-4b1c-a3d5-e7f9a1b3c5d7";
pub const ARM_RESOURCE: &str = "https://management.azure.com/";

/// The ARM id of VM `name` in the test resource group.
pub fn vm_id(name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg/providers/Microsoft.Compute/virtualMachines/{name}")
}

/// The ARM id of user-assigned identity `name`.
pub fn uami_id(name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/mimic-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}")
}

/// A managed identity (it has no key: AAD issues its tokens to the IMDS host).
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_assigned: bool,
    pub resource_id: String,
    pub client_id: String,
    pub principal_id: String,
}

impl Identity {
    /// The system-assigned identity of VM `vm` (key 0).
    pub fn system(vm: &str) -> Self {
        Self {
            user_assigned: false,
            resource_id: vm_id(vm),
            client_id: format!("c0000000-0000-4000-8000-{vm:0>12}"),
            principal_id: format!("p0000000-0000-4000-8000-{vm:0>12}"),
        }
    }

    /// User-assigned identity number `n` (1..=3), named `id{n}`.
    pub fn user(n: usize) -> Self {
        Self {
            user_assigned: true,
            resource_id: uami_id(&format!("id{n}")),
            client_id: format!("c{n}000000-0000-4000-8000-00000000000{n}"),
            principal_id: format!("p{n}000000-0000-4000-8000-00000000000{n}"),
        }
    }

    /// The identity as ARM's host API lists it.
    pub fn host_json(&self) -> Value {
        json!({
            "type": if self.user_assigned { "UserAssigned" } else { "SystemAssigned" },
            "resourceId": self.resource_id, "clientId": self.client_id,
            "principalId": self.principal_id, "tenantId": TENANT,
        })
    }
}

/// A VM as ARM's GET returns it.
pub fn vm_json(name: &str) -> Value {
    json!({
        "id": vm_id(name), "name": name, "type": "Microsoft.Compute/virtualMachines",
        "location": "eastus", "tags": {"env": "test", "team": "identity"},
        "properties": {
            "vmId": format!("5e1d2c3b-4a59-4687-9765-{:0>12}", name),
            "hardwareProfile": {"vmSize": "Standard_B1s"},
            "storageProfile": {
                "imageReference": {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"},
                "osDisk": {"osType": "Linux", "name": format!("{name}_OsDisk"), "createOption": "FromImage", "diskSizeGB": 30},
                "dataDisks": []
            },
            "osProfile": {"computerName": name, "adminUsername": "azureuser", "linuxConfiguration": {"disablePasswordAuthentication": true}},
            "provisioningState": "Succeeded"
        }
    })
}

/// CA, fake ARM and AAD, and a clock they all share.
pub struct World {
    pub arm: FakeArm,
    pub aad: FakeAad,
    pub ca_pem: String,
    pub key: InternalKey,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
}

impl World {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pki = mimic_web::Pki::at(dir.path());
        let cert = pki.ensure().unwrap();
        let ca_pem = std::fs::read_to_string(&pki.ca_cert).unwrap();
        let key = InternalKey::generate();
        let clock = Clock::system();
        Self {
            arm: FakeArm::start(&cert, key.clone()).await,
            aad: FakeAad::start(&cert, clock.clone(), key.clone()).await,
            ca_pem,
            key,
            clock,
            dir,
        }
    }

    /// Puts VM `name` with these identities into ARM, and their principals into AAD.
    pub fn add_vm(&self, name: &str, identities: &[Identity]) -> String {
        for identity in identities {
            self.aad.register(
                &identity.principal_id,
                Principal {
                    client_id: identity.client_id.clone(),
                    user_assigned: identity.user_assigned,
                },
            );
        }
        self.arm.put_vm(FakeVm {
            id: vm_id(name),
            name: name.to_string(),
            json: vm_json(name),
            identities: identities.iter().map(Identity::host_json).collect(),
        });
        vm_id(name)
    }

    /// IMDS settings for `vm_id`.
    pub fn settings(&self, vm_id: &str) -> Settings {
        Settings {
            clock: self.clock.clone(),
            ..Settings::new(
                vm_id,
                &self.arm.url,
                &self.aad.url,
                TENANT,
                &self.ca_pem,
                self.key.clone(),
            )
        }
    }

    /// Starts the IMDS of `vm_id` with Azure's rate limits.
    pub async fn imds(&self, vm_id: &str) -> Imds {
        Imds::start(self.settings(vm_id)).await
    }

    /// Starts the IMDS of `vm_id` without rate limits, for tests that send bursts.
    pub async fn imds_unlimited(&self, vm_id: &str) -> Imds {
        Imds::start(Settings {
            limits: mimic_imds::Limits::unlimited(),
            ..self.settings(vm_id)
        })
        .await
    }
}

/// One running IMDS and a client for it.
pub struct Imds {
    pub url: String,
    client: reqwest::Client,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text))
    }
}

impl Imds {
    pub async fn start(settings: Settings) -> Self {
        let app = Application::build(settings).await.unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self::at(url)
    }

    /// A client for an IMDS already listening at `url`.
    pub fn at(url: String) -> Self {
        let client = mimic_web::client_builder(None)
            .unwrap()
            .no_proxy()
            .build()
            .unwrap();
        Self { url, client }
    }

    /// Any request.
    pub async fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send_body(method, path, headers, "").await
    }

    /// Any request with a body.
    pub async fn send_body(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if !body.is_empty() {
            request = request.body(body.to_string());
        }
        let response = request.send().await.unwrap();
        Answer {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .map(|value| value.to_str().unwrap().to_string())
                .unwrap_or_default(),
            text: response.text().await.unwrap(),
        }
    }

    /// `GET path` with `Metadata: true`.
    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, &[("Metadata", "true")]).await
    }

    /// A token request as az sends it, plus `extra` query parameters.
    pub async fn token(&self, extra: &str) -> Answer {
        let resource = "https%3A%2F%2Fmanagement.azure.com%2F";
        self.get(&format!(
            "/metadata/identity/oauth2/token?api-version=2018-02-01&resource={resource}{extra}"
        ))
        .await
    }
}
