//! Virtual machines: the wire shapes of `Microsoft.Compute/virtualMachines`, the domain record,
//! and the rules for names and for the `identity` block.
//! See <https://learn.microsoft.com/rest/api/compute/virtual-machines/create-or-update>.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The ARM resource type.
pub const RESOURCE_TYPE: &str = "Microsoft.Compute/virtualMachines";

/// Tags as ARM carries them.
pub use mimic_azure::Tags;

pub use super::profile::*;

// ---------------------------------------------------------------- requests

/// The body of `VirtualMachines_CreateOrUpdate` (PUT).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineCreateRequest {
    /// Required on create.
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub tags: Option<Tags>,
    #[serde(default)]
    pub identity: Option<IdentityRequest>,
    #[serde(default)]
    pub properties: Option<VirtualMachineProfile>,
}

/// The body of `VirtualMachines_Update` (PATCH).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineUpdateRequest {
    #[serde(default)]
    pub tags: Option<Tags>,
    #[serde(default)]
    pub identity: Option<IdentityRequest>,
    #[serde(default)]
    pub properties: Option<VirtualMachineUpdateProperties>,
}

/// The properties a PATCH may change: only the size; the rest is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineUpdateProperties {
    #[serde(default)]
    pub hardware_profile: Option<HardwareProfile>,
}

/// The `identity` object of a PUT or PATCH body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityRequest {
    /// The identity type string, parsed leniently by [`IdentityType::parse`].
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// `{id: {}}` adds, `{id: null}` removes; a null or absent map keeps the current ones.
    #[serde(default)]
    pub user_assigned_identities: Option<serde_json::Map<String, serde_json::Value>>,
}

// ---------------------------------------------------------------- identity rules

/// Which identities a resource has: the `identity.type` string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdentityType {
    /// System-assigned identity enabled.
    pub system: bool,
    /// At least one user-assigned identity.
    pub user: bool,
}

impl IdentityType {
    /// Parses `None`, `SystemAssigned`, `UserAssigned`, `SystemAssigned, UserAssigned` in any
    /// case, with or without the space (az sends `SystemAssigned,UserAssigned`).
    pub fn parse(value: &str) -> Option<Self> {
        let mut kind = Self::default();
        let parts: Vec<&str> = value.split(',').map(str::trim).collect();
        if parts.len() == 1 && parts[0].eq_ignore_ascii_case("None") {
            return Some(kind);
        }
        for part in parts {
            match part.to_ascii_lowercase().as_str() {
                "systemassigned" if !kind.system => kind.system = true,
                "userassigned" if !kind.user => kind.user = true,
                _ => return None,
            }
        }
        Some(kind)
    }

    /// The spaced form Azure emits (clients compare against it).
    pub fn as_str(&self) -> &'static str {
        match (self.system, self.user) {
            (false, false) => "None",
            (true, false) => "SystemAssigned",
            (false, true) => "UserAssigned",
            (true, true) => "SystemAssigned, UserAssigned",
        }
    }
}

/// The identity set a write asks for, before user-assigned ids are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredIdentity {
    /// Whether the system-assigned identity should be on.
    pub system: bool,
    /// Current user-assigned identities that stay (their canonical ids).
    pub kept: Vec<String>,
    /// User-assigned identities to attach, as the client spelled them (deduplicated, case-insensitive).
    pub added: Vec<String>,
}

/// Why an identity request is malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityRequestError {
    /// The `type` string is not one of the four types.
    InvalidType(String),
    /// A key of `userAssignedIdentities` that is not a fully qualified resource id.
    InvalidIdentityId(String),
    /// A value of `userAssignedIdentities` that is neither `{}` nor `null` (the key and the value).
    InvalidIdentityValue(String, serde_json::Value),
}

/// Checks the `userAssignedIdentities` map before anything is decided from it: every key a
/// fully qualified resource id, every value `{}` (attach) or `null` (detach).
fn check_user_assigned(
    map: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), IdentityRequestError> {
    for (id, value) in map {
        if !is_fully_qualified_resource_id(id) {
            return Err(IdentityRequestError::InvalidIdentityId(id.clone()));
        }
        let empty_object = value.as_object().is_some_and(serde_json::Map::is_empty);
        if !(empty_object || value.is_null()) {
            return Err(IdentityRequestError::InvalidIdentityValue(
                id.clone(),
                value.clone(),
            ));
        }
    }
    Ok(())
}

