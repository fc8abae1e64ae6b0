//! [`Application`]: binds the listener and wires the state, routes and middleware. The only
//! wiring code of the crate.

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::aad::AadClient;
use crate::host_api::HostApi;
use crate::identity::current::{CurrentIdentities, VmMemory};
use crate::identity::tokens::TokenService;
use crate::limits::Throttle;
use crate::{routes, Settings};

/// What every handler of one VM's IMDS shares.
pub(crate) struct AppState {
    /// The VM this listener belongs to (ARM id as configured).
    pub vm_id: String,
    /// The tenant `/metadata/identity/info` reports.
    pub tenant_id: String,
    /// ARM's host API (instance metadata; identities when nothing is in memory).
    pub host: HostApi,
    /// Where the token endpoints learn the VM's current identities.
    pub identities: CurrentIdentities,
    /// Token acquisition and its caches.
    pub tokens: TokenService,
    /// The faults token requests may meet (`mimic chaos`).
    pub faults: std::sync::Arc<mimic_web::chaos::FaultBook>,
    /// The clock (fault windows).
    pub clock: mimic_token::Clock,
    /// The reality modes' settings (`token-cache-realism`).
    pub reality: mimic_web::reality::Reality,
}

/// One VM's IMDS listener, bound but not yet serving.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `settings.bind` and prepares the server. Nothing is fetched from ARM or AAD here.
    ///
    /// The server stops gracefully on SIGINT/SIGTERM, as a standalone `mimic imds` (PID 1 in a
    /// container) must. With no IMDS host to push changes, it watches ARM's host API for the VM's
    /// identities (`identity::watch`); while the watch holds no lease (ARM unreachable,
    /// or an ARM without the watch) each token request asks ARM.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let memory = std::sync::Arc::new(VmMemory::watched(&settings.vm_id));
        let host = HostApi::new(
            mimic_web::https_client(&settings.ca_pem)?,
            &settings.arm_url,
            settings.internal_key.clone(),
        );
        let app = Self::build_with(settings, CurrentIdentities(memory.clone()), true)?;
        tokio::spawn(crate::identity::watch::run(host, memory));
        Ok(app)
    }

    /// Like [`Application::build`], but deaf to OS signals (the listeners of
    /// [`crate::host::ImdsHost`] stop when the host says so, not on their own at Ctrl-C), and
    /// reading the VM's identities from `memory`, which the host keeps current.
    pub(crate) async fn build_hosted(
        settings: Settings,
        memory: std::sync::Arc<VmMemory>,
    ) -> anyhow::Result<Self> {
        Self::build_with(settings, CurrentIdentities(memory), false)
    }

    fn build_with(
        settings: Settings,
        identities: CurrentIdentities,
        signals: bool,
    ) -> anyhow::Result<Self> {
        let listener = mimic_web::bind(&settings.bind)?;
        let port = listener
            .local_addr()
            .context("reading the bound port")?
            .port();
        let state = web::Data::new(state(&settings, identities)?);
        // One throttle per listener, shared by its workers: the limits are per VM. Each route draws
        // on it through the `Budget` it is wrapped in (routes.rs).
        let throttle = web::Data::new(Throttle::new(settings.limits));
        let flavors = web::Data::new(crate::flavors::FlavorState::new(&settings));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(throttle.clone())
                .app_data(flavors.clone())
                .wrap(from_fn(mimic_web::telemetry::request_id))
                .configure(routes::configure)
        })
        // Each connection's socket, for `mimic chaos`'s connection resets (crate::chaos).
        .on_connect(crate::chaos::remember_socket)
        .workers(workers())
        .shutdown_timeout(1);
        if !signals {
            server = server.disable_signals();
        }
        let server = server.listen(listener).context("listening")?.run();
        Ok(Self { port, server })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (`handle.stop(graceful).await`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through a [`ServerHandle`].
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn state(settings: &Settings, identities: CurrentIdentities) -> anyhow::Result<AppState> {
    // One HTTP client per listener: its pooled connections live on this server's worker runtime,
    // which ends when the VM's listener stops.
    let client = mimic_web::https_client(&settings.ca_pem)?;
    Ok(AppState {
        vm_id: settings.vm_id.clone(),
        tenant_id: settings.tenant_id.clone(),
        host: HostApi::new(
            client.clone(),
            &settings.arm_url,
            settings.internal_key.clone(),
        ),
        identities,
        reality: settings.reality.clone(),
        tokens: TokenService::new(
            AadClient::new(client, &settings.aad_url, settings.internal_key.clone()),
            settings.clock.clone(),
        ),
        faults: settings.faults.clone(),
        clock: settings.clock.clone(),
    })
}

/// Worker threads per listener: as many as there are cores, at most two. A cached token is a map
/// lookup and a small JSON body, all CPU on the worker that took the connection, so one worker
/// would leave the second core of our 2-core machines idle under a burst to one VM; more workers
/// than cores only add hand-offs. Idle workers cost a parked thread each (one listener per VM).
fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().min(2))
}
