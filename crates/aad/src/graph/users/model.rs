//! `microsoft.graph.user` on the wire — the properties Graph returns by default ([`User`]) and
//! the ones `$select` may add ([`UserResource`]) — and the body of Graph's user writes, checked as
//! Graph checks it ([`UserBody`]). See <https://learn.microsoft.com/graph/api/resources/user>.

use serde::Serialize;
use serde_json::{Map, Value};

use super::super::error::{BadRequest, GraphError, RequestBadRequest};
use super::super::query::{Clause, Literal};
use crate::groups::model::security_identifier;
use crate::state::Tenant;
use crate::users::model::{meets_complexity, User as StoredUser};

/// `microsoft.graph.user` with the properties Graph returns by default, in Graph's order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub business_phones: Vec<String>,
    pub display_name: String,
    pub given_name: Option<String>,
    pub job_title: Option<String>,
    pub mail: Option<String>,
    pub mobile_phone: Option<String>,
    pub office_location: Option<String>,
    pub preferred_language: Option<String>,
    pub surname: Option<String>,
    pub user_principal_name: String,
    pub id: String,
}

/// `microsoft.graph.user` with every property mimic serves (`$select`). Properties mimic does
/// not model carry Graph's empty values; `passwordProfile` is always null, as Graph never
/// returns a password.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserResource {
    #[serde(flatten)]
    pub default: User,
    pub account_enabled: bool,
    pub created_date_time: String,
    pub deleted_date_time: Option<String>,
    pub mail_nickname: String,
    pub user_type: &'static str,
    pub creation_type: Option<String>,
    pub department: Option<String>,
    pub company_name: Option<String>,
    pub employee_id: Option<String>,
    pub usage_location: Option<String>,
    pub other_mails: Vec<String>,
    pub proxy_addresses: Vec<String>,
    pub im_addresses: Vec<String>,
    pub identities: Vec<ObjectIdentity>,
    pub on_premises_immutable_id: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    pub password_policies: Option<String>,
    pub password_profile: Option<Value>,
    pub security_identifier: Option<String>,
    pub show_in_address_list: Option<bool>,
}

/// `identities[]`: how the user signs in.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectIdentity {
    pub sign_in_type: &'static str,
    pub issuer: String,
    pub issuer_assigned_id: String,
}

/// The names of [`User`]'s properties, in Graph's order.
pub const DEFAULT_PROPERTIES: [&str; 11] = [
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

impl UserResource {
    /// The wire view of a stored user of `tenant`.
    pub fn new(user: StoredUser, tenant: &Tenant) -> Self {
        Self {
            security_identifier: security_identifier(&user.id),
            identities: vec![ObjectIdentity {
                sign_in_type: "userPrincipalName",
                issuer: tenant.domain.clone(),
                issuer_assigned_id: user.user_principal_name.clone(),
            }],
            default: User {
                business_phones: Vec::new(),
                display_name: user.display_name,
                given_name: user.given_name,
                job_title: user.job_title,
                mail: None,
                mobile_phone: None,
                office_location: None,
                preferred_language: None,
                surname: user.surname,
                user_principal_name: user.user_principal_name,
                id: user.id,
            },
            account_enabled: user.account_enabled,
            created_date_time: user.created_date_time,
            deleted_date_time: user.deleted_date_time,
            mail_nickname: user.mail_nickname,
            user_type: "Member",
            creation_type: None,
            department: None,
            company_name: None,
            employee_id: None,
            usage_location: None,
            other_mails: Vec::new(),
            proxy_addresses: Vec::new(),
            im_addresses: Vec::new(),
            on_premises_immutable_id: None,
            on_premises_sync_enabled: None,
            password_policies: None,
            password_profile: None,
            show_in_address_list: None,
        }
    }

    /// Whether this user satisfies a `$filter` clause (already checked against the user type).
    /// Strings compare ignoring ASCII case, as Graph does.
    pub fn matches(&self, clause: &Clause) -> bool {
        let user = &self.default;
        let text = |property: &str| -> Option<String> {
            match property.to_ascii_lowercase().as_str() {
                "id" => Some(user.id.clone()),
                "userprincipalname" => Some(user.user_principal_name.clone()),
                "displayname" => Some(user.display_name.clone()),
                "mailnickname" => Some(self.mail_nickname.clone()),
                "givenname" => user.given_name.clone(),
                "surname" => user.surname.clone(),
                "usertype" => Some(self.user_type.into()),
                _ => None,
            }
        };
        match clause {
            Clause::Eq {
                property,
                value: Literal::Text(value),
            } => text(property).is_some_and(|v| v.eq_ignore_ascii_case(value)),
            Clause::Eq {
                property,
                value: Literal::Bare(value),
            } => {
                property.eq_ignore_ascii_case("accountEnabled")
                    && value.eq_ignore_ascii_case(&self.account_enabled.to_string())
            }
            Clause::StartsWith { property, prefix } => text(property).is_some_and(|v| {
                v.to_ascii_lowercase()
                    .starts_with(&prefix.to_ascii_lowercase())
            }),
            // otherMails, proxyAddresses and imAddresses are always empty.
            Clause::AnyEq { .. } => false,
        }
    }
}

impl From<&UserResource> for User {
    fn from(resource: &UserResource) -> Self {
        resource.default.clone()
    }
}

/// `passwordProfile` of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordProfile {
    /// The password, checked against Entra's complexity rules.
    pub password: Option<String>,
    /// `forceChangePasswordNextSignIn` (Graph's default on create: true).
    pub force_change: Option<bool>,
}

