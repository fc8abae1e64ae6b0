//! The only wiring code: [`Application::build`] binds the listener, opens the database, applies
//! the fixture and starts the HTTPS server; [`AppState`] is what every handler receives.

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use sqlx::SqlitePool;

use crate::auth::JwksCache;
use crate::Settings;

/// Shared state of the ARM facade, handed to handlers as `web::Data<AppState>`.
#[derive(Clone)]
pub struct AppState {
    /// The `arm.db` pool.
    pub db: SqlitePool,
    /// The settings the app was built with.
    pub settings: Arc<Settings>,
    /// An HTTPS client trusting the local CA (for AAD).
    pub http: reqwest::Client,
    /// AAD's token-signing keys.
    pub keys: JwksCache,
    /// The clock (shared with the settings' clock).
    pub clock: mimic_token::Clock,
    /// ARM's public base URL, without a trailing slash.
    pub public_url: String,
    /// One writer at a time per resource ([`crate::locks`]).
    pub write_locks: Arc<crate::locks::ResourceLocks>,
    /// The deny assignments the ARM fixture declares (read-only, as in Azure).
    pub deny_assignments: Arc<Vec<crate::deny_assignments::model::DenyAssignment>>,
    /// Role assignments and custom roles in memory ([`crate::rbac::index`]).
    pub rbac: Arc<crate::rbac::index::Index>,
    /// The last authorization decisions ([`crate::rbac::decisions`]).
    pub decisions: Arc<crate::rbac::decisions::Decisions>,
    /// Verified bearer tokens ([`crate::auth::TokenCache`]).
    pub tokens: Arc<crate::auth::TokenCache>,
    /// IMDS processes watching the host API ([`crate::host_watch`]).
    pub watchers: Arc<crate::host_watch::Watchers>,
    /// The port ARM listens on (vault URIs name it unless `key_vault_port` is set).
    pub port: u16,
    /// The reality modes' settings and the changes they hold back ([`crate::reality`]).
    pub reality: crate::reality::Reality,
    /// The request counters ARM's `x-ms-ratelimit-remaining-*` headers report ([`crate::throttling`]).
    pub rate_limits: Arc<crate::throttling::RateLimits>,
    /// Which long-running operations are due ([`crate::async_operations`]).
    pub operations: Arc<crate::async_operations::Tracker>,
    /// The activity log's group commit ([`crate::activity_log::writer`]).
    pub activity: crate::activity_log::writer::Writer,
}

impl AppState {
    /// Builds the state for an app listening on `port`.
    pub fn new(settings: Settings, db: SqlitePool, port: u16) -> anyhow::Result<Self> {
        let http = mimic_web::https_client(&settings.ca_pem)?;
        let keys = JwksCache::new(
            format!(
                "{}/{}/discovery/v2.0/keys",
                settings.aad_url.trim_end_matches('/'),
                settings.tenant_id
            ),
            http.clone(),
            settings.clock.clone(),
        );
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("https://127.0.0.1:{port}"))
            .trim_end_matches('/')
            .to_string();
        let deny_assignments =
            crate::deny_assignments::model::from_fixture(settings.fixture.as_ref())?;
        if settings.async_operation_seconds > 0 {
            let seconds = settings.async_operation_seconds.to_string();
            settings
                .reality
                .set(mimic_web::reality::ASYNC_OPERATION_TIME, &seconds)
                .context("--async-operation-seconds")?;
        }
        let reality =
            crate::reality::Reality::new(settings.reality.clone(), settings.clock.clone());
        let activity =
            crate::activity_log::writer::Writer::start(db.clone(), crate::activity_log::MAX_EVENTS);
        Ok(Self {
            activity,
            reality,
            db,
            deny_assignments: Arc::new(deny_assignments),
            clock: settings.clock.clone(),
            settings: Arc::new(settings),
            http,
            keys,
            public_url,
            write_locks: Arc::default(),
            rbac: Arc::default(),
            decisions: Arc::default(),
            tokens: Arc::default(),
            watchers: Arc::default(),
            port,
            rate_limits: Arc::default(),
            operations: Arc::default(),
        })
    }
}

/// The running ARM facade.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    state: AppState,
}

impl Application {
    /// Binds, opens and migrates the database, applies the fixture, deletes principals a crash
    /// orphaned and pushes every identity's federated identity credentials to AAD
    /// ([`crate::lifecycle::reconcile`]), and starts serving.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = mimic_web::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let db = crate::db::connect(&settings.db_path).await?;
        let tls = mimic_web::rustls_server_config(&settings.server_certificate)?;
        let state = AppState::new(settings, db, port)?;
        crate::fixture::apply(&state)
            .await
            .context("applying the ARM fixture")?;
        crate::lifecycle::reconcile::orphans(&state).await;
        crate::lifecycle::reconcile::federated_credentials(&state).await;
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(crate::routes::json_config())
                .app_data(crate::routes::query_config())
                .app_data(crate::routes::path_config())
                .wrap(from_fn(crate::middleware::media_type))
                .wrap(from_fn(crate::middleware::gate))
                .wrap(from_fn(crate::response_headers::arm_headers))
                .wrap(from_fn(mimic_web::telemetry::request_id))
                // Key Vault's data plane: requests whose `Host` names a vault.
                .service(crate::key_vaults::data_plane::service())
                .configure(crate::routes::configure)
                .default_service(web::to(crate::routes::unknown_route))
        })
        .workers(2)
        // The process owns signals: `mimic up` stops every service together.
        .disable_signals()
        // A graceful stop waits this long for requests in flight, among them IMDS watch polls
        // that ARM holds up to 10 s (`host_watch`): they are cut, and their watchers ask again.
        .shutdown_timeout(5)
        .listen_rustls_0_23(listener, tls)
        .context("starting the ARM server")?
        .run();
        Ok(Self {
            port,
            server,
            state,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server gracefully.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped, ending long-running operations nobody polls once a
    /// second meanwhile ([`crate::async_operations::tick`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let ticker = crate::async_operations::tick(self.state);
        tokio::pin!(ticker);
        tokio::select! {
            served = self.server => served,
            () = &mut ticker => Ok(()),
        }
    }
}
