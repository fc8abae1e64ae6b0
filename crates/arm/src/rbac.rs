//! Role-based access control: is a principal allowed an action at a scope?
//!
//! A principal is allowed when one of its role assignments at the scope or any enclosing scope
//! (tenant root → subscription → resource group → resource → child resource) has a role whose
//! actions match the action and whose notActions do not (see
//! [`crate::role_definitions::model::action_matches`] for the wildcard rules). Built-in roles are
//! looked up in the embedded catalogue by map, custom roles in SQLite. Permission blocks with an
//! ABAC condition grant nothing (conditions are not evaluated), and `dataActions` are not
//! evaluated: every route mimic's ARM serves is a control-plane action.
//!
//! Handlers call [`authorize`] first, and only then look the target up, so a caller without access
//! gets 403 `AuthorizationFailed` whether or not the target exists, as ARM answers.

use crate::extract::Caller;
use crate::role_assignments::store;
use crate::role_definitions;
use crate::{AppState, ArmError};

/// `Ok` when the caller may perform `action` at `scope`, else 403 `AuthorizationFailed`.
pub async fn authorize(
    state: &AppState,
    caller: &Caller,
    action: &str,
    scope: &str,
) -> Result<(), ArmError> {
    if is_permitted(state, &caller.oid, action, scope).await? {
        return Ok(());
    }
    Err(ArmError::AuthorizationFailed {
        client: caller.appid.clone(),
        object_id: caller.oid.clone(),
        action: action.to_string(),
        scope: scope.to_string(),
    })
}

/// Whether `principal_id` may perform `action` at `scope` (a scope string in any case).
pub async fn is_permitted(
    state: &AppState,
    principal_id: &str,
    action: &str,
    scope: &str,
) -> Result<bool, ArmError> {
    let scope_key = scope.to_lowercase();
    let assignments = store::list_for_principal(&state.db, principal_id).await?;
    for assignment in assignments.iter().filter(|a| a.applies_to(&scope_key)) {
        let permits = match role_definitions::model::find(&assignment.role_definition) {
            Some(built_in) => built_in.permits(action),
            None => role_definitions::store::find(&state.db, &assignment.role_definition)
                .await?
                .is_some_and(|custom| custom.permits(action)),
        };
        if permits {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether `principal_id` holds any role assignment at, above or below `scope`
/// (what makes a subscription visible in `GET /subscriptions`).
pub async fn has_any_assignment_around(
    state: &AppState,
    principal_id: &str,
    scope: &str,
) -> Result<bool, ArmError> {
    let scope_key = scope.to_lowercase();
    let assignments = store::list_for_principal(&state.db, principal_id).await?;
    Ok(assignments.iter().any(|assignment| {
        assignment.applies_to(&scope_key)
            || crate::role_assignments::model::encloses(&scope_key, &assignment.scope_key())
    }))
}
