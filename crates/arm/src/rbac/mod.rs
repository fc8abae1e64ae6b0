//! Role-based access control: is a principal allowed an action at a scope?
//!
//! One evaluator for both planes: control-plane actions ([`authorize`]) are matched against a
//! role's `actions`/`notActions`, data actions ([`authorize_data`], for data-plane services)
//! against `dataActions`/`notDataActions`, with the same wildcard matching (see
//! [`crate::role_definitions::model::action_matches`]).
//!
//! A principal is granted an action when one of its role assignments at the scope or any
//! enclosing scope (tenant root → subscription → resource group → resource → child resource)
//! has a role with a permission block that covers the action and whose condition, if any, holds
//! for it; and the assignment's own condition, if any, holds too. Conditions are evaluated by
//! [`condition`]: a condition restricts only the actions its `ActionMatches` clauses name, and
//! what mimic cannot evaluate is not granted (the reason is logged). An assignment's condition
//! restricts only data actions and role-assignment writes/deletes (as in Azure; other
//! control-plane actions ignore it).
//!
//! A principal holds its own role assignments and those of every group it is in, directly or
//! through nested groups ([`principal_and_groups`]: AAD's internal API, kept in memory while the
//! directory's membership counter is unchanged).
//!
//! A granted action is still refused when a deny assignment from the fixture covers it, names
//! the principal, one of its groups (or Everyone) without excluding it, and applies at the scope:
//! 403 `DenyAssignmentAuthorizationFailed`. Deny wins over any grant.
//!
//! Handlers call [`authorize`] first, and only then look the target up, so a caller without access
//! gets 403 `AuthorizationFailed` whether or not the target exists, as ARM answers.
//!
//! Every decision made for a caller ([`authorize`], [`authorize_with`], [`authorize_data`],
//! [`decide_for`]) is recorded with what decided it ([`decisions`]); a denial also writes a log
//! line with the reason. [`is_permitted`], which lists use to filter what a caller may see, is not
//! recorded: one list would flood the record.

pub mod condition;
pub mod decisions;
pub mod index;
pub mod internal;

use crate::deny_assignments::model::DenyAssignment;
use crate::extract::Caller;
use crate::role_assignments::model::RoleAssignment;
use crate::role_definitions::model::{action_matches, Plane};
use crate::{AppState, ArmError};
pub use condition::{Attributes, Outcome};
use decisions::{CallerRecord, DecisionRecord, DenyRecord, GrantRecord};

/// The decision for one action.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Granted and not denied.
    Allowed,
    /// No role assignment grants it.
    NotGranted,
    /// Granted, but this deny assignment refuses it.
    Denied(DenyAssignment),
}

/// `Ok` when the caller may perform the control-plane `action` at `scope`, else 403
/// `AuthorizationFailed` (not granted) or `DenyAssignmentAuthorizationFailed` (denied).
pub async fn authorize(
    state: &AppState,
    caller: &Caller,
    action: &str,
    scope: &str,
) -> Result<(), ArmError> {
    authorize_with(state, caller, action, scope, &Attributes::none()).await
}

/// Like [`authorize`], with the request's attributes for conditions (e.g. the role and principal
/// type of a role-assignment write).
pub async fn authorize_with(
    state: &AppState,
    caller: &Caller,
    action: &str,
    scope: &str,
    attributes: &Attributes,
) -> Result<(), ArmError> {
    match decide_for(state, caller, Plane::Control, action, scope, attributes).await? {
        Decision::Allowed => Ok(()),
        Decision::NotGranted => Err(ArmError::AuthorizationFailed {
            client: caller.appid.clone(),
            object_id: caller.oid.clone(),
            action: action.to_string(),
            scope: scope.to_string(),
        }),
        Decision::Denied(deny) => Err(ArmError::DenyAssignmentAuthorizationFailed {
            client: caller.appid.clone(),
            object_id: caller.oid.clone(),
            action: action.to_string(),
            scope: scope.to_string(),
            deny_assignment_name: deny.deny_assignment_name.clone(),
            deny_assignment_id: deny.name().to_string(),
            deny_assignment_scope: deny.scope(),
        }),
    }
}

