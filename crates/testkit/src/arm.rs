//! [`TestArm`]: a real ARM and the real AAD it trusts, on port 0 in a temporary data dir, seeded
//! with `fixtures/default.json`.

use std::sync::OnceLock;

use mimic_arm::{Settings, VmEvent};
use mimic_token::{Clock, SigningKey};
use mimic_web::{InternalKey, Pki};
use tokio::sync::{mpsc, oneshot};

use crate::fixture::TENANT;
use crate::Client;

/// The VM events ARM announces on its hook, each with the acknowledgement ARM waits for.
pub type VmEvents = mpsc::Receiver<(VmEvent, oneshot::Sender<()>)>;

/// A running ARM + AAD pair sharing one CA, internal key and clock.
pub struct TestArm {
    /// ARM, with the internal key for its host API.
    pub arm: Client,
    /// AAD, with the internal key for its internal API.
    pub aad: Client,
    /// The internal key both services were started with.
    pub internal_key: InternalKey,
    /// The clock both services read; tests may advance it.
    pub clock: Clock,
    /// The data dir (CA, ARM's database, AAD's keys); removed on drop.
    pub dir: tempfile::TempDir,
}

/// The AAD signing key, generated once per test binary (RSA generation is slow).
pub(crate) fn signing_key_pems() -> &'static (String, String) {
    static KEY: OnceLock<(String, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = SigningKey::generate("mimic AAD token signing").expect("an RSA signing key");
        (
            key.private_key_pem().to_string(),
            key.certificate_pem().to_string(),
        )
    })
}

impl TestArm {
    /// Starts AAD and ARM with the default fixture.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestArm::spawn`], with `configure` applied to ARM's settings before it starts.
    /// (Changing `internal_key` there leaves ARM with another key than AAD and the harness.)
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("a temporary data dir");
        let pki = Pki::at(dir.path());
        let certificate = pki.ensure().expect("the test CA");
        let ca_pem = std::fs::read_to_string(&pki.ca_cert).expect("reading the CA certificate");
        let internal_key = InternalKey::generate();
        let clock = Clock::system();
        let fixture = crate::fixture::default();
        write_signing_key(dir.path());

        let mut aad = mimic_aad::Settings::for_data_dir(
            dir.path(),
            "127.0.0.1:0",
            certificate.clone(),
            internal_key.clone(),
        );
        aad.tenant_id = TENANT.to_string();
        aad.fixture = Some(fixture["aad"].clone());
        aad.clock = clock.clone();
        // AAD learns ARM's URL once ARM is bound (as under `mimic up`): tokens for it are known.
        let arm_url_cell = aad.arm_url.clone();
        let aad = mimic_aad::Application::build(aad)
            .await
            .expect("AAD starts");
        let aad_url = aad.base_url().to_string();
        tokio::spawn(aad.run_until_stopped());

        let mut arm = Settings::new(
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
        // AAD runs in this process, as under `mimic up` (the counter is process-wide: other tests'
        // AADs only cause extra lookups).
        arm.membership_changes = Some(std::sync::Arc::new(mimic_aad::groups::membership_changes));
        configure(&mut arm);
        let arm = mimic_arm::Application::build(arm)
            .await
            .expect("ARM starts");
        let arm_url = format!("https://127.0.0.1:{}", arm.port());
        let _ = arm_url_cell.set(arm_url.clone());
        tokio::spawn(arm.run_until_stopped());

        Self {
            arm: Client::https(arm_url, &ca_pem).with_internal_key(internal_key.clone()),
            aad: Client::https(aad_url, &ca_pem).with_internal_key(internal_key.clone()),
            internal_key,
            clock,
            dir,
        }
    }

    /// Like [`TestArm::spawn`], with ARM announcing VM creation and deletion on a hook; the test
    /// must acknowledge every event it receives (ARM waits for it before answering).
    pub async fn spawn_with_vm_hook() -> (Self, VmEvents) {
        let (hook, events) = mpsc::channel(8);
        let app = Self::spawn_with(|arm| arm.vm_hook = Some(hook)).await;
        (app, events)
    }

    /// Starts a second ARM over this harness's data dir and AAD, as a restart of ARM does (its
    /// start-up reconciliation included), and returns a client for it. The first ARM keeps running.
    pub async fn start_another_arm(&self) -> Client {
        let pki = Pki::at(self.dir.path());
        let certificate = pki.ensure().expect("the test CA");
        let ca_pem = std::fs::read_to_string(&pki.ca_cert).expect("reading the CA certificate");
        let mut arm = Settings::new(
            self.dir.path().join("arm.db"),
            certificate,
            ca_pem.clone(),
            self.aad.base.clone(),
            TENANT,
            self.internal_key.clone(),
        );
        arm.bind = "127.0.0.1:0".to_string();
        arm.clock = self.clock.clone();
        let arm = mimic_arm::Application::build(arm)
            .await
            .expect("the second ARM starts");
        let arm_url = format!("https://127.0.0.1:{}", arm.port());
        tokio::spawn(arm.run_until_stopped());
        Client::https(arm_url, &ca_pem).with_internal_key(self.internal_key.clone())
    }

    /// The local CA's certificate file (for clients outside reqwest, e.g. curl).
    pub fn ca_path(&self) -> std::path::PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// `/subscriptions/{fixture subscription}`.
    pub fn subscription(&self) -> String {
        crate::fixture::subscription_id()
    }

    /// `/subscriptions/{s}/resourceGroups/{name}`.
    pub fn group(&self, name: &str) -> String {
        crate::fixture::group_id(name)
    }
}

/// Puts the shared signing key where AAD looks for it, so AAD skips generating one.
fn write_signing_key(data_dir: &std::path::Path) {
    let keys_dir = data_dir.join("aad");
    std::fs::create_dir_all(&keys_dir).expect("creating the AAD key dir");
    let (key_pem, cert_pem) = signing_key_pems();
    std::fs::write(keys_dir.join("signing-key.pem"), key_pem).expect("writing the signing key");
    std::fs::write(keys_dir.join("signing-cert.pem"), cert_pem).expect("writing the certificate");
}
