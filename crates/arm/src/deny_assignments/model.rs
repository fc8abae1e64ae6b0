//! Deny assignments: declared by the ARM fixture (`denyAssignments`), kept in memory, read-only
//! over ARM (Azure has no API to create one), honoured by [`crate::rbac`].

use anyhow::Context;
use mimic_azure::Scope;
use serde::{Deserialize, Serialize};

use crate::role_assignments::model::encloses;
use crate::role_definitions::model::{Permission, Plane};
use crate::ArmError;

/// The principal id that stands for every principal ("Everyone").
pub const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

/// A principal named by a deny assignment.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DenyPrincipal {
    /// Object id (`00000000-…` for Everyone).
    pub id: String,
    /// `User`, `Group`, `ServicePrincipal`, `SystemDefined` (Everyone), …
    #[serde(rename = "type", default = "default_principal_type")]
    pub kind: String,
    /// Display name, when the fixture gives one.
    #[serde(default)]
    pub display_name: Option<String>,
    /// E-mail, when the fixture gives one.
    #[serde(default)]
    pub email: Option<String>,
}

fn default_principal_type() -> String {
    "ServicePrincipal".to_string()
}

impl DenyPrincipal {
    fn is(&self, principal_id: &str) -> bool {
        self.id.eq_ignore_ascii_case(principal_id) || self.id == EVERYONE
    }
}

/// One deny assignment as the fixture declares it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DenyAssignment {
    /// The GUID (the assignment's `name`), or its full id.
    pub id: String,
    /// `denyAssignmentName`, shown in lists and in the 403 message.
    pub deny_assignment_name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The scope it applies at (and under, unless `doNotApplyToChildScopes`).
    pub scope: String,
    /// The denied actions (`actions`/`notActions`, `dataActions`/`notDataActions`).
    pub permissions: Vec<Permission>,
    /// Whom it denies (`00000000-0000-0000-0000-000000000000`: everyone).
    pub principals: Vec<DenyPrincipal>,
    /// Whom it spares.
    #[serde(default)]
    pub exclude_principals: Vec<DenyPrincipal>,
    /// Whether it applies at its scope only.
    #[serde(default)]
    pub do_not_apply_to_child_scopes: bool,
    /// Azure's flag for deny assignments created by the platform (default true).
    #[serde(default = "yes")]
    pub is_system_protected: bool,
}

fn yes() -> bool {
    true
}

impl DenyAssignment {
    /// The GUID.
    pub fn name(&self) -> &str {
        self.id.rsplit('/').next().unwrap_or(&self.id)
    }

    /// The canonical scope string (`/` for the tenant root).
    pub fn scope(&self) -> String {
        match self.scope.trim_end_matches('/') {
            "" => "/".to_string(),
            scope => scope.to_string(),
        }
    }

    /// `{scope}/providers/Microsoft.Authorization/denyAssignments/{guid}`.
    pub fn full_id(&self) -> String {
        format!(
            "{}/providers/Microsoft.Authorization/denyAssignments/{}",
            self.scope.trim_end_matches('/'),
            self.name()
        )
    }

    fn scope_key(&self) -> String {
        self.scope().to_lowercase()
    }

    /// Whether it applies at `scope_key` (lower-cased): at its scope, or under it unless
    /// `doNotApplyToChildScopes`.
    pub fn applies_to(&self, scope_key: &str) -> bool {
        let own = self.scope_key();
        if self.do_not_apply_to_child_scopes {
            own.trim_end_matches('/') == scope_key.trim_end_matches('/')
        } else {
            encloses(&own, scope_key)
        }
    }

    /// Whether `principal_id` is among its principals (directly or as Everyone) and not excluded.
    pub fn targets(&self, principal_id: &str) -> bool {
        self.principals.iter().any(|p| p.is(principal_id))
            && !self
                .exclude_principals
                .iter()
                .any(|p| p.id.eq_ignore_ascii_case(principal_id))
    }

    /// Whether it denies `action` of `plane` to `principal_id` at `scope_key`.
    pub fn denies(&self, plane: Plane, action: &str, principal_id: &str, scope_key: &str) -> bool {
        self.applies_to(scope_key)
            && self.targets(principal_id)
            && self
                .permissions
                .iter()
                .any(|block| block.covers(plane, action))
    }

