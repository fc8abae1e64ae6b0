//! Faults on the managed-identity path (`mimic chaos`, docs/reality-modes.md): the book of faults
//! IMDS and AAD consult before answering a token request, shared by both in `mimic up`.
//!
//! A fault names the service it strikes ([`Service`]), whom ([`Scope`]: a VM, an identity, a
//! resource, or everyone), what it does ([`Effect`]: an HTTP error as that service words it, a
//! delay, a connection reset) and how long it lasts (until a time, for a number of requests, with
//! a probability, or until cleared). The book holds no fault unless one is added: with none,
//! [`FaultBook::strike`] is one uncontended lock and an empty scan, and nothing changes.
//!
//! Times are whole seconds on the services' shared clock (`mimic_token::Clock`), passed in as
//! `now`, so tests that move the clock move the faults' windows too.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The service a fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// A VM's IMDS: `GET /metadata/identity/oauth2/token`.
    Imds,
    /// AAD's token endpoints (v1, v2, and the managed-identity one IMDS calls).
    Aad,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Imds => "imds",
            Self::Aad => "aad",
        })
    }
}

/// Whom a fault strikes. Ids compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// Every request to the service.
    Global,
    /// Requests from (IMDS) or for (AAD's managed-identity endpoint) one VM: its ARM id or name.
    Vm(String),
    /// Requests for one identity: its client (application) id or object (principal) id.
    Identity(String),
    /// Requests for a token of one resource (audience), e.g. `https://vault.azure.net`.
    Resource(String),
}

impl Scope {
    /// Parses `global`, `identity:ID`, `resource:URI`, `vm:NAME` or a bare VM name (as
    /// `mimic chaos add` takes it).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the target is empty".into());
        }
        if text.eq_ignore_ascii_case("global") {
            return Ok(Self::Global);
        }
        let scoped = |value: &str, make: fn(String) -> Self| match value.trim() {
            "" => Err(format!("'{text}' names no target after the colon")),
            value => Ok(make(value.to_string())),
        };
        match text.split_once(':') {
            Some((kind, value)) if kind.eq_ignore_ascii_case("identity") => {
                scoped(value, Self::Identity)
            }
            Some((kind, value)) if kind.eq_ignore_ascii_case("resource") => {
                scoped(value, Self::Resource)
            }
            Some((kind, value)) if kind.eq_ignore_ascii_case("vm") => scoped(value, Self::Vm),
            _ => Ok(Self::Vm(text.to_string())),
        }
    }

    fn matches(&self, subject: &Subject<'_>) -> bool {
        match self {
            Self::Global => true,
            Self::Vm(vm) => subject.vm.is_some_and(|id| same_vm(id, vm)),
            Self::Identity(id) => subject.identities.iter().any(|i| same(i, id)),
            Self::Resource(resource) => {
                subject.resource.is_some_and(|r| same_resource(r, resource))
            }
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Global => f.write_str("global"),
            Self::Vm(vm) => write!(f, "vm:{vm}"),
            Self::Identity(id) => write!(f, "identity:{id}"),
            Self::Resource(resource) => write!(f, "resource:{resource}"),
        }
    }
}

/// What a fault does to a request it strikes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Effect {
    /// IMDS: answer this status in IMDS's envelope (410, 429, 500, 503).
    /// AAD: 429 (with `Retry-After`), 500 or 503 in AAD's envelope.
    Status(u16),
    /// AAD: answer this OAuth error (`temporarily_unavailable`, `AADSTS50196`, …).
    Error(String),
    /// Answer normally, this many milliseconds late.
    Delay(u64),
    /// Close the connection without answering (IMDS only: AAD speaks TLS).
    Reset,
}

/// The IMDS statuses a fault can answer.
pub const IMDS_STATUSES: [u16; 4] = [410, 429, 500, 503];
/// The AAD statuses a fault can answer.
pub const AAD_STATUSES: [u16; 3] = [429, 500, 503];
/// The AAD OAuth errors a fault can answer (`AADSTS` codes as `AADSTS50196` or `50196`).
pub const AAD_ERRORS: [&str; 3] = ["temporarily_unavailable", "AADSTS50196", "AADSTS90033"];

