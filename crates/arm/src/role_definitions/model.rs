//! Role definitions: the catalogue of Azure's 928 built-in roles (embedded from
//! `data/builtin-roles/builtin-roles.json`, see its `SOURCE.md`), custom roles, the wire shape, the
//! checks a custom role must pass, and how actions match.

use std::collections::HashMap;
use std::sync::LazyLock;

use mimic_azure::Scope;
use serde::{Deserialize, Serialize};

use crate::rbac::condition::{Attributes, Outcome};
use crate::ArmError;

/// `properties.type` of a role definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoleType {
    /// One of Azure's built-in roles (immutable).
    BuiltInRole,
    /// A role created with `RoleDefinitions_CreateOrUpdate`.
    CustomRole,
}

/// One permission block of a role definition (Azure's `Permission` model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// Allowed control-plane actions.
    #[serde(default)]
    pub actions: Vec<String>,
    /// Control-plane actions subtracted from `actions`.
    #[serde(default)]
    pub not_actions: Vec<String>,
    /// Allowed data-plane actions (evaluated by [`crate::rbac::authorize_data`]).
    #[serde(default)]
    pub data_actions: Vec<String>,
    /// Data-plane actions subtracted from `dataActions`.
    #[serde(default)]
    pub not_data_actions: Vec<String>,
    /// An ABAC condition on this block (2022-05-01-preview and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// The condition's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_version: Option<String>,
}

/// The plane an action belongs to: control-plane actions are checked against `actions` /
/// `notActions`, data actions against `dataActions` / `notDataActions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plane {
    /// ARM operations.
    Control,
    /// Data-plane operations (Key Vault secrets, blobs, …).
    Data,
}

impl Permission {
    /// Whether the block's action lists take in `action` (ignoring any condition).
    pub fn covers(&self, plane: Plane, action: &str) -> bool {
        let (allowed, subtracted) = match plane {
            Plane::Control => (&self.actions, &self.not_actions),
            Plane::Data => (&self.data_actions, &self.not_data_actions),
        };
        allowed
            .iter()
            .any(|pattern| action_matches(pattern, action))
            && !subtracted
                .iter()
                .any(|pattern| action_matches(pattern, action))
    }

    /// Whether this block grants `action`: its lists cover the action and its condition, if
    /// any, holds for it ([`crate::rbac::condition`]: a condition restricts only the actions
    /// its `ActionMatches` clauses name; what mimic cannot evaluate is not granted).
    pub fn grants(&self, plane: Plane, action: &str, attributes: &Attributes) -> Outcome {
        if !self.covers(plane, action) {
            return Outcome::False;
        }
        match &self.condition {
            None => Outcome::True,
            Some(condition) => crate::rbac::condition::evaluate(condition, action, attributes),
        }
    }

    /// Whether this block grants the control-plane `action` to a request without attributes.
    pub fn permits(&self, action: &str) -> bool {
        self.grants(Plane::Control, action, &Attributes::none()) == Outcome::True
    }

    /// This block as api-versions before 2022-05-01-preview show it (no condition fields).
    fn without_condition(&self) -> Self {
        Self {
            condition: None,
            condition_version: None,
            ..self.clone()
        }
    }
}

/// A role definition, built-in or custom.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDefinition {
    /// The role's GUID (the definition's `name`).
    pub name: String,
    /// `roleName`, e.g. `Reader`.
    pub role_name: String,
    /// `BuiltInRole` or `CustomRole`.
    pub role_type: RoleType,
    /// `description`.
    pub description: String,
    /// `assignableScopes`: `["/"]` for built-ins.
    pub assignable_scopes: Vec<String>,
    /// `permissions`.
    pub permissions: Vec<Permission>,
    /// `createdOn` (null for built-ins: the catalogue's source has no dates).
    pub created_on: Option<String>,
    /// `updatedOn`.
    pub updated_on: Option<String>,
    /// `createdBy`: the creator's object id (custom roles).
    pub created_by: Option<String>,
    /// `updatedBy`.
    pub updated_by: Option<String>,
}

