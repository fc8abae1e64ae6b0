//! Graph's wire types: the `servicePrincipal` and `organization` resources, collections,
//! single entities with their `@odata.context`, directory objects with their `@odata.type`, the
//! `getByIds` body, and `$select` projections.
//! See <https://learn.microsoft.com/graph/api/resources/serviceprincipal>.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::error::{BadRequest, GraphError};
use crate::applications::model::{Application, KeyMetadata, PasswordMetadata};
use crate::credentials::{hex_thumbprint, Certificate};
use crate::first_party::{FirstParty, MimicUrls};
use crate::principals::iso_timestamp;
use crate::principals::model::ServicePrincipal;
use crate::principals::store::{KeyCredentialRecord, PasswordCredentialRecord};
use crate::state::Tenant;

pub use super::groups::model::GroupResource;
pub use super::users::model::User;

/// `appOwnerOrganizationId` of managed identities: the Microsoft Services tenant, which owns the
/// first-party application behind every managed identity.
pub const MICROSOFT_SERVICES_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// mimic's client secrets never expire; Graph always reports an end date, so this one is the
/// farthest Graph can express.
pub const NO_EXPIRY: &str = "9999-12-31T23:59:59Z";

/// `microsoft.graph.servicePrincipal`, with every property Graph returns by default.
/// Properties mimic does not model carry Graph's empty values.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipalResource {
    pub id: String,
    pub deleted_date_time: Option<String>,
    pub account_enabled: bool,
    pub alternative_names: Vec<String>,
    pub app_display_name: Option<String>,
    pub app_description: Option<String>,
    pub app_id: String,
    pub application_template_id: Option<String>,
    pub app_owner_organization_id: String,
    pub app_role_assignment_required: bool,
    pub created_date_time: String,
    pub description: Option<String>,
    pub disabled_by_microsoft_status: Option<String>,
    pub display_name: String,
    pub homepage: Option<String>,
    pub login_url: Option<String>,
    pub logout_url: Option<String>,
    pub notes: Option<String>,
    pub notification_email_addresses: Vec<String>,
    pub preferred_single_sign_on_mode: Option<String>,
    pub preferred_token_signing_key_thumbprint: Option<String>,
    pub reply_urls: Vec<String>,
    pub service_principal_names: Vec<String>,
    pub service_principal_type: String,
    pub sign_in_audience: Option<String>,
    pub tags: Vec<String>,
    pub token_encryption_key_id: Option<String>,
    pub saml_single_sign_on_settings: Option<serde_json::Value>,
    pub add_ins: Vec<serde_json::Value>,
    pub app_roles: Vec<serde_json::Value>,
    pub info: InformationalUrl,
    pub key_credentials: Vec<KeyCredential>,
    pub oauth2_permission_scopes: Vec<serde_json::Value>,
    pub password_credentials: Vec<PasswordCredential>,
    pub resource_specific_application_permissions: Vec<serde_json::Value>,
    pub verified_publisher: VerifiedPublisher,
}

/// `info`: the application's URLs (none in mimic).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InformationalUrl {
    pub logo_url: Option<String>,
    pub marketing_url: Option<String>,
    pub privacy_statement_url: Option<String>,
    pub support_url: Option<String>,
    pub terms_of_service_url: Option<String>,
}

/// `verifiedPublisher` (none in mimic).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedPublisher {
    pub display_name: Option<String>,
    pub verified_publisher_id: Option<String>,
    pub added_date_time: Option<String>,
}

/// `keyCredentials[]`: a certificate's public metadata. `key` stays null: mimic never returns
/// key material, not even the public certificate Graph sends under `$select=keyCredentials`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyCredential {
    /// The SHA-1 thumbprint, upper-case hex.
    pub custom_key_identifier: String,
    /// The certificate's subject.
    pub display_name: Option<String>,
    pub end_date_time: String,
    pub key: Option<String>,
    pub key_id: String,
    pub start_date_time: String,
    /// `AsymmetricX509Cert`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `Verify`.
    pub usage: &'static str,
}

/// `passwordCredentials[]`: metadata only. `secretText` is always null, as in Graph; `hint`
/// (the secret's first characters in Graph) is null because mimic only keeps a hash.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredential {
    pub custom_key_identifier: Option<String>,
    pub display_name: Option<String>,
    pub end_date_time: String,
    pub hint: Option<String>,
    pub key_id: String,
    pub secret_text: Option<String>,
    pub start_date_time: String,
}

