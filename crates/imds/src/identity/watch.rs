//! The watch of a standalone `mimic imds`: keeps the VM's identities in memory from ARM's host
//! API (ARM's side and the protocol: `mimic_arm::host_watch`).
//!
//! One long poll at a time, each naming the generation held. What a poll brings is trusted until
//! [`WAIT`] + [`GRACE`] after the poll was *sent*; ARM waits for this watcher for the same span
//! counted from when it *received* the poll, so whenever ARM gives up on a silent watcher, the
//! watcher has already stopped trusting its memory. A failed poll forgets the memory (requests ask
//! ARM) and the watch starts over after a second; an ARM without the watch ends it for good.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::current::VmMemory;
use crate::host_api::{HostApi, Watched};

use mimic_web::internal::watch::{GRACE, MAX_WAIT as WAIT};

/// Watches until the listener that reads `memory` is gone.
pub(crate) async fn run(host: HostApi, memory: Arc<VmMemory>) {
    let watcher = uuid::Uuid::new_v4().to_string();
    let vm_id = memory.vm_id().to_string();
    let mut holds = None;
    // The listener holds the other reference: once it is dropped, nobody reads the memory.
    while Arc::strong_count(&memory) > 1 {
        let sent = Instant::now();
        match host.watch(&vm_id, holds, &watcher, WAIT).await {
            Ok(Watched::Unchanged) => memory.extend(sent + WAIT + GRACE),
            Ok(Watched::Changed(generation, vm)) => {
                memory.hold(vm.map(Arc::new), sent + WAIT + GRACE);
                holds = Some(generation);
            }
            Ok(Watched::Unsupported) => {
                memory.forget();
                tracing::info!(vm = %vm_id, "ARM's host API has no watch: asking it per request");
                return;
            }
            Err(error) => {
                memory.forget();
                holds = None;
                tracing::warn!(vm = %vm_id, error = format!("{error:#}"), "watching ARM's host API; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
