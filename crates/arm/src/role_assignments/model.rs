//! Role assignments: the domain type, the PUT body, the wire shape and the `$filter`s ARM supports.

use mimic_azure::Scope;
use serde::{Deserialize, Serialize};

use crate::role_definitions::model::definition_id;
use crate::ArmError;

/// A role assignment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleAssignment {
    /// The assignment's GUID (its `name`), as given.
    pub name: String,
    /// The canonical scope string, e.g. `/subscriptions/{s}/resourceGroups/{g}`.
    pub scope: String,
    /// The role definition's GUID, lower-case.
    pub role_definition: String,
    /// The principal's object id, lower-case.
    pub principal_id: String,
    /// `User`, `Group`, `ServicePrincipal`, …
    pub principal_type: String,
    /// Free text.
    pub description: Option<String>,
    /// An ABAC condition (evaluated by [`crate::rbac`] for data actions and role-assignment
    /// writes/deletes).
    pub condition: Option<String>,
    /// The condition's version.
    pub condition_version: Option<String>,
    /// RFC 3339 creation time.
    pub created_on: String,
    /// RFC 3339 update time.
    pub updated_on: String,
    /// Object id of the creator.
    pub created_by: Option<String>,
    /// Object id of the last updater.
    pub updated_by: Option<String>,
}

impl RoleAssignment {
    /// The lower-cased scope.
    pub fn scope_key(&self) -> String {
        self.scope.to_lowercase()
    }

    /// `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
    pub fn id(&self) -> String {
        format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            self.scope.trim_end_matches('/'),
            self.name
        )
    }

    /// The subscription the scope lies in.
    pub fn subscription_id(&self) -> Option<String> {
        Scope::parse(&self.scope)
            .ok()
            .and_then(|scope| scope.subscription_id().map(str::to_string))
    }

    /// Whether `other` grants the same role to the same principal at the same scope. A PUT may
    /// change nothing else about an existing assignment (`RoleAssignmentUpdateNotPermitted`).
    pub fn grants_the_same(&self, other: &RoleAssignment) -> bool {
        self.scope_key() == other.scope_key()
            && self.principal_id == other.principal_id
            && self.role_definition == other.role_definition
    }

    /// This assignment after a PUT of `wanted` under its name: `description`, `condition` and
    /// `conditionVersion` take the new values; the creation stamp and `principalType` stay.
    pub fn updated_with(self, wanted: &RoleAssignment) -> RoleAssignment {
        RoleAssignment {
            description: wanted.description.clone(),
            condition: wanted.condition.clone(),
            condition_version: wanted.condition_version.clone(),
            updated_on: wanted.updated_on.clone(),
            updated_by: wanted.updated_by.clone(),
            ..self
        }
    }

    /// Whether this assignment applies at `scope_key` (it is at the scope or above it).
    pub fn applies_to(&self, scope_key: &str) -> bool {
        encloses(&self.scope_key(), scope_key)
    }
}

/// Whether the (lower-cased) scope `outer` is `inner` or encloses it.
pub fn encloses(outer: &str, inner: &str) -> bool {
    let outer = outer.trim_end_matches('/');
    let inner = inner.trim_end_matches('/');
    outer.is_empty()
        || outer == inner
        || (inner.starts_with(outer) && inner.as_bytes().get(outer.len()) == Some(&b'/'))
}

/// `principalType` when a PUT leaves it out (the 2022-04-01 spec's default).
pub const DEFAULT_PRINCIPAL_TYPE: &str = "User";

/// The body of `RoleAssignments_Create`.
#[derive(Debug, Deserialize)]
pub struct RoleAssignmentCreateParameters {
    /// The assignment's properties.
    pub properties: RoleAssignmentProperties,
}

/// `properties` of a role assignment PUT.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    /// The role definition's id (any scope form) or bare GUID.
    pub role_definition_id: String,
    /// The principal's object id.
    pub principal_id: String,
    /// The principal's type, when the client knows it.
    #[serde(default)]
    pub principal_type: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// An ABAC condition.
    #[serde(default)]
    pub condition: Option<String>,
    /// The condition's version.
    #[serde(default)]
    pub condition_version: Option<String>,
}

