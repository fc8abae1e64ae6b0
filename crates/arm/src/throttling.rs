//! ARM's request counters, as its `x-ms-ratelimit-remaining-*` headers report them. mimic counts
//! and reports; it never throttles (no 429).
//!
//! Since 2024 ARM limits requests with token buckets per region, per subscription (or tenant),
//! per principal and per kind of operation ("Understand how Azure Resource Manager throttles
//! requests", learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling):
//!
//! | scope | operations | bucket | refill per second |
//! |---|---|---|---|
//! | subscription / tenant | reads | 250 | 25 |
//! | subscription / tenant | writes | 200 | 10 |
//! | subscription / tenant | deletes | 200 | 10 |
//!
//! A request takes one token; the header reports what is left (`249` on the first read, as real
//! responses show, with `x-ms-ratelimit-remaining-subscription-global-reads: 3749` beside it for the
//! global bucket: 15 regions' worth). Buckets refill with the shared [`mimic_token::Clock`] (whole
//! seconds), so a test that advances the clock sees them full again.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::http::Method;

/// The kind of operation a bucket counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// GET and HEAD.
    Reads,
    /// PUT, PATCH and POST.
    Writes,
    /// DELETE.
    Deletes,
}

impl Kind {
    /// The kind of a request method.
    pub fn of(method: &Method) -> Self {
        match *method {
            Method::GET | Method::HEAD => Self::Reads,
            Method::DELETE => Self::Deletes,
            _ => Self::Writes,
        }
    }

    /// `reads`, `writes` or `deletes`, as the header names spell them.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reads => "reads",
            Self::Writes => "writes",
            Self::Deletes => "deletes",
        }
    }

    /// The regional bucket's size and refill rate per second.
    fn regional(self) -> (i64, i64) {
        match self {
            Self::Reads => (250, 25),
            Self::Writes | Self::Deletes => (200, 10),
        }
    }

    /// The global bucket's size and refill rate per second (15 regional buckets).
    fn global(self) -> (i64, i64) {
        let (size, rate) = self.regional();
        (size * 15, rate * 15)
    }
}

/// What a request's scope is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `/subscriptions/{id}/…` (the id lower-cased).
    Subscription(String),
    /// Everything else (`/subscriptions`, `/providers/…`, `/batch`, …).
    Tenant,
}

/// The counters one request leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    /// Tokens left in the regional bucket.
    pub regional: i64,
    /// Tokens left in the global bucket.
    pub global: i64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: i64,
    updated: i64,
}

impl Bucket {
    /// Refills for the seconds since the last take, then takes one token (never below zero).
    fn take(&mut self, (size, rate): (i64, i64), now: i64) -> i64 {
        let elapsed = (now - self.updated).max(0);
        self.tokens = (self.tokens + elapsed.saturating_mul(rate)).min(size);
        self.updated = now;
        self.tokens = (self.tokens - 1).max(0);
        self.tokens
    }
}

type Key = (Scope, String, Kind, bool);

/// Every bucket: per scope, principal (`oid`) and kind, regional and global.
#[derive(Debug, Default)]
pub struct RateLimits {
    buckets: Mutex<HashMap<Key, Bucket>>,
}

/// Past this many buckets the full ones are dropped (a dropped bucket starts full again).
const MAX_BUCKETS: usize = 10_000;

impl RateLimits {
    /// Counts one request of `principal` in `scope` at `now`; what remains.
    pub fn take(&self, scope: &Scope, principal: &str, kind: Kind, now: i64) -> Remaining {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > MAX_BUCKETS {
            buckets.retain(|(_, _, kind, global), bucket| {
                let (size, rate) = limits(*kind, *global);
                bucket.tokens + (now - bucket.updated).max(0).saturating_mul(rate) < size
            });
        }
        let mut take = |global: bool| {
            let limits = limits(kind, global);
            let key = (scope.clone(), principal.to_ascii_lowercase(), kind, global);
            buckets
                .entry(key)
                .or_insert(Bucket {
                    tokens: limits.0,
                    updated: now,
                })
                .take(limits, now)
        };
        Remaining {
            regional: take(false),
            global: take(true),
        }
    }
}

fn limits(kind: Kind, global: bool) -> (i64, i64) {
    match global {
        true => kind.global(),
        false => kind.regional(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_count_down_per_scope_principal_and_kind_and_refill_with_time() {
        let limits = RateLimits::default();
        let subscription = Scope::Subscription("s".into());
        let take = |scope: &Scope, principal: &str, kind: Kind, now: i64| {
            limits.take(scope, principal, kind, now)
        };
        assert_eq!(
            take(&subscription, "a", Kind::Reads, 100),
            Remaining {
                regional: 249,
                global: 3749
            }
        );
        assert_eq!(take(&subscription, "a", Kind::Reads, 100).regional, 248);
        assert_eq!(take(&subscription, "b", Kind::Reads, 100).regional, 249);
        assert_eq!(take(&Scope::Tenant, "a", Kind::Reads, 100).regional, 249);
        assert_eq!(
            take(&subscription, "a", Kind::Writes, 100),
            Remaining {
                regional: 199,
                global: 2999
            }
        );
        assert_eq!(take(&subscription, "a", Kind::Deletes, 100).regional, 199);
        // One second refills 25 reads, up to the bucket's size.
        assert_eq!(take(&subscription, "a", Kind::Reads, 101).regional, 249);
        for _ in 0..300 {
            take(&subscription, "a", Kind::Writes, 101);
        }
        assert_eq!(take(&subscription, "a", Kind::Writes, 101).regional, 0);
        assert_eq!(take(&subscription, "a", Kind::Writes, 102).regional, 9);
    }

    #[test]
    fn kinds_follow_the_method() {
        assert_eq!(Kind::of(&Method::GET), Kind::Reads);
        assert_eq!(Kind::of(&Method::HEAD), Kind::Reads);
        assert_eq!(Kind::of(&Method::PUT), Kind::Writes);
        assert_eq!(Kind::of(&Method::PATCH), Kind::Writes);
        assert_eq!(Kind::of(&Method::POST), Kind::Writes);
        assert_eq!(Kind::of(&Method::DELETE), Kind::Deletes);
    }
}
