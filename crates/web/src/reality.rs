//! Reality modes (docs/reality-modes.md): the run-time settings that make mimic behave like Azure
//! where Azure is slow — propagation delays — and the changes those settings hold back until
//! they apply.
//!
//! - [`Reality`] holds the settings ([`SETTINGS`]). Every service of one process shares one
//!   (`mimic up` hands the same handle to AAD, ARM and the IMDS host); a service alone
//!   (`mimic arm|aad|imds`) has its own. Every setting is off (zero) by default, and off changes
//!   nothing. Each service serves them on `GET /internal/settings` and `PUT
//!   /internal/settings/{name}` (internal key; `mimic settings`).
//! - [`Pending`] holds the changes a delay has not applied yet, each with the time it was made
//!   and the time it applies (made + the delay; changing the delay re-times them);
//!   each service answers `GET /internal/settled` from its own ([`Settled`], `mimic wait
//!   --settled`) and logs a line when one applies ([`Pending::prune`]).
//!
//! A new setting is one row of [`SETTINGS`] and a read of [`Reality::seconds`] or
//! [`Reality::is_on`] where it matters.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};

/// A new principal (service principal, managed identity, user, group) stays invisible to ARM's
/// principal check for this long after its creation.
pub const PRINCIPAL_PROPAGATION: &str = "principal-propagation";
/// A new or deleted role assignment takes effect in authorization decisions this long after
/// the write.
pub const ROLE_ASSIGNMENT_PROPAGATION: &str = "role-assignment-propagation";
/// IMDS keeps serving the cached token of an identity removed from its VM until it expires.
pub const TOKEN_CACHE_REALISM: &str = "token-cache-realism";
/// ARM's long-running operations stay `InProgress` this long after they are accepted.
pub const ASYNC_OPERATION_TIME: &str = "async-operation-time";

/// What a setting's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A duration in whole seconds (`30s`, `2m`, `1h`); `0`/`off` turns it off.
    Duration,
    /// `on` or `off`.
    Switch,
}

/// One run-time setting.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Its name in `mimic settings`, the admin API and (upper-cased, `MIMIC_` prefixed, `_` for
    /// `-`) the environment.
    pub name: &'static str,
    /// Duration or switch.
    pub kind: Kind,
    /// One line for `mimic settings`.
    pub summary: &'static str,
}

/// Every run-time setting.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: PRINCIPAL_PROPAGATION,
        kind: Kind::Duration,
        summary: "a new principal is invisible to ARM's principal check (PrincipalNotFound unless principalType is ServicePrincipal) for this long",
    },
    Setting {
        name: ROLE_ASSIGNMENT_PROPAGATION,
        kind: Kind::Duration,
        summary: "a new or deleted role assignment takes effect in authorization decisions after this long",
    },
    Setting {
        name: TOKEN_CACHE_REALISM,
        kind: Kind::Switch,
        summary: "IMDS keeps serving the cached token of an identity removed from its VM until the token expires",
    },
    Setting {
        name: ASYNC_OPERATION_TIME,
        kind: Kind::Duration,
        summary: "ARM's long-running operations (VM writes and deletes, group deletes, vault purges) stay InProgress this long; off: ended by the first poll",
    },
];

/// The setting named `name` (ignoring case), if there is one.
pub fn setting(name: &str) -> Option<&'static Setting> {
    SETTINGS
        .iter()
        .find(|setting| setting.name.eq_ignore_ascii_case(name))
}

/// The run-time settings, shared by clones (see the module docs). Every value starts at zero: off.
#[derive(Debug, Clone, Default)]
pub struct Reality {
    values: Arc<RwLock<BTreeMap<&'static str, i64>>>,
}

/// A setting and its value, as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingView {
    /// The setting's name.
    pub name: String,
    /// `off`, `on`, or a duration such as `10s`.
    pub value: String,
    /// Duration or switch.
    pub kind: Kind,
    /// What it does.
    pub summary: String,
}

/// Why a value could not be set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingError {
    /// No setting has this name.
    Unknown(String),
    /// The value does not fit the setting's kind.
    BadValue {
        /// The setting.
        name: &'static str,
        /// What was given.
        value: String,
        /// What it takes.
        expected: &'static str,
    },
}

