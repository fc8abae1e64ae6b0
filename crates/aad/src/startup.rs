//! [`Application`]: the only wiring code. Binds the listener, opens and migrates the database,
//! loads (or creates) the signing key, applies the fixture, and builds the HTTPS server.

use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;

use crate::fixture::AadFixture;
use crate::groups::store::GroupStore;
use crate::principals::store::Store;
use crate::settings::Settings;
use crate::signin::authorize::Codes;
use crate::state::{AppState, Lifetimes, Tenant};
use crate::users::lockout::{Lockout, LockoutPolicy};
use crate::users::store::UserStore;
use crate::{db, error, routes, signing};

/// A built, not yet running, AAD.
pub struct Application {
    port: u16,
    base_url: String,
    server: Server,
    unbound_extra_binds: Vec<(String, std::io::ErrorKind)>,
    issuers: Arc<crate::federation::issuers::Issuers>,
}

impl Application {
    /// Binds, opens `aad.db`, loads the signing key, applies the fixture on first start.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = mimic_web::bind(&settings.bind)?;
        let port = listener
            .local_addr()
            .context("reading the bound port")?
            .port();
        let base_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("https://127.0.0.1:{port}"))
            .trim_end_matches('/')
            .to_string();
        let state = web::Data::new(state(&settings, base_url.clone()).await?);
        let issuers = state.issuers.clone();
        let tls = mimic_web::rustls_server_config(&settings.server_certificate)?;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(crate::principals::internal_gate))
                .wrap(from_fn(error::envelope))
                .wrap(from_fn(mimic_web::telemetry::request_id))
                .wrap(from_fn(crate::signin::cors::headers))
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })
        .workers(settings.workers.max(1))
        .disable_signals()
        .shutdown_timeout(5)
        .listen_rustls_0_23(listener, tls.clone())
        .context("starting the HTTPS listener")?;
        // Best effort: an extra address that cannot be bound is skipped, and the caller told.
        let mut unbound_extra_binds = Vec::new();
        for address in &settings.extra_binds {
            match mimic_web::bind(address) {
                Ok(extra) => {
                    server = server
                        .listen_rustls_0_23(extra, tls.clone())
                        .with_context(|| format!("serving AAD on {address}"))?;
                    tracing::info!(%address, "AAD also listening");
                }
                Err(error) => {
                    tracing::debug!(%address, error = format!("{error:#}"), "AAD could not also listen here");
                    let kind = error
                        .chain()
                        .find_map(|cause| cause.downcast_ref::<std::io::Error>())
                        .map_or(std::io::ErrorKind::Other, std::io::Error::kind);
                    unbound_extra_binds.push((address.clone(), kind));
                }
            }
        }
        let server = server.run();
        tracing::info!(%base_url, "AAD listening");
        Ok(Self {
            port,
            base_url,
            server,
            unbound_extra_binds,
            issuers,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The extra addresses (`Settings::extra_binds`) that could not be bound, and why.
    pub fn unbound_extra_binds(&self) -> &[(String, std::io::ErrorKind)] {
        &self.unbound_extra_binds
    }

    /// The public URL (`https://127.0.0.1:{port}` unless overridden).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The cloud's `microsoftGraphResourceId`: the public URL with a trailing slash, e.g.
    /// `https://127.0.0.1:8444/`. It is Graph's base URL (az calls `{id without '/'}/v1.0/…`) and
    /// the audience of Graph tokens (az asks for scope `{id}/.default`).
    pub fn graph_resource_id(&self) -> String {
        crate::graph::resource_id(&self.base_url)
    }

    /// mimic's OIDC issuers (for `mimic up`, which lists them in `endpoints.json`).
    pub fn issuers(&self) -> Arc<crate::federation::issuers::Issuers> {
        self.issuers.clone()
    }

    /// A handle to stop the server gracefully (`handle.stop(true).await`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn state(settings: &Settings, base_url: String) -> anyhow::Result<AppState> {
    let pool = db::open(&settings.db_path).await?;
    let store = Store::new(pool.clone());
    let applications = crate::applications::store::ApplicationStore::new(pool.clone());
    let users = UserStore::new(pool.clone());
    let groups = GroupStore::new(pool.clone());
    let federation = crate::federation::store::FederationStore::new(pool.clone());
    let roles = crate::directory_roles::store::DirectoryRoleStore::new(pool);
    let key = signing::load_or_create(&settings.keys_dir).await?;
    let now = settings.clock.now();
    let fixture = settings
        .fixture
        .as_ref()
        .map(AadFixture::from_value)
        .transpose()?;
    if let Some(fixture) = &fixture {
        let created = fixture.apply(&store, &users, now).await?;
        tracing::info!(created, "applied the aad fixture");
    }
    let seeded = crate::first_party::seed(&store, now).await?;
    tracing::debug!(seeded, "first-party service principals");
    if let Some(fixture) = &fixture {
        let directory = crate::fixture::Directory {
            principals: &store,
            users: &users,
            applications: &applications,
            roles: &roles,
        };
        if fixture.grant(directory, now).await? {
            tracing::info!("applied the aad fixture's grants");
        }
    }
    let data_dir = settings
        .db_path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let issuers = crate::federation::issuers::Issuers::load(&data_dir, &base_url)?;
    Ok(AppState {
        issuers: Arc::new(issuers),
        remote_issuers: Arc::new(crate::federation::remote::RemoteIssuers::new(
            &settings.ca_pem,
        )?),
        tenant: Tenant {
            id: settings.tenant_id.to_ascii_lowercase(),
            domain: settings.tenant_domain.clone(),
            display_name: settings.tenant_display_name.clone(),
        },
        base_url,
        keys: Arc::new(crate::chaos::keys::KeyRing::new(key)),
        chaos: Arc::new(crate::chaos::Chaos::new(
            settings.faults.clone(),
            settings.imds_shares_faults,
            settings.keys_dir.clone(),
        )),
        store,
        applications,
        users,
        groups,
        roles,
        federation,
        lockout: Lockout::new(LockoutPolicy {
            threshold: settings.lockout_threshold,
            seconds: settings.lockout_seconds,
        }),
        codes: Codes::default(),
        internal_key: settings.internal_key.clone(),
        internal_peers: settings.internal_peers,
        clock: settings.clock.clone(),
        lifetimes: Lifetimes {
            managed_identity: settings.managed_identity_token_lifetime,
            other: settings.token_lifetime,
        },
        arm_public_url: settings.arm_public_url.clone(),
        key_vault_dns_suffix: settings.key_vault_dns_suffix.clone(),
        arm: crate::arm_host::ArmHost::new(
            settings.arm_url.clone(),
            &settings.ca_pem,
            settings.internal_key.clone(),
        )?,
        data_dir,
        verified_secrets: Arc::new(crate::credentials::VerifiedSecrets::new()?),
        decisions: Arc::default(),
        reality: crate::reality::Reality::new(settings.reality.clone(), settings.clock.clone()),
    })
}
