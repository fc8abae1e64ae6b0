//! Which identities the VM has *now*, as the token endpoints see them.
//!
//! - Under [`crate::host::ImdsHost`] (`mimic up`) the answer lives in memory ([`VmMemory`]): the
//!   host fills it when it starts the listener and replaces it whenever ARM announces that the
//!   VM's identities changed, acknowledging the announcement only after the replacement. ARM
//!   answers the write that removed an identity only after that acknowledgement, so once a client
//!   sees the removal succeed, no request selects the removed identity any more. A cached token is
//!   then a map lookup with no call to ARM.
//! - A standalone `mimic imds` (docker-compose) watches ARM's host API instead
//!   ([`super::watch`], ARM's `host_watch`): a long poll that ARM answers when anything changed and
//!   that acknowledges each change, ARM answering the write only once every live watcher holds it.
//!   What the watch brought is trusted for a lease (the poll's wait plus a grace, counted from when
//!   the poll was sent), which always ends before ARM stops waiting for this watcher; without a
//!   lease — ARM unreachable, or an ARM without the watch — every request asks ARM
//!   (as a standalone `mimic imds` did before the watch).

use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::host_api::{HostApi, VmIdentities};

/// What the VM has: `None` when ARM says the VM does not exist.
pub(crate) type Snapshot = Option<Arc<VmIdentities>>;

/// Where one listener learns the VM's current identities: the memory the IMDS host (`mimic up`)
/// or the watch (standalone `mimic imds`) keeps current.
pub(crate) struct CurrentIdentities(pub Arc<VmMemory>);

impl CurrentIdentities {
    /// The VM's identities now. `host` is the listener's own client of ARM's host API, used
    /// when nothing is in memory (or nothing trusted).
    pub async fn get(&self, host: &HostApi) -> anyhow::Result<Snapshot> {
        self.0.current(host).await
    }

    /// Whether the identity with `principal_id` is still on the VM, judged from memory. Checked
    /// once more after a token was fetched, so a request that raced a removal does not return
    /// the removed identity's token once the host (or the watch) has taken the removal in.
    pub fn still_assigned(&self, principal_id: &str) -> bool {
        self.0.has_principal(principal_id)
    }
}

/// One VM's identities in memory, shared by the IMDS host or the watch (which replace them) and
/// the VM's listener (which reads them).
pub(crate) struct VmMemory {
    vm_id: String,
    /// `None` until filled, and again after a refresh failed (the next request asks ARM).
    slot: RwLock<Option<Held>>,
    /// Serialises the fills: a first-use fill and a pushed refresh never overwrite each other
    /// with an older answer, because each asks ARM only once it holds this lock.
    filling: tokio::sync::Mutex<()>,
    /// Filled by the watch only, under a lease: what a request asks ARM itself is not kept.
    watched: bool,
}

#[derive(Clone)]
struct Held {
    snapshot: Snapshot,
    /// Trusted until then (watched memory); `None`: until replaced (pushed memory).
    until: Option<Instant>,
}

impl VmMemory {
    /// An empty memory for `vm_id` (filled on first use or by [`VmMemory::refresh`]).
    pub fn new(vm_id: &str) -> Self {
        Self {
            vm_id: vm_id.to_string(),
            slot: RwLock::new(None),
            filling: tokio::sync::Mutex::new(()),
            watched: false,
        }
    }

    /// An empty memory for `vm_id` that only the watch fills ([`VmMemory::hold`]).
    pub fn watched(vm_id: &str) -> Self {
        Self {
            watched: true,
            ..Self::new(vm_id)
        }
    }

    /// The VM's ARM id.
    pub fn vm_id(&self) -> &str {
        &self.vm_id
    }

    /// The watch brought `snapshot`: trust it until `until`.
    pub fn hold(&self, snapshot: Snapshot, until: Instant) {
        self.store(Some(Held {
            snapshot,
            until: Some(until),
        }));
    }

    /// The watch heard nothing changed: trust what is held until `until`.
    pub fn extend(&self, until: Instant) {
        let mut slot = self.slot.write().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = slot.as_mut() {
            held.until = Some(until);
        }
    }

    /// Trust nothing held any more (the watch lost ARM).
    pub fn forget(&self) {
        self.store(None);
    }

    /// Asks ARM for the VM's identities now and replaces the memory with the answer. On error the
    /// memory is emptied, so the next request asks ARM rather than trust an old answer.
    pub async fn refresh(&self, host: &HostApi) -> anyhow::Result<()> {
        let _filling = self.filling.lock().await;
        match host.vm(&self.vm_id).await {
            Ok(vm) => {
                self.store(Some(Held {
                    snapshot: vm.map(Arc::new),
                    until: None,
                }));
                Ok(())
            }
            Err(error) => {
                self.store(None);
                Err(error)
            }
        }
    }

    async fn current(&self, host: &HostApi) -> anyhow::Result<Snapshot> {
        if let Some(known) = self.load() {
            return Ok(known);
        }
        if self.watched {
            // No lease: this request asks ARM, and the answer is not kept (only the watch's are).
            return Ok(host.vm(&self.vm_id).await?.map(Arc::new));
        }
        let _filling = self.filling.lock().await;
        if let Some(known) = self.load() {
            return Ok(known);
        }
        let vm = host.vm(&self.vm_id).await?.map(Arc::new);
        self.store(Some(Held {
            snapshot: vm.clone(),
            until: None,
        }));
        Ok(vm)
    }

    fn has_principal(&self, principal_id: &str) -> bool {
        match self.load() {
            Some(snapshot) => snapshot.is_some_and(|vm| {
                vm.identities
                    .iter()
                    .any(|identity| identity.principal_id.eq_ignore_ascii_case(principal_id))
            }),
            // Watched without a lease: the request just asked ARM itself.
            None => self.watched,
        }
    }

    /// What is held and still trusted.
    fn load(&self) -> Option<Snapshot> {
        let slot = self.slot.read().unwrap_or_else(|e| e.into_inner());
        let held = slot.as_ref()?;
        match held.until {
            Some(until) if Instant::now() >= until => None,
            _ => Some(held.snapshot.clone()),
        }
    }

    fn store(&self, held: Option<Held>) {
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = held;
    }
}
