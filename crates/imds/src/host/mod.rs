//! [`ImdsHost`]: one IMDS listener per VM on 127.0.0.1 (or [`HostSettings::ip`]), for `mimic up`.
//!
//! The host lists VMs through ARM's host API ([`ImdsHost::reconcile`]) and follows ARM's VM
//! notifications ([`ImdsHost::handle`], [`ImdsHost::run_hook`]). It also keeps each VM's
//! identities in memory for its listener, refreshed when ARM announces a change
//! ([`HostEvent::IdentitiesChanged`]), so a token request never waits on ARM. A VM keeps its port across
//! restarts through `imds-ports.json` when the port is still free. Whoever needs the current set
//! (the lead rewrites `endpoints.json`) reads [`ImdsHost::listeners`] or watches
//! [`ImdsHost::subscribe`].

mod ports;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use anyhow::{bail, Context};
use mimic_token::Clock;
use mimic_web::InternalKey;
use tokio::sync::{mpsc, oneshot, watch, Mutex};
use tokio::task::JoinHandle;

use crate::host_api::HostApi;
use crate::identity::current::VmMemory;
use crate::settings::Limits;
use crate::{Application, Settings};
use ports::Ports;

/// What every VM's IMDS shares, plus where to keep `imds-ports.json`.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// ARM's base URL.
    pub arm_url: String,
    /// AAD's base URL.
    pub aad_url: String,
    /// The tenant.
    pub tenant_id: String,
    /// The local CA (PEM).
    pub ca_pem: String,
    /// The key of ARM's internal host API.
    pub internal_key: InternalKey,
    /// The data dir (`imds-ports.json` lives there).
    pub data_dir: PathBuf,
    /// The clock every listener uses.
    pub clock: Clock,
    /// Every listener's request limits ([`Limits::default`] = Azure's).
    pub limits: Limits,
    /// Where the listeners bind: `127.0.0.1` unless `mimic up --imds-listen` opens them.
    pub ip: std::net::IpAddr,
    /// Fixed ports: the first VM (by ARM id) gets this port, each next VM the next free one, kept
    /// in `imds-ports.json`; a taken port is an error. `None`: any free port, the previous one if
    /// it is still free.
    pub base_port: Option<u16>,
    /// The faults every listener's token requests may meet (`mimic chaos`), the book AAD
    /// shares in `mimic up`.
    pub faults: Arc<mimic_web::chaos::FaultBook>,
    /// Seconds a VM's IMDS answers 410 after its listener starts, as Azure's does while the host
    /// is updated (0: never; `mimic up --imds-unavailable-after-start`).
    pub unavailable_after_start: u64,
    /// The run-time settings of the reality modes, shared by every listener (docs/reality-modes.md).
    pub reality: mimic_web::reality::Reality,
}

/// The first fixed IMDS port when `mimic up --imds-listen` is given without `--imds-base-port`.
pub const DEFAULT_BASE_PORT: u16 = 50400;

/// A VM came or went (the lead translates `mimic_arm::VmEvent` into this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostEvent {
    /// A VM with this ARM id now exists.
    Created(String),
    /// The VM with this ARM id was deleted.
    Deleted(String),
    /// ARM's whole state was replaced: restart every listener (same ports, no cached token).
    Resync,
    /// The identities of the VM with this ARM id changed: its listener's memory is refreshed from
    /// ARM before the acknowledgement.
    IdentitiesChanged(String),
}

/// The receiving end of VM notifications: each event comes with an acknowledgement to send once
/// the listener has been started, stopped or its identities refreshed.
pub type HostEvents = mpsc::Receiver<(HostEvent, oneshot::Sender<()>)>;

/// One running listener.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VmListener {
    /// The VM's ARM id (as ARM or the event spelled it).
    pub vm_id: String,
    /// The VM's name.
    pub name: String,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

struct Running {
    listener: VmListener,
    /// The VM's identities, read by the listener and replaced by the host.
    memory: Arc<VmMemory>,
    handle: ServerHandle,
    task: JoinHandle<()>,
}

impl Running {
    async fn stop(self, graceful: bool) {
        self.handle.stop(graceful).await;
        let _ = self.task.await;
    }
}

struct State {
    /// By lower-case VM id.
    running: BTreeMap<String, Running>,
    ports: Ports,
}

/// Runs one IMDS [`Application`] per VM. Share it behind an `Arc`; every method takes `&self`.
pub struct ImdsHost {
    settings: HostSettings,
    state: Mutex<State>,
    changes: watch::Sender<Vec<VmListener>>,
}

impl ImdsHost {
    /// A host with no listener yet; reads `imds-ports.json` from the data dir.
    pub fn new(settings: HostSettings) -> Self {
        let ports = Ports::load(&settings.data_dir);
        let (changes, _) = watch::channel(Vec::new());
        Self {
            settings,
            state: Mutex::new(State {
                running: BTreeMap::new(),
                ports,
            }),
            changes,
        }
    }

