//! The record of authorization decisions: who asked for what where, the answer, and what decided
//! it (the role assignment that granted, the deny assignment that refused, the access policy, or
//! the reason none applied). Bounded: the last [`CAPACITY`] decisions, in memory. Read by
//! `GET /internal/authz/decisions` (docs/internal-apis.md) and `mimic explain`.
//!
//! The record and its ring are [`mimic_web::authz`]'s, shared with AAD (which records Microsoft
//! Graph's decisions the same way); what only ARM computes (the roles that would grant an action)
//! is here.
//!
//! A record names principals, actions and scopes only: no token, no claim beyond `oid`/`appid`,
//! no secret. The 403 a client gets stays Azure's; the explanation lives here and in the log line
//! each denial writes ([`Decisions::push`]).

pub use mimic_web::authz::{
    timestamp, CallerRecord, DecisionRecord, Decisions, DenyRecord, GrantRecord, ALLOWED, CAPACITY,
    DENIED,
};

use crate::role_definitions::model::{action_matches, built_in_roles, Plane};

/// How many built-in roles a denial names as ones that would grant the action.
const ROLES_NAMED: usize = 5;

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