/// The data-plane decision for `data_action` at `scope` (a data-plane service maps it onto its
/// own error envelope).
pub async fn authorize_data(
    state: &AppState,
    caller: &Caller,
    data_action: &str,
    scope: &str,
    attributes: &Attributes,
) -> Result<Decision, ArmError> {
    decide_for(state, caller, Plane::Data, data_action, scope, attributes).await
}

/// The decision for `caller`, recorded with what decided it ([`decisions`]).
pub async fn decide_for(
    state: &AppState,
    caller: &Caller,
    plane: Plane,
    action: &str,
    scope: &str,
    attributes: &Attributes,
) -> Result<Decision, ArmError> {
    let principals = principal_and_groups(state, &caller.oid).await;
    let (decision, grant) =
        decide_among(state, &principals, plane, action, scope, attributes).await?;
    let mut record = new_record(state, caller, plane, action, scope);
    record.role_assignment = grant.as_ref().map(|(assignment, role)| GrantRecord {
        id: assignment.id(),
        scope: assignment.scope.clone(),
        principal_id: assignment.principal_id.clone(),
        role_definition_name: role.name.clone(),
        role_name: role.role_name.clone(),
    });
    match &decision {
        Decision::Allowed => {
            record.decision = decisions::ALLOWED.to_string();
            record.reason = match &record.role_assignment {
                Some(grant) => granted_reason(caller, grant),
                None => "granted".to_string(),
            };
        }
        Decision::Denied(deny) => {
            record.reason = format!(
                "deny assignment '{}' ({}) at {} refuses it{}",
                deny.deny_assignment_name,
                deny.name(),
                deny.scope(),
                record
                    .role_assignment
                    .as_ref()
                    .map(|grant| format!(", although {}", granted_reason(caller, grant)))
                    .unwrap_or_default()
            );
            record.deny_assignment = Some(DenyRecord {
                id: deny.full_id(),
                name: deny.deny_assignment_name.clone(),
                scope: deny.scope(),
            });
        }
        Decision::NotGranted => {
            record.assignments_considered = considered(state, &principals, scope)
                .await
                .unwrap_or_default();
            record.reason = match record.assignments_considered.is_empty() {
                true => "no role assignment of this principal or its groups at or above this scope"
                    .to_string(),
                false => format!(
                    "no role assignment of this principal or its groups at or above this scope grants it (it holds {})",
                    record
                        .assignments_considered
                        .iter()
                        .map(|grant| format!("{} at {}", grant.role_name, grant.scope))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
        }
    }
    if decision != Decision::Allowed {
        record.roles_that_grant = decisions::roles_that_grant(plane, action);
    }
    state.decisions.push(record);
    Ok(decision)
}

/// A record of `caller`'s decision on `action` at `scope`, denied until told otherwise.
pub fn new_record(
    state: &AppState,
    caller: &Caller,
    plane: Plane,
    action: &str,
    scope: &str,
) -> DecisionRecord {
    let (seconds, nanoseconds) = state.clock.now_precise();
    DecisionRecord {
        time: decisions::timestamp(seconds, nanoseconds),
        caller: CallerRecord {
            oid: caller.oid.clone(),
            appid: caller.appid.clone(),
            name: None,
        },
        plane: decisions::plane_name(plane).to_string(),
        action: action.to_string(),
        scope: scope.to_string(),
        decision: decisions::DENIED.to_string(),
        authorization: "rbac".to_string(),
        ..DecisionRecord::default()
    }
}

fn granted_reason(caller: &Caller, grant: &GrantRecord) -> String {
    let holder = match grant.principal_id.eq_ignore_ascii_case(&caller.oid) {
        true => "it".to_string(),
        false => format!("its group {}", grant.principal_id),
    };
    format!(
        "role assignment {} grants {holder} '{}' at {}",
        grant.id, grant.role_name, grant.scope
    )
}

/// The assignments of `principals` at or above `scope`, with their roles' names.
async fn considered(
    state: &AppState,
    principals: &[String],
    scope: &str,
) -> Result<Vec<GrantRecord>, ArmError> {
    let scope_key = scope.to_lowercase();
    let mut found = Vec::new();
    for principal_id in principals {
        let assignments = crate::reality::assignments(state, principal_id).await?;
        for assignment in assignments.applying_to(&scope_key) {
            let role = state
                .rbac
                .role(&state.db, &assignment.role_definition)
                .await?;
            found.push(GrantRecord {
                id: assignment.id(),
                scope: assignment.scope.clone(),
                principal_id: assignment.principal_id.clone(),
                role_definition_name: assignment.role_definition.clone(),
                role_name: role.map(|role| role.role_name.clone()).unwrap_or_default(),
            });
        }
    }
    Ok(found)
}

/// Whether `principal_id` may perform the control-plane `action` at `scope` (granted and not
/// denied).
pub async fn is_permitted(
    state: &AppState,
    principal_id: &str,
    action: &str,
    scope: &str,
) -> Result<bool, ArmError> {
    let decision = decide(
        state,
        principal_id,
        Plane::Control,
        action,
        scope,
        &Attributes::none(),
    )
    .await?;
    Ok(decision == Decision::Allowed)
}

/// The decision for one action of one plane.
pub async fn decide(
    state: &AppState,
    principal_id: &str,
    plane: Plane,
    action: &str,
    scope: &str,
    attributes: &Attributes,
) -> Result<Decision, ArmError> {
    let principals = principal_and_groups(state, principal_id).await;
    let (decision, _) = decide_among(state, &principals, plane, action, scope, attributes).await?;
    Ok(decision)
}

/// The role assignment that grants an action, with its role.
type Grant = (RoleAssignment, index::Role);

/// The decision for a principal and its groups, with the assignment that granted the action.
async fn decide_among(
    state: &AppState,
    principals: &[String],
    plane: Plane,
    action: &str,
    scope: &str,
    attributes: &Attributes,
) -> Result<(Decision, Option<Grant>), ArmError> {
    let Some(grant) = grant(state, principals, plane, action, scope, attributes).await? else {
        return Ok((Decision::NotGranted, None));
    };
    let deny = principals
        .iter()
        .find_map(|id| deny_for(&state.deny_assignments, id, plane, action, scope));
    Ok(match deny {
        Some(deny) => (Decision::Denied(deny.clone()), Some(grant)),
        None => (Decision::Allowed, Some(grant)),
    })
}

/// The principal's object id followed by the ids of every group it is in (transitively), from
/// AAD's internal API. Kept in memory while the directory's in-process membership counter is
/// unchanged (`mimic up`); asked for every decision when ARM runs alone. If AAD cannot answer, the
/// decision is made on the principal's own assignments (logged): a group's grant is then missing,
/// never an extra one.
pub async fn principal_and_groups(state: &AppState, principal_id: &str) -> Vec<String> {
    let mut ids = vec![principal_id.to_lowercase()];
    let changes = state
        .settings
        .membership_changes
        .as_ref()
        .map(|counter| counter());
    if let Some(groups) = changes.and_then(|changes| state.rbac.memberships(principal_id, changes))
    {
        ids.extend(groups.iter().cloned());
        return ids;
    }
    match crate::aad_client::AadClient::new(state)
        .principal_groups(principal_id)
        .await
    {
        Ok(found) => {
            let groups: std::sync::Arc<[String]> = found
                .map(|found| found.groups)
                .unwrap_or_default()
                .into_iter()
                .map(|id| id.to_lowercase())
                .collect();
            if let Some(changes) = changes {
                state
                    .rbac
                    .keep_memberships(principal_id, changes, groups.clone());
            }
            ids.extend(groups.iter().cloned());
        }
        Err(error) => {
            tracing::warn!(%principal_id, error = %error,
                "could not read the principal's groups from AAD; deciding on its own assignments");
        }
    }
    ids
}

/// The first deny assignment that refuses `action` to `principal_id` at `scope`.
pub fn deny_for<'a>(
    deny_assignments: &'a [DenyAssignment],
    principal_id: &str,
    plane: Plane,
    action: &str,
    scope: &str,
) -> Option<&'a DenyAssignment> {
    let scope_key = scope.to_lowercase();
    deny_assignments
        .iter()
        .find(|deny| deny.denies(plane, action, principal_id, &scope_key))
}