/// The role definition GUID named by a `roleDefinitionId` (`…/roleDefinitions/{guid}` or a bare GUID).
pub fn role_definition_guid(role_definition_id: &str) -> &str {
    let lower = role_definition_id.to_ascii_lowercase();
    match lower.rfind("/roledefinitions/") {
        Some(at) => &role_definition_id[at + "/roledefinitions/".len()..],
        None => role_definition_id,
    }
    .trim_matches('/')
}

/// Checks that a role assignment name is a GUID.
pub fn parse_name(name: &str) -> Result<String, ArmError> {
    uuid::Uuid::parse_str(name)
        .ok()
        .filter(|_| name.len() == 36)
        .map(|_| name.to_string())
        .ok_or_else(|| ArmError::InvalidRoleAssignmentId(name.to_string()))
}

/// The wire shape of a role assignment.
#[derive(Debug, Serialize)]
pub struct RoleAssignmentBody {
    id: String,
    /// The assignment's GUID (the list pages by it).
    pub name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    properties: RoleAssignmentBodyProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleAssignmentBodyProperties {
    role_definition_id: String,
    principal_id: String,
    principal_type: String,
    scope: String,
    condition: Option<String>,
    condition_version: Option<String>,
    created_on: String,
    updated_on: String,
    created_by: Option<String>,
    updated_by: Option<String>,
    delegated_managed_identity_resource_id: Option<String>,
    description: Option<String>,
}

impl From<RoleAssignment> for RoleAssignmentBody {
    fn from(assignment: RoleAssignment) -> Self {
        let subscription_id = assignment.subscription_id();
        Self {
            id: assignment.id(),
            kind: "Microsoft.Authorization/roleAssignments",
            properties: RoleAssignmentBodyProperties {
                role_definition_id: definition_id(
                    subscription_id.as_deref(),
                    &assignment.role_definition,
                ),
                principal_id: assignment.principal_id,
                principal_type: assignment.principal_type,
                scope: assignment.scope,
                condition: assignment.condition,
                condition_version: assignment.condition_version,
                created_on: assignment.created_on,
                updated_on: assignment.updated_on,
                created_by: assignment.created_by,
                updated_by: assignment.updated_by,
                delegated_managed_identity_resource_id: None,
                description: assignment.description,
            },
            name: assignment.name,
        }
    }
}

/// The `$filter`s of `RoleAssignments_ListForScope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// No filter: assignments at, above and below the scope.
    None,
    /// `atScope()`: at the scope and above it.
    AtScope,
    /// `principalId eq '{id}'`: that principal's assignments at, above and below the scope.
    PrincipalId(String),
    /// `assignedTo('{id}')`: that principal's and its groups' (the caller passes the group ids to
    /// [`Filter::keeps_for`]), at, above and below the scope.
    AssignedTo(String),
    /// `atScope() and principalId eq '{id}'` (or `assignedTo`), as az sends with `--assignee --scope`.
    AtScopeFor(String),
}

impl Filter {
    /// Parses a `$filter` value; anything else is `InvalidFilterInQueryString`.
    pub fn parse(filter: Option<&str>) -> Result<Self, ArmError> {
        let Some(raw) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
            return Ok(Self::None);
        };
        let unsupported = || ArmError::InvalidFilterInQueryString(raw.to_string());
        let clauses: Vec<&str> = split_and(raw);
        let mut at_scope = false;
        let mut principal = None;
        for clause in clauses {
            if clause.eq_ignore_ascii_case("atScope()") {
                at_scope = true;
            } else if let Some(id) = quoted_after(clause, "principalid eq ") {
                principal = Some(id);
            } else if let Some(id) = call_argument(clause, "assignedto(") {
                principal = Some(id);
            } else {
                return Err(unsupported());
            }
        }
        Ok(match (at_scope, principal) {
            (true, Some(id)) => Self::AtScopeFor(id),
            (true, None) => Self::AtScope,
            (false, Some(id)) if raw.to_ascii_lowercase().starts_with("assignedto") => {
                Self::AssignedTo(id)
            }
            (false, Some(id)) => Self::PrincipalId(id),
            (false, None) => return Err(unsupported()),
        })
    }

    /// Like [`Filter::keeps`], with `principals` — for `assignedTo`, the principal and its groups —
    /// standing for the one principal the filter names.
    pub fn keeps_for(
        &self,
        assignment: &RoleAssignment,
        scope_key: &str,
        principals: &[String],
    ) -> bool {
        match self {
            Self::AssignedTo(_) => {
                let around = assignment.applies_to(scope_key)
                    || encloses(scope_key, &assignment.scope_key());
                around
                    && principals
                        .iter()
                        .any(|id| assignment.principal_id.eq_ignore_ascii_case(id))
            }
            _ => self.keeps(assignment, scope_key),
        }
    }

    /// Whether an assignment belongs in a list at `scope_key` with this filter.
    pub fn keeps(&self, assignment: &RoleAssignment, scope_key: &str) -> bool {
        let above_or_at = assignment.applies_to(scope_key);
        let below = encloses(scope_key, &assignment.scope_key());
        match self {
            Self::None => above_or_at || below,
            Self::AtScope => above_or_at,
            Self::PrincipalId(id) | Self::AssignedTo(id) => {
                (above_or_at || below) && assignment.principal_id.eq_ignore_ascii_case(id)
            }
            Self::AtScopeFor(id) => above_or_at && assignment.principal_id.eq_ignore_ascii_case(id),
        }
    }
}