impl Effect {
    /// Parses the fault as `mimic chaos add` takes it: a status (`410`), an AAD error
    /// (`temporarily_unavailable`, `AADSTS50196`), `delay` (with `delay_ms`) or `reset`; checked
    /// against what `service` can answer.
    pub fn parse(service: Service, text: &str, delay_ms: Option<u64>) -> Result<Self, String> {
        let text = text.trim();
        let effect = if text.eq_ignore_ascii_case("delay") || text.eq_ignore_ascii_case("slow") {
            Self::Delay(delay_ms.ok_or("a delay fault needs a delay (--delay 5s)")?)
        } else if text.eq_ignore_ascii_case("reset") {
            Self::Reset
        } else if let Some(status) = (text.len() == 3)
            .then(|| text.parse::<u16>().ok())
            .flatten()
        {
            Self::Status(status)
        } else {
            Self::Error(aad_error_name(text))
        };
        effect.check(service)?;
        Ok(effect)
    }

    /// Whether `service` can answer this effect.
    pub fn check(&self, service: Service) -> Result<(), String> {
        let fine = match (self, service) {
            (Self::Delay(ms), _) => *ms <= MAX_DELAY_MS,
            (Self::Reset, Service::Imds) => true,
            (Self::Reset, Service::Aad) => false,
            (Self::Status(status), Service::Imds) => IMDS_STATUSES.contains(status),
            (Self::Status(status), Service::Aad) => AAD_STATUSES.contains(status),
            (Self::Error(_), Service::Imds) => false,
            (Self::Error(error), Service::Aad) => AAD_ERRORS.contains(&error.as_str()),
        };
        if fine {
            return Ok(());
        }
        Err(match service {
            Service::Imds => format!(
                "IMDS faults are {}, delay (at most {} s) or reset",
                list(&IMDS_STATUSES),
                MAX_DELAY_MS / 1000
            ),
            Service::Aad => format!(
                "AAD faults are {}, {} or delay (at most {} s)",
                list(&AAD_STATUSES),
                AAD_ERRORS.join(", "),
                MAX_DELAY_MS / 1000
            ),
        })
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status(status) => write!(f, "{status}"),
            Self::Error(error) => f.write_str(error),
            Self::Delay(ms) => write!(f, "delay {ms} ms"),
            Self::Reset => f.write_str("reset"),
        }
    }
}

/// The longest delay a fault may add (clients time out well before: azure-identity's IMDS
/// connection timeout is 2 s, its read timeout far longer).
pub const MAX_DELAY_MS: u64 = 600_000;

/// `50196` and `aadsts50196` → `AADSTS50196`; anything else as given, lower-cased.
fn aad_error_name(text: &str) -> String {
    let digits = text
        .strip_prefix("AADSTS")
        .or_else(|| text.strip_prefix("aadsts"))
        .unwrap_or(text);
    match !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        true => format!("AADSTS{digits}"),
        false => text.to_ascii_lowercase(),
    }
}