impl ServicePrincipalResource {
    /// The resource for `principal` of `tenant`, with its credentials' metadata. A principal
    /// created from an application of the tenant shows that application's identifier URIs (in
    /// `servicePrincipalNames`), app roles, permission scopes and audience, as Entra copies them.
    pub fn new(
        principal: ServicePrincipal,
        tenant: &Tenant,
        application: Option<&Application>,
        keys: Vec<KeyCredential>,
        passwords: Vec<PasswordCredential>,
    ) -> Self {
        let managed = principal.is_managed_identity();
        let names = std::iter::once(principal.app_id.clone())
            .chain(principal.managed_identity_resource_id.clone())
            .chain(application.iter().flat_map(|a| a.identifier_uris.clone()))
            .collect();
        let to_values = |value: serde_json::Value| match value {
            serde_json::Value::Array(items) => items,
            _ => Vec::new(),
        };
        let app_roles = application
            .map(|a| to_values(serde_json::to_value(&a.properties.app_roles).unwrap_or_default()))
            .unwrap_or_default();
        let scopes = application
            .map(|a| {
                to_values(
                    serde_json::to_value(&a.properties.api.oauth2_permission_scopes)
                        .unwrap_or_default(),
                )
            })
            .unwrap_or_default();
        let sign_in_audience = match application {
            Some(application) => Some(application.properties.sign_in_audience.clone()),
            None => (!managed).then(|| "AzureADMyOrg".to_string()),
        };
        let properties = principal.properties;
        Self {
            id: principal.id,
            deleted_date_time: None,
            account_enabled: properties.account_enabled,
            alternative_names: principal.alternative_names,
            // Managed identities have no application of their own to name.
            app_display_name: match application {
                Some(application) => Some(application.display_name.clone()),
                None => (!managed).then(|| principal.display_name.clone()),
            },
            app_description: None,
            app_id: principal.app_id,
            application_template_id: None,
            app_owner_organization_id: if managed {
                MICROSOFT_SERVICES_TENANT.into()
            } else {
                tenant.id.clone()
            },
            app_role_assignment_required: properties.app_role_assignment_required,
            created_date_time: principal.created_date_time,
            description: properties.description,
            disabled_by_microsoft_status: None,
            display_name: principal.display_name,
            homepage: properties.homepage,
            login_url: properties.login_url,
            logout_url: properties.logout_url,
            notes: properties.notes,
            notification_email_addresses: properties.notification_email_addresses,
            preferred_single_sign_on_mode: properties.preferred_single_sign_on_mode,
            preferred_token_signing_key_thumbprint: None,
            reply_urls: properties.reply_urls,
            service_principal_names: names,
            service_principal_type: principal.principal_type.as_str().into(),
            sign_in_audience,
            tags: properties.tags,
            token_encryption_key_id: None,
            saml_single_sign_on_settings: None,
            add_ins: Vec::new(),
            app_roles,
            info: InformationalUrl::default(),
            key_credentials: keys,
            oauth2_permission_scopes: scopes,
            password_credentials: passwords,
            resource_specific_application_permissions: Vec::new(),
            verified_publisher: VerifiedPublisher::default(),
        }
    }
}

impl ServicePrincipalResource {
    /// A first-party principal as Graph shows it: Microsoft's application (owned by the Microsoft
    /// Services tenant), its names (Azure's and mimic's URLs), app roles and scopes.
    pub fn first_party(mut self, entry: &FirstParty, urls: &MimicUrls) -> Self {
        let values = |value: serde_json::Value| match value {
            serde_json::Value::Array(items) => items,
            _ => Vec::new(),
        };
        self.app_display_name = Some(entry.display_name.to_string());
        self.app_owner_organization_id = MICROSOFT_SERVICES_TENANT.into();
        self.service_principal_names = entry.names(urls);
        self.sign_in_audience = Some("AzureADMultipleOrgs".into());
        self.app_roles = values(serde_json::to_value(entry.graph_app_roles()).unwrap_or_default());
        self.oauth2_permission_scopes =
            values(serde_json::to_value(entry.graph_scopes()).unwrap_or_default());
        self
    }
}

