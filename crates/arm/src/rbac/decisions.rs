//! The record of authorization decisions: who asked for what where, the answer, and what decided
//! it (the role assignment that granted, the deny assignment that refused, the access policy, or
//! the reason none applied). Bounded: the last [`CAPACITY`] decisions, in memory. Read by
//! `GET /internal/authz/decisions` (docs/internal-apis.md) and `mimic explain`.
//!
//! A record names principals, actions and scopes only: no token, no claim beyond `oid`/`appid`,
//! no secret. The 403 a client gets stays Azure's; the explanation lives here and in the log line
//! each denial writes ([`Decisions::push`]).

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::role_definitions::model::{action_matches, built_in_roles, Plane};

/// How many decisions are kept.
pub const CAPACITY: usize = 1000;

/// How many built-in roles a denial names as ones that would grant the action.
const ROLES_NAMED: usize = 5;

/// One decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionRecord {
    /// Increasing from 1 in this process.
    pub sequence: u64,
    /// ARM's timestamp format.
    pub time: String,
    /// Who asked.
    pub caller: CallerRecord,
    /// `control` (ARM's `actions`) or `data` (`dataActions`).
    pub plane: String,
    /// The action or data action.
    pub action: String,
    /// The scope it was checked at.
    pub scope: String,
    /// `allowed` or `denied`.
    pub decision: String,
    /// `rbac` or `accessPolicy` (a Key Vault without `enableRbacAuthorization`).
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
}

/// The caller of a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallerRecord {
    /// The token's `oid`.
    pub oid: String,
    /// The token's `appid`.
    pub appid: String,
    /// The principal's display name (filled in when the record is read, from AAD).
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

/// `decision` of an allowed action.
pub const ALLOWED: &str = "allowed";
/// `decision` of a refused action.
pub const DENIED: &str = "denied";

/// The wire name of a plane.
pub fn plane_name(plane: Plane) -> &'static str {
    match plane {
        Plane::Control => "control",
        Plane::Data => "data",
    }
}

/// The general-purpose built-in roles, named first when they grant an action.
const GENERAL_ROLES: [&str; 5] = [
    "Contributor",
    "Owner",
    "Reader",
    "Role Based Access Control Administrator",
    "User Access Administrator",
];

/// Built-in roles that grant `action` (without a condition): the general-purpose ones that do
/// (Contributor, Owner, Reader and the two access administrators), then the narrowest others, ranked by the longest of their patterns that
/// matches it (`…/secrets/getSecret/action` before `…/secrets/*` before `*`), then by how many
/// actions they list.
pub fn roles_that_grant(plane: Plane, action: &str) -> Vec<String> {
    let mut ranked: Vec<(usize, usize, &str)> = built_in_roles()
        .iter()
        .filter_map(|role| {
            let specificity = role
                .permissions
                .iter()
                .filter(|block| block.condition.is_none() && block.covers(plane, action))
                .flat_map(|block| match plane {
                    Plane::Control => block.actions.iter(),
                    Plane::Data => block.data_actions.iter(),
                })
                .filter(|pattern| action_matches(pattern, action))
                .map(String::len)
                .max()?;
            let size = role
                .permissions
                .iter()
                .map(|block| block.actions.len() + block.data_actions.len())
                .sum();
            Some((specificity, size, role.role_name.as_str()))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
    let general = GENERAL_ROLES
        .iter()
        .copied()
        .filter(|name| ranked.iter().any(|(_, _, role)| role == name));
    let narrow = ranked
        .iter()
        .map(|(_, _, name)| *name)
        .filter(|name| !GENERAL_ROLES.contains(name));
    general
        .chain(narrow)
        .take(ROLES_NAMED)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(oid: &str, decision: &str) -> DecisionRecord {
        DecisionRecord {
            sequence: 0,
            time: String::new(),
            caller: CallerRecord {
                oid: oid.to_string(),
                appid: String::new(),
                name: None,
            },
            plane: "control".to_string(),
            action: "Microsoft.Resources/subscriptions/resourceGroups/read".to_string(),
            scope: "/subscriptions/s".to_string(),
            decision: decision.to_string(),
            authorization: "rbac".to_string(),
            reason: String::new(),
            role_assignment: None,
            deny_assignment: None,
            assignments_considered: Vec::new(),
            roles_that_grant: Vec::new(),
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

    #[test]
    fn roles_that_grant_a_secret_read_start_with_the_narrowest() {
        let roles = roles_that_grant(
            Plane::Data,
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
        );
        assert_eq!(
            roles.first().map(String::as_str),
            Some("Key Vault Secrets User")
        );
        assert!(
            roles.iter().any(|role| role == "Key Vault Secrets Officer"),
            "{roles:?}"
        );
        assert!(!roles.iter().any(|role| role == "Reader"), "{roles:?}");
    }

    #[test]
    fn roles_that_grant_a_control_action_put_wildcard_roles_last() {
        let roles = roles_that_grant(
            Plane::Control,
            "Microsoft.Resources/subscriptions/resourceGroups/write",
        );
        assert_eq!(roles[..2], ["Contributor", "Owner"], "{roles:?}");
    }
}