impl RoleDefinition {
    /// Whether this role grants the control-plane `action` to a request without attributes
    /// (see [`Permission::grants`]).
    pub fn permits(&self, action: &str) -> bool {
        self.permissions.iter().any(|block| block.permits(action))
    }

    /// The definition's id under `scope`: `/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/{guid}`
    /// inside a subscription, `/providers/Microsoft.Authorization/roleDefinitions/{guid}` at the root.
    pub fn id(&self, subscription_id: Option<&str>) -> String {
        definition_id(subscription_id, &self.name)
    }

    /// Whether this role is offered for assignment at `scope_key` (lower-cased): one of its
    /// assignable scopes is the scope or encloses it.
    pub fn assignable_at(&self, scope_key: &str) -> bool {
        self.assignable_scopes.iter().any(|assignable| {
            crate::role_assignments::model::encloses(&assignable.to_lowercase(), scope_key)
        })
    }
}

/// The embedded catalogue, indexed by GUID and by lower-cased roleName.
struct Catalogue {
    roles: Vec<RoleDefinition>,
    by_guid: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

/// One element of `builtin-roles.json` (the shape `az role definition list` prints).
#[derive(Deserialize)]
struct CatalogueEntry {
    name: String,
    properties: CatalogueProperties,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogueProperties {
    role_name: String,
    description: String,
    assignable_scopes: Vec<String>,
    permissions: Vec<Permission>,
}

/// The built-in roles, parsed once from the JSON embedded at build time. The file is part of
/// the crate and checked by the tests, so a parse failure is a build defect.
#[allow(clippy::expect_used)]
static BUILT_IN: LazyLock<Catalogue> = LazyLock::new(|| {
    let entries: Vec<CatalogueEntry> =
        serde_json::from_str(include_str!("../../data/builtin-roles/builtin-roles.json"))
            .expect("data/builtin-roles/builtin-roles.json is a valid catalogue");
    let roles: Vec<RoleDefinition> = entries
        .into_iter()
        .map(|entry| RoleDefinition {
            name: entry.name.to_lowercase(),
            role_name: entry.properties.role_name,
            role_type: RoleType::BuiltInRole,
            description: entry.properties.description,
            assignable_scopes: entry.properties.assignable_scopes,
            permissions: entry.properties.permissions,
            created_on: None,
            updated_on: None,
            created_by: None,
            updated_by: None,
        })
        .collect();
    let by_guid = roles
        .iter()
        .enumerate()
        .map(|(at, role)| (role.name.clone(), at))
        .collect();
    let by_name = roles
        .iter()
        .enumerate()
        .map(|(at, role)| (role.role_name.to_lowercase(), at))
        .collect();
    Catalogue {
        roles,
        by_guid,
        by_name,
    }
});

/// Every built-in role, sorted by roleName (as the catalogue is).
pub fn built_in_roles() -> &'static [RoleDefinition] {
    &BUILT_IN.roles
}

/// The built-in role with this GUID (case-insensitive), by map.
pub fn find(guid: &str) -> Option<&'static RoleDefinition> {
    let catalogue = &*BUILT_IN;
    catalogue
        .by_guid
        .get(&guid.to_ascii_lowercase())
        .map(|&at| &catalogue.roles[at])
}

/// The built-in role with this roleName (case-insensitive), by map.
pub fn find_by_role_name(role_name: &str) -> Option<&'static RoleDefinition> {
    let catalogue = &*BUILT_IN;
    catalogue
        .by_name
        .get(&role_name.to_lowercase())
        .map(|&at| &catalogue.roles[at])
}

/// Owner.
pub const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
/// Contributor.
pub const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
/// Reader.
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";