fn split_and(filter: &str) -> Vec<&str> {
    let lower = filter.to_ascii_lowercase();
    let mut clauses = Vec::new();
    let mut start = 0;
    while let Some(at) = lower[start..].find(" and ") {
        clauses.push(filter[start..start + at].trim());
        start += at + 5;
    }
    clauses.push(filter[start..].trim());
    clauses
}

fn quoted_after(clause: &str, prefix: &str) -> Option<String> {
    let lower = clause.to_ascii_lowercase();
    let rest = lower
        .strip_prefix(prefix)
        .map(|_| clause[prefix.len()..].trim())?;
    rest.strip_prefix('\'')?
        .strip_suffix('\'')
        .map(str::to_string)
}

fn call_argument(clause: &str, prefix: &str) -> Option<String> {
    let lower = clause.to_ascii_lowercase();
    lower.strip_prefix(prefix)?;
    let inner = clause[prefix.len()..].strip_suffix(')')?.trim();
    inner
        .strip_prefix('\'')?
        .strip_suffix('\'')
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_parse_reads_the_filters_az_sends() {
        let cases = [
            (None, Filter::None),
            (Some("atScope()"), Filter::AtScope),
            (
                Some("principalId eq 'abc'"),
                Filter::PrincipalId("abc".into()),
            ),
            (Some("assignedTo('abc')"), Filter::AssignedTo("abc".into())),
            (
                Some("atScope() and assignedTo('abc')"),
                Filter::AtScopeFor("abc".into()),
            ),
            (
                Some("atScope() and principalId eq 'abc'"),
                Filter::AtScopeFor("abc".into()),
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(Filter::parse(raw).unwrap(), want, "{raw:?}");
        }
        assert!(Filter::parse(Some("roleName eq 'x'")).is_err());
    }

    #[test]
    fn encloses_compares_whole_segments() {
        assert!(encloses(
            "/subscriptions/s",
            "/subscriptions/s/resourcegroups/rg"
        ));
        assert!(encloses("/subscriptions/s", "/subscriptions/s"));
        assert!(encloses("/", "/subscriptions/s"));
        assert!(!encloses(
            "/subscriptions/s/resourcegroups/rg",
            "/subscriptions/s/resourcegroups/rg2"
        ));
        assert!(!encloses(
            "/subscriptions/s/resourcegroups/rg",
            "/subscriptions/s"
        ));
    }

    #[test]
    fn role_definition_guid_takes_the_last_segment() {
        assert_eq!(
            role_definition_guid(
                "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/abc"
            ),
            "abc"
        );
        assert_eq!(role_definition_guid("abc"), "abc");
    }

    #[test]
    fn parse_name_requires_a_guid() {
        assert!(parse_name("c0ffee00-0b5e-4a11-9e55-0123456789ab").is_ok());
        assert!(parse_name("not-a-guid").is_err());
        assert!(parse_name("c0ffee000b5e4a119e550123456789ab").is_err());
    }
}
