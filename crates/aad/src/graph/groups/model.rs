//! `microsoft.graph.group` on the wire, with the properties Graph returns by default, and the
//! body of Graph's group writes. See <https://learn.microsoft.com/graph/api/resources/group>.

use serde::Serialize;
use serde_json::Value;

use super::super::error::{BadRequest, GraphError, RequestBadRequest};
use super::super::query::{Clause, Literal};
use super::super::users::model::{boolean, nullable_text, text};
use crate::groups::model::{security_identifier, Group};

/// `microsoft.graph.group` with the properties Graph returns by default, in Graph's order.
/// Properties mimic does not model carry Graph's empty values for a cloud security group.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct GroupResource {
    pub id: String,
    pub deleted_date_time: Option<String>,
    pub classification: Option<String>,
    pub created_date_time: String,
    pub creation_options: Vec<String>,
    pub description: Option<String>,
    pub display_name: String,
    pub expiration_date_time: Option<String>,
    pub group_types: Vec<String>,
    pub is_assignable_to_role: Option<bool>,
    pub mail: Option<String>,
    pub mail_enabled: bool,
    pub mail_nickname: String,
    pub membership_rule: Option<String>,
    pub membership_rule_processing_state: Option<String>,
    pub on_premises_domain_name: Option<String>,
    pub on_premises_last_sync_date_time: Option<String>,
    pub on_premises_net_bios_name: Option<String>,
    pub on_premises_sam_account_name: Option<String>,
    pub on_premises_security_identifier: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    pub preferred_data_location: Option<String>,
    pub preferred_language: Option<String>,
    pub proxy_addresses: Vec<String>,
    pub renewed_date_time: String,
    pub resource_behavior_options: Vec<String>,
    pub resource_provisioning_options: Vec<String>,
    pub security_enabled: bool,
    pub security_identifier: Option<String>,
    pub theme: Option<String>,
    pub unique_name: Option<String>,
    pub visibility: Option<String>,
    pub on_premises_provisioning_errors: Vec<Value>,
    pub service_provisioning_errors: Vec<Value>,
}

impl From<Group> for GroupResource {
    fn from(group: Group) -> Self {
        Self {
            security_identifier: security_identifier(&group.id),
            id: group.id,
            deleted_date_time: None,
            classification: None,
            renewed_date_time: group.created_date_time.clone(),
            created_date_time: group.created_date_time,
            creation_options: Vec::new(),
            description: group.description,
            display_name: group.display_name,
            expiration_date_time: None,
            group_types: Vec::new(),
            is_assignable_to_role: None,
            mail: None,
            mail_enabled: group.mail_enabled,
            mail_nickname: group.mail_nickname,
            membership_rule: None,
            membership_rule_processing_state: None,
            on_premises_domain_name: None,
            on_premises_last_sync_date_time: None,
            on_premises_net_bios_name: None,
            on_premises_sam_account_name: None,
            on_premises_security_identifier: None,
            on_premises_sync_enabled: None,
            preferred_data_location: None,
            preferred_language: None,
            proxy_addresses: Vec::new(),
            resource_behavior_options: Vec::new(),
            resource_provisioning_options: Vec::new(),
            security_enabled: group.security_enabled,
            theme: None,
            unique_name: None,
            visibility: None,
            on_premises_provisioning_errors: Vec::new(),
            service_provisioning_errors: Vec::new(),
        }
    }
}

impl GroupResource {
    /// Whether this group satisfies a `$filter` clause (already checked against the group type).
    /// Strings compare ignoring ASCII case, as Graph does.
    pub fn matches(&self, clause: &Clause) -> bool {
        let text = |property: &str| -> Option<String> {
            match property.to_ascii_lowercase().as_str() {
                "id" => Some(self.id.clone()),
                "displayname" => Some(self.display_name.clone()),
                "mailnickname" => Some(self.mail_nickname.clone()),
                "description" => self.description.clone(),
                _ => None,
            }
        };
        let flag = |property: &str| match property.to_ascii_lowercase().as_str() {
            "securityenabled" => Some(self.security_enabled),
            "mailenabled" => Some(self.mail_enabled),
            _ => None,
        };
        match clause {
            Clause::Eq {
                property,
                value: Literal::Text(value),
            } => text(property).is_some_and(|v| v.eq_ignore_ascii_case(value)),
            Clause::Eq {
                property,
                value: Literal::Bare(value),
            } => flag(property).is_some_and(|v| value.eq_ignore_ascii_case(&v.to_string())),
            Clause::StartsWith { property, prefix } => text(property).is_some_and(|v| {
                v.to_ascii_lowercase()
                    .starts_with(&prefix.to_ascii_lowercase())
            }),
            // groupTypes and proxyAddresses are always empty.
            Clause::AnyEq { .. } => false,
        }
    }
}

