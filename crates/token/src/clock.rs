//! The one place that reads the system clock. Everything else takes a [`Clock`], so tests can move time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Seconds since the Unix epoch, from the system clock plus an adjustable offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }
    /// Now, in whole seconds since the epoch.
    pub fn now(&self) -> i64 {
        #[allow(clippy::disallowed_methods)]
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        system + self.offset.load(Ordering::Relaxed)
    }
    /// Now, as whole seconds since the epoch (as [`Clock::now`]) and the system clock's
    /// nanoseconds within that second: for ordering records made in the same second.
    pub fn now_precise(&self) -> (i64, u32) {
        #[allow(clippy::disallowed_methods)]
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (
            system.as_secs() as i64 + self.offset.load(Ordering::Relaxed),
            system.subsec_nanos(),
        )
    }
    /// Moves this clock (and its clones) forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }
}