impl KeyCredential {
    /// The metadata of a stored certificate; `None` if it no longer parses.
    pub fn from_record(record: &KeyCredentialRecord) -> Option<Self> {
        let certificate = Certificate::parse(&record.certificate_pem).ok()?;
        let der = pem_der(&record.certificate_pem)?;
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).ok()?;
        let validity = parsed.validity();
        Some(Self {
            custom_key_identifier: hex_thumbprint(&certificate.x5t),
            display_name: Some(parsed.subject().to_string()),
            end_date_time: iso_timestamp(validity.not_after.timestamp()),
            key: None,
            key_id: record.key_id.clone(),
            start_date_time: iso_timestamp(validity.not_before.timestamp()),
            kind: "AsymmetricX509Cert",
            usage: "Verify",
        })
    }
}

impl KeyCredential {
    /// The metadata of an application's certificate: Graph's `displayName` and dates as written,
    /// the thumbprint from the certificate. `None` if it no longer parses.
    pub fn from_metadata(metadata: &KeyMetadata) -> Option<Self> {
        let certificate = Certificate::parse(&metadata.certificate_pem).ok()?;
        Some(Self {
            custom_key_identifier: hex_thumbprint(&certificate.x5t),
            display_name: metadata.display_name.clone(),
            end_date_time: metadata.end_date_time.clone(),
            key: None,
            key_id: metadata.key_id.clone(),
            start_date_time: metadata.start_date_time.clone(),
            kind: "AsymmetricX509Cert",
            usage: "Verify",
        })
    }
}

/// A certificate's subject and validity (ISO 8601 UTC), for credentials written without them.
pub fn certificate_facts(pem: &str) -> Option<(String, String, String)> {
    let der = pem_der(pem)?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&der).ok()?;
    let validity = parsed.validity();
    Some((
        parsed.subject().to_string(),
        iso_timestamp(validity.not_before.timestamp()),
        iso_timestamp(validity.not_after.timestamp()),
    ))
}

fn pem_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
}

impl PasswordCredential {
    /// The metadata of a stored secret. A secret the fixture or the internal API added with its
    /// principal has no dates: the principal's creation is its start, and it never expires.
    pub fn from_record(record: &PasswordCredentialRecord, created_date_time: &str) -> Self {
        Self {
            custom_key_identifier: None,
            display_name: record.display_name.clone(),
            end_date_time: record
                .end_date_time
                .clone()
                .unwrap_or_else(|| NO_EXPIRY.into()),
            hint: record.hint.clone(),
            key_id: record.key_id.clone(),
            secret_text: None,
            start_date_time: record
                .start_date_time
                .clone()
                .unwrap_or_else(|| created_date_time.into()),
        }
    }

    /// The metadata of an application's secret (`secretText` only in `addPassword`'s answer).
    pub fn from_metadata(metadata: &PasswordMetadata) -> Self {
        Self {
            custom_key_identifier: None,
            display_name: metadata.display_name.clone(),
            end_date_time: metadata.end_date_time.clone(),
            hint: metadata.hint.clone(),
            key_id: metadata.key_id.clone(),
            secret_text: None,
            start_date_time: metadata.start_date_time.clone(),
        }
    }
}

/// `microsoft.graph.organization`: the tenant.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    pub id: String,
    pub deleted_date_time: Option<String>,
    pub business_phones: Vec<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub country_letter_code: Option<String>,
    pub display_name: String,
    pub marketing_notification_emails: Vec<String>,
    pub postal_code: Option<String>,
    pub preferred_language: Option<String>,
    pub state: Option<String>,
    pub street: Option<String>,
    pub technical_notification_mails: Vec<String>,
    pub tenant_type: &'static str,
    pub verified_domains: Vec<VerifiedDomain>,
}