/// The body of `POST /users` or `PATCH /users/{id}`, property by property.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserBody {
    pub account_enabled: Option<bool>,
    pub display_name: Option<String>,
    pub mail_nickname: Option<String>,
    pub user_principal_name: Option<String>,
    pub password_profile: Option<PasswordProfile>,
    pub given_name: Option<Option<String>>,
    pub surname: Option<Option<String>>,
    pub job_title: Option<Option<String>>,
}

const RESOURCE: &str = "User";
const TYPE: &str = "microsoft.graph.user";

impl UserBody {
    /// Reads a JSON body: unknown (or unmodelled) properties and values of the wrong type are
    /// Graph's `BadRequest`; the values are then checked by [`UserBody::check`].
    pub fn parse(body: &[u8]) -> Result<Self, GraphError> {
        let unreadable = || GraphError::BadRequest(BadRequest::UnreadablePayload);
        let Value::Object(map) = serde_json::from_slice::<Value>(body).map_err(|_| unreadable())?
        else {
            return Err(unreadable());
        };
        let mut parsed = Self::default();
        for (name, value) in &map {
            parsed.set(name, value)?;
        }
        Ok(parsed)
    }

    fn set(&mut self, name: &str, value: &Value) -> Result<(), GraphError> {
        match name {
            "accountEnabled" => self.account_enabled = Some(boolean(value)?),
            "displayName" => self.display_name = Some(text(value)?),
            "mailNickname" => self.mail_nickname = Some(text(value)?),
            "userPrincipalName" => self.user_principal_name = Some(text(value)?),
            "givenName" => self.given_name = Some(nullable_text(value)?),
            "surname" => self.surname = Some(nullable_text(value)?),
            "jobTitle" => self.job_title = Some(nullable_text(value)?),
            "passwordProfile" => self.password_profile = Some(password_profile(value)?),
            // az and SDKs may send the type of what they write.
            "@odata.type" if value.as_str() == Some("#microsoft.graph.user") => {}
            other => return Err(unknown(other)),
        }
        Ok(())
    }

    /// Checks every given value as Graph does (and, when `creating`, that the properties Graph
    /// requires are there); `verified` are the tenant's verified domains.
    pub fn check(&self, creating: bool, verified: &[String]) -> Result<(), GraphError> {
        let required = |property| {
            GraphError::RequestBadRequest(RequestBadRequest::RequiredProperty {
                property,
                resource: RESOURCE,
            })
        };
        if creating {
            let missing = [
                ("accountEnabled", self.account_enabled.is_none()),
                ("displayName", self.display_name.is_none()),
                ("mailNickname", self.mail_nickname.is_none()),
                ("userPrincipalName", self.user_principal_name.is_none()),
                (
                    "passwordProfile",
                    self.password_profile
                        .as_ref()
                        .is_none_or(|p| p.password.is_none()),
                ),
            ];
            if let Some((property, _)) = missing.into_iter().find(|(_, missing)| *missing) {
                return Err(required(property));
            }
        }
        if self
            .display_name
            .as_deref()
            .is_some_and(|name| name.trim().is_empty())
        {
            return Err(invalid("displayName"));
        }
        if let Some(nickname) = &self.mail_nickname {
            check_mail_nickname(nickname)?;
        }
        if let Some(upn) = &self.user_principal_name {
            check_user_principal_name(upn, verified)?;
        }
        if let Some(password) = self
            .password_profile
            .as_ref()
            .and_then(|p| p.password.as_deref())
        {
            if !meets_complexity(password) {
                return Err(GraphError::RequestBadRequest(
                    RequestBadRequest::PasswordComplexity,
                ));
            }
        }
        Ok(())
    }
}

fn password_profile(value: &Value) -> Result<PasswordProfile, GraphError> {
    let Value::Object(map) = value else {
        return Err(mistyped(value, "microsoft.graph.passwordProfile"));
    };
    let mut profile = PasswordProfile {
        password: None,
        force_change: None,
    };
    for (name, value) in map {
        match name.as_str() {
            "password" => profile.password = nullable_text(value)?,
            "forceChangePasswordNextSignIn" => profile.force_change = Some(boolean(value)?),
            // Entra's MFA variant: accepted, with the same effect mimic gives the plain flag.
            "forceChangePasswordNextSignInWithMfa" => {
                if boolean(value)? {
                    profile.force_change = Some(true);
                }
            }
            other => return Err(unknown_on(other, "microsoft.graph.passwordProfile")),
        }
    }
    Ok(profile)
}

