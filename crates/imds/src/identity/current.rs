//! Which identities the VM has *now*, as the token endpoints see them.
//!
//! - Under [`crate::host::ImdsHost`] (`mimic up`) the answer lives in memory ([`VmMemory`]): the
//!   host fills it when it starts the listener and replaces it whenever ARM announces that the
//!   VM's identities changed, acknowledging the announcement only after the replacement. ARM
//!   answers the write that removed an identity only after that acknowledgement, so once a client
//!   sees the removal succeed, no request selects the removed identity any more. A cached token is
//!   then a map lookup with no call to ARM.
//! - A standalone `mimic imds` (docker-compose) has no such announcements: it asks ARM's host API
//!   on every token request ([`CurrentIdentities::Ask`]).

use std::sync::{Arc, RwLock};

use crate::host_api::{HostApi, VmIdentities};

/// What the VM has: `None` when ARM says the VM does not exist.
pub(crate) type Snapshot = Option<Arc<VmIdentities>>;

/// Where one listener learns the VM's current identities.
pub(crate) enum CurrentIdentities {
    /// Ask ARM's host API on every request (standalone `mimic imds`).
    Ask,
    /// Read the memory the IMDS host keeps current.
    Pushed(Arc<VmMemory>),
}

impl CurrentIdentities {
    /// The VM's identities now. `host` is the listener's own client of ARM's host API, used
    /// when nothing is in memory yet.
    pub async fn get(&self, host: &HostApi, vm_id: &str) -> anyhow::Result<Snapshot> {
        match self {
            Self::Ask => Ok(host.vm(vm_id).await?.map(Arc::new)),
            Self::Pushed(memory) => memory.current(host).await,
        }
    }

    /// Whether the identity with `principal_id` is still on the VM, judged from memory (asking
    /// ARM again is not worth it for [`CurrentIdentities::Ask`]: the request just did). Checked
    /// once more after a token was fetched, so a request that raced a removal does not return
    /// the removed identity's token once the host has taken the removal in.
    pub fn still_assigned(&self, principal_id: &str) -> bool {
        match self {
            Self::Ask => true,
            Self::Pushed(memory) => memory.has_principal(principal_id),
        }
    }
}

/// One VM's identities in memory, shared by the IMDS host (which replaces them) and the VM's
/// listener (which reads them).
pub(crate) struct VmMemory {
    vm_id: String,
    /// `None` until filled, and again after a refresh failed (the next request asks ARM).
    slot: RwLock<Option<Snapshot>>,
    /// Serialises the fills: a first-use fill and a pushed refresh never overwrite each other
    /// with an older answer, because each asks ARM only once it holds this lock.
    filling: tokio::sync::Mutex<()>,
}

impl VmMemory {
    /// An empty memory for `vm_id` (filled on first use or by [`VmMemory::refresh`]).
    pub fn new(vm_id: &str) -> Self {
        Self {
            vm_id: vm_id.to_string(),
            slot: RwLock::new(None),
            filling: tokio::sync::Mutex::new(()),
        }
    }

    /// Asks ARM for the VM's identities now and replaces the memory with the answer. On error the
    /// memory is emptied, so the next request asks ARM rather than trust an old answer.
    pub async fn refresh(&self, host: &HostApi) -> anyhow::Result<()> {
        let _filling = self.filling.lock().await;
        match host.vm(&self.vm_id).await {
            Ok(vm) => {
                self.store(Some(vm.map(Arc::new)));
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
        let _filling = self.filling.lock().await;
        if let Some(known) = self.load() {
            return Ok(known);
        }
        let vm = host.vm(&self.vm_id).await?.map(Arc::new);
        self.store(Some(vm.clone()));
        Ok(vm)
    }

    fn has_principal(&self, principal_id: &str) -> bool {
        self.load().flatten().is_some_and(|vm| {
            vm.identities
                .iter()
                .any(|identity| identity.principal_id.eq_ignore_ascii_case(principal_id))
        })
    }

    fn load(&self) -> Option<Snapshot> {
        self.slot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn store(&self, snapshot: Option<Snapshot>) {
        *self.slot.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
    }
}