/// Checks a `$filter` clause against the `group` type.
pub fn check_group_filter(clause: &Clause) -> Result<(), GraphError> {
    let name = |names: &[&str]| {
        names
            .iter()
            .any(|n| clause.property().eq_ignore_ascii_case(n))
    };
    let supported = match clause {
        Clause::Eq {
            value: Literal::Text(_),
            ..
        }
        | Clause::StartsWith { .. } => name(&["id", "displayName", "mailNickname", "description"]),
        Clause::Eq {
            value: Literal::Bare(_),
            ..
        } => name(&["securityEnabled", "mailEnabled"]),
        Clause::AnyEq { .. } => name(&["groupTypes", "proxyAddresses"]),
    };
    if supported {
        Ok(())
    } else {
        Err(GraphError::RequestUnsupportedQuery(format!(
            "Unsupported or invalid query filter clause specified for property '{}' of resource 'Group'.",
            clause.property()
        )))
    }
}

/// The body of `POST /groups` or `PATCH /groups/{id}`, property by property.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupBody {
    pub display_name: Option<String>,
    pub mail_nickname: Option<String>,
    pub description: Option<Option<String>>,
    pub mail_enabled: Option<bool>,
    pub security_enabled: Option<bool>,
    pub group_types: Option<Vec<String>>,
}

const RESOURCE: &str = "Group";

impl GroupBody {
    /// Reads a JSON body: unknown (or unmodelled) properties and values of the wrong type are
    /// Graph's `BadRequest`.
    pub fn parse(body: &[u8]) -> Result<Self, GraphError> {
        let map = super::super::users::model::object(body)?;
        let mut parsed = Self::default();
        for (name, value) in &map {
            match name.as_str() {
                "displayName" => parsed.display_name = Some(text(value)?),
                "mailNickname" => parsed.mail_nickname = Some(text(value)?),
                "description" => parsed.description = Some(nullable_text(value)?),
                "mailEnabled" => parsed.mail_enabled = Some(boolean(value)?),
                "securityEnabled" => parsed.security_enabled = Some(boolean(value)?),
                "groupTypes" => parsed.group_types = Some(strings(value)?),
                "@odata.type" if value.as_str() == Some("#microsoft.graph.group") => {}
                other => {
                    return Err(GraphError::BadRequest(BadRequest::UnknownBodyProperty {
                        property: other.to_string(),
                        type_name: "microsoft.graph.group",
                    }))
                }
            }
        }
        Ok(parsed)
    }

    /// Checks the values as Graph does; when `creating`, that the required properties are there
    /// and that the group is a security group (mail-enabled and Microsoft 365 groups are not
    /// served: Graph's error for mail-enabled writes).
    pub fn check(&self, creating: bool) -> Result<(), GraphError> {
        let bad = |error| Err(GraphError::RequestBadRequest(error));
        if creating {
            let missing = [
                ("displayName", self.display_name.is_none()),
                ("mailEnabled", self.mail_enabled.is_none()),
                ("mailNickname", self.mail_nickname.is_none()),
                ("securityEnabled", self.security_enabled.is_none()),
            ];
            if let Some((property, _)) = missing.into_iter().find(|(_, missing)| *missing) {
                return bad(RequestBadRequest::RequiredProperty {
                    property,
                    resource: RESOURCE,
                });
            }
        }
        let not_security = self.mail_enabled == Some(true)
            || self.security_enabled == Some(false)
            || self.group_types.as_ref().is_some_and(|t| !t.is_empty());
        if not_security {
            return bad(RequestBadRequest::MailEnabledGroup);
        }
        if self
            .display_name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty() || n.chars().count() > 256)
        {
            return bad(invalid("displayName"));
        }
        if let Some(nickname) = &self.mail_nickname {
            let bad_char =
                |c: char| c.is_whitespace() || "@()\\[]\";:<>,".contains(c) || !c.is_ascii();
            if nickname.is_empty()
                || nickname.chars().count() > 64
                || nickname.chars().any(bad_char)
            {
                return bad(invalid("mailNickname"));
            }
        }
        Ok(())
    }
}

fn invalid(property: &'static str) -> RequestBadRequest {
    RequestBadRequest::InvalidValue {
        property,
        resource: RESOURCE,
    }
}

fn strings(value: &Value) -> Result<Vec<String>, GraphError> {
    match value {
        Value::Array(items) => items.iter().map(text).collect(),
        other => text(other).map(|one| vec![one]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(body: Value) -> Result<GroupBody, GraphError> {
        let parsed = GroupBody::parse(body.to_string().as_bytes())?;
        parsed.check(true)?;
        Ok(parsed)
    }

    #[test]
    fn create_takes_what_az_sends_and_refuses_mail_enabled_groups() {
        let az = serde_json::json!({"displayName": "devs", "mailNickname": "devs",
            "mailEnabled": false, "securityEnabled": true});
        assert!(check(az.clone()).is_ok());
        let cases = [
            ("mailEnabled", serde_json::json!(true), "The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset and the security-enablement property is set."),
            ("groupTypes", serde_json::json!(["Unified"]), "The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset and the security-enablement property is set."),
            ("mailNickname", serde_json::json!("a b"), "Invalid value specified for property 'mailNickname' of resource 'Group'."),
            ("visibility", serde_json::json!("Private"), "The property 'visibility' does not exist on type 'microsoft.graph.group'. Make sure to only use property names that are defined by the type or mark the type as open type."),
        ];
        for (property, value, message) in cases {
            let mut body = az.clone();
            body[property] = value;
            assert_eq!(check(body).unwrap_err().to_string(), message, "{property}");
        }
    }
}