    /// Whether `principal_id` is named in its principals (for `principalId eq` filters).
    pub fn names(&self, principal_id: &str) -> bool {
        self.principals.iter().any(|p| p.is(principal_id))
    }

    fn check(&self) -> anyhow::Result<()> {
        uuid::Uuid::parse_str(self.name())
            .with_context(|| format!("deny assignment id '{}' is not a GUID", self.id))?;
        if self.scope() != "/" {
            Scope::parse(&self.scope()).map_err(|error| {
                anyhow::anyhow!(
                    "deny assignment '{}': scope '{}': {error}",
                    self.id,
                    self.scope
                )
            })?;
        }
        anyhow::ensure!(
            !self.principals.is_empty(),
            "deny assignment '{}' names no principals",
            self.id
        );
        Ok(())
    }
}

/// Reads `denyAssignments` from the ARM fixture section (absent: none).
pub fn from_fixture(fixture: Option<&serde_json::Value>) -> anyhow::Result<Vec<DenyAssignment>> {
    let Some(list) = fixture.and_then(|fixture| fixture.get("denyAssignments")) else {
        return Ok(Vec::new());
    };
    let assignments: Vec<DenyAssignment> = serde_json::from_value(list.clone())
        .context("reading denyAssignments in the ARM fixture")?;
    for assignment in &assignments {
        assignment.check()?;
    }
    Ok(assignments)
}

/// The `$filter`s of `DenyAssignments_ListForScope`: `atScope()`, `principalId eq '{id}'`,
/// `denyAssignmentName eq '{name}'`, joined with `and`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    at_scope: bool,
    principal_id: Option<String>,
    name: Option<String>,
}

impl Filter {
    /// Parses a `$filter`; anything else is `InvalidFilterInQueryString`.
    pub fn parse(raw: Option<&str>) -> Result<Self, ArmError> {
        let mut filter = Self::default();
        let Some(raw) = raw.map(str::trim).filter(|raw| !raw.is_empty()) else {
            return Ok(filter);
        };
        let lower = raw.to_ascii_lowercase();
        let mut start = 0;
        let mut clauses = Vec::new();
        while let Some(at) = lower[start..].find(" and ") {
            clauses.push(raw[start..start + at].trim());
            start += at + 5;
        }
        clauses.push(raw[start..].trim());
        for clause in clauses {
            if clause.eq_ignore_ascii_case("atScope()") {
                filter.at_scope = true;
            } else if let Some(id) = quoted_after(clause, "principalid eq ") {
                filter.principal_id = Some(id);
            } else if let Some(name) = quoted_after(clause, "denyassignmentname eq ") {
                filter.name = Some(name);
            } else {
                return Err(ArmError::InvalidFilterInQueryString(raw.to_string()));
            }
        }
        Ok(filter)
    }

    /// Whether a deny assignment belongs in a list at `scope_key`: at or above the scope
    /// (`atScope()`), or also below it (no `atScope()`), and matching the other clauses.
    pub fn keeps(&self, assignment: &DenyAssignment, scope_key: &str) -> bool {
        let own = assignment.scope_key();
        let above_or_at = encloses(&own, scope_key);
        let below = encloses(scope_key, &own);
        (above_or_at || (!self.at_scope && below))
            && self
                .principal_id
                .as_deref()
                .is_none_or(|id| assignment.names(id))
            && self
                .name
                .as_deref()
                .is_none_or(|name| assignment.deny_assignment_name.eq_ignore_ascii_case(name))
    }
}

fn quoted_after(clause: &str, prefix: &str) -> Option<String> {
    let lower = clause.to_ascii_lowercase();
    lower.strip_prefix(prefix)?;
    clause[prefix.len()..]
        .trim()
        .strip_prefix('\'')?
        .strip_suffix('\'')
        .map(str::to_string)
}

