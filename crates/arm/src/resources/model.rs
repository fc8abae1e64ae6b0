//! Generic resources (`GET …/resources`): the item shape, the `$filter` grammar az emits and the
//! `$expand` members. See <https://learn.microsoft.com/rest/api/resources/resources/list>.

use serde::Serialize;

use crate::key_vaults::model::{self as vault_model, Vault};
use crate::user_assigned_identities::model::{self as identity_model, UserAssignedIdentity};
use crate::virtual_machines::model::{
    self as vm_model, Tags, VirtualMachine, VirtualMachineIdentity,
};
use mimic_azure::normalize_location;
use mimic_azure::time::arm_timestamp as arm_time;

/// A resource as the generic list shows it, before `$expand` and tag suppression.
#[derive(Debug, Clone)]
pub struct Resource {
    pub id: String,
    pub name: String,
    pub resource_type: &'static str,
    pub resource_group: String,
    pub location: String,
    pub tags: Tags,
    pub identity: Option<VirtualMachineIdentity>,
    pub created_time: i64,
    pub changed_time: i64,
}

impl From<&VirtualMachine> for Resource {
    fn from(vm: &VirtualMachine) -> Self {
        Self {
            id: vm.id(),
            name: vm.name.clone(),
            resource_type: vm_model::RESOURCE_TYPE,
            resource_group: vm.resource_group.clone(),
            location: vm.location.clone(),
            tags: vm.tags.clone(),
            identity: vm.identity_block(),
            created_time: vm.created_time,
            changed_time: vm.changed_time,
        }
    }
}

impl From<&UserAssignedIdentity> for Resource {
    fn from(identity: &UserAssignedIdentity) -> Self {
        Self {
            id: identity.id(),
            name: identity.name.clone(),
            resource_type: identity_model::RESOURCE_TYPE,
            resource_group: identity.resource_group.clone(),
            location: identity.location.clone(),
            tags: identity.tags.clone(),
            identity: None,
            created_time: identity.created_time,
            changed_time: identity.changed_time,
        }
    }
}

impl From<&Vault> for Resource {
    fn from(vault: &Vault) -> Self {
        Self {
            id: vault.id(),
            name: vault.name.clone(),
            resource_type: vault_model::RESOURCE_TYPE,
            resource_group: vault.resource_group.clone(),
            location: vault.location.clone(),
            tags: vault.tags.clone(),
            identity: None,
            created_time: vault.created_time,
            changed_time: vault.changed_time,
        }
    }
}

impl Resource {
    /// The `…/read` action that makes this resource visible in the list.
    pub fn read_action(&self) -> String {
        format!("{}/read", self.resource_type)
    }
}

/// One item of the generic list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenericResource {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<VirtualMachineIdentity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<&'static str>,
}

/// The `$expand` members ARM accepts for the generic list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expand {
    pub created_time: bool,
    pub changed_time: bool,
    pub provisioning_state: bool,
}

impl Expand {
    /// Parses `createdTime,changedTime,provisioningState` (any case; unknown members ignored).
    pub fn parse(value: Option<&str>) -> Self {
        let mut expand = Self::default();
        for member in value.unwrap_or_default().split(',').map(str::trim) {
            match member.to_ascii_lowercase().as_str() {
                "createdtime" => expand.created_time = true,
                "changedtime" => expand.changed_time = true,
                "provisioningstate" => expand.provisioning_state = true,
                _ => {}
            }
        }
        expand
    }
}

impl Resource {
    /// The list item, with the requested expansions; tags are left out when the filter is on tags
    /// (as ARM documents).
    pub fn render(&self, expand: Expand, hide_tags: bool) -> GenericResource {
        GenericResource {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: self.resource_type,
            location: self.location.clone(),
            tags: (!hide_tags && !self.tags.is_empty()).then(|| self.tags.clone()),
            identity: self.identity.clone(),
            created_time: expand.created_time.then(|| arm_time(self.created_time)),
            changed_time: expand.changed_time.then(|| arm_time(self.changed_time)),
            provisioning_state: expand.provisioning_state.then_some("Succeeded"),
        }
    }
}

// ---------------------------------------------------------------- $filter

/// One condition of a `$filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Name(String),
    ResourceType(String),
    ResourceGroup(String),
    Location(String),
    TagName(String),
    TagValue(String),
    TagNameStartsWith(String),
}

/// A parsed `$filter`: conditions joined with `and`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub conditions: Vec<Condition>,
}

impl Filter {
    /// Parses the grammar az emits: `field eq 'value'` for name, resourceType, resourceGroup,
    /// location, tagName, tagValue, and `startswith(tagName, 'prefix')`, joined with `and`
    /// (keywords and field names in any case, `''` escapes a quote). `None` for anything else.
    pub fn parse(filter: &str) -> Option<Self> {
        let mut scanner = Scanner { rest: filter };
        let mut conditions = Vec::new();
        loop {
            conditions.push(scanner.condition()?);
            scanner.skip_space();
            if scanner.rest.is_empty() {
                break;
            }
            scanner.keyword("and")?;
        }
        let tag_value = conditions
            .iter()
            .any(|c| matches!(c, Condition::TagValue(_)));
        let tag_name = conditions
            .iter()
            .any(|c| matches!(c, Condition::TagName(_)));
        (!tag_value || tag_name).then_some(Self { conditions })
    }

    /// Whether the filter is on tags (ARM then leaves tags out of the items).
    pub fn is_on_tags(&self) -> bool {
        self.conditions.iter().any(|c| {
            matches!(
                c,
                Condition::TagName(_) | Condition::TagValue(_) | Condition::TagNameStartsWith(_)
            )
        })
    }

