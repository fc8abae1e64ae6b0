//! The record of authorization decisions, one type for both services that decide: ARM (its control
//! plane and Key Vault's data plane, `mimic_arm::rbac::decisions`) and AAD (Microsoft Graph's
//! permissions, `mimic_aad::graph::decisions`). Each keeps the last [`CAPACITY`] decisions in
//! memory ([`Decisions`]) and serves them at its own `/internal/…/decisions` ([`select`] answers
//! the query both take); `mimic explain` merges the two by time.
//!
//! A record names principals, actions, scopes, permissions and roles only: no token, no claim
//! beyond `oid`/`appid`/`roles`, no secret. The 403 a client gets stays the service's own; the
//! explanation lives here and in the log line each denial writes ([`Decisions::push`]).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// How many decisions each service keeps.
pub const CAPACITY: usize = 1000;

/// How many decisions an answer holds unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 100;

/// `decision` of an allowed action.
pub const ALLOWED: &str = "allowed";
/// `decision` of a refused action.
pub const DENIED: &str = "denied";
/// `plane` and `authorization` of Microsoft Graph's decisions.
pub const GRAPH: &str = "graph";

/// One decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionRecord {
    /// Increasing from 1 in the service's process.
    pub sequence: u64,
    /// ARM's timestamp format, to the tenth of a microsecond ([`timestamp`]).
    pub time: String,
    /// Who asked.
    pub caller: CallerRecord,
    /// `control` (ARM's `actions`), `data` (`dataActions`) or `graph` (Microsoft Graph).
    pub plane: String,
    /// The action or data action; for Graph, the operation's name (`Create application`).
    pub action: String,
    /// The scope it was checked at; for Graph, the request's path (`/v1.0/applications`).
    pub scope: String,
    /// `allowed` or `denied`.
    pub decision: String,
    /// `rbac`, `accessPolicy` (a Key Vault without `enableRbacAuthorization`) or `graph`.
    pub authorization: String,
    /// What decided it, in one sentence.
    pub reason: String,
    /// The role assignment that granted the action (also set when a deny assignment refused it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_assignment: Option<GrantRecord>,
    /// The deny assignment that refused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_assignment: Option<DenyRecord>,
    /// For a denial without a grant: the principal's (and its groups') assignments at or above the
    /// scope, none of which grants the action.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assignments_considered: Vec<GrantRecord>,
    /// For an RBAC denial: built-in roles that grant the action, narrowest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles_that_grant: Vec<String>,
    /// Graph: the request's method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Graph: the object the URL names (its `{id}` or `appId`), when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Graph, a denial: the application permissions in the token's `roles`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions_held: Vec<String>,
    /// Graph, a denial: the directory roles the caller holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory_roles_held: Vec<String>,
    /// Graph, a denial of an app-only caller: the operation's application permissions, least
    /// privileged first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions_that_grant: Vec<String>,
    /// Graph, a denial: the directory roles that would grant it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory_roles_that_grant: Vec<String>,
}

impl DecisionRecord {
    /// Whether this is one of Microsoft Graph's decisions.
    pub fn is_graph(&self) -> bool {
        self.plane == GRAPH
    }
}

/// The caller of a decision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallerRecord {
    /// The token's `oid`.
    pub oid: String,
    /// The token's `appid`.
    pub appid: String,
    /// The principal's display name (filled in when the record is read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A role assignment in a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantRecord {
    /// The assignment's id.
    pub id: String,
    /// Its scope.
    pub scope: String,
    /// The principal it is made to (the caller, or one of its groups).
    pub principal_id: String,
    /// The role's GUID.
    pub role_definition_name: String,
    /// The role's `roleName`.
    pub role_name: String,
}

/// A deny assignment in a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DenyRecord {
    /// Its full id.
    pub id: String,
    /// `denyAssignmentName`.
    pub name: String,
    /// Its scope.
    pub scope: String,
}