fn list(statuses: &[u16]) -> String {
    statuses
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `POST /internal/chaos` takes: one fault to add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultSpec {
    /// The service it strikes.
    pub service: Service,
    /// Whom it strikes.
    pub scope: Scope,
    /// What it does.
    pub effect: Effect,
    /// For how many seconds from now (none: until cleared or used up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_seconds: Option<u64>,
    /// For how many requests (none: any number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The chance that a matching request is struck (none: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// `Retry-After` of a 429, in seconds (none: the service's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

impl FaultSpec {
    /// Whether the spec is one the services can serve.
    pub fn check(&self) -> Result<(), String> {
        self.effect.check(self.service)?;
        if let Some(probability) = self.probability {
            if !(probability > 0.0 && probability <= 1.0) {
                return Err("the probability must be above 0 and at most 1".into());
            }
        }
        if self.count == Some(0) {
            return Err("the count must be at least 1".into());
        }
        if self.for_seconds == Some(0) {
            return Err("the duration must be at least 1 s".into());
        }
        Ok(())
    }
}

/// One fault in the book, as `GET /internal/chaos` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// Its number, for `mimic chaos clear ID`.
    pub id: u32,
    /// What was asked.
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Until when it lasts (seconds since the epoch), if it was given a duration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    /// Requests it may still strike, if it was given a count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u32>,
    /// Requests it has struck.
    pub hits: u64,
    /// Who added it: `mimic chaos` (`api`) or a setting (`setting`).
    pub origin: String,
}

impl Fault {
    fn active(&self, now: i64) -> bool {
        self.until.is_none_or(|until| now < until) && self.remaining != Some(0)
    }
}

/// The request a fault may strike.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// The VM asking (IMDS) or asked for (AAD's managed-identity endpoint): its ARM id.
    pub vm: Option<&'a str>,
    /// The identity's ids the request concerns (client id, object id).
    pub identities: Vec<&'a str>,
    /// The resource (audience) asked for.
    pub resource: Option<&'a str>,
}

/// A fault that struck: what to do, and which fault it was (for the log line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strike {
    /// The fault's number.
    pub id: u32,
    /// What to do.
    pub effect: Effect,
    /// `Retry-After` of a 429, if the fault set one.
    pub retry_after: Option<u32>,
}

/// The faults of one mimic. Share it behind an `Arc`.
#[derive(Debug, Default)]
pub struct FaultBook {
    inner: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    faults: Vec<Fault>,
    next_id: u32,
}