impl std::fmt::Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown(name) => {
                let names: Vec<&str> = SETTINGS.iter().map(|setting| setting.name).collect();
                write!(
                    f,
                    "no setting is named '{name}'; the settings are {}",
                    names.join(", ")
                )
            }
            Self::BadValue {
                name,
                value,
                expected,
            } => write!(f, "'{value}' is not a value of {name}: {expected}"),
        }
    }
}

impl std::error::Error for SettingError {}

impl Reality {
    /// Every setting off.
    pub fn new() -> Self {
        Self::default()
    }

    /// A duration setting's value in seconds (0: off).
    pub fn seconds(&self, name: &str) -> i64 {
        self.read().get(name).copied().unwrap_or(0)
    }

    /// Whether a setting is on (a switch set `on`, a duration above zero).
    pub fn is_on(&self, name: &str) -> bool {
        self.seconds(name) > 0
    }

    /// Sets `name` from its text form (`10s`, `2m`, `off`, `on`), returning the new view.
    pub fn set(&self, name: &str, value: &str) -> Result<SettingView, SettingError> {
        let setting = setting(name).ok_or_else(|| SettingError::Unknown(name.to_string()))?;
        let parsed = parse(setting, value)?;
        self.values
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(setting.name, parsed);
        tracing::info!(setting = setting.name, value = %render(setting, parsed), "reality setting changed");
        Ok(self.view(setting))
    }

    /// Every setting with its value, in [`SETTINGS`] order.
    pub fn list(&self) -> Vec<SettingView> {
        SETTINGS.iter().map(|setting| self.view(setting)).collect()
    }

    /// The settings that are not off.
    pub fn active(&self) -> Vec<SettingView> {
        SETTINGS
            .iter()
            .filter(|setting| self.is_on(setting.name))
            .map(|setting| self.view(setting))
            .collect()
    }