/// `verifiedDomains[]`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    pub capabilities: &'static str,
    pub is_default: bool,
    pub is_initial: bool,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl From<&Tenant> for Organization {
    fn from(tenant: &Tenant) -> Self {
        Self {
            id: tenant.id.clone(),
            deleted_date_time: None,
            business_phones: Vec::new(),
            city: None,
            country: None,
            country_letter_code: None,
            display_name: tenant.display_name.clone(),
            marketing_notification_emails: Vec::new(),
            postal_code: None,
            preferred_language: None,
            state: None,
            street: None,
            technical_notification_mails: Vec::new(),
            tenant_type: "AAD",
            verified_domains: vec![VerifiedDomain {
                capabilities: "Email, OfficeCommunicationsOnline",
                is_default: true,
                is_initial: true,
                name: tenant.domain.clone(),
                kind: "Managed",
            }],
        }
    }
}

/// A directory object in a polymorphic answer (`getByIds`, `directoryObjects/{id}`, members).
#[derive(Debug, Clone, PartialEq)]
pub enum DirectoryObject {
    /// `#microsoft.graph.servicePrincipal`.
    ServicePrincipal(Box<ServicePrincipalResource>),
    /// `#microsoft.graph.user`.
    User(Box<User>),
    /// `#microsoft.graph.group`.
    Group(Box<GroupResource>),
    /// `#microsoft.graph.application`.
    Application(Box<super::application_resource::ApplicationResource>),
}

impl DirectoryObject {
    /// `@odata.type`.
    pub fn odata_type(&self) -> &'static str {
        match self {
            Self::ServicePrincipal(_) => "#microsoft.graph.servicePrincipal",
            Self::User(_) => "#microsoft.graph.user",
            Self::Group(_) => "#microsoft.graph.group",
            Self::Application(_) => "#microsoft.graph.application",
        }
    }

    /// The object id.
    pub fn id(&self) -> &str {
        match self {
            Self::ServicePrincipal(inner) => &inner.id,
            Self::User(inner) => &inner.id,
            Self::Group(inner) => &inner.id,
            Self::Application(inner) => &inner.id,
        }
    }
}

impl Serialize for DirectoryObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Typed<'a, T> {
            #[serde(rename = "@odata.type")]
            odata_type: &'static str,
            #[serde(flatten)]
            inner: &'a T,
        }
        let odata_type = self.odata_type();
        match self {
            Self::ServicePrincipal(inner) => Typed {
                odata_type,
                inner: inner.as_ref(),
            }
            .serialize(serializer),
            Self::User(inner) => Typed {
                odata_type,
                inner: inner.as_ref(),
            }
            .serialize(serializer),
            Self::Group(inner) => Typed {
                odata_type,
                inner: inner.as_ref(),
            }
            .serialize(serializer),
            Self::Application(inner) => Typed {
                odata_type,
                inner: inner.as_ref(),
            }
            .serialize(serializer),
        }
    }
}

/// `POST /directoryObjects/getByIds` body.
#[derive(Debug, Clone, Deserialize)]
pub struct GetByIdsRequest {
    /// Object ids (at most 1000).
    #[serde(default)]
    pub ids: Vec<String>,
    /// Type names to search; all directory types when absent or empty.
    #[serde(default)]
    pub types: Vec<String>,
}

/// A collection: `{"@odata.context":…,"@odata.nextLink"?:…,"value":[…]}`.
#[derive(Debug, Clone, Serialize)]
pub struct Collection<T> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
    pub value: Vec<T>,
}

/// A single entity with its `@odata.context`.
#[derive(Debug, Clone, Serialize)]
pub struct Entity<T> {
    #[serde(rename = "@odata.context")]
    pub context: String,
    #[serde(flatten)]
    pub inner: T,
}

/// An entity reduced to the properties of a `$select`, in the order they were asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection(Vec<(String, serde_json::Value)>);

impl Projection {
    /// `entity` reduced to `select` (matched case-insensitively, written in Graph's casing);
    /// `id` and `@odata.type` are always kept, as Graph does.
    pub fn of<T: Serialize>(
        entity: &T,
        select: &[String],
        type_name: &'static str,
    ) -> Result<Self, GraphError> {
        let serde_json::Value::Object(mut map) =
            serde_json::to_value(entity).map_err(anyhow::Error::from)?
        else {
            return Err(GraphError::Internal(anyhow::anyhow!(
                "an entity is not an object"
            )));
        };
        let mut fields = Vec::new();
        for key in ["@odata.type", "id"] {
            if let Some(value) = map.remove(key) {
                fields.push((key.to_string(), value));
            }
        }
        for wanted in select {
            let Some(key) = map.keys().find(|k| k.eq_ignore_ascii_case(wanted)).cloned() else {
                if wanted.eq_ignore_ascii_case("id") {
                    continue;
                }
                return Err(GraphError::BadRequest(BadRequest::UnknownProperty {
                    property: wanted.clone(),
                    type_name,
                }));
            };
            if let Some(value) = map.remove(&key) {
                fields.push((key, value));
            }
        }
        Ok(Self(fields))
    }
}

