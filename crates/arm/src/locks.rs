//! One writer at a time per resource, inside this process. ARM is `arm.db`'s only writer, so a
//! per-resource async lock turns concurrent writes of one resource (Terraform's parallel runs, 50
//! identical PUTs, 50 "enable system-assigned" PATCHes) into a queue: each write sees the state the
//! previous one left, mints at most the principals it needs, and never has to retry a lost race.
//! Writes to different resources run in parallel; SQLite's own write lock (taken at `BEGIN
//! IMMEDIATE`, see [`crate::db::begin_write`]) orders their commits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OwnedMutexGuard;

/// Locks keyed by lower-cased resource id.
#[derive(Debug, Default)]
pub struct ResourceLocks {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl ResourceLocks {
    /// Waits until no other write holds `resource_id` (any case), then holds it until the guard drops.
    pub async fn lock(&self, resource_id: &str) -> OwnedMutexGuard<()> {
        let lock = self.entry(&resource_id.to_ascii_lowercase());
        lock.lock_owned().await
    }

    /// Holds `resource_id` (any case) if no other write holds it or waits for it; `None` otherwise
    /// (for writes Azure refuses rather than queues, e.g. concurrent federated identity credentials).
    pub fn try_lock(&self, resource_id: &str) -> Option<OwnedMutexGuard<()>> {
        let lock = self.entry(&resource_id.to_ascii_lowercase());
        lock.try_lock_owned().ok()
    }

    fn entry(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(lock) = locks.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        // Forget locks nobody holds or waits for, so the map stays as small as the writes in flight.
        locks.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(key.to_string(), Arc::downgrade(&lock));
        lock
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_resource_is_written_by_one_writer_at_a_time_in_any_case() {
        let locks = Arc::new(ResourceLocks::default());
        let held = locks.lock("/subscriptions/S/resourceGroups/G").await;
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.lock("/SUBSCRIPTIONS/s/resourcegroups/g").await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        let other = locks.lock("/subscriptions/S/resourceGroups/H").await;
        drop(held);
        drop(waiter.await.unwrap());
        drop(other);
        assert_eq!(Arc::strong_count(&locks.entry("x")), 1);
    }

    #[test]
    fn try_lock_refuses_a_held_resource_in_any_case() {
        let locks = ResourceLocks::default();
        let held = locks.try_lock("/subscriptions/S/x").unwrap();
        assert!(locks.try_lock("/SUBSCRIPTIONS/s/X").is_none());
        assert!(locks.try_lock("/subscriptions/S/y").is_some());
        drop(held);
        assert!(locks.try_lock("/subscriptions/S/x").is_some());
    }
}