/// The id of role definition `guid` as seen from a subscription (or the tenant root).
pub fn definition_id(subscription_id: Option<&str>, guid: &str) -> String {
    match subscription_id {
        Some(subscription_id) => format!(
            "/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
        ),
        None => format!("/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
    }
}

/// Whether an action pattern matches an action, as ARM does: case-insensitive, `*` matches any
/// sequence of characters (across `/`), and `/*/` also matches a single `/` (so that
/// `userAssignedIdentities/*/assign/action` grants `userAssignedIdentities/assign/action`).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    glob(pattern.as_bytes(), action.as_bytes())
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => {
            // `/*/` standing for zero segments: skip `*/` after a `/` already matched.
            let zero_segments = rest.first() == Some(&b'/') && glob(&rest[1..], text);
            zero_segments || (0..=text.len()).any(|skip| glob(rest, &text[skip..]))
        }
        Some((first, rest)) => text.first() == Some(first) && glob(rest, &text[1..]),
    }
}

/// The first api-version whose `Permission` carries `condition` and `conditionVersion`.
const CONDITIONS_SINCE: &str = "2022-05-01-preview";

/// Whether `api_version` shows permission conditions (2022-05-01-preview and later; api-versions
/// compare as dates, and a preview sorts after the plain version of the same date here only in
/// that the 2022-05-01 date itself has no stable release).
pub fn shows_conditions(api_version: &str) -> bool {
    api_version.get(..10).unwrap_or(api_version) >= &CONDITIONS_SINCE[..10]
}