async fn grant(
    state: &AppState,
    principals: &[String],
    plane: Plane,
    action: &str,
    scope: &str,
    attributes: &Attributes,
) -> Result<Option<Grant>, ArmError> {
    let scope_key = scope.to_lowercase();
    for principal_id in principals {
        let found = grant_to(state, principal_id, plane, action, &scope_key, attributes).await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The first of one principal's own assignments that grants the action.
async fn grant_to(
    state: &AppState,
    principal_id: &str,
    plane: Plane,
    action: &str,
    scope_key: &str,
    attributes: &Attributes,
) -> Result<Option<Grant>, ArmError> {
    let assignments = crate::reality::assignments(state, principal_id).await?;
    for assignment in assignments.applying_to(scope_key) {
        let Some(role) = state
            .rbac
            .role(&state.db, &assignment.role_definition)
            .await?
        else {
            continue;
        };
        let role_grants = role.permissions.iter().any(|block| {
            granted(
                block.grants(plane, action, attributes),
                &role.role_name,
                action,
            )
        });
        if role_grants && assignment_condition_holds(assignment, plane, action, attributes) {
            return Ok(Some((assignment.clone(), role)));
        }
    }
    Ok(None)
}

/// The actions an assignment's condition may restrict: data actions, and role-assignment writes
/// and deletes (delegation). Other control-plane actions ignore it, as in Azure.
const ASSIGNMENT_CONDITION_ACTIONS: [&str; 2] = [
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.Authorization/roleAssignments/delete",
];

fn assignment_condition_holds(
    assignment: &RoleAssignment,
    plane: Plane,
    action: &str,
    attributes: &Attributes,
) -> bool {
    let Some(text) = assignment
        .condition
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    else {
        return true;
    };
    let restricted = plane == Plane::Data
        || ASSIGNMENT_CONDITION_ACTIONS
            .iter()
            .any(|restricted| action_matches(restricted, action));
    if !restricted {
        return true;
    }
    let outcome = condition::evaluate(text, action, attributes);
    granted(
        outcome,
        &format!("the condition of role assignment {}", assignment.name),
        action,
    )
}

/// Whether an outcome grants; an unknown one is logged with its reason.
fn granted(outcome: Outcome, what: &str, action: &str) -> bool {
    match outcome {
        Outcome::True => true,
        Outcome::False => false,
        Outcome::Unknown(why) => {
            tracing::info!(%action, "{what} does not grant the action: {why}");
            false
        }
    }
}

/// Whether `principal_id` holds any role assignment at, above or below `scope`
/// (what makes a subscription visible in `GET /subscriptions`).
pub async fn has_any_assignment_around(
    state: &AppState,
    principal_id: &str,
    scope: &str,
) -> Result<bool, ArmError> {
    let scope_key = scope.to_lowercase();
    for principal_id in principal_and_groups(state, principal_id).await {
        let assignments = crate::reality::assignments(state, &principal_id).await?;
        let around = assignments.all().iter().any(|assignment| {
            assignment.applies_to(&scope_key)
                || crate::role_assignments::model::encloses(&scope_key, &assignment.scope_key())
        });
        if around {
            return Ok(true);
        }
    }
    Ok(false)
}