impl FaultBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a fault from `mimic chaos` (checked first), lasting from `now`.
    pub fn add(&self, spec: FaultSpec, now: i64) -> Result<Fault, String> {
        self.add_from(spec, now, "api")
    }

    /// Adds a fault a setting asks for (e.g. IMDS's 410 after a VM starts).
    pub fn add_from(&self, spec: FaultSpec, now: i64, origin: &str) -> Result<Fault, String> {
        spec.check()?;
        let mut book = self.lock();
        book.next_id += 1;
        let fault = Fault {
            id: book.next_id,
            until: spec
                .for_seconds
                .map(|seconds| now.saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX))),
            remaining: spec.count,
            spec,
            hits: 0,
            origin: origin.to_string(),
        };
        book.faults.retain(|f| f.active(now));
        book.faults.push(fault.clone());
        tracing::warn!(
            fault = fault.id,
            service = %fault.spec.service,
            scope = %fault.spec.scope,
            effect = %fault.spec.effect,
            origin,
            "chaos: fault added"
        );
        Ok(fault)
    }

    /// Whether the book holds no fault at all (the fast path of every request).
    pub fn is_empty(&self) -> bool {
        self.lock().faults.is_empty()
    }

    /// The faults still active at `now`, oldest first.
    pub fn list(&self, now: i64) -> Vec<Fault> {
        let mut book = self.lock();
        book.faults.retain(|f| f.active(now));
        book.faults.clone()
    }

    /// Removes fault `id` (or every fault); how many were removed.
    pub fn clear(&self, id: Option<u32>) -> usize {
        let mut book = self.lock();
        let before = book.faults.len();
        book.faults.retain(|f| id.is_some_and(|id| f.id != id));
        let removed = before - book.faults.len();
        tracing::warn!(removed, "chaos: faults cleared");
        removed
    }

    /// The fault (oldest first) that strikes this request to `service` at `now`, if any; spends
    /// one of its count and logs the strike.
    pub fn strike(&self, service: Service, subject: &Subject<'_>, now: i64) -> Option<Strike> {
        let mut book = self.lock();
        if book.faults.is_empty() {
            return None;
        }
        book.faults.retain(|f| f.active(now));
        let fault = book.faults.iter_mut().find(|fault| {
            fault.spec.service == service
                && fault.spec.scope.matches(subject)
                && fault.spec.probability.is_none_or(chance)
        })?;
        fault.hits += 1;
        if let Some(remaining) = fault.remaining.as_mut() {
            *remaining -= 1;
        }
        tracing::warn!(
            fault = fault.id,
            service = %service,
            scope = %fault.spec.scope,
            effect = %fault.spec.effect,
            vm = subject.vm.unwrap_or_default(),
            resource = subject.resource.unwrap_or_default(),
            "chaos: injected fault"
        );
        Some(Strike {
            id: fault.id,
            effect: fault.spec.effect.clone(),
            retry_after: fault.spec.retry_after,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// True with `probability`.
fn chance(probability: f64) -> bool {
    let mut bytes = [0u8; 4];
    // AWS-LC's RAND_bytes aborts the process rather than return failure.
    aws_lc_rs::rand::fill(&mut bytes).expect("AWS-LC randomness");
    f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX) < probability
}

fn same(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// A VM scope names the VM by ARM id or by name (the id's last segment).
fn same_vm(id: &str, scope: &str) -> bool {
    same(id, scope)
        || id
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .is_some_and(|name| same(name, scope))
}

/// Resources compare as clients spell them: with or without the trailing slash or `/.default`.
fn same_resource(asked: &str, scope: &str) -> bool {
    let strip = |text: &str| {
        text.trim_end_matches("/.default")
            .trim_end_matches('/')
            .to_ascii_lowercase()
    };
    strip(asked) == strip(scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(service: Service, scope: Scope, effect: Effect) -> FaultSpec {
        FaultSpec {
            service,
            scope,
            effect,
            for_seconds: None,
            count: None,
            probability: None,
            retry_after: None,
        }
    }

    fn vm1() -> Subject<'static> {
        Subject {
            vm: Some(
                "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm1",
            ),
            identities: vec!["client-1", "object-1"],
            resource: Some("https://management.azure.com/"),
        }
    }

    #[test]
    fn an_empty_book_strikes_nothing() {
        assert_eq!(FaultBook::new().strike(Service::Imds, &vm1(), 0), None);
    }

    #[test]
    fn scopes_match_vm_by_name_or_id_identity_and_resource() {
        let cases = [
            (Scope::Global, true),
            (Scope::Vm("VM1".into()), true),
            (Scope::Vm(vm1().vm.unwrap().to_uppercase()), true),
            (Scope::Vm("vm2".into()), false),
            (Scope::Identity("OBJECT-1".into()), true),
            (Scope::Identity("client-2".into()), false),
            (Scope::Resource("https://management.azure.com".into()), true),
            (Scope::Resource("https://vault.azure.net".into()), false),
        ];
        for (scope, strikes) in cases {
            let book = FaultBook::new();
            book.add(spec(Service::Imds, scope.clone(), Effect::Status(410)), 0)
                .unwrap();
            assert_eq!(
                book.strike(Service::Imds, &vm1(), 0).is_some(),
                strikes,
                "{scope}"
            );
            assert_eq!(
                book.strike(Service::Aad, &vm1(), 0),
                None,
                "{scope}: other service"
            );
        }
    }

    #[test]
    fn a_counted_fault_strikes_that_many_requests_then_goes() {
        let book = FaultBook::new();
        let fault = FaultSpec {
            count: Some(2),
            ..spec(Service::Imds, Scope::Global, Effect::Status(429))
        };
        book.add(fault, 0).unwrap();
        assert!(book.strike(Service::Imds, &vm1(), 0).is_some());
        assert_eq!(book.list(0)[0].remaining, Some(1));
        assert!(book.strike(Service::Imds, &vm1(), 0).is_some());
        assert_eq!(book.strike(Service::Imds, &vm1(), 0), None);
        assert!(book.list(0).is_empty());
    }

    #[test]
    fn a_timed_fault_ends_at_its_time() {
        let book = FaultBook::new();
        let fault = FaultSpec {
            for_seconds: Some(70),
            ..spec(Service::Imds, Scope::Global, Effect::Status(410))
        };
        book.add(fault, 1000).unwrap();
        assert!(book.strike(Service::Imds, &vm1(), 1069).is_some());
        assert_eq!(book.strike(Service::Imds, &vm1(), 1070), None);
        assert!(book.list(1070).is_empty());
    }

    #[test]
    fn probability_one_always_strikes_and_hits_are_counted() {
        let book = FaultBook::new();
        let fault = FaultSpec {
            probability: Some(1.0),
            ..spec(
                Service::Aad,
                Scope::Global,
                Effect::Error("temporarily_unavailable".into()),
            )
        };
        book.add(fault, 0).unwrap();
        for _ in 0..5 {
            assert!(book.strike(Service::Aad, &vm1(), 0).is_some());
        }
        assert_eq!(book.list(0)[0].hits, 5);
    }

    #[test]
    fn clear_removes_one_fault_or_all() {
        let book = FaultBook::new();
        let first = book
            .add(spec(Service::Imds, Scope::Global, Effect::Reset), 0)
            .unwrap();
        book.add(spec(Service::Aad, Scope::Global, Effect::Status(503)), 0)
            .unwrap();
        assert_eq!(book.clear(Some(first.id)), 1);
        assert_eq!(book.list(0).len(), 1);
        assert_eq!(book.clear(None), 1);
        assert!(book.list(0).is_empty());
    }

    #[test]
    fn effects_parse_and_are_checked_per_service() {
        assert_eq!(
            Effect::parse(Service::Imds, "410", None),
            Ok(Effect::Status(410))
        );
        assert_eq!(
            Effect::parse(Service::Imds, "reset", None),
            Ok(Effect::Reset)
        );
        assert_eq!(
            Effect::parse(Service::Imds, "delay", Some(5)),
            Ok(Effect::Delay(5))
        );
        assert_eq!(
            Effect::parse(Service::Aad, "50196", None),
            Ok(Effect::Error("AADSTS50196".into()))
        );
        assert_eq!(
            Effect::parse(Service::Aad, "Temporarily_Unavailable", None),
            Ok(Effect::Error("temporarily_unavailable".into()))
        );
        for (service, bad) in [
            (Service::Imds, "404"),
            (Service::Imds, "temporarily_unavailable"),
            (Service::Aad, "410"),
            (Service::Aad, "reset"),
            (Service::Aad, "AADSTS1"),
            (Service::Imds, "delay"),
        ] {
            assert!(
                Effect::parse(service, bad, None).is_err(),
                "{service} {bad}"
            );
        }
    }

    #[test]
    fn specs_refuse_bounds_that_mean_nothing() {
        let base = spec(Service::Imds, Scope::Global, Effect::Status(410));
        for bad in [
            FaultSpec {
                probability: Some(0.0),
                ..base.clone()
            },
            FaultSpec {
                probability: Some(1.5),
                ..base.clone()
            },
            FaultSpec {
                count: Some(0),
                ..base.clone()
            },
            FaultSpec {
                for_seconds: Some(0),
                ..base.clone()
            },
        ] {
            assert!(FaultBook::new().add(bad.clone(), 0).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scopes_parse_as_the_cli_takes_them() {
        assert_eq!(Scope::parse("global"), Ok(Scope::Global));
        assert_eq!(Scope::parse("vm1"), Ok(Scope::Vm("vm1".into())));
        assert_eq!(
            Scope::parse("identity:abc"),
            Ok(Scope::Identity("abc".into()))
        );
        assert_eq!(
            Scope::parse("resource:https://vault.azure.net"),
            Ok(Scope::Resource("https://vault.azure.net".into()))
        );
        assert!(Scope::parse("identity:").is_err());
        assert!(Scope::parse(" ").is_err());
    }
}