/// The wire shape of a role definition.
#[derive(Debug, Serialize)]
pub struct RoleDefinitionBody {
    id: String,
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    properties: RoleDefinitionProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleDefinitionProperties {
    role_name: String,
    #[serde(rename = "type")]
    role_type: RoleType,
    description: String,
    assignable_scopes: Vec<String>,
    permissions: Vec<Permission>,
    created_on: Option<String>,
    updated_on: Option<String>,
    created_by: Option<String>,
    updated_by: Option<String>,
}

impl RoleDefinitionBody {
    /// `definition` as seen from `subscription_id` (or the tenant root) at `api_version`: the
    /// 2022-04-01 shape has no permission conditions, 2022-05-01-preview and later do.
    pub fn new(
        definition: &RoleDefinition,
        subscription_id: Option<&str>,
        api_version: &str,
    ) -> Self {
        let permissions = if shows_conditions(api_version) {
            definition.permissions.clone()
        } else {
            definition
                .permissions
                .iter()
                .map(Permission::without_condition)
                .collect()
        };
        Self {
            id: definition.id(subscription_id),
            name: definition.name.clone(),
            kind: "Microsoft.Authorization/roleDefinitions",
            properties: RoleDefinitionProperties {
                role_name: definition.role_name.clone(),
                role_type: definition.role_type,
                description: definition.description.clone(),
                assignable_scopes: definition.assignable_scopes.clone(),
                permissions,
                created_on: definition.created_on.clone(),
                updated_on: definition.updated_on.clone(),
                created_by: definition.created_by.clone(),
                updated_by: definition.updated_by.clone(),
            },
        }
    }
}

/// The body of `RoleDefinitions_CreateOrUpdate`.
#[derive(Debug, Deserialize)]
pub struct RoleDefinitionCreateParameters {
    /// The definition's properties.
    pub properties: RoleDefinitionInput,
}

/// `properties` of a role definition PUT.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionInput {
    /// The role's display name, unique in the tenant.
    pub role_name: String,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The scopes the role may be assigned at (required).
    #[serde(default)]
    pub assignable_scopes: Vec<String>,
    /// The permission blocks.
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

impl RoleDefinitionInput {
    /// Checks the definition a PUT at `scope` asks for: `assignableScopes` present, each a
    /// subscription, group or resource at or under `scope` (never the root `/`, which only
    /// built-ins carry), and every action a well-formed pattern.
    pub fn validate(&self, scope: &Scope) -> Result<(), ArmError> {
        if self.role_name.trim().is_empty() {
            return Err(ArmError::InvalidRequestContent(
                "The roleName property is required.".to_string(),
            ));
        }
        if self.assignable_scopes.is_empty() {
            return Err(ArmError::InvalidAssignableScopes(
                "The role definition must have at least one assignable scope.".to_string(),
            ));
        }
        for assignable in &self.assignable_scopes {
            check_assignable_scope(assignable, scope)?;
        }
        for block in &self.permissions {
            let all = block.actions.iter().chain(&block.not_actions);
            let data = block.data_actions.iter().chain(&block.not_data_actions);
            if let Some(bad) = all
                .chain(data)
                .find(|action| !is_well_formed_action(action))
            {
                return Err(ArmError::InvalidActionOrNotAction(bad.clone()));
            }
        }
        Ok(())
    }
}

fn check_assignable_scope(assignable: &str, scope: &Scope) -> Result<(), ArmError> {
    let invalid = |why: &str| {
        ArmError::InvalidAssignableScopes(format!("The assignable scope '{assignable}' {why}"))
    };
    match Scope::parse(assignable) {
        Err(_) => Err(invalid("is not a valid scope.")),
        Ok(Scope::Tenant) => Err(invalid("is the root scope, which custom roles cannot use.")),
        Ok(parsed) if crate::role_assignments::model::encloses(&scope.key(), &parsed.key()) => {
            Ok(())
        }
        Ok(_) => Err(invalid(&format!(
            "is not at or under the scope '{scope}' of the request."
        ))),
    }
}

/// Whether an action string is a pattern ARM accepts: `*`, `*/{tail}` (e.g. `*/read`), or
/// `{Provider.Namespace}/{segments}` where segments hold letters, digits, `.`, `_`, `-` and the
/// wildcard `*`. ARM also refuses actions no provider registers; mimic has no operation catalogue
/// and only checks the form.
pub fn is_well_formed_action(action: &str) -> bool {
    let segment_ok = |segment: &str| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '*'))
    };
    if action == "*" {
        return true;
    }
    let Some((namespace, tail)) = action.split_once('/') else {
        return false;
    };
    let namespace_ok = namespace == "*"
        || (namespace.contains('.')
            && !namespace.starts_with('.')
            && !namespace.ends_with('.')
            && namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.'));
    namespace_ok && tail.split('/').all(segment_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_matches_follows_arm_wildcards() {
        let cases = [
            ("*", "Microsoft.Compute/virtualMachines/write", true),
            ("*/read", "Microsoft.Compute/virtualMachines/read", true),
            ("*/read", "Microsoft.Compute/virtualMachines/write", false),
            (
                "*/READ",
                "microsoft.resources/subscriptions/resourcegroups/read",
                true,
            ),
            (
                "Microsoft.Authorization/*",
                "Microsoft.Authorization/roleAssignments/write",
                true,
            ),
            (
                "Microsoft.Authorization/*",
                "Microsoft.Compute/virtualMachines/read",
                false,
            ),
            (
                "Microsoft.Authorization/*/read",
                "Microsoft.Authorization/roleDefinitions/read",
                true,
            ),
            (
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/roleAssignments/write",
                true,
            ),
            (
                "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
                "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
                true,
            ),
            (
                "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
                "Microsoft.ManagedIdentity/userAssignedIdentities/read",
                true,
            ),
            (
                "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
                "Microsoft.ManagedIdentity/userAssignedIdentities/write",
                false,
            ),
            (
                "Microsoft.Compute/virtualMachines/*",
                "Microsoft.Compute/virtualMachinesX/read",
                false,
            ),
            (
                "Microsoft.Compute/virtualMachines/read",
                "Microsoft.Compute/virtualMachines/read",
                true,
            ),
        ];
        for (pattern, action, want) in cases {
            assert_eq!(
                action_matches(pattern, action),
                want,
                "{pattern} vs {action}"
            );
        }
    }

    #[test]
    fn permits_subtracts_not_actions() {
        let contributor = find(CONTRIBUTOR).unwrap();
        assert!(contributor.permits("Microsoft.Compute/virtualMachines/write"));
        assert!(
            contributor.permits("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action")
        );
        assert!(contributor.permits("Microsoft.Authorization/roleAssignments/read"));
        assert!(!contributor.permits("Microsoft.Authorization/roleAssignments/write"));
        assert!(!contributor.permits("Microsoft.Authorization/roleAssignments/delete"));
        let reader = find(READER).unwrap();
        assert!(reader.permits("Microsoft.Resources/subscriptions/resourceGroups/read"));
        assert!(!reader.permits("Microsoft.Resources/subscriptions/resourceGroups/write"));
        let vm_contributor = find("9980E02C-C2BE-4D73-94E8-173B1DC7CF3C").unwrap();
        assert!(vm_contributor.permits("Microsoft.Compute/virtualMachines/write"));
        assert!(!vm_contributor
            .permits("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"));
    }

    #[test]
    fn the_catalogue_has_928_roles_unique_by_guid_and_name() {
        assert_eq!(built_in_roles().len(), 928);
        for role in built_in_roles() {
            assert_eq!(find(&role.name.to_uppercase()), Some(role));
            assert_eq!(
                find_by_role_name(&role.role_name.to_uppercase()),
                Some(role)
            );
        }
        assert_eq!(find(OWNER).unwrap().role_name, "Owner");
    }

    #[test]
    fn a_conditional_block_grants_its_unnamed_actions_and_restricts_the_named_ones() {
        let kv_admin = find_by_role_name("Key Vault Data Access Administrator").unwrap();
        assert!(kv_admin.permits("Microsoft.Authorization/roleAssignments/read"));
        assert!(kv_admin.permits("Microsoft.Resources/subscriptions/resourceGroups/read"));
        // No attributes: the restricted actions are not granted.
        assert!(!kv_admin.permits("Microsoft.Authorization/roleAssignments/write"));
        let block = &kv_admin.permissions[0];
        let write = "Microsoft.Authorization/roleAssignments/write";
        let secrets_user = "4633458b-17de-408a-b874-0445c86b69e6";
        assert_eq!(
            block.grants(
                Plane::Control,
                write,
                &Attributes::role_assignment_write(secrets_user, "User")
            ),
            Outcome::True
        );
        assert_eq!(
            block.grants(
                Plane::Control,
                write,
                &Attributes::role_assignment_write(OWNER, "User")
            ),
            Outcome::False
        );
    }

    #[test]
    fn grants_checks_data_actions_on_the_data_plane_only() {
        let secrets_user = find_by_role_name("Key Vault Secrets User").unwrap();
        let read = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
        let none = Attributes::none();
        let granted = |plane, action| {
            secrets_user
                .permissions
                .iter()
                .any(|block| block.grants(plane, action, &none) == Outcome::True)
        };
        assert!(granted(Plane::Data, read));
        assert!(granted(
            Plane::Data,
            "MICROSOFT.KEYVAULT/VAULTS/SECRETS/READMETADATA/ACTION"
        ));
        assert!(!granted(Plane::Control, read));
        assert!(!granted(
            Plane::Data,
            "Microsoft.KeyVault/vaults/secrets/setSecret/action"
        ));
    }

    #[test]
    fn is_well_formed_action_accepts_arm_patterns_only() {
        let cases = [
            ("*", true),
            ("*/read", true),
            ("Microsoft.Compute/*", true),
            ("Microsoft.Compute/*/read", true),
            (
                "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
                true,
            ),
            ("Microsoft.Web/locations/*/read", true),
            ("", false),
            ("read", false),
            ("Microsoft.Compute", false),
            ("Microsoft.Compute/", false),
            ("Microsoft.Compute//read", false),
            ("Compute/virtualMachines/read", false),
            ("Microsoft.Compute/virtual machines/read", false),
            ("Micro*soft.Compute/read", false),
        ];
        for (action, want) in cases {
            assert_eq!(is_well_formed_action(action), want, "{action:?}");
        }
    }

    #[test]
    fn shows_conditions_from_2022_05_01_preview() {
        assert!(shows_conditions("2022-05-01-preview"));
        assert!(shows_conditions("2026-04-01"));
        assert!(!shows_conditions("2022-04-01"));
        assert!(!shows_conditions("2018-01-01-preview"));
    }
}
