//! The tenant's signing keys: the one AAD signs with now, and the ones it rolled away from, still
//! published in the JWKS until their grace period ends (`mimic chaos rollover`).
//!
//! Entra rolls its signing keys: a new key signs, the old one stays in the keys document for a
//! while so that tokens it signed keep verifying, then it is removed; resource servers refetch the
//! document when a token names a key they do not know
//! (<https://learn.microsoft.com/entra/identity-platform/signing-key-rollover>).

use std::sync::{Arc, RwLock};

use mimic_token::SigningKey;

/// The keys AAD signs and publishes with. Share it behind an `Arc`.
#[derive(Debug)]
pub struct KeyRing {
    ring: RwLock<Ring>,
}

#[derive(Debug)]
struct Ring {
    current: Arc<SigningKey>,
    /// Keys rolled away from, and until when (seconds since the epoch) each is still published.
    retiring: Vec<(Arc<SigningKey>, i64)>,
}

/// A key still published after a rollover, as `GET /internal/chaos` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetiringKey {
    /// Its `kid`.
    pub kid: String,
    /// When it leaves the JWKS (seconds since the epoch).
    pub until: i64,
}

impl KeyRing {
    /// A ring holding only `key`.
    pub fn new(key: SigningKey) -> Self {
        Self {
            ring: RwLock::new(Ring {
                current: Arc::new(key),
                retiring: Vec::new(),
            }),
        }
    }

    /// The key AAD signs with now.
    pub fn current(&self) -> Arc<SigningKey> {
        self.read().current.clone()
    }

    /// Every key the JWKS publishes at `now`: the current one first.
    pub fn published(&self, now: i64) -> Vec<Arc<SigningKey>> {
        let ring = self.read();
        std::iter::once(ring.current.clone())
            .chain(
                ring.retiring
                    .iter()
                    .filter(|(_, until)| now < *until)
                    .map(|(key, _)| key.clone()),
            )
            .collect()
    }

    /// The retired keys still published at `now`.
    pub fn retiring(&self, now: i64) -> Vec<RetiringKey> {
        self.read()
            .retiring
            .iter()
            .filter(|(_, until)| now < *until)
            .map(|(key, until)| RetiringKey {
                kid: key.kid().to_string(),
                until: *until,
            })
            .collect()
    }

    /// Seconds from `now` until the published set next changes (a retired key leaves), if any
    /// will: how long the keys document may be cached.
    pub fn stable_for(&self, now: i64) -> Option<i64> {
        self.read()
            .retiring
            .iter()
            .map(|(_, until)| until - now)
            .filter(|left| *left > 0)
            .min()
    }

    /// Signs with `key` from now on; the current key stays published until `until`.
    pub fn roll(&self, key: SigningKey, now: i64, until: i64) {
        let mut ring = self.ring.write().unwrap_or_else(|e| e.into_inner());
        let old = std::mem::replace(&mut ring.current, Arc::new(key));
        ring.retiring.retain(|(_, until)| now < *until);
        if now < until {
            ring.retiring.push((old, until));
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Ring> {
        self.ring.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rolled_key_is_published_until_its_grace_ends() {
        let first = SigningKey::generate("first").unwrap();
        let first_kid = first.kid().to_string();
        let ring = KeyRing::new(first);
        let second = SigningKey::generate("second").unwrap();
        let second_kid = second.kid().to_string();

        ring.roll(second, 100, 160);

        let kids = |now| -> Vec<String> {
            ring.published(now)
                .iter()
                .map(|k| k.kid().to_string())
                .collect()
        };
        assert_eq!(ring.current().kid(), second_kid);
        assert_eq!(kids(159), [second_kid.clone(), first_kid.clone()]);
        assert_eq!(ring.stable_for(100), Some(60));
        assert_eq!(kids(160), [second_kid]);
        assert_eq!(ring.stable_for(160), None);
        assert!(ring.retiring(160).is_empty());
    }

    #[test]
    fn a_roll_without_grace_removes_the_old_key_at_once() {
        let ring = KeyRing::new(SigningKey::generate("first").unwrap());
        ring.roll(SigningKey::generate("second").unwrap(), 100, 100);
        assert_eq!(ring.published(100).len(), 1);
    }
}