/// The 2022-04-01 wire shape of a deny assignment.
#[derive(Debug, Serialize)]
pub struct DenyAssignmentBody {
    pub id: String,
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    properties: DenyAssignmentBodyProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DenyAssignmentBodyProperties {
    deny_assignment_name: String,
    description: Option<String>,
    permissions: Vec<DenyPermissionBody>,
    scope: String,
    do_not_apply_to_child_scopes: bool,
    principals: Vec<DenyPrincipal>,
    exclude_principals: Vec<DenyPrincipal>,
    is_system_protected: bool,
    condition: Option<String>,
    condition_version: Option<String>,
    created_on: Option<String>,
    updated_on: Option<String>,
    created_by: Option<String>,
    updated_by: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DenyPermissionBody {
    actions: Vec<String>,
    not_actions: Vec<String>,
    data_actions: Vec<String>,
    not_data_actions: Vec<String>,
    condition: Option<String>,
    condition_version: Option<String>,
}

impl From<&DenyAssignment> for DenyAssignmentBody {
    fn from(assignment: &DenyAssignment) -> Self {
        Self {
            id: assignment.full_id(),
            name: assignment.name().to_string(),
            kind: "Microsoft.Authorization/denyAssignments",
            properties: DenyAssignmentBodyProperties {
                deny_assignment_name: assignment.deny_assignment_name.clone(),
                description: assignment.description.clone(),
                permissions: assignment
                    .permissions
                    .iter()
                    .map(|block| DenyPermissionBody {
                        actions: block.actions.clone(),
                        not_actions: block.not_actions.clone(),
                        data_actions: block.data_actions.clone(),
                        not_data_actions: block.not_data_actions.clone(),
                        condition: None,
                        condition_version: None,
                    })
                    .collect(),
                scope: assignment.scope(),
                do_not_apply_to_child_scopes: assignment.do_not_apply_to_child_scopes,
                principals: assignment.principals.clone(),
                exclude_principals: assignment.exclude_principals.clone(),
                is_system_protected: assignment.is_system_protected,
                condition: None,
                condition_version: None,
                created_on: None,
                updated_on: None,
                created_by: None,
                updated_by: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny(scope: &str, child_scopes: bool) -> DenyAssignment {
        serde_json::from_value(serde_json::json!({
            "id": "5f1d2c3b-0000-4000-8000-000000000001",
            "denyAssignmentName": "no deletes",
            "scope": scope,
            "permissions": [{"actions": ["*/delete"], "notActions": ["Microsoft.Authorization/*"]}],
            "principals": [{"id": EVERYONE, "type": "SystemDefined"}],
            "excludePrincipals": [{"id": "11111111-1111-4111-8111-111111111111", "type": "ServicePrincipal"}],
            "doNotApplyToChildScopes": !child_scopes
        }))
        .unwrap()
    }

    #[test]
    fn denies_matches_actions_principals_and_scopes() {
        let rg = "/subscriptions/s/resourcegroups/rg";
        let da = deny("/subscriptions/s/resourceGroups/RG", true);
        let someone = "22222222-2222-4222-8222-222222222222";
        let excluded = "11111111-1111-4111-8111-111111111111";
        let delete = "Microsoft.Compute/virtualMachines/delete";
        assert!(da.denies(Plane::Control, delete, someone, rg));
        assert!(da.denies(
            Plane::Control,
            delete,
            someone,
            &format!("{rg}/providers/x/y/z")
        ));
        assert!(!da.denies(Plane::Control, delete, excluded, rg));
        assert!(!da.denies(
            Plane::Control,
            "Microsoft.Compute/virtualMachines/write",
            someone,
            rg
        ));
        assert!(!da.denies(
            Plane::Control,
            "Microsoft.Authorization/roleAssignments/delete",
            someone,
            rg
        ));
        assert!(!da.denies(Plane::Data, delete, someone, rg));
        assert!(!da.denies(Plane::Control, delete, someone, "/subscriptions/s"));
        let here_only = deny("/subscriptions/s/resourceGroups/RG", false);
        assert!(here_only.denies(Plane::Control, delete, someone, rg));
        assert!(!here_only.denies(
            Plane::Control,
            delete,
            someone,
            &format!("{rg}/providers/x/y/z")
        ));
    }

    #[test]
    fn filter_parse_reads_the_documented_filters() {
        assert_eq!(Filter::parse(None).unwrap(), Filter::default());
        let both = Filter::parse(Some("atScope() and principalId eq 'abc'")).unwrap();
        assert!(both.at_scope);
        assert_eq!(both.principal_id.as_deref(), Some("abc"));
        let name = Filter::parse(Some("denyAssignmentName eq 'no deletes'")).unwrap();
        assert_eq!(name.name.as_deref(), Some("no deletes"));
        assert!(Filter::parse(Some("roleName eq 'x'")).is_err());
    }
}
