//! What every handler shares: the tenant, the signing key, the directory store, the clock.

use std::sync::Arc;

use mimic_token::Clock;
use mimic_web::InternalKey;

use crate::groups::store::GroupStore;
use crate::principals::store::Store;
use crate::signin::authorize::Codes;
use crate::users::lockout::Lockout;
use crate::users::store::UserStore;

/// The one tenant this AAD serves.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The tenant GUID (lower-case).
    pub id: String,
    /// The default domain, e.g. `mimic.onmicrosoft.com`.
    pub domain: String,
    /// The directory's display name.
    pub display_name: String,
}

impl Tenant {
    /// `https://sts.windows.net/{tid}/`: `iss` and `idp` of v1 access tokens.
    pub fn v1_issuer(&self) -> String {
        format!("https://sts.windows.net/{}/", self.id)
    }
}

/// Token lifetimes, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Managed identities.
    pub managed_identity: i64,
    /// Every other principal.
    pub other: i64,
}

/// Application state, shared by all workers.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The tenant.
    pub tenant: Tenant,
    /// The public URL, without a trailing slash.
    pub base_url: String,
    /// The tenant's token-signing keys: the one it signs with, and rolled ones still published.
    pub keys: Arc<crate::chaos::keys::KeyRing>,
    /// `mimic chaos`: the fault book, the clock skew of issued tokens.
    pub chaos: Arc<crate::chaos::Chaos>,
    /// Service principals and their credentials.
    pub store: Store,
    /// App registrations and their credentials.
    pub applications: crate::applications::store::ApplicationStore,
    /// The tenant's users.
    pub users: UserStore,
    /// The tenant's groups, their members and owners.
    pub groups: GroupStore,
    /// Directory roles: who holds which, and the default user permissions.
    pub roles: crate::directory_roles::store::DirectoryRoleStore,
    /// Federated identity credentials of applications and managed identities.
    pub federation: crate::federation::store::FederationStore,
    /// mimic's own OIDC issuers (local and imported).
    pub issuers: Arc<crate::federation::issuers::Issuers>,
    /// Keys of loopback issuers mimic fetched.
    pub remote_issuers: Arc<crate::federation::remote::RemoteIssuers>,
    /// Smart Lockout's failure counts (in memory).
    pub lockout: Lockout,
    /// Authorization codes waiting to be redeemed.
    pub codes: Codes,
    /// The internal-API key.
    pub internal_key: InternalKey,
    /// Which peers may call the internal API.
    pub internal_peers: mimic_web::InternalPeers,
    /// The clock.
    pub clock: Clock,
    /// Token lifetimes.
    pub lifetimes: Lifetimes,
    /// ARM's URL as clients reach it, when it differs from the host API's.
    pub arm_public_url: Option<String>,
    /// The Key Vault DNS suffix of mimic's cloud ([`crate::Settings::key_vault_dns_suffix`]).
    pub key_vault_dns_suffix: String,
    /// ARM's host API: which managed identities a VM has.
    pub arm: crate::arm_host::ArmHost,
    /// The data directory (where `aad.db` and `snapshots/` live).
    pub data_dir: std::path::PathBuf,
    /// Client secrets verified once ([`crate::credentials::VerifiedSecrets`]).
    pub verified_secrets: Arc<crate::credentials::VerifiedSecrets>,
    /// The last authorization decisions of Microsoft Graph ([`crate::graph::decisions`]).
    pub decisions: Arc<mimic_web::authz::Decisions>,
    /// The reality modes' settings and the principals they hold back ([`crate::reality`]).
    pub reality: crate::reality::Reality,
}

impl AppState {
    /// Deleted applications and service principals (`directory/deletedItems`), over the same
    /// database as the live directory.
    pub fn deleted(&self) -> crate::deleted_objects::store::DeletedObjects {
        crate::deleted_objects::store::DeletedObjects::new(self.store.pool().clone())
    }

    /// The base URL the request reached AAD by: one of Entra's public names inside the sandbox
    /// (`https://login.microsoftonline.com`, docs/hostnames.md), else [`AppState::base_url`].
    /// Discovery documents, their issuers and id tokens' `iss` follow it, as Entra's do.
    pub fn login_base(&self, request: &actix_web::HttpRequest) -> String {
        mimic_web::hostnames::request_public_base(request, mimic_web::hostnames::LOGIN_HOSTS)
            .unwrap_or_else(|| self.base_url.clone())
    }

    /// Graph's base URL as the request reached it: `https://graph.microsoft.com` inside the
    /// sandbox, else [`AppState::base_url`]. `@odata.context` and next links follow it.
    pub fn graph_base(&self, request: &actix_web::HttpRequest) -> String {
        mimic_web::hostnames::request_public_base(request, &[mimic_web::hostnames::GRAPH_HOST])
            .unwrap_or_else(|| self.base_url.clone())
    }
}
