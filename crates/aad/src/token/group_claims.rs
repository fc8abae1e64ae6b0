//! The `groups` and `wids` claims of a user's access token, as Entra emits them.
//!
//! Which of them a token carries is the *resource's* choice — for an access token, the
//! `groupMembershipClaims` of the application the token is for
//! (<https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference>):
//!
//! | `groupMembershipClaims` | `groups` | `wids` |
//! |---|---|---|
//! | absent, `None` | — | — |
//! | `SecurityGroup` | the security groups the user is in, directly or nested | the directory roles' template ids |
//! | `All` | every group (mimic's groups are all security groups) | the directory roles' template ids |
//! | `DirectoryRole` | — | the directory roles' template ids |
//! | `ApplicationGroup` | only the groups assigned to the resource's application¹ | — |
//!
//! ¹ mimic's Graph assigns app roles to service principals only, so no group is assigned to an
//! application yet and `ApplicationGroup` emits no `groups`.
//!
//! Values combine, comma-separated, as the app manifest writes them (`"SecurityGroup, ApplicationGroup"`).
//! `wids` always holds the template id of the member user's default role
//! (`b79fbf4d-3ef9-4689-8143-76b194e85509`) before the roles assigned to the user, as Entra's
//! tokens do. First-party resources cannot be configured; they emit what Entra's do: Azure
//! Resource Manager both claims, Microsoft Graph `wids` only, Key Vault and Storage neither
//! ([`FirstParty::group_claims`](crate::first_party::FirstParty)).
//!
//! **Overage.** A JWT holds at most [`GROUPS_LIMIT`] groups. Past it Entra leaves `groups` out and
//! says where the list is instead: `"_claim_names": {"groups": "src1"}` and
//! `"_claim_sources": {"src1": {"endpoint": "…/users/{oid}/getMemberObjects"}}`. Entra's endpoint
//! is the retired Azure AD Graph's; mimic's points at its own Microsoft Graph, where
//! `POST /v1.0/users/{oid}/getMemberObjects` answers the full list.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::AadError;
use crate::principals::assignments::AssignmentSide;
use crate::principals::model::ServicePrincipal;
use crate::state::AppState;

/// How many groups a JWT carries before Entra switches to the overage claim.
pub const GROUPS_LIMIT: usize = 200;

/// The template id of a member user's default role, in every member's `wids`.
pub const DEFAULT_MEMBER_ROLE: &str = "b79fbf4d-3ef9-4689-8143-76b194e85509";

/// What a resource asks for in its users' tokens (`groupMembershipClaims`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupClaims {
    /// `SecurityGroup` or `All`: every group the user is in.
    pub groups: bool,
    /// `ApplicationGroup`: the groups assigned to the resource's application.
    pub application_groups: bool,
    /// `SecurityGroup`, `All` or `DirectoryRole`: the `wids` claim.
    pub directory_roles: bool,
}

impl GroupClaims {
    /// Nothing: `None`, or no value.
    pub const NONE: Self = Self {
        groups: false,
        application_groups: false,
        directory_roles: false,
    };

    /// `SecurityGroup` (Azure Resource Manager's, as its tokens show).
    pub const SECURITY_GROUP: Self = Self {
        groups: true,
        application_groups: false,
        directory_roles: true,
    };

    /// `DirectoryRole` (Microsoft Graph's, as its tokens show).
    pub const DIRECTORY_ROLE: Self = Self {
        groups: false,
        application_groups: false,
        directory_roles: true,
    };

    /// Reads an application's `groupMembershipClaims`: comma-separated values, any case; unknown
    /// values add nothing.
    pub fn parse(value: Option<&str>) -> Self {
        let mut claims = Self::NONE;
        for part in value.unwrap_or_default().split(',').map(str::trim) {
            if part.eq_ignore_ascii_case("All") || part.eq_ignore_ascii_case("SecurityGroup") {
                claims.groups = true;
                claims.directory_roles = true;
            } else if part.eq_ignore_ascii_case("DirectoryRole") {
                claims.directory_roles = true;
            } else if part.eq_ignore_ascii_case("ApplicationGroup") {
                claims.application_groups = true;
            }
        }
        claims
    }

    /// Whether the token carries any of these claims.
    pub fn any(self) -> bool {
        self.groups || self.application_groups || self.directory_roles
    }
}

/// The claims [`for_user`] adds to a user's access token; each absent when not emitted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MembershipClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wids: Option<Vec<String>>,
    #[serde(rename = "_claim_names", skip_serializing_if = "Option::is_none")]
    pub claim_names: Option<Value>,
    #[serde(rename = "_claim_sources", skip_serializing_if = "Option::is_none")]
    pub claim_sources: Option<Value>,
}

/// The `groups`/`wids` claims of `user_id`'s token for a resource asking for `wanted`, whose
/// service principal (for `ApplicationGroup`) is `resource`.
pub async fn for_user(
    state: &AppState,
    wanted: GroupClaims,
    resource: Option<&ServicePrincipal>,
    user_id: &str,
) -> Result<MembershipClaims, AadError> {
    let mut claims = MembershipClaims::default();
    if wanted.groups || wanted.application_groups {
        let mut groups = state.groups.transitive_groups(user_id).await?;
        if !wanted.groups {
            let assigned = match resource {
                Some(resource) => {
                    state
                        .store
                        .app_role_assignments(AssignmentSide::Resource, &resource.id)
                        .await?
                }
                None => Vec::new(),
            };
            groups.retain(|group| {
                assigned
                    .iter()
                    .any(|a| a.principal_id.eq_ignore_ascii_case(group))
            });
        }
        if groups.len() > GROUPS_LIMIT {
            let endpoint = format!(
                "{}/v1.0/users/{user_id}/getMemberObjects",
                state.base_url.trim_end_matches('/')
            );
            claims.claim_names = Some(json!({"groups": "src1"}));
            claims.claim_sources = Some(json!({"src1": {"endpoint": endpoint}}));
        } else if !groups.is_empty() {
            // Entra emits a claim only when it has a value.
            claims.groups = Some(groups);
        }
    }
    if wanted.directory_roles {
        let mut wids = vec![DEFAULT_MEMBER_ROLE.to_string()];
        wids.extend(state.roles.roles_of(user_id).await?);
        claims.wids = Some(wids);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_membership_claims_are_read_as_the_manifest_writes_them() {
        assert_eq!(GroupClaims::parse(None), GroupClaims::NONE);
        assert_eq!(GroupClaims::parse(Some("None")), GroupClaims::NONE);
        assert_eq!(
            GroupClaims::parse(Some("SecurityGroup")),
            GroupClaims::SECURITY_GROUP
        );
        assert_eq!(GroupClaims::parse(Some("all")), GroupClaims::SECURITY_GROUP);
        assert_eq!(
            GroupClaims::parse(Some("DirectoryRole")),
            GroupClaims::DIRECTORY_ROLE
        );
        let combined = GroupClaims::parse(Some("DirectoryRole, ApplicationGroup"));
        assert!(combined.application_groups && combined.directory_roles && !combined.groups);
        assert!(!GroupClaims::parse(Some("Nonsense")).any());
    }
}