/// Whether `id` is a fully qualified resource id (`/subscriptions/{s}/resourceGroups/{g}/providers/…`).
/// Only that is decided up front; a well-formed id of another type or of a missing identity
/// goes on to the linked authorization and the lookup, as in ARM.
pub fn is_fully_qualified_resource_id(id: &str) -> bool {
    mimic_azure::ResourceId::parse(id).is_ok()
}

/// Applies a PUT/PATCH `identity` object to the current identities (merge semantics of
/// wire-contract §5.7). `current_user` holds the canonical ids now assigned.
pub fn desired_identity(
    current_system: bool,
    current_user: &[String],
    request: &IdentityRequest,
) -> Result<DesiredIdentity, IdentityRequestError> {
    let requested = match &request.kind {
        Some(kind) => Some(
            IdentityType::parse(kind)
                .ok_or_else(|| IdentityRequestError::InvalidType(kind.clone()))?,
        ),
        None => None,
    };
    if let Some(map) = &request.user_assigned_identities {
        check_user_assigned(map)?;
    }
    let system = requested.map_or(current_system, |kind| kind.system);
    let keep_users = requested.is_none_or(|kind| kind.user);
    let mut desired = DesiredIdentity {
        system,
        kept: Vec::new(),
        added: Vec::new(),
    };
    if !keep_users {
        return Ok(desired);
    }
    desired.kept = current_user.to_vec();
    for (id, value) in request.user_assigned_identities.iter().flatten() {
        let position = desired
            .kept
            .iter()
            .position(|kept| kept.eq_ignore_ascii_case(id));
        if value.is_null() {
            if let Some(position) = position {
                desired.kept.remove(position);
            }
            desired
                .added
                .retain(|added| !added.eq_ignore_ascii_case(id));
        } else if position.is_none() && !desired.added.iter().any(|a| a.eq_ignore_ascii_case(id)) {
            desired.added.push(id.clone());
        }
    }
    Ok(desired)
}

// ---------------------------------------------------------------- domain record

/// A VM's system-assigned identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemIdentity {
    pub principal_id: String,
    pub client_id: String,
    pub tenant_id: String,
}

/// A user-assigned identity attached to a VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedIdentity {
    /// The identity's canonical ARM id.
    pub id: String,
    pub principal_id: String,
    pub client_id: String,
}

/// A stored virtual machine.
#[derive(Debug, Clone)]
pub struct VirtualMachine {
    /// Store key.
    pub key: i64,
    pub subscription_id: String,
    /// The group's canonical name.
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub vm_id: String,
    pub tags: Tags,
    pub profile: VirtualMachineProfile,
    pub system_identity: Option<SystemIdentity>,
    pub user_identities: Vec<AttachedIdentity>,
    /// Seconds since the epoch.
    pub created_time: i64,
    pub changed_time: i64,
    /// Optimistic-concurrency counter.
    pub version: i64,
}

impl VirtualMachine {
    /// The canonical ARM id.
    pub fn id(&self) -> String {
        vm_id_of(&self.subscription_id, &self.resource_group, &self.name)
    }

    /// The current identity type.
    pub fn identity_type(&self) -> IdentityType {
        IdentityType {
            system: self.system_identity.is_some(),
            user: !self.user_identities.is_empty(),
        }
    }

    /// The response's `identity` block, `None` when the VM has no identity.
    pub fn identity_block(&self) -> Option<VirtualMachineIdentity> {
        let kind = self.identity_type();
        if kind == IdentityType::default() {
            return None;
        }
        let users = (!self.user_identities.is_empty()).then(|| {
            self.user_identities
                .iter()
                .map(|attached| {
                    let value = UserAssignedIdentityValue {
                        principal_id: attached.principal_id.clone(),
                        client_id: attached.client_id.clone(),
                    };
                    (attached.id.clone(), value)
                })
                .collect()
        });
        Some(VirtualMachineIdentity {
            kind: kind.as_str(),
            principal_id: self
                .system_identity
                .as_ref()
                .map(|s| s.principal_id.clone()),
            tenant_id: self.system_identity.as_ref().map(|s| s.tenant_id.clone()),
            user_assigned_identities: users,
        })
    }
}

/// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Compute/virtualMachines/{name}`.
pub fn vm_id_of(subscription_id: &str, resource_group: &str, name: &str) -> String {
    format!(
        "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{RESOURCE_TYPE}/{name}"
    )
}

// ---------------------------------------------------------------- responses

/// The `identity` block of a VM response.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineIdentity {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_assigned_identities: Option<BTreeMap<String, UserAssignedIdentityValue>>,
}

/// One entry of `identity.userAssignedIdentities`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserAssignedIdentityValue {
    pub principal_id: String,
    pub client_id: String,
}

/// A VM as Compute returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineResponse {
    pub name: String,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub location: String,
    #[serde(skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// Changes on every write ([`super::conditions::etag`]).
    pub etag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<VirtualMachineIdentity>,
    pub properties: VirtualMachineResponseProperties,
}

/// `properties` of a VM response.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineResponseProperties {
    pub vm_id: String,
    #[serde(flatten)]
    pub profile: VirtualMachineProfile,
    pub provisioning_state: &'static str,
    pub time_created: String,
    /// With `$expand=instanceView`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_view: Option<super::instance_view::InstanceView>,
}

impl VirtualMachineResponse {
    /// The VM while `pending` runs on it (`None`: nothing runs, `provisioningState: Succeeded`).
    pub fn new(
        vm: &VirtualMachine,
        pending: Option<crate::async_operations::OperationKind>,
    ) -> Self {
        Self {
            name: vm.name.clone(),
            id: vm.id(),
            kind: RESOURCE_TYPE,
            location: vm.location.clone(),
            tags: vm.tags.clone(),
            etag: super::conditions::etag(vm),
            identity: vm.identity_block(),
            properties: VirtualMachineResponseProperties {
                vm_id: vm.vm_id.clone(),
                profile: crate::network_interfaces::model::profile_with_nics(vm),
                provisioning_state: crate::async_operations::model::provisioning_state(pending),
                time_created: mimic_azure::time::compute_timestamp(vm.created_time),
                instance_view: None,
            },
        }
    }

    /// The same with `properties.instanceView` (`$expand=instanceView`).
    pub fn with_instance_view(
        vm: &VirtualMachine,
        pending: Option<crate::async_operations::OperationKind>,
    ) -> Self {
        let mut response = Self::new(vm, pending);
        response.properties.instance_view = Some(super::instance_view::instance_view(vm, pending));
        response
    }
}

impl From<&VirtualMachine> for VirtualMachineResponse {
    fn from(vm: &VirtualMachine) -> Self {
        Self::new(vm, None)
    }
}

// ---------------------------------------------------------------- names

/// Compute's rule for resource names (`InvalidParameter`, target `vmName`).
pub const VM_NAME_RULE: &str = r"^[^_\W][\w-._]{0,79}(?<![-.])$";

/// Why a VM name or computer name is rejected; each maps to an `InvalidParameter` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    /// The resource name breaks [`VM_NAME_RULE`].
    ResourceName,
    /// A Linux host name longer than 64 or with a forbidden character.
    LinuxHostName,
    /// A Windows computer name longer than 15, all digits, or with a forbidden character.
    WindowsComputerName,
}

/// Checks the VM's resource name against Compute's entity-name rule: 1-80 word characters,
/// hyphens and periods, starting with a letter or digit, not ending with a hyphen or period.
pub fn check_vm_name(name: &str) -> Result<(), NameProblem> {
    let chars: Vec<char> = name.chars().collect();
    let word = |c: &char| c.is_alphanumeric() || *c == '_';
    let ok = (1..=80).contains(&chars.len())
        && chars.first().is_some_and(|c| c.is_alphanumeric())
        && chars.iter().all(|c| word(c) || *c == '-' || *c == '.')
        && chars.last().is_some_and(|c| *c != '-' && *c != '.');
    ok.then_some(()).ok_or(NameProblem::ResourceName)
}