/// `mailNickname`: 1 to 64 characters, none of `@ ( ) \ [ ] " ; : < > ,` or whitespace
/// (Entra's rule for the alias).
fn check_mail_nickname(nickname: &str) -> Result<(), GraphError> {
    let bad = |c: char| c.is_whitespace() || "@()\\[]\";:<>,".contains(c) || !c.is_ascii();
    if nickname.is_empty() || nickname.chars().count() > 64 || nickname.chars().any(bad) {
        return Err(invalid("mailNickname"));
    }
    Ok(())
}

/// `name@domain`, the name without the characters Entra refuses, the domain verified.
fn check_user_principal_name(upn: &str, verified: &[String]) -> Result<(), GraphError> {
    let invalid_upn = || GraphError::RequestBadRequest(RequestBadRequest::InvalidUserPrincipalName);
    let Some((name, domain)) = upn.rsplit_once('@') else {
        return Err(invalid_upn());
    };
    let bad = |c: char| c.is_whitespace() || "@()\\[]\";:<>,%&*+/=?{}|~".contains(c);
    if name.is_empty() || name.len() > 64 || name.starts_with('.') || name.ends_with('.') {
        return Err(invalid_upn());
    }
    if name.chars().any(bad) || domain.is_empty() {
        return Err(invalid_upn());
    }
    if !verified.iter().any(|v| v.eq_ignore_ascii_case(domain)) {
        return Err(GraphError::RequestBadRequest(
            RequestBadRequest::UnverifiedDomain,
        ));
    }
    Ok(())
}

fn invalid(property: &'static str) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::InvalidValue {
        property,
        resource: RESOURCE,
    })
}

fn unknown(property: &str) -> GraphError {
    unknown_on(property, TYPE)
}

fn unknown_on(property: &str, type_name: &'static str) -> GraphError {
    GraphError::BadRequest(BadRequest::UnknownBodyProperty {
        property: property.to_string(),
        type_name,
    })
}

fn mistyped(value: &Value, expected: &'static str) -> GraphError {
    GraphError::BadRequest(BadRequest::InvalidLiteral {
        literal: value.to_string(),
        expected,
    })
}

/// A JSON boolean.
pub fn boolean(value: &Value) -> Result<bool, GraphError> {
    value
        .as_bool()
        .ok_or_else(|| mistyped(value, "Edm.Boolean"))
}

/// A JSON string.
pub fn text(value: &Value) -> Result<String, GraphError> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| mistyped(value, "Edm.String"))
}

/// A JSON string or null.
pub fn nullable_text(value: &Value) -> Result<Option<String>, GraphError> {
    match value {
        Value::Null => Ok(None),
        other => text(other).map(Some),
    }
}

/// Reads a JSON object body (Graph's `BadRequest` for anything else).
pub fn object(body: &[u8]) -> Result<Map<String, Value>, GraphError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(GraphError::BadRequest(BadRequest::UnreadablePayload)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified() -> Vec<String> {
        vec!["mimic.onmicrosoft.com".into()]
    }

    fn create(body: Value) -> Result<UserBody, GraphError> {
        let parsed = UserBody::parse(body.to_string().as_bytes())?;
        parsed.check(true, &verified())?;
        Ok(parsed)
    }

    fn good() -> Value {
        serde_json::json!({"accountEnabled": true, "displayName": "Ann", "mailNickname": "ann",
            "userPrincipalName": "ann@mimic.onmicrosoft.com",
            "passwordProfile": {"password": "Ann-Pass-1!", "forceChangePasswordNextSignIn": false}})
    }

    #[test]
    fn create_accepts_what_az_sends() {
        let body = create(good()).unwrap();
        assert_eq!(body.password_profile.unwrap().force_change, Some(false));
    }

    #[test]
    fn create_refuses_each_bad_value_with_graphs_message() {
        let cases = [
            ("userPrincipalName", serde_json::json!("ann@contoso.com"), "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."),
            ("userPrincipalName", serde_json::json!("ann"), "Property userPrincipalName is invalid."),
            ("userPrincipalName", serde_json::json!("a nn@mimic.onmicrosoft.com"), "Property userPrincipalName is invalid."),
            ("mailNickname", serde_json::json!("a b"), "Invalid value specified for property 'mailNickname' of resource 'User'."),
            ("passwordProfile", serde_json::json!({"password": "password"}), "The specified password does not comply with password complexity requirements. Please provide a different password."),
            ("accountEnabled", serde_json::json!("yes"), "Cannot convert the literal '\"yes\"' to the expected type 'Edm.Boolean'."),
            ("nickname", serde_json::json!("x"), "The property 'nickname' does not exist on type 'microsoft.graph.user'. Make sure to only use property names that are defined by the type or mark the type as open type."),
        ];
        for (property, value, message) in cases {
            let mut body = good();
            body[property] = value;
            let error = create(body).unwrap_err();
            assert_eq!(error.to_string(), message, "{property}");
        }
        let mut body = good();
        body.as_object_mut().unwrap().remove("mailNickname");
        assert_eq!(
            create(body).unwrap_err().to_string(),
            "A value is required for property 'mailNickname' of resource 'User'."
        );
    }
}
