//! Smart Lockout: after `threshold` wrong passwords in a row for one user, every sign-in of that
//! user is refused with AADSTS50053 for `seconds`, even with the right password. A successful
//! sign-in resets the count; when a lock expires the count starts again from zero.
//! See <https://learn.microsoft.com/entra/identity/authentication/howto-password-smart-lockout>.
//!
//! Entra keeps the counts in its own stores; mimic keeps them in memory, so a restart unlocks
//! everyone. Entra also ignores a repeat of the same wrong password and lengthens repeated
//! lockouts; we count every wrong password and lock for the same time, which is simpler to test
//! against and enough to exercise a client's handling of AADSTS50053.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The lockout policy: 0 for either value turns lockout off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Wrong passwords in a row that lock the account (Entra's default: 10).
    pub threshold: u32,
    /// How long the account stays locked, in seconds (Entra's default: 60).
    pub seconds: u64,
}

impl LockoutPolicy {
    /// Entra's defaults: 10 failures, 60 seconds.
    pub const DEFAULT: Self = Self {
        threshold: 10,
        seconds: 60,
    };

    fn is_on(&self) -> bool {
        self.threshold > 0 && self.seconds > 0
    }
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One user's failures since the last success or lock.
#[derive(Debug, Clone, Copy, Default)]
struct Record {
    failures: u32,
    /// While `now < locked_until`, the account is locked.
    locked_until: Option<i64>,
}

/// The per-user failure counts, shared by all workers.
#[derive(Debug, Clone, Default)]
pub struct Lockout {
    policy: LockoutPolicy,
    records: Arc<Mutex<HashMap<String, Record>>>,
}

impl Lockout {
    /// An empty lockout table under `policy`.
    pub fn new(policy: LockoutPolicy) -> Self {
        Self {
            policy,
            records: Arc::default(),
        }
    }

    /// Whether `user_id` is locked at `now`. An expired lock is forgotten, so counting restarts.
    pub fn is_locked(&self, user_id: &str, now: i64) -> bool {
        let mut records = self.lock();
        match records.get(user_id).and_then(|r| r.locked_until) {
            Some(until) if now < until => true,
            Some(_) => {
                records.remove(user_id);
                false
            }
            None => false,
        }
    }

    /// Counts a wrong password for `user_id`; at the threshold the account locks until
    /// `now + seconds`.
    pub fn record_failure(&self, user_id: &str, now: i64) {
        if !self.policy.is_on() {
            return;
        }
        let mut records = self.lock();
        let record = records.entry(user_id.to_string()).or_default();
        if record.locked_until.is_some_and(|until| now < until) {
            return;
        }
        record.locked_until = None;
        record.failures = record.failures.saturating_add(1);
        if record.failures >= self.policy.threshold {
            let seconds = i64::try_from(self.policy.seconds).unwrap_or(i64::MAX);
            record.locked_until = Some(now.saturating_add(seconds));
            record.failures = 0;
        }
    }

    /// Forgets every count and lock (a snapshot restore or a reset replaced the directory).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Forgets `user_id`'s failures after a successful sign-in.
    pub fn record_success(&self, user_id: &str) {
        self.lock().remove(user_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Record>> {
        // A panic while holding the lock leaves the map consistent: every update is one statement.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lockout(threshold: u32, seconds: u64) -> Lockout {
        Lockout::new(LockoutPolicy { threshold, seconds })
    }

    #[test]
    fn locks_at_the_threshold_and_not_before() {
        let lockout = lockout(3, 60);
        lockout.record_failure("u", 0);
        lockout.record_failure("u", 0);
        assert!(!lockout.is_locked("u", 0));
        lockout.record_failure("u", 0);
        assert!(lockout.is_locked("u", 0));
        assert!(lockout.is_locked("u", 59));
        assert!(!lockout.is_locked("u", 60));
    }

    #[test]
    fn counting_restarts_after_a_lock_expires() {
        let lockout = lockout(2, 10);
        lockout.record_failure("u", 0);
        lockout.record_failure("u", 0);
        assert!(!lockout.is_locked("u", 10));
        lockout.record_failure("u", 10);
        assert!(!lockout.is_locked("u", 10));
    }

    #[test]
    fn success_resets_the_count() {
        let lockout = lockout(2, 10);
        lockout.record_failure("u", 0);
        lockout.record_success("u");
        lockout.record_failure("u", 0);
        assert!(!lockout.is_locked("u", 0));
    }

    #[test]
    fn zero_threshold_or_zero_seconds_never_locks() {
        for lockout in [lockout(0, 60), lockout(1, 0)] {
            for _ in 0..20 {
                lockout.record_failure("u", 0);
            }
            assert!(!lockout.is_locked("u", 0), "{:?}", lockout.policy);
        }
    }

    #[test]
    fn locks_are_per_user() {
        let lockout = lockout(1, 60);
        lockout.record_failure("u", 0);
        assert!(lockout.is_locked("u", 0));
        assert!(!lockout.is_locked("v", 0));
    }
}