    /// Lists VMs through ARM's host API and starts or stops listeners to match. Call at startup.
    pub async fn reconcile(&self) -> anyhow::Result<()> {
        let vms = self
            .host_api()?
            .list_vms()
            .await
            .context("listing the VMs")?;
        let wanted: BTreeMap<String, _> = vms
            .into_iter()
            .map(|vm| (vm.id.to_ascii_lowercase(), vm))
            .collect();
        let mut state = self.state.lock().await;
        let gone: Vec<String> = state
            .running
            .keys()
            .filter(|key| !wanted.contains_key(*key))
            .cloned()
            .collect();
        for key in gone {
            if let Some(running) = state.running.remove(&key) {
                running.stop(false).await;
            }
        }
        let mut failures = Vec::new();
        for (key, vm) in &wanted {
            if !state.running.contains_key(key) {
                if let Err(error) = self.start(&mut state, &vm.id, &vm.name).await {
                    failures.push(format!("{}: {error:#}", vm.id));
                }
            }
        }
        state.ports.retain(|key| wanted.contains_key(key));
        self.commit(&mut state);
        if !failures.is_empty() {
            bail!("starting IMDS listeners failed: {}", failures.join("; "));
        }
        Ok(())
    }

    /// Starts or stops one VM's listener. Returns once the listener is bound (or stopped).
    pub async fn handle(&self, event: HostEvent) -> anyhow::Result<()> {
        match &event {
            HostEvent::Resync => return self.resync().await,
            HostEvent::IdentitiesChanged(vm_id) => return self.refresh(vm_id).await,
            HostEvent::Created(_) | HostEvent::Deleted(_) => {}
        }
        let mut state = self.state.lock().await;
        match event {
            HostEvent::Resync | HostEvent::IdentitiesChanged(_) => {}
            HostEvent::Created(vm_id) => {
                if !state.running.contains_key(&vm_id.to_ascii_lowercase()) {
                    self.start(&mut state, &vm_id, name_of(&vm_id)).await?;
                }
            }
            HostEvent::Deleted(vm_id) => {
                if let Some(running) = state.running.remove(&vm_id.to_ascii_lowercase()) {
                    running.stop(false).await;
                }
                state.ports.remove(&vm_id);
            }
        }
        self.commit(&mut state);
        Ok(())
    }

    /// Handles notifications until the sender is dropped, acknowledging each one after the
    /// listener has been started or stopped (also when that failed: the failure is logged).
    pub async fn run_hook(&self, mut events: HostEvents) {
        while let Some((event, ack)) = events.recv().await {
            if let Err(error) = self.handle(event).await {
                tracing::error!(error = format!("{error:#}"), "updating the IMDS listeners");
            }
            let _ = ack.send(());
        }
    }

    /// The running listeners, by VM name.
    pub fn listeners(&self) -> Vec<VmListener> {
        self.changes.borrow().clone()
    }

    /// Changes whenever a listener starts or stops (not on [`ImdsHost::shutdown`]).
    pub fn subscribe(&self) -> watch::Receiver<Vec<VmListener>> {
        self.changes.subscribe()
    }

    /// Stops every listener (ports kept, caches dropped with them), then starts the ones ARM's VMs
    /// need: after a snapshot restore or a reset.
    pub async fn resync(&self) -> anyhow::Result<()> {
        self.shutdown().await;
        self.reconcile().await
    }

    /// Stops every listener. `imds-ports.json` is kept for the next start.
    pub async fn shutdown(&self) {
        let mut state = self.state.lock().await;
        let running = std::mem::take(&mut state.running);
        // Send every stop command first so the listeners wind down together.
        let stops: Vec<_> = running
            .into_values()
            .map(|running| {
                let stopped = running.handle.stop(true);
                (stopped, running.task)
            })
            .collect();
        for (stopped, task) in stops {
            stopped.await;
            let _ = task.await;
        }
        // Subscribers keep the last set: the listeners come back on the same ports next time.
        self.changes.send_if_modified(|listeners| {
            listeners.clear();
            false
        });
    }

    /// Replaces the VM's identities in its listener's memory with what ARM says now. A VM
    /// without a listener has nothing to refresh.
    async fn refresh(&self, vm_id: &str) -> anyhow::Result<()> {
        let memory = {
            let state = self.state.lock().await;
            let running = state.running.get(&vm_id.to_ascii_lowercase());
            running.map(|running| running.memory.clone())
        };
        let Some(memory) = memory else {
            return Ok(());
        };
        memory
            .refresh(&self.host_api()?)
            .await
            .with_context(|| format!("refreshing the identities of {vm_id}"))
    }

    /// A client of ARM's host API on the host's runtime (the listeners have their own).
    fn host_api(&self) -> anyhow::Result<HostApi> {
        let client = mimic_web::https_client(&self.settings.ca_pem)?;
        Ok(HostApi::new(
            client,
            &self.settings.arm_url,
            self.settings.internal_key.clone(),
        ))
    }