impl Projection {
    /// `entity` reduced to exactly `names`, in that order (a type's default properties).
    pub fn in_order<T: Serialize>(entity: &T, names: &[&str]) -> Result<Self, GraphError> {
        let serde_json::Value::Object(mut map) =
            serde_json::to_value(entity).map_err(anyhow::Error::from)?
        else {
            return Err(GraphError::Internal(anyhow::anyhow!(
                "an entity is not an object"
            )));
        };
        Ok(Self(
            names
                .iter()
                .filter_map(|name| map.remove(*name).map(|value| (name.to_string(), value)))
                .collect(),
        ))
    }
}

impl Serialize for Projection {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principals::model::PrincipalType;

    fn tenant() -> Tenant {
        Tenant {
            id: "t".into(),
            domain: "mimic.onmicrosoft.com".into(),
            display_name: "mimic".into(),
        }
    }

    fn principal(kind: PrincipalType) -> ServicePrincipal {
        ServicePrincipal {
            id: "o".into(),
            app_id: "a".into(),
            display_name: "vm1".into(),
            principal_type: kind,
            managed_identity_resource_id: (kind == PrincipalType::ManagedIdentity)
                .then(|| "/subscriptions/s/vm1".to_string()),
            alternative_names: vec![],
            created_date_time: "2026-11-23T13:00:00Z".into(),
            properties: Default::default(),
        }
    }

    #[test]
    fn managed_identities_and_applications_differ_where_graph_differs() {
        let managed = ServicePrincipalResource::new(
            principal(PrincipalType::ManagedIdentity),
            &tenant(),
            None,
            vec![],
            vec![],
        );
        let app = ServicePrincipalResource::new(
            principal(PrincipalType::Application),
            &tenant(),
            None,
            vec![],
            vec![],
        );
        assert_eq!(
            managed.service_principal_names,
            ["a", "/subscriptions/s/vm1"]
        );
        assert_eq!(managed.app_owner_organization_id, MICROSOFT_SERVICES_TENANT);
        assert_eq!(managed.app_display_name, None);
        assert_eq!(app.service_principal_names, ["a"]);
        assert_eq!(app.app_owner_organization_id, "t");
        assert_eq!(app.app_display_name.as_deref(), Some("vm1"));
    }

    #[test]
    fn key_credential_reports_thumbprint_and_validity_but_no_key() {
        let key = mimic_token::SigningKey::generate("CN=vm1").unwrap();
        let record = KeyCredentialRecord {
            principal_id: "o".into(),
            key_id: "k".into(),
            certificate_pem: key.certificate_pem().into(),
        };
        let credential = KeyCredential::from_record(&record).unwrap();
        assert_eq!(credential.custom_key_identifier, hex_thumbprint(key.kid()));
        assert_eq!(credential.custom_key_identifier.len(), 40);
        assert!(credential.start_date_time < credential.end_date_time);
        assert_eq!(credential.key, None);
    }

    #[test]
    fn projection_keeps_id_and_type_and_refuses_unknown_properties() {
        let object = DirectoryObject::ServicePrincipal(Box::new(ServicePrincipalResource::new(
            principal(PrincipalType::Application),
            &tenant(),
            None,
            vec![],
            vec![],
        )));
        let select = ["APPID".to_string()];
        let projected =
            serde_json::to_value(Projection::of(&object, &select, "t").unwrap()).unwrap();
        assert_eq!(
            projected,
            serde_json::json!({"@odata.type": "#microsoft.graph.servicePrincipal", "id": "o", "appId": "a"})
        );
        let error = Projection::of(
            &object,
            &["nope".to_string()],
            "microsoft.graph.servicePrincipal",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "Could not find a property named 'nope' on type 'microsoft.graph.servicePrincipal'."
        );
    }
}