/// A decision's time: ARM's timestamp format with the sub-second part, so that `mimic explain` can
/// order ARM's and Graph's decisions of the same second (`2026-12-07T02:45:00.1234567Z`).
pub fn timestamp(seconds: i64, nanoseconds: u32) -> String {
    let time = chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default();
    format!(
        "{}.{:07}Z",
        time.format("%Y-%m-%dT%H:%M:%S"),
        nanoseconds.min(999_999_999) / 100
    )
}

/// The last [`CAPACITY`] decisions.
#[derive(Debug, Default)]
pub struct Decisions {
    inner: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    next: u64,
    records: VecDeque<DecisionRecord>,
}

impl Decisions {
    /// Keeps `record` (its `sequence` is set here), dropping the oldest beyond [`CAPACITY`], and
    /// logs a denial with its reason.
    pub fn push(&self, mut record: DecisionRecord) {
        if record.decision == DENIED {
            log_denial(&record);
        }
        let mut ring = self
            .inner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        ring.next += 1;
        record.sequence = ring.next;
        if ring.records.len() == CAPACITY {
            ring.records.pop_front();
        }
        ring.records.push_back(record);
    }

    /// The kept decisions matching `keep`, newest first, at most `limit`.
    pub fn newest(
        &self,
        limit: usize,
        keep: impl Fn(&DecisionRecord) -> bool,
    ) -> Vec<DecisionRecord> {
        let ring = self
            .inner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        ring.records
            .iter()
            .rev()
            .filter(|record| keep(record))
            .take(limit)
            .cloned()
            .collect()
    }
}

fn log_denial(record: &DecisionRecord) {
    if record.is_graph() {
        tracing::info!(
            oid = %record.caller.oid,
            appid = %record.caller.appid,
            operation = %record.action,
            method = record.method.as_deref().unwrap_or_default(),
            path = %record.scope,
            reason = ?record.reason,
            permissions_that_grant = ?record.permissions_that_grant.join(", "),
            directory_roles_that_grant = ?record.directory_roles_that_grant.join(", "),
            "Graph authorization denied"
        );
    } else {
        tracing::info!(
            oid = %record.caller.oid,
            appid = %record.caller.appid,
            action = %record.action,
            scope = %record.scope,
            reason = ?record.reason,
            roles_that_grant = ?record.roles_that_grant.join(", "),
            "authorization denied"
        );
    }
}

/// The query of a service's decisions endpoint; every part optional.
#[derive(Debug, Default, Deserialize)]
pub struct DecisionsQuery {
    /// Only this caller: its `oid`, `appid` or display name (ignoring case).
    pub principal: Option<String>,
    /// Only `allowed` or `denied` decisions.
    pub decision: Option<String>,
    /// At most this many (default [`DEFAULT_LIMIT`], at most [`CAPACITY`]).
    pub limit: Option<usize>,
}

/// The body of a service's decisions endpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DecisionList {
    /// The decisions, newest first.
    pub value: Vec<DecisionRecord>,
}

/// The decisions `query` asks for, newest first, callers' display names filled in by `name_of`
/// (given a lower-case `oid`; once per caller; `None` leaves the name absent).
pub async fn select<F, Fut>(
    decisions: &Decisions,
    query: &DecisionsQuery,
    mut name_of: F,
) -> Vec<DecisionRecord>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Option<String>>,
{
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(CAPACITY);
    let wanted = |record: &DecisionRecord| {
        query
            .decision
            .as_deref()
            .is_none_or(|decision| record.decision.eq_ignore_ascii_case(decision))
    };
    // Names are needed for every candidate only when the filter may name one.
    let candidates = match query.principal {
        Some(_) => CAPACITY,
        None => limit,
    };
    let mut value = decisions.newest(candidates, wanted);
    let mut names: HashMap<String, Option<String>> = HashMap::new();
    for record in &mut value {
        let oid = record.caller.oid.to_lowercase();
        if !names.contains_key(&oid) {
            let name = name_of(oid.clone()).await;
            names.insert(oid.clone(), name);
        }
        record.caller.name = names.get(&oid).cloned().flatten();
    }
    if let Some(principal) = query.principal.as_deref() {
        value.retain(|record| {
            let caller = &record.caller;
            caller.oid.eq_ignore_ascii_case(principal)
                || caller.appid.eq_ignore_ascii_case(principal)
                || caller
                    .name
                    .as_deref()
                    .is_some_and(|name| name.eq_ignore_ascii_case(principal))
        });
    }
    value.truncate(limit);
    value
}

