//! Resource groups: the domain type, name rules, request bodies and the wire shape.

use serde::{Deserialize, Serialize};

use crate::ArmError;

/// Tags: string keys and values.
pub use mimic_azure::Tags;

/// The ARM resource type.
pub const RESOURCE_TYPE: &str = "Microsoft.Resources/resourceGroups";

/// A resource group as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceGroup {
    /// The subscription id (canonical).
    pub subscription_id: String,
    /// The name (canonical, as first created).
    pub name: String,
    /// The normalised location, e.g. `eastus`.
    pub location: String,
    /// `managedBy`, when set.
    pub managed_by: Option<String>,
    /// Tags, when set.
    pub tags: Option<Tags>,
    /// Creation time, epoch seconds.
    pub created_time: i64,
    /// Last change, epoch seconds.
    pub changed_time: i64,
}

impl ResourceGroup {
    /// `/subscriptions/{s}/resourceGroups/{name}`.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            self.subscription_id, self.name
        )
    }
}

/// Checks a resource group name as ARM does: 1–90 characters, letters (any script), digits,
/// `-`, `_`, `.`, `(`, `)`, not ending with `.`; otherwise 400 `InvalidResourceGroup`.
pub fn validate_name(name: &str) -> Result<(), ArmError> {
    let invalid: String = name
        .chars()
        .filter(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')')))
        .collect();
    if !invalid.is_empty() {
        return Err(ArmError::InvalidResourceGroup(format!(
            "The provided resource group name '{name}' has these invalid characters: '{invalid}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'. For more details, visit https://aka.ms/resourcegroupnaming."
        )));
    }
    let length = name.chars().count();
    if length == 0 || length > 90 {
        return Err(ArmError::InvalidResourceGroup(format!(
            "The provided resource group name '{name}' has length {length}. The name must be 1 to 90 characters long."
        )));
    }
    if name.ends_with('.') {
        return Err(ArmError::InvalidResourceGroup(format!(
            "The provided resource group name '{name}' ends with a period. The name cannot end with a period."
        )));
    }
    Ok(())
}

/// The body of `ResourceGroups_CreateOrUpdate`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupCreate {
    /// Required.
    #[serde(default)]
    pub location: Option<String>,
    /// Optional.
    #[serde(default)]
    pub managed_by: Option<String>,
    /// Optional.
    #[serde(default)]
    pub tags: Option<Tags>,
}

/// The body of `ResourceGroups_Update` (PATCH).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupPatch {
    /// Replaces the tags when present.
    #[serde(default)]
    pub tags: Option<Tags>,
    /// Replaces `managedBy` when present.
    #[serde(default)]
    pub managed_by: Option<String>,
}

/// The wire shape of a resource group.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupBody {
    id: String,
    /// The group's name (the list pages by it).
    pub name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    managed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Tags>,
    properties: ResourceGroupProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceGroupProperties {
    provisioning_state: &'static str,
}

impl From<ResourceGroup> for ResourceGroupBody {
    fn from(group: ResourceGroup) -> Self {
        Self::with_state(group, "Succeeded")
    }
}

impl ResourceGroupBody {
    /// The group with `provisioningState` (`Deleting` while its deletion runs).
    pub fn with_state(group: ResourceGroup, provisioning_state: &'static str) -> Self {
        Self {
            id: group.id(),
            name: group.name,
            kind: "Microsoft.Resources/resourceGroups",
            location: group.location,
            managed_by: group.managed_by,
            tags: group.tags,
            properties: ResourceGroupProperties { provisioning_state },
        }
    }
}

/// `$filter` of `ResourceGroups_List`: `tagName eq 'k' [and tagValue eq 'v']`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TagFilter {
    /// The tag name to require.
    pub name: Option<String>,
    /// The tag value to require.
    pub value: Option<String>,
}

impl TagFilter {
    /// Parses the filter; anything else is `InvalidFilterInQueryString`.
    pub fn parse(filter: Option<&str>) -> Result<Self, ArmError> {
        let mut parsed = Self::default();
        let Some(raw) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
            return Ok(parsed);
        };
        for clause in raw.split(" and ") {
            let (field, value) = clause
                .split_once(" eq ")
                .and_then(|(field, value)| {
                    let value = value.trim().strip_prefix('\'')?.strip_suffix('\'')?;
                    Some((field.trim().to_ascii_lowercase(), value.to_string()))
                })
                .ok_or_else(|| ArmError::InvalidFilterInQueryString(raw.to_string()))?;
            match field.as_str() {
                "tagname" => parsed.name = Some(value),
                "tagvalue" => parsed.value = Some(value),
                _ => return Err(ArmError::InvalidFilterInQueryString(raw.to_string())),
            }
        }
        Ok(parsed)
    }

    /// Whether a group passes the filter (tag names compare case-insensitively).
    pub fn keeps(&self, group: &ResourceGroup) -> bool {
        let tags = group.tags.clone().unwrap_or_default();
        let tag = self
            .name
            .as_ref()
            .map(|name| tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)));
        match (tag, &self.value) {
            (None, None) => true,
            (None, Some(value)) => tags.values().any(|v| v == value),
            (Some(found), None) => found.is_some(),
            (Some(found), Some(value)) => found.is_some_and(|(_, v)| v == value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_name_accepts_what_arm_accepts() {
        for good in ["rg", "My_RG-1.(test)", "grupo-ñandú", &"a".repeat(90)] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn validate_name_rejects_bad_names_with_invalid_resource_group() {
        for bad in ["", "rg.", "a b", "rg!", "rg/x", &"a".repeat(91)] {
            assert!(
                matches!(validate_name(bad), Err(ArmError::InvalidResourceGroup(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn tag_filter_keeps_matching_groups() {
        let group = ResourceGroup {
            subscription_id: "s".into(),
            name: "rg".into(),
            location: "eastus".into(),
            managed_by: None,
            tags: Some(Tags::from([("Env".to_string(), "prod".to_string())])),
            created_time: 0,
            changed_time: 0,
        };
        let keeps = |f: &str| TagFilter::parse(Some(f)).unwrap().keeps(&group);
        assert!(keeps("tagName eq 'env'"));
        assert!(keeps("tagName eq 'Env' and tagValue eq 'prod'"));
        assert!(!keeps("tagName eq 'Env' and tagValue eq 'dev'"));
        assert!(!keeps("tagName eq 'team'"));
        assert!(TagFilter::parse(Some("location eq 'x'")).is_err());
    }
}