/// Checks the guest computer name as Compute does for the OS type. A name Compute derived from
/// the VM name (`explicit == false`) is only held to the length limit: its characters already
/// passed [`check_vm_name`], and mimic, unlike Compute, does not require `osProfile.computerName`.
pub fn check_computer_name(
    computer_name: &str,
    os_type: &str,
    explicit: bool,
) -> Result<(), NameProblem> {
    const LINUX_FORBIDDEN: &str = "`~!@#$%^&*()=+_[]{}\\|;:'\",<>/?";
    let length = computer_name.chars().count();
    let windows = os_type.eq_ignore_ascii_case("Windows");
    if !explicit {
        return match (windows, length) {
            (true, 16..) => Err(NameProblem::WindowsComputerName),
            (false, 65..) => Err(NameProblem::LinuxHostName),
            _ => Ok(()),
        };
    }
    if windows {
        let forbidden = |c: char| LINUX_FORBIDDEN.contains(c) || c == '.' || c.is_whitespace();
        let numeric = computer_name.chars().all(|c| c.is_ascii_digit());
        if length == 0 || length > 15 || numeric || computer_name.chars().any(forbidden) {
            return Err(NameProblem::WindowsComputerName);
        }
        return Ok(());
    }
    let forbidden = |c: char| LINUX_FORBIDDEN.contains(c) || c.is_whitespace();
    if length == 0 || length > 64 || computer_name.chars().any(forbidden) {
        return Err(NameProblem::LinuxHostName);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: Option<&str>, map: serde_json::Value) -> IdentityRequest {
        IdentityRequest {
            kind: kind.map(str::to_string),
            user_assigned_identities: map.as_object().cloned(),
        }
    }

    #[test]
    fn identity_type_parse_accepts_every_spelling_and_emits_the_spaced_form() {
        let cases = [
            (
                "SystemAssigned,UserAssigned",
                "SystemAssigned, UserAssigned",
            ),
            (
                "systemassigned, userassigned",
                "SystemAssigned, UserAssigned",
            ),
            (
                "UserAssigned,SystemAssigned",
                "SystemAssigned, UserAssigned",
            ),
            ("none", "None"),
            ("USERASSIGNED", "UserAssigned"),
            ("SystemAssigned", "SystemAssigned"),
        ];
        for (input, expected) in cases {
            let parsed = IdentityType::parse(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!(parsed.as_str(), expected, "{input}");
        }
        for bad in [
            "",
            "Both",
            "SystemAssigned,SystemAssigned",
            "None,UserAssigned",
        ] {
            assert_eq!(IdentityType::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn desired_identity_follows_the_az_bodies_of_the_wire_contract() {
        let id1 = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1".to_string();
        let id2 = id1.replace("id1", "id2");
        let both = [id1.clone(), id2.clone()];
        let cases: Vec<(&str, bool, Vec<String>, IdentityRequest, DesiredIdentity)> = vec![
            (
                "enable SA",
                false,
                vec![],
                request(Some("SystemAssigned"), serde_json::Value::Null),
                DesiredIdentity {
                    system: true,
                    kept: vec![],
                    added: vec![],
                },
            ),
            (
                "add id1 to a VM with SA (no-space type)",
                true,
                vec![],
                request(
                    Some("SystemAssigned,UserAssigned"),
                    serde_json::json!({ &id1: {} }),
                ),
                DesiredIdentity {
                    system: true,
                    kept: vec![],
                    added: vec![id1.clone()],
                },
            ),
            (
                "re-sent existing ids are kept, not added",
                false,
                vec![id2.clone()],
                request(
                    Some("UserAssigned"),
                    serde_json::json!({ &id2: {}, &id1: {} }),
                ),
                DesiredIdentity {
                    system: false,
                    kept: vec![id2.clone()],
                    added: vec![id1.clone()],
                },
            ),
            (
                "remove ID1 in the user's casing",
                false,
                both.to_vec(),
                request(
                    Some("UserAssigned"),
                    serde_json::json!({ id1.replace("id1", "ID1"): null }),
                ),
                DesiredIdentity {
                    system: false,
                    kept: vec![id2.clone()],
                    added: vec![],
                },
            ),
            (
                "remove the last UAMI while SA stays",
                true,
                vec![id1.clone()],
                request(Some("SystemAssigned"), serde_json::Value::Null),
                DesiredIdentity {
                    system: true,
                    kept: vec![],
                    added: vec![],
                },
            ),
            (
                "remove SA keeping UAMIs (null map keeps)",
                true,
                both.to_vec(),
                request(Some("UserAssigned"), serde_json::Value::Null),
                DesiredIdentity {
                    system: false,
                    kept: both.to_vec(),
                    added: vec![],
                },
            ),
            (
                "None drops everything",
                true,
                both.to_vec(),
                request(Some("None"), serde_json::Value::Null),
                DesiredIdentity {
                    system: false,
                    kept: vec![],
                    added: vec![],
                },
            ),
            (
                "duplicate keys differing in case are one addition",
                false,
                vec![],
                request(
                    Some("UserAssigned"),
                    serde_json::json!({ &id1: {}, id1.to_uppercase(): {} }),
                ),
                DesiredIdentity {
                    system: false,
                    kept: vec![],
                    added: vec![id1.to_uppercase()],
                },
            ),
        ];
        for (name, system, current, request, expected) in cases {
            let got = desired_identity(system, &current, &request).unwrap();
            // Map iteration order is sorted by key; compare as sets where order is not the point.
            assert_eq!(got.system, expected.system, "{name}");
            assert_eq!(got.kept, expected.kept, "{name}");
            assert_eq!(got.added.len(), expected.added.len(), "{name}");
            for added in &expected.added {
                assert!(
                    got.added.iter().any(|a| a.eq_ignore_ascii_case(added)),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn desired_identity_rejects_an_unknown_type() {
        let result = desired_identity(
            false,
            &[],
            &request(Some("Everything"), serde_json::Value::Null),
        );
        assert_eq!(
            result,
            Err(IdentityRequestError::InvalidType("Everything".into()))
        );
    }

    #[test]
    fn desired_identity_rejects_malformed_ids_and_values_other_than_empty_or_null() {
        let id1 = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1";
        for (map, expected) in [
            (
                serde_json::json!({"not-an-id": {}}),
                IdentityRequestError::InvalidIdentityId("not-an-id".into()),
            ),
            (
                serde_json::json!({id1: 5}),
                IdentityRequestError::InvalidIdentityValue(id1.into(), serde_json::json!(5)),
            ),
            (
                serde_json::json!({id1: {"clientId": "x"}}),
                IdentityRequestError::InvalidIdentityValue(
                    id1.into(),
                    serde_json::json!({"clientId": "x"}),
                ),
            ),
        ] {
            let result = desired_identity(false, &[], &request(Some("UserAssigned"), map.clone()));
            assert_eq!(result, Err(expected), "{map}");
        }
        for map in [serde_json::json!({id1: {}}), serde_json::json!({id1: null})] {
            let result = desired_identity(false, &[], &request(Some("UserAssigned"), map.clone()));
            assert!(result.is_ok(), "{map}");
        }
    }

    #[test]
    fn check_vm_name_follows_compute_rules() {
        for good in ["vm1", "a", "my_vm.web-1", &"a".repeat(80)] {
            assert_eq!(check_vm_name(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "_vm",
            "-vm",
            "vm-",
            "vm.",
            "my vm",
            "vm$",
            &"a".repeat(81),
        ] {
            assert_eq!(check_vm_name(bad), Err(NameProblem::ResourceName), "{bad}");
        }
    }

    #[test]
    fn check_computer_name_follows_the_os_rules() {
        use NameProblem::{LinuxHostName, WindowsComputerName};
        let cases: [(&str, &str, bool, Result<(), NameProblem>); 9] = [
            (&"a".repeat(64), "Linux", true, Ok(())),
            (&"a".repeat(65), "Linux", true, Err(LinuxHostName)),
            (&"a".repeat(65), "Linux", false, Err(LinuxHostName)),
            ("my_vm", "Linux", true, Err(LinuxHostName)),
            ("my_vm", "Linux", false, Ok(())),
            ("web.01", "Linux", true, Ok(())),
            ("web.01", "Windows", true, Err(WindowsComputerName)),
            ("12345", "Windows", true, Err(WindowsComputerName)),
            (&"w".repeat(16), "Windows", false, Err(WindowsComputerName)),
        ];
        for (name, os, explicit, expected) in cases {
            assert_eq!(
                check_computer_name(name, os, explicit),
                expected,
                "{name} {os} {explicit}"
            );
        }
    }
}
