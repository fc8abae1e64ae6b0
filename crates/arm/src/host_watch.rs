//! The host API's watch: how an IMDS in another process (`mimic imds`, docker-compose) keeps a
//! VM's identities in memory and still never serves an identity after ARM acknowledged its
//! removal — the cross-process form of `mimic up`'s in-process announcements.
//!
//! Every committed change to any VM (created, deleted, identities changed, state restored) makes
//! the host **generation** grow ([`Watchers::publish`]). A watcher long-polls
//! `GET /internal/vms/identities?id=…&wait=SECONDS` with `If-None-Match: "{generation it holds}"`
//! and `X-Mimic-Watcher: {its id}`: ARM answers at once when the generation moved (200, the VM's
//! identities now, `ETag: "{generation}"`; 404 with the same tag when the VM is gone), else holds
//! the request until it does or `wait` passes (304). Each such request also tells ARM what the
//! watcher holds; that is its acknowledgement.
//!
//! [`Watchers::publish`] returns — and so the write that changed the VM is answered — only once
//! every live watcher holds the new generation. A watcher is live for `wait` + [`GRACE`] after ARM
//! received its last request; a watcher that stops asking (crashed, cut off) is waited for at most
//! that long. The watcher trusts its memory for the same span counted from when it *sent* that
//! request (earlier), so by the time ARM stops waiting for it, it has stopped trusting what it
//! holds and asks ARM per request again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::time::Instant;

pub use mimic_web::internal::watch::{GRACE, MAX_WAIT, WATCHER_HEADER};

/// Watchers are bounded: past this many live ones, new ones are not tracked (and so not waited
/// for), which only an abusive internal caller could reach.
const MAX_WATCHERS: usize = 1024;

/// What ARM knows of the watchers of its host API.
#[derive(Debug)]
pub struct Watchers {
    generation: watch::Sender<u64>,
    seen: Mutex<HashMap<String, Seen>>,
    heard: Notify,
    /// Reads of a VM's identities that were not watch polls (`/internal/status`).
    reads: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    /// The generation the watcher said it holds.
    holds: u64,
    /// When ARM stops waiting for it.
    live_until: Instant,
}

impl Default for Watchers {
    fn default() -> Self {
        Self::new()
    }
}

impl Watchers {
    /// No watcher yet, generation 1 (a watcher holding nothing says 0).
    pub fn new() -> Self {
        let (generation, _) = watch::channel(1);
        Self {
            generation,
            seen: Mutex::new(HashMap::new()),
            heard: Notify::new(),
            reads: AtomicU64::new(0),
        }
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        *self.generation.borrow()
    }

    /// Counts a read of a VM's identities that was not a watch poll.
    pub fn count_read(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    /// How many reads [`Watchers::count_read`] counted.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    /// How many watchers are live now.
    pub fn live(&self) -> usize {
        let now = Instant::now();
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.values().filter(|entry| entry.live_until > now).count()
    }

    /// How many live watchers hold the current generation: those whose memory is up to date
    /// (a watcher's first poll holds nothing; its next one says what it took in).
    pub fn current(&self) -> usize {
        let now = Instant::now();
        let generation = self.generation();
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.values()
            .filter(|entry| entry.live_until > now && entry.holds == generation)
            .count()
    }

    /// `watcher` holds `holds` and asks again within `wait` (plus [`GRACE`]).
    pub fn heard(&self, watcher: &str, holds: u64, wait: Duration) {
        let live_until = Instant::now() + wait.min(MAX_WAIT) + GRACE;
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            seen.retain(|_, entry| entry.live_until > now);
            if seen.len() < MAX_WATCHERS || seen.contains_key(watcher) {
                seen.insert(watcher.to_string(), Seen { holds, live_until });
            }
        }
        self.heard.notify_waiters();
    }

    /// Waits until the generation is no longer `holds`, or `wait` has passed; whether it moved.
    pub async fn moved_since(&self, holds: u64, wait: Duration) -> bool {
        let mut changes = self.generation.subscribe();
        let moved = changes.wait_for(|current| *current != holds);
        let outcome = tokio::time::timeout(wait.min(MAX_WAIT), moved).await;
        matches!(outcome, Ok(Ok(_)))
    }

    /// After a committed change: the generation grows, held watch requests are answered, and this
    /// returns once every live watcher holds the new generation (each waited for until it stops
    /// being live).
    pub async fn publish(&self) {
        let mut target = 0;
        self.generation.send_modify(|generation| {
            *generation += 1;
            target = *generation;
        });
        loop {
            let heard = self.heard.notified();
            tokio::pin!(heard);
            heard.as_mut().enable();
            let Some(deadline) = self.behind(target) else {
                return;
            };
            let _ = tokio::time::timeout_at(deadline, heard).await;
        }
    }

    /// The latest time a live watcher still behind `target` stays live; `None` when none is.
    fn behind(&self, target: u64) -> Option<Instant> {
        let now = Instant::now();
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.values()
            .filter(|entry| entry.live_until > now && entry.holds < target)
            .map(|entry| entry.live_until)
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn publish_waits_for_each_live_watcher_to_hold_the_new_generation() {
        let watchers = Arc::new(Watchers::new());
        // No watcher: nothing to wait for.
        watchers.publish().await;
        assert_eq!(watchers.generation(), 2);

        watchers.heard("a", 0, MAX_WAIT);
        assert_eq!(
            (watchers.live(), watchers.current()),
            (1, 0),
            "a first poll holds nothing"
        );
        watchers.heard("a", 2, MAX_WAIT);
        assert_eq!(watchers.current(), 1);
        let publishing = tokio::spawn({
            let watchers = watchers.clone();
            async move { watchers.publish().await }
        });
        assert!(watchers.moved_since(2, MAX_WAIT).await);
        tokio::task::yield_now().await;
        assert!(!publishing.is_finished(), "a watcher still holds 2");
        watchers.heard("a", 3, MAX_WAIT);
        publishing.await.unwrap();
    }

    #[tokio::test]
    async fn a_watcher_that_stops_asking_is_waited_for_until_it_is_no_longer_live() {
        let watchers = Watchers::new();
        watchers.heard("gone", 1, Duration::ZERO);
        let started = Instant::now();
        watchers.publish().await;
        // Not a speed figure: the lower bound is the protocol (ARM may not stop waiting sooner).
        let waited = started.elapsed();
        assert!(waited >= GRACE, "{waited:?}");
        // It stays forgotten: the next change waits for nobody.
        watchers.publish().await;
        assert!(!watchers.moved_since(3, Duration::from_millis(10)).await);
    }
}
