//! Reality modes in ARM (docs/reality-modes.md, "Propagation delays"): Azure applies a new or
//! deleted role assignment to authorization decisions only after a while ("Role assignment
//! changes can take up to 10 minutes to take effect",
//! <https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---role-assignment-changes-arent-being-detected>),
//! while reads and lists of the assignment itself show it at once.
//!
//! With `role-assignment-propagation` set, each role-assignment write is held back here
//! ([`Reality::assignment_created`], [`Reality::assignment_deleted`]) and every authorization
//! decision reads a principal's assignments through [`assignments`], which hides the creations
//! and keeps the deletions that have not applied yet. Off (the default), nothing is held back and
//! [`assignments`] is the index's answer unchanged. The run-time settings and `settled` probe
//! are in [`internal`].

pub mod internal;

use std::sync::Arc;

use mimic_web::reality::{Pending, PendingItem, ROLE_ASSIGNMENT_PROPAGATION};

use crate::rbac::index::Assignments;
use crate::role_assignments::model::RoleAssignment;
use crate::{AppState, ArmError};

/// A new role assignment that decisions do not see yet.
pub const ASSIGNMENT_CREATED: &str = "roleAssignmentCreated";
/// A deleted role assignment that decisions still see.
pub const ASSIGNMENT_DELETED: &str = "roleAssignmentDeleted";

/// ARM's run-time settings and the role-assignment changes they hold back.
#[derive(Debug, Clone)]
pub struct Reality {
    /// The run-time settings (shared with AAD and the IMDS host under `mimic up`).
    pub settings: mimic_web::reality::Reality,
    /// Role-assignment writes not yet applied to decisions.
    pub assignments: Arc<Pending<RoleAssignment>>,
}

impl Reality {
    /// Over `settings`, nothing pending; due changes are logged as they apply.
    pub fn new(settings: mimic_web::reality::Reality, clock: mimic_token::Clock) -> Self {
        let assignments = Arc::new(Pending::default());
        mimic_web::reality::spawn_pruner(Arc::downgrade(&assignments), move || clock.now());
        Self {
            settings,
            assignments,
        }
    }

    /// A role assignment was created at `now`: decisions see it once the delay has passed. A
    /// pending deletion of the same assignment is undone instead (it never stopped applying).
    pub fn assignment_created(&self, assignment: &RoleAssignment, now: i64) {
        self.hold(ASSIGNMENT_CREATED, ASSIGNMENT_DELETED, assignment, now);
    }

    /// A role assignment was deleted at `now`: decisions keep seeing it until the delay has
    /// passed. A pending creation of the same assignment is undone instead (it never applied).
    pub fn assignment_deleted(&self, assignment: &RoleAssignment, now: i64) {
        self.hold(ASSIGNMENT_DELETED, ASSIGNMENT_CREATED, assignment, now);
    }

    fn hold(&self, kind: &'static str, undoes: &str, assignment: &RoleAssignment, now: i64) {
        let delay = self.settings.seconds(ROLE_ASSIGNMENT_PROPAGATION);
        let id = assignment.id();
        if delay <= 0 || self.assignments.remove(undoes, &id) {
            return;
        }
        self.assignments.add(PendingItem {
            kind,
            id,
            held_at: now,
            applies_at: now + delay,
            payload: assignment.clone(),
        });
    }

    /// `base` (a principal's stored assignments) as decisions see it at `now`.
    fn overlay(&self, principal_id: &str, base: Arc<Assignments>, now: i64) -> Arc<Assignments> {
        if self.assignments.is_empty() {
            return base;
        }
        let held = self.assignments.matching(now, |item| {
            item.payload.principal_id.eq_ignore_ascii_case(principal_id)
        });
        if held.is_empty() {
            return base;
        }
        let hidden = |assignment: &RoleAssignment| {
            held.iter()
                .any(|item| item.kind == ASSIGNMENT_CREATED && item.payload.name == assignment.name)
        };
        let mut seen: Vec<RoleAssignment> = base
            .all()
            .iter()
            .filter(|assignment| !hidden(assignment))
            .cloned()
            .collect();
        for item in held.iter().filter(|item| item.kind == ASSIGNMENT_DELETED) {
            if !seen.iter().any(|kept| kept.name == item.payload.name) {
                seen.push(item.payload.clone());
            }
        }
        Arc::new(Assignments::new(seen))
    }
}

/// The role assignments of `principal_id` as authorization decisions see them now: the stored
/// ones, less the creations and plus the deletions `role-assignment-propagation` still holds back.
pub async fn assignments(
    state: &AppState,
    principal_id: &str,
) -> Result<Arc<Assignments>, ArmError> {
    let base = state.rbac.assignments(&state.db, principal_id).await?;
    Ok(state.reality.overlay(principal_id, base, state.clock.now()))
}