    /// Whether `resource` satisfies every condition (values compare case-insensitively).
    pub fn matches(&self, resource: &Resource) -> bool {
        let tag_value = self.conditions.iter().find_map(|c| match c {
            Condition::TagValue(value) => Some(value.as_str()),
            _ => None,
        });
        self.conditions.iter().all(|condition| match condition {
            Condition::Name(name) => resource.name.eq_ignore_ascii_case(name),
            Condition::ResourceType(kind) => resource.resource_type.eq_ignore_ascii_case(kind),
            Condition::ResourceGroup(group) => resource.resource_group.eq_ignore_ascii_case(group),
            Condition::Location(location) => {
                normalize_location(&resource.location) == normalize_location(location)
            }
            Condition::TagName(name) => resource.tags.iter().any(|(key, value)| {
                key.eq_ignore_ascii_case(name)
                    && tag_value.is_none_or(|wanted| value.eq_ignore_ascii_case(wanted))
            }),
            Condition::TagValue(_) => true,
            Condition::TagNameStartsWith(prefix) => resource
                .tags
                .keys()
                .any(|key| key.to_lowercase().starts_with(&prefix.to_lowercase())),
        })
    }
}

struct Scanner<'a> {
    rest: &'a str,
}

impl Scanner<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    /// Consumes `word` (any case) followed by a space or `(`.
    fn keyword(&mut self, word: &str) -> Option<()> {
        self.skip_space();
        let head = self.rest.get(..word.len())?;
        let next = self.rest[word.len()..].chars().next();
        if !head.eq_ignore_ascii_case(word) || !next.is_some_and(|c| c.is_whitespace() || c == '(')
        {
            return None;
        }
        self.rest = &self.rest[word.len()..];
        Some(())
    }

    fn symbol(&mut self, symbol: char) -> Option<()> {
        self.skip_space();
        self.rest = self.rest.strip_prefix(symbol)?;
        Some(())
    }

    fn identifier(&mut self) -> Option<String> {
        self.skip_space();
        let end = self
            .rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        (!word.is_empty()).then(|| word.to_ascii_lowercase())
    }

    fn quoted(&mut self) -> Option<String> {
        self.symbol('\'')?;
        let mut value = String::new();
        let mut chars = self.rest.char_indices().peekable();
        while let Some((index, c)) = chars.next() {
            if c != '\'' {
                value.push(c);
                continue;
            }
            if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                chars.next();
                value.push('\'');
                continue;
            }
            self.rest = &self.rest[index + 1..];
            return Some(value);
        }
        None
    }

    fn condition(&mut self) -> Option<Condition> {
        let field = self.identifier()?;
        if field == "startswith" {
            self.symbol('(')?;
            if self.identifier()? != "tagname" {
                return None;
            }
            self.symbol(',')?;
            let prefix = self.quoted()?;
            self.symbol(')')?;
            return Some(Condition::TagNameStartsWith(prefix));
        }
        self.keyword("eq")?;
        let value = self.quoted()?;
        Some(match field.as_str() {
            "name" => Condition::Name(value),
            "resourcetype" => Condition::ResourceType(value),
            "resourcegroup" => Condition::ResourceGroup(value),
            "location" => Condition::Location(value),
            "tagname" => Condition::TagName(value),
            "tagvalue" => Condition::TagValue(value),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(name: &str, tags: &[(&str, &str)]) -> Resource {
        Resource {
            id: format!("/subscriptions/s/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/{name}"),
            name: name.to_string(),
            resource_type: vm_model::RESOURCE_TYPE,
            resource_group: "RG".to_string(),
            location: "eastus".to_string(),
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            identity: None,
            created_time: 0,
            changed_time: 0,
        }
    }

    #[test]
    fn filter_parse_reads_the_clauses_az_emits() {
        let filter =
            Filter::parse("resourceGroup eq 'rg' and name eq 'it''s' AND resourceType eq 'Microsoft.Compute/virtualMachines'")
                .unwrap();
        assert_eq!(
            filter.conditions,
            vec![
                Condition::ResourceGroup("rg".into()),
                Condition::Name("it's".into()),
                Condition::ResourceType("Microsoft.Compute/virtualMachines".into()),
            ]
        );
        let filter = Filter::parse("startswith(tagname, 'env')").unwrap();
        assert_eq!(
            filter.conditions,
            vec![Condition::TagNameStartsWith("env".into())]
        );
        for bad in [
            "",
            "name eq vm1",
            "name ne 'vm1'",
            "managedBy eq 'x'",
            "name eq 'a' or name eq 'b'",
            "tagValue eq 'v'",
            "name eq 'a' and",
        ] {
            assert_eq!(Filter::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn filter_matches_case_insensitively_and_on_tags() {
        let vm = resource("VM1", &[("Env", "Prod")]);
        let cases = [
            ("name eq 'vm1'", true),
            ("name eq 'vm2'", false),
            ("resourceGroup eq 'rg' and location eq 'East US'", true),
            ("resourceType eq 'microsoft.compute/VIRTUALMACHINES'", true),
            ("tagName eq 'env' and tagValue eq 'prod'", true),
            ("tagName eq 'env' and tagValue eq 'dev'", false),
            ("startswith(tagName, 'E')", true),
        ];
        for (filter, expected) in cases {
            assert_eq!(
                Filter::parse(filter).unwrap().matches(&vm),
                expected,
                "{filter}"
            );
        }
    }

    #[test]
    fn expand_parse_reads_the_three_members() {
        let expand = Expand::parse(Some("createdTime,changedTime,provisioningState"));
        assert!(expand.created_time && expand.changed_time && expand.provisioning_state);
        assert_eq!(Expand::parse(None), Expand::default());
    }
}
