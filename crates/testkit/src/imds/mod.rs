//! The IMDS harness: a local CA, a fake ARM (host API) and a fake AAD (managed-identity token
//! endpoint) sharing one internal key and clock, VMs with identities in both, and one real IMDS
//! per VM over plain HTTP. The fakes check what the real services check, so IMDS tests prove the
//! protocol without starting ARM and AAD.

mod fake_aad;
mod fake_arm;

pub use fake_aad::{FakeAad, Issued, Principal, FAILING_RESOURCE, UNKNOWN_RESOURCE};
pub use fake_arm::{FakeArm, FakeVm};

use mimic_imds::{Application, Settings};
use mimic_token::Clock;
use mimic_web::InternalKey;
use serde_json::{json, Value};

use crate::fixture::{identity_id, vm_id, TENANT};
use crate::{Client, Reply};

/// A managed identity (it has no key: AAD issues its tokens to the IMDS host).
#[derive(Debug, Clone)]
pub struct Identity {
    /// Whether it is user-assigned.
    pub user_assigned: bool,
    /// Its ARM id (the VM's, for a system-assigned identity).
    pub resource_id: String,
    /// Its client id.
    pub client_id: String,
    /// Its principal (object) id.
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
            resource_id: identity_id(&format!("id{n}")),
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
    /// The fake ARM.
    pub arm: FakeArm,
    /// The fake AAD.
    pub aad: FakeAad,
    /// The test CA's certificate.
    pub ca_pem: String,
    /// The internal key the fakes expect.
    pub key: InternalKey,
    /// The clock the fake AAD and every IMDS read.
    pub clock: Clock,
    /// The data dir holding the CA; removed on drop.
    pub dir: tempfile::TempDir,
}

impl World {
    /// Starts the fakes in a fresh data dir.
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

    /// Puts VM `name` with these identities into ARM, and their principals into AAD; returns
    /// the VM's id.
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

/// One running IMDS (plain HTTP, as on a VM) and a client for it.
pub struct Imds {
    /// The IMDS, e.g. `http://127.0.0.1:port`.
    pub client: Client,
}

impl Imds {
    /// Starts an IMDS with these settings on port 0.
    pub async fn start(settings: Settings) -> Self {
        let app = Application::build(settings).await.unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self::at(url)
    }

    /// A client for an IMDS already listening at `url`.
    pub fn at(url: String) -> Self {
        Self {
            client: Client::plain(url),
        }
    }

    /// The IMDS's base URL.
    pub fn url(&self) -> &str {
        &self.client.base
    }

    /// `GET path` with `Metadata: true`.
    pub async fn get(&self, path: &str) -> Reply {
        self.client
            .raw("GET", path, &[("Metadata", "true")], "")
            .await
    }

    /// A token request for ARM as az sends it, plus `extra` query parameters.
    pub async fn token(&self, extra: &str) -> Reply {
        let resource = "https%3A%2F%2Fmanagement.azure.com%2F";
        self.get(&format!(
            "/metadata/identity/oauth2/token?api-version=2018-02-01&resource={resource}{extra}"
        ))
        .await
    }
}
