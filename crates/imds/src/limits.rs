//! IMDS's per-VM rate limits (IMDS doc, "Rate limiting"): the managed-identity endpoints take 20
//! requests per second and 5 at once, every other IMDS endpoint 5 requests per second. A request
//! over a limit is answered 429 before any other check, in its endpoint's envelope.
//!
//! Every managed-identity token route on a VM's listener — IMDS's own and the other sources'
//! (`crate::flavors`) — draws from the one identity budget: a VM has one IMDS, and serving the
//! other sources' protocols must not open a way around its limits. Which budget a route draws
//! from is declared where the route is ([`Budget`] wraps it in `routes.rs` and `flavors`), so there
//! is no second list of paths to keep in step.
//!
//! Each limit is a token bucket per listener (one listener per VM): it holds at most one second's
//! worth of requests and refills continuously, so a burst of N passes and then one request per
//! 1/N s. Buckets use [`Instant`]: sub-second refills need a monotonic clock, not wall time.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{forward_ready, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::{web, HttpResponse, ResponseError};

use crate::error::{IdentityError, MetadataError};
use crate::flavors::{Envelope, Failure};
use crate::settings::Limits;

/// The budget a route draws from, and how it says 429. As middleware (`.wrap(…)` on a resource or
/// route) it admits a request or answers 429 at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Budget {
    /// The VM's managed-identity budget (rate and concurrency), answering 429 in this envelope.
    Identity(Envelope),
    /// The budget of every other IMDS endpoint (rate only).
    Metadata,
}

impl Budget {
    /// IMDS's own identity endpoints (`/metadata/identity/…`).
    pub const IMDS_IDENTITY: Self = Self::Identity(Envelope::Imds);

    /// The 429 answer, in the route's own envelope.
    fn refusal(self) -> HttpResponse {
        match self {
            Self::Identity(envelope) => Failure {
                envelope,
                error: IdentityError::TooManyRequests.into(),
            }
            .error_response(),
            Self::Metadata => MetadataError::TooManyRequests.error_response(),
        }
    }
}

/// One listener's limits.
pub(crate) struct Throttle {
    identity_rate: Option<Bucket>,
    identity_concurrent: Option<Concurrency>,
    metadata_rate: Option<Bucket>,
}

/// The request is over its budget's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Throttled;

impl Throttle {
    /// The limits of `limits`; a zero turns that limit off.
    pub fn new(limits: Limits) -> Self {
        Self {
            identity_rate: Bucket::new(limits.identity_per_second),
            identity_concurrent: Concurrency::new(limits.identity_concurrent),
            metadata_rate: Bucket::new(limits.metadata_per_second),
        }
    }

    /// Admits a request drawing on `budget` now, or refuses it. The permit (if any) must live
    /// until the request has been answered.
    fn admit(&self, budget: Budget, now: Instant) -> Result<Option<Permit>, Throttled> {
        match budget {
            Budget::Metadata => match self.metadata_rate.as_ref().map(|b| b.take(now)) {
                Some(false) => Err(Throttled),
                _ => Ok(None),
            },
            Budget::Identity(_) => {
                let permit = match &self.identity_concurrent {
                    Some(concurrency) => Some(concurrency.enter().ok_or(Throttled)?),
                    None => None,
                };
                // A request refused here drops its permit at once.
                match self.identity_rate.as_ref().map(|b| b.take(now)) {
                    Some(false) => Err(Throttled),
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

impl<S, B> Transform<S, ServiceRequest> for Budget
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = Metered<S>;
    type InitError = ();
    type Future = Ready<Result<Metered<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(Metered {
            budget: *self,
            service,
        }))
    }
}

/// A route wrapped in its [`Budget`].
pub(crate) struct Metered<S> {
    budget: Budget,
    service: S,
}

type Answer<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;

impl<S, B> Service<ServiceRequest> for Metered<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Answer<B>>>>;

    forward_ready!(service);

    /// Answers 429 to a request over its budget, else runs it holding its permit.
    fn call(&self, request: ServiceRequest) -> Self::Future {
        let admitted = match request.app_data::<web::Data<Throttle>>() {
            Some(throttle) => throttle.admit(self.budget, Instant::now()),
            None => Ok(None),
        };
        match admitted {
            Ok(permit) => {
                let response = self.service.call(request);
                Box::pin(async move {
                    let response = response.await?;
                    drop(permit);
                    Ok(response.map_into_left_body())
                })
            }
            Err(Throttled) => {
                tracing::debug!(path = request.path(), budget = ?self.budget, "throttled");
                let response = self.budget.refusal();
                Box::pin(ready(Ok(request
                    .into_response(response)
                    .map_into_right_body())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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

    const APP_SERVICE: Budget = Budget::Identity(Envelope::AppService);
    const CLOUD_SHELL: Budget = Budget::Identity(Envelope::CloudShell);

    #[test]
    fn zero_turns_a_limit_off() {
        let throttle = Throttle::new(Limits::unlimited());
        let now = Instant::now();
        let mut permits = Vec::new();
        for _ in 0..100 {
            permits.push(throttle.admit(Budget::IMDS_IDENTITY, now).unwrap());
            throttle.admit(Budget::Metadata, now).unwrap();
        }
    }

    #[test]
    fn identity_admits_five_at_once_across_envelopes_and_frees_a_slot_when_one_ends() {
        let throttle = Throttle::new(Limits::default());
        let now = Instant::now();
        let mut permits: Vec<_> = [Budget::IMDS_IDENTITY, APP_SERVICE, CLOUD_SHELL]
            .iter()
            .cycle()
            .take(5)
            .map(|budget| throttle.admit(*budget, now).unwrap())
            .collect();
        assert_eq!(throttle.admit(APP_SERVICE, now).unwrap_err(), Throttled);
        assert_eq!(
            throttle.admit(Budget::IMDS_IDENTITY, now).unwrap_err(),
            Throttled
        );
        permits.pop();
        assert!(throttle.admit(Budget::IMDS_IDENTITY, now).is_ok());
        // The metadata bucket is separate.
        assert!(throttle.admit(Budget::Metadata, now).is_ok());
    }

    #[test]
    fn identity_admits_twenty_per_second_whichever_route_spends_them() {
        let throttle = Throttle::new(Limits {
            identity_concurrent: 0,
            ..Limits::default()
        });
        let now = Instant::now();
        let by_app_service = (0..15)
            .filter(|_| throttle.admit(APP_SERVICE, now).is_ok())
            .count();
        let by_imds = (0..15)
            .filter(|_| throttle.admit(Budget::IMDS_IDENTITY, now).is_ok())
            .count();
        assert_eq!((by_app_service, by_imds), (15, 5));
        assert!(throttle.admit(CLOUD_SHELL, now).is_err());
        assert!(throttle.admit(Budget::Metadata, now).is_ok());
    }

    #[test]
    fn refusal_speaks_each_budgets_envelope() {
        let body = |budget: Budget| {
            let response = budget.refusal();
            assert_eq!(response.status(), 429);
            let bytes = response.into_body().try_into_bytes().unwrap();
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        };
        assert_eq!(
            body(Budget::IMDS_IDENTITY),
            serde_json::json!({"error": "too_many_requests", "error_description": "Too many requests"})
        );
        assert_eq!(body(APP_SERVICE)["statusCode"], 429);
        assert_eq!(
            body(CLOUD_SHELL),
            serde_json::json!({"error": {"code": "too_many_requests", "message": "Too many requests"}})
        );
        assert_eq!(
            body(Budget::Metadata),
            serde_json::json!({"error": "Too many requests"})
        );
    }
}