    async fn start(&self, state: &mut State, vm_id: &str, name: &str) -> anyhow::Result<()> {
        // Filled before the listener serves; if ARM cannot answer now, the first request asks.
        let memory = Arc::new(VmMemory::new(vm_id));
        if let Err(error) = memory.refresh(&self.host_api()?).await {
            tracing::warn!(
                vm = vm_id,
                error = format!("{error:#}"),
                "reading the VM's identities"
            );
        }
        let app = match self.settings.base_port {
            Some(base) => {
                let port = fixed_port(&state.ports, vm_id, base)?;
                let bind = std::net::SocketAddr::new(self.settings.ip, port).to_string();
                Application::build_hosted(self.app_settings(vm_id, bind), memory.clone())
                    .await
                    .with_context(|| format!("the fixed IMDS port {port} of {vm_id} is taken"))?
            }
            None => self.build(vm_id, state.ports.get(vm_id), &memory).await?,
        };
        let port = app.port();
        let handle = app.handle();
        let task = tokio::spawn(async move {
            if let Err(error) = app.run_until_stopped().await {
                tracing::error!(%error, "an IMDS listener failed");
            }
        });
        state.ports.set(vm_id, port);
        let listener = VmListener {
            vm_id: vm_id.to_string(),
            name: name.to_string(),
            url: format!(
                "http://{}:{port}",
                mimic_web::server::url_host(self.settings.ip)
            ),
        };
        tracing::info!(vm = vm_id, url = %listener.url, "IMDS listener started");
        self.unavailable_while_starting(vm_id);
        let running = Running {
            listener,
            memory,
            handle,
            task,
        };
        state.running.insert(vm_id.to_ascii_lowercase(), running);
        Ok(())
    }

    /// With `unavailable_after_start`, the VM's IMDS answers 410 for that long: a fault in the
    /// book (listed by `mimic chaos list`, cleared by `mimic chaos clear`).
    fn unavailable_while_starting(&self, vm_id: &str) {
        let seconds = self.settings.unavailable_after_start;
        if seconds == 0 {
            return;
        }
        let spec = mimic_web::chaos::FaultSpec {
            service: mimic_web::chaos::Service::Imds,
            scope: mimic_web::chaos::Scope::Vm(vm_id.to_string()),
            effect: mimic_web::chaos::Effect::Status(410),
            for_seconds: Some(seconds),
            count: None,
            probability: None,
            retry_after: None,
        };
        let now = self.settings.clock.now();
        if let Err(error) = self.settings.faults.add_from(spec, now, "setting") {
            tracing::error!(vm = vm_id, %error, "adding the IMDS start-up 410");
        }
    }

    /// The VM's previous port if it is free, else any free port.
    async fn build(
        &self,
        vm_id: &str,
        port: Option<u16>,
        memory: &Arc<VmMemory>,
    ) -> anyhow::Result<Application> {
        if let Some(port) = port {
            let bind = std::net::SocketAddr::new(self.settings.ip, port).to_string();
            match Application::build_hosted(self.app_settings(vm_id, bind), memory.clone()).await {
                Ok(app) => return Ok(app),
                Err(error) => tracing::warn!(
                    vm = vm_id,
                    port,
                    error = format!("{error:#}"),
                    "the VM's previous IMDS port is taken; using a new one"
                ),
            }
        }
        let bind = std::net::SocketAddr::new(self.settings.ip, 0).to_string();
        Application::build_hosted(self.app_settings(vm_id, bind), memory.clone()).await
    }

    fn app_settings(&self, vm_id: &str, bind: String) -> Settings {
        Settings {
            bind,
            vm_id: vm_id.to_string(),
            arm_url: self.settings.arm_url.clone(),
            aad_url: self.settings.aad_url.clone(),
            tenant_id: self.settings.tenant_id.clone(),
            ca_pem: self.settings.ca_pem.clone(),
            internal_key: self.settings.internal_key.clone(),
            clock: self.settings.clock.clone(),
            limits: self.settings.limits,
            arc_key_dir: crate::flavors::DEFAULT_ARC_KEY_DIR.into(),
            faults: self.settings.faults.clone(),
            reality: self.settings.reality.clone(),
        }
    }

    /// Persists the ports and tells subscribers about the new set.
    fn commit(&self, state: &mut State) {
        if let Err(error) = state.ports.save() {
            tracing::error!(error = format!("{error:#}"), "saving imds-ports.json");
        }
        let mut listeners: Vec<VmListener> = state
            .running
            .values()
            .map(|running| running.listener.clone())
            .collect();
        listeners.sort_by(|a, b| (&a.name, &a.vm_id).cmp(&(&b.name, &b.vm_id)));
        self.changes.send_if_modified(|current| {
            let changed = *current != listeners;
            *current = listeners;
            changed
        });
    }
}

/// A VM's fixed port: the one it had if it is at or above `base`, else the first port from
/// `base` up that no other VM holds.
fn fixed_port(ports: &Ports, vm_id: &str, base: u16) -> anyhow::Result<u16> {
    if let Some(port) = ports.get(vm_id).filter(|port| *port >= base) {
        return Ok(port);
    }
    let taken = ports.taken();
    (base..=u16::MAX)
        .find(|port| !taken.contains(port))
        .with_context(|| format!("no IMDS port left from {base} up"))
}

/// The last segment of an ARM id (the VM's name).
fn name_of(vm_id: &str) -> &str {
    vm_id
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(vm_id)
}