    fn view(&self, setting: &Setting) -> SettingView {
        SettingView {
            name: setting.name.to_string(),
            value: render(setting, self.seconds(setting.name)),
            kind: setting.kind,
            summary: setting.summary.to_string(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<&'static str, i64>> {
        self.values
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn parse(setting: &Setting, value: &str) -> Result<i64, SettingError> {
    let value = value.trim();
    let bad = |expected| SettingError::BadValue {
        name: setting.name,
        value: value.to_string(),
        expected,
    };
    match setting.kind {
        Kind::Switch => match value.to_ascii_lowercase().as_str() {
            "on" | "true" | "1" => Ok(1),
            "off" | "false" | "0" => Ok(0),
            _ => Err(bad("on or off")),
        },
        Kind::Duration => parse_duration(value)
            .ok_or_else(|| bad("a duration in whole seconds such as 30s, 2m or 1h, or off")),
    }
}

/// `30`, `30s`, `2m`, `1h`, `1h30m`, `off` → seconds (`off` and `0` are 0).
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim().to_ascii_lowercase();
    if text.is_empty() {
        return None;
    }
    if text == "off" {
        return Some(0);
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return (seconds >= 0).then_some(seconds);
    }
    let mut total: i64 = 0;
    let mut number = String::new();
    for character in text.chars() {
        match character {
            '0'..='9' => number.push(character),
            'h' | 'm' | 's' if !number.is_empty() => {
                let unit = match character {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                total = total.checked_add(number.parse::<i64>().ok()?.checked_mul(unit)?)?;
                number.clear();
            }
            _ => return None,
        }
    }
    number.is_empty().then_some(total)
}

/// Seconds as `mimic settings` writes them: `off`, `45s`, `2m`, `1h30m`.
pub fn format_duration(seconds: i64) -> String {
    if seconds <= 0 {
        return "off".into();
    }
    let (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let mut text = String::new();
    for (amount, unit) in [(hours, "h"), (minutes, "m"), (rest, "s")] {
        if amount > 0 {
            text.push_str(&format!("{amount}{unit}"));
        }
    }
    text
}

fn render(setting: &Setting, value: i64) -> String {
    match (setting.kind, value > 0) {
        (Kind::Switch, true) => "on".into(),
        (Kind::Switch, false) => "off".into(),
        (Kind::Duration, _) => format_duration(value),
    }
}

/// A change a delay holds back: what it is, and when it applies (epoch seconds).
#[derive(Debug, Clone)]
pub struct PendingItem<T> {
    /// What kind of change (`principal`, `roleAssignmentCreated`, …).
    pub kind: &'static str,
    /// The object it is about (an object id, a role assignment's id).
    pub id: String,
    /// When the change was made (epoch seconds).
    pub held_at: i64,
    /// When it applies: `held_at` plus the delay ([`Pending::retime`] follows a new delay).
    pub applies_at: i64,
    /// What the service needs to know about it.
    pub payload: T,
}

/// A pending change as `GET /internal/settled` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingView {
    /// What kind of change.
    pub kind: String,
    /// The object it is about.
    pub id: String,
    /// When it applies (epoch seconds).
    pub applies_at: i64,
    /// Seconds from now until it applies.
    pub applies_in: i64,
}

/// `GET /internal/settled`: whether every delayed change has applied, and if not, when the last
/// one will.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settled {
    /// Nothing is pending.
    pub settled: bool,
    /// The service's clock now (epoch seconds).
    pub now: i64,
    /// When the last pending change applies; absent when settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settles_at: Option<i64>,
    /// The pending changes, soonest first.
    pub pending: Vec<PendingView>,
}

impl Settled {
    /// Both services' answers as one: settled when both are.
    pub fn merge(mut self, other: Settled) -> Settled {
        self.pending.extend(other.pending);
        self.pending.sort_by_key(|item| item.applies_at);
        self.settled = self.pending.is_empty();
        self.settles_at = self.pending.iter().map(|item| item.applies_at).max();
        self.now = self.now.max(other.now);
        self
    }
}

/// The changes a delay holds back, bounded: past [`MAX_PENDING`] the oldest applies at once.
#[derive(Debug)]
pub struct Pending<T> {
    items: Mutex<Vec<PendingItem<T>>>,
}

impl<T> Default for Pending<T> {
    fn default() -> Self {
        Self {
            items: Mutex::new(Vec::new()),
        }
    }
}

/// Most changes held back at once (memory stays bounded under any load).
pub const MAX_PENDING: usize = 10_000;

impl<T: Clone> Pending<T> {
    /// Holds back a change until `item.applies_at`.
    pub fn add(&self, item: PendingItem<T>) {
        tracing::info!(kind = item.kind, id = %item.id, applies_at = item.applies_at, "delayed change pending");
        let mut items = self.lock();
        if items.len() >= MAX_PENDING {
            let oldest = items.remove(0);
            applied(&oldest);
        }
        items.push(item);
    }

    /// Applies (forgets, with a log line each) every change due at `now`.
    pub fn prune(&self, now: i64) {
        let mut items = self.lock();
        items.retain(|item| {
            let due = item.applies_at <= now;
            if due {
                applied(item);
            }
            !due
        });
    }

    /// Forgets the pending change of `kind` about `id`, without applying it (a later change
    /// undid it); whether there was one.
    pub fn remove(&self, kind: &str, id: &str) -> bool {
        let mut items = self.lock();
        let before = items.len();
        items.retain(|item| !(item.kind == kind && item.id.eq_ignore_ascii_case(id)));
        items.len() != before
    }

    /// Every change of `kind` now applies `delay` seconds after it was made (its delay was
    /// changed): a shorter delay brings them forward, zero (off) applies them at `now`.
    pub fn retime(&self, kind: &str, delay: i64, now: i64) {
        for item in self.lock().iter_mut().filter(|item| item.kind == kind) {
            item.applies_at = item.held_at + delay.max(0);
        }
        self.prune(now);
    }

    /// The changes still pending at `now` that `wanted` keeps.
    pub fn matching(
        &self,
        now: i64,
        wanted: impl Fn(&PendingItem<T>) -> bool,
    ) -> Vec<PendingItem<T>> {
        self.prune(now);
        self.lock()
            .iter()
            .filter(|item| wanted(item))
            .cloned()
            .collect()
    }

    /// Whether a change about `id` of one of `kinds` is pending at `now`.
    pub fn holds(&self, now: i64, kinds: &[&str], id: &str) -> bool {
        self.prune(now);
        self.lock()
            .iter()
            .any(|item| kinds.contains(&item.kind) && item.id.eq_ignore_ascii_case(id))
    }

    /// Whether nothing is pending (a cheap check before any work).
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// What is pending at `now`.
    pub fn settled(&self, now: i64) -> Settled {
        self.prune(now);
        let mut pending: Vec<PendingView> = self
            .lock()
            .iter()
            .map(|item| PendingView {
                kind: item.kind.to_string(),
                id: item.id.clone(),
                applies_at: item.applies_at,
                applies_in: item.applies_at - now,
            })
            .collect();
        pending.sort_by_key(|item| item.applies_at);
        Settled {
            settled: pending.is_empty(),
            now,
            settles_at: pending.iter().map(|item| item.applies_at).max(),
            pending,
        }
    }

    /// Forgets everything (a snapshot restore replaced the state the changes were about).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<PendingItem<T>>> {
        self.items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn applied<T>(item: &PendingItem<T>) {
    tracing::info!(kind = item.kind, id = %item.id, "delayed change applied");
}

/// Applies due changes once a second, so each one's log line comes when it applies even when
/// nothing asks; ends once the service has dropped `pending`.
pub fn spawn_pruner<T: Clone + Send + 'static>(
    pending: std::sync::Weak<Pending<T>>,
    now: impl Fn() -> i64 + Send + 'static,
) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(std::time::Duration::from_secs(1));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(pending) = pending.upgrade() else {
                return;
            };
            if !pending.is_empty() {
                pending.prune(now());
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_whole_seconds_and_print_back() {
        for (text, seconds) in [
            ("off", 0),
            ("0", 0),
            ("30", 30),
            ("30s", 30),
            ("2m", 120),
            ("1h30m", 5400),
            ("1H", 3600),
        ] {
            assert_eq!(parse_duration(text), Some(seconds), "{text}");
        }
        for bad in ["", "-3", "5x", "m", "1.5s", "10s5"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(format_duration(0), "off");
        assert_eq!(format_duration(45), "45s");
        assert_eq!(format_duration(120), "2m");
        assert_eq!(format_duration(5430), "1h30m30s");
    }

    #[test]
    fn settings_start_off_and_take_their_kind_of_value() {
        let reality = Reality::new();
        assert!(reality.active().is_empty());
        assert!(reality.list().iter().all(|view| view.value == "off"));
        let shared = reality.clone();
        let set = reality.set("Principal-Propagation", "10s").unwrap();
        assert_eq!(set.value, "10s");
        assert_eq!(shared.seconds(PRINCIPAL_PROPAGATION), 10);
        assert_eq!(reality.set(TOKEN_CACHE_REALISM, "on").unwrap().value, "on");
        assert!(reality.is_on(TOKEN_CACHE_REALISM));
        assert!(matches!(
            reality.set(TOKEN_CACHE_REALISM, "10s"),
            Err(SettingError::BadValue { .. })
        ));
        assert!(matches!(
            reality.set("nope", "1s"),
            Err(SettingError::Unknown(_))
        ));
        assert_eq!(reality.active().len(), 2);
    }

    #[test]
    fn pending_changes_apply_at_their_time_and_follow_a_new_delay() {
        let pending = Pending::default();
        for (id, at) in [("a", 110), ("b", 105)] {
            pending.add(PendingItem {
                kind: "principal",
                id: id.into(),
                held_at: 100,
                applies_at: at,
                payload: (),
            });
        }
        let now = pending.settled(100);
        assert!(!now.settled);
        assert_eq!(now.settles_at, Some(110));
        assert_eq!(now.pending[0].id, "b");
        assert_eq!(now.pending[0].applies_in, 5);
        assert!(pending.holds(106, &["principal"], "A"));
        assert!(!pending.holds(106, &["principal"], "b"));
        pending.retime("principal", 20, 106);
        assert_eq!(pending.settled(106).settles_at, Some(120));
        pending.retime("principal", 0, 106);
        assert!(pending.settled(106).settled);
    }
}