/// `lists` merged newest first by time (ARM's and Graph's records, for `mimic explain`), at most
/// `limit`.
pub fn merge_newest_first(lists: Vec<Vec<DecisionRecord>>, limit: usize) -> Vec<DecisionRecord> {
    let mut all: Vec<DecisionRecord> = lists.into_iter().flatten().collect();
    // Stable: within one service (same time), the service's own newest-first order stays.
    all.sort_by(|a, b| b.time.cmp(&a.time));
    all.truncate(limit);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(oid: &str, decision: &str) -> DecisionRecord {
        DecisionRecord {
            caller: CallerRecord {
                oid: oid.to_string(),
                ..CallerRecord::default()
            },
            plane: "control".to_string(),
            action: "Microsoft.Resources/subscriptions/resourceGroups/read".to_string(),
            scope: "/subscriptions/s".to_string(),
            decision: decision.to_string(),
            authorization: "rbac".to_string(),
            ..DecisionRecord::default()
        }
    }

    #[test]
    fn push_keeps_the_last_capacity_decisions_newest_first() {
        let decisions = Decisions::default();
        for n in 0..CAPACITY + 5 {
            decisions.push(record(&n.to_string(), ALLOWED));
        }
        let kept = decisions.newest(usize::MAX, |_| true);
        assert_eq!(kept.len(), CAPACITY);
        assert_eq!(kept[0].caller.oid, (CAPACITY + 4).to_string());
        assert_eq!(kept[0].sequence, (CAPACITY + 5) as u64);
        assert_eq!(kept[CAPACITY - 1].caller.oid, "5");
    }

    #[test]
    fn newest_filters_then_limits() {
        let decisions = Decisions::default();
        for (oid, decision) in [("a", DENIED), ("b", ALLOWED), ("c", DENIED), ("d", DENIED)] {
            decisions.push(record(oid, decision));
        }
        let denied = decisions.newest(2, |record| record.decision == DENIED);
        let oids: Vec<&str> = denied.iter().map(|r| r.caller.oid.as_str()).collect();
        assert_eq!(oids, ["d", "c"]);
    }

    #[tokio::test]
    async fn select_filters_by_a_name_it_looked_up_once_per_caller() {
        let decisions = Decisions::default();
        for (oid, decision) in [("A", DENIED), ("b", DENIED), ("a", ALLOWED), ("a", DENIED)] {
            decisions.push(record(oid, decision));
        }
        let asked = std::cell::RefCell::new(Vec::new());
        let query = DecisionsQuery {
            principal: Some("ALICE".to_string()),
            decision: Some("denied".to_string()),
            limit: Some(5),
        };
        let selected = select(&decisions, &query, |oid| {
            asked.borrow_mut().push(oid.clone());
            async move { (oid == "a").then(|| "alice".to_string()) }
        })
        .await;
        let sequences: Vec<u64> = selected.iter().map(|r| r.sequence).collect();
        assert_eq!(sequences, [4, 1]);
        assert_eq!(selected[0].caller.name.as_deref(), Some("alice"));
        assert_eq!(*asked.borrow(), ["a", "b"]);
    }

    #[test]
    fn timestamps_order_decisions_within_a_second() {
        let early = timestamp(1_800_000_000, 5_000);
        let late = timestamp(1_800_000_000, 999_999_999);
        assert_eq!(early, "2027-01-15T08:00:00.0000050Z");
        assert_eq!(late, "2027-01-15T08:00:00.9999999Z");
        let mut arm = record("arm", DENIED);
        arm.time = early;
        let mut graph = record("graph", DENIED);
        graph.time = late;
        let merged = merge_newest_first(vec![vec![arm], vec![graph]], 1);
        assert_eq!(merged[0].caller.oid, "graph");
    }
}
