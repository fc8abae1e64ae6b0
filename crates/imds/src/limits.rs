//! IMDS's per-VM rate limits (IMDS doc, "Rate limiting"): the managed-identity endpoints take 20
//! requests per second and 5 at once, every other `/metadata/…` endpoint 5 requests per second.
//! A request over a limit is answered 429 before any other check, in its endpoint's envelope.
//! Paths outside `/metadata` are not IMDS's and are not limited here.
//!
//! Each limit is a token bucket per listener (one listener per VM): it holds at most one second's
//! worth of requests and refills continuously, so a burst of N passes and then one request per
//! 1/N s. Buckets use [`Instant`]: sub-second refills need a monotonic clock, not wall time.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

use crate::error::{IdentityError, MetadataError};
use crate::settings::Limits;

/// Which limits a path falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    /// `/metadata/identity` and below.
    Identity,
    /// Every other `/metadata` path.
    Metadata,
    /// Not an IMDS path.
    Unlimited,
}

fn category(path: &str) -> Category {
    let under = |root: &str| {
        path.strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    match (under("/metadata/identity"), under("/metadata")) {
        (true, _) => Category::Identity,
        (false, true) => Category::Metadata,
        (false, false) => Category::Unlimited,
    }
}

/// One listener's limits.
pub(crate) struct Throttle {
    identity_rate: Option<Bucket>,
    identity_concurrent: Option<Concurrency>,
    metadata_rate: Option<Bucket>,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Throttled {
    Identity,
    Metadata,
}

impl Throttle {
    /// The limits of `limits`; a zero turns that limit off.
    pub fn new(limits: Limits) -> Self {
        Self {
            identity_rate: Bucket::new(limits.identity_per_second),
            identity_concurrent: Concurrency::new(limits.identity_concurrent),
            metadata_rate: Bucket::new(limits.metadata_per_second),
        }
    }

    /// Admits a request to `path` now, or says which limit it hit. The permit (if any) must live
    /// until the request has been answered.
    fn admit(&self, path: &str, now: Instant) -> Result<Option<Permit>, Throttled> {
        match category(path) {
            Category::Unlimited => Ok(None),
            Category::Metadata => match self.metadata_rate.as_ref().map(|b| b.take(now)) {
                Some(false) => Err(Throttled::Metadata),
                _ => Ok(None),
            },
            Category::Identity => {
                let permit = match &self.identity_concurrent {
                    Some(concurrency) => Some(concurrency.enter().ok_or(Throttled::Identity)?),
                    None => None,
                };
                // A request refused here drops its permit at once.
                match self.identity_rate.as_ref().map(|b| b.take(now)) {
                    Some(false) => Err(Throttled::Identity),
                    _ => Ok(permit),
                }
            }
        }
    }
}

/// A token bucket holding at most one second's worth of requests.
struct Bucket {
    per_second: f64,
    /// (tokens, when they were counted).
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    fn new(per_second: u32) -> Option<Self> {
        (per_second > 0).then(|| Self {
            per_second: f64::from(per_second),
            state: Mutex::new((f64::from(per_second), Instant::now())),
        })
    }

    /// Takes one token if there is one.
    fn take(&self, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, counted) = *state;
        let elapsed = now.saturating_duration_since(counted).as_secs_f64();
        let tokens = (tokens + elapsed * self.per_second).min(self.per_second);
        let admitted = tokens >= 1.0;
        *state = (if admitted { tokens - 1.0 } else { tokens }, now);
        admitted
    }
}

/// Counts requests in progress.
struct Concurrency {
    max: u32,
    current: Arc<AtomicU32>,
}

impl Concurrency {
    fn new(max: u32) -> Option<Self> {
        (max > 0).then(|| Self {
            max,
            current: Arc::default(),
        })
    }

    fn enter(&self) -> Option<Permit> {
        self.current
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                (current < self.max).then_some(current + 1)
            })
            .ok()
            .map(|_| Permit(self.current.clone()))
    }
}

/// One request in progress; leaving drops it.
#[derive(Debug)]
struct Permit(Arc<AtomicU32>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The middleware: answers 429 to a request over a limit, else runs it holding its permit.
pub(crate) async fn throttle(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let admitted = match request.app_data::<web::Data<Throttle>>() {
        Some(throttle) => throttle.admit(request.path(), Instant::now()),
        None => Ok(None),
    };
    match admitted {
        Ok(permit) => {
            let response = next.call(request).await?;
            drop(permit);
            Ok(response.map_into_left_body())
        }
        Err(throttled) => {
            tracing::debug!(path = request.path(), ?throttled, "throttled");
            let response = match throttled {
                Throttled::Identity => IdentityError::TooManyRequests.error_response(),
                Throttled::Metadata => MetadataError::TooManyRequests.error_response(),
            };
            Ok(request.into_response(response).map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn category_splits_identity_metadata_and_the_rest() {
        let cases = [
            ("/metadata/identity/oauth2/token", Category::Identity),
            ("/metadata/identity/oauth2/token/", Category::Identity),
            ("/metadata/identity", Category::Identity),
            ("/metadata/identityx", Category::Metadata),
            ("/metadata/instance/compute", Category::Metadata),
            ("/metadata/versions", Category::Metadata),
            ("/metadata", Category::Metadata),
            ("/metadatax", Category::Unlimited),
            ("/oauth2/token", Category::Unlimited),
            ("/", Category::Unlimited),
        ];
        for (path, want) in cases {
            assert_eq!(category(path), want, "{path}");
        }
    }

    #[test]
    fn bucket_admits_a_second_worth_then_refills_continuously() {
        let bucket = Bucket::new(5).unwrap();
        let start = Instant::now();
        let admitted = (0..8).filter(|_| bucket.take(start)).count();
        assert_eq!(admitted, 5);
        assert!(!bucket.take(start + Duration::from_millis(100)));
        assert!(bucket.take(start + Duration::from_millis(200)));
        assert!(!bucket.take(start + Duration::from_millis(250)));
        // A long pause refills to one second's worth, not more.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..8).filter(|_| bucket.take(later)).count(), 5);
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let throttle = Throttle::new(Limits::unlimited());
        let now = Instant::now();
        let mut permits = Vec::new();
        for _ in 0..100 {
            permits.push(
                throttle
                    .admit("/metadata/identity/oauth2/token", now)
                    .unwrap(),
            );
            throttle.admit("/metadata/instance", now).unwrap();
        }
    }

    #[test]
    fn identity_admits_five_at_once_and_frees_a_slot_when_one_ends() {
        let throttle = Throttle::new(Limits::default());
        let now = Instant::now();
        let path = "/metadata/identity/oauth2/token";
        let mut permits: Vec<_> = (0..5).map(|_| throttle.admit(path, now).unwrap()).collect();
        assert_eq!(throttle.admit(path, now).unwrap_err(), Throttled::Identity);
        permits.pop();
        assert!(throttle.admit(path, now).is_ok());
        // The metadata bucket is separate.
        assert!(throttle.admit("/metadata/instance", now).is_ok());
    }

    #[test]
    fn identity_admits_twenty_per_second() {
        let throttle = Throttle::new(Limits::default());
        let now = Instant::now();
        let path = "/metadata/identity/info";
        let admitted = (0..30)
            .filter(|_| throttle.admit(path, now).is_ok())
            .count();
        assert_eq!(admitted, 20);
    }
}
