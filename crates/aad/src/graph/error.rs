//! [`GraphError`]: every error mimic's Microsoft Graph returns, in Graph's envelope:
//!
//! ```json
//! {"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty.",
//!   "innerError":{"date":"2026-11-23T13:00:00","request-id":"…","client-request-id":"…"}}}
//! ```
//!
//! The [`envelope`] middleware wraps the `/v1.0` and `/beta` scopes: it gives every response
//! Graph's `request-id` and `client-request-id` headers, renders a [`GraphError`] with them, and
//! replaces any framework error body with a Graph error, so AAD's OAuth2 envelope never answers a
//! Graph call. Messages are real Graph's where known; see `docs/graph.md` for the ones that are not.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::AadError;
use crate::state::AppState;

/// Why a bearer token was refused (`InvalidAuthenticationToken`, 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenFailure {
    /// No `Authorization: Bearer …` header, or an empty token.
    #[error("Access token is empty.")]
    Empty,
    /// Not a JWT.
    #[error("CompactToken parsing failed with error code: 80049217")]
    Malformed,
    /// Not RS256, not signed by the tenant's key, or a bad signature. Graph's answer to a token
    /// whose signature does not verify, as field reports quote it (wazuh/wazuh-documentation#7620,
    /// 2024); it used to say "Access token validation failure." (2018 reports).
    #[error("Signature is invalid.")]
    Signature,
    /// `iss` is not this tenant's v1 issuer.
    #[error("Access token validation failure. Invalid issuer.")]
    Issuer,
    /// `aud` is not Graph.
    #[error("Access token validation failure. Invalid audience.")]
    Audience,
    /// `exp` has passed.
    #[error("Lifetime validation failed, the token is expired.")]
    Expired,
    /// `nbf` is in the future.
    #[error("Lifetime validation failed, the token is not yet valid.")]
    NotYetValid,
}

/// The request is malformed (`BadRequest`, 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadRequest {
    /// The URL names something Graph (as mimic models it) does not have.
    #[error("Resource not found for the segment '{0}'.")]
    SegmentNotFound(String),
    /// `$filter` does not parse.
    #[error("Invalid filter clause")]
    InvalidFilterClause,
    /// `/me` with an app-only token.
    #[error("/me request is only valid with delegated authentication flow.")]
    DelegatedOnly,
    /// The body is not the JSON the operation takes. Graph's wording (`BadRequest`, 400), as
    /// quoted from real responses in microsoftgraph/msgraph-sdk-go#203.
    #[error("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")]
    UnreadablePayload,
    /// `$top` is not an integer.
    #[error("Invalid value '{0}' for $top query option found. The $top query option requires a non-negative integer value.")]
    InvalidTop(String),
    /// `$count` other than `true` or `false`.
    #[error(
        "Invalid value '{0}' for $count query option found. Valid values are 'true' and 'false'."
    )]
    InvalidCount(String),
    /// A system query option given twice.
    #[error(
        "Query option '{0}' was specified more than once, but it must be specified at most once."
    )]
    DuplicateQueryOption(String),
    /// `$select` names a property the type does not have.
    #[error("Could not find a property named '{property}' on type '{type_name}'.")]
    UnknownProperty {
        property: String,
        type_name: &'static str,
    },
    /// A request body names a property the type does not have (or mimic does not model).
    #[error("The property '{property}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type or mark the type as open type.")]
    UnknownBodyProperty {
        property: String,
        type_name: &'static str,
    },
    /// A body value of the wrong JSON type.
    #[error("Cannot convert the literal '{literal}' to the expected type '{expected}'.")]
    InvalidLiteral {
        literal: String,
        expected: &'static str,
    },
    /// A `$ref` body without an `@odata.id` URL (missing, or a bare id). Graph's wording as
    /// reported in microsoftgraph/msgraph-sdk-dotnet#1846 and msgraph-sdk-powershell#3156.
    #[error("Invalid URL format specified in payload.")]
    InvalidReference,
}

/// The request is invalid for the directory (`Request_BadRequest`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestBadRequest {
    /// A directory object key that is not a GUID. Graph's wording: the live-tenant Pester test
    /// LockTar/AzureAdApplicationManagement
    /// `scripts/ManageAadApplications/v4/Update-AadApplication.Tests.ps1` (through Microsoft Graph
    /// PowerShell); 400 `Request_BadRequest` as clients of Graph quote it.
    #[error("Invalid object identifier '{0}'.")]
    InvalidObjectIdentifier(String),
    /// A method the URL does not take (405).
    #[error("Specified HTTP method is not allowed for the request uri.")]
    MethodNotAllowed,
    /// `$skip`, which Graph's directory does not take (it pages with `$skiptoken`). Graph's
    /// wording, as clients of Graph quote the 400 `Request_BadRequest` for `/groups?$skip=5`.
    #[error("'$skip' is not supported by the service.")]
    SkipNotSupported,
    /// `getByIds` without ids, with more than 1000, or with an id that is not a GUID ("Invalid
    /// GUID specified.", Graph's wording in microsoftgraph/microsoft-graph-docs#7063).
    #[error("{0}")]
    InvalidIds(&'static str),
    /// `getByIds` with a type name Graph does not know.
    #[error("Invalid value specified for property 'types' of resource 'DirectoryObject': '{0}'.")]
    InvalidType(String),
    /// A required property is missing from a create body. Graph's wording: a recorded 400
    /// `Request_BadRequest` "A value is required for property 'securityEnabled' of resource
    /// 'Group'." (Microsoft Graph PowerShell error dump).
    #[error("A value is required for property '{property}' of resource '{resource}'.")]
    RequiredProperty {
        property: &'static str,
        resource: &'static str,
    },
    /// A property's value is not one Graph accepts (empty, wrong characters, wrong type).
    #[error("Invalid value specified for property '{property}' of resource '{resource}'.")]
    InvalidValue {
        property: &'static str,
        resource: &'static str,
    },
    /// A user principal name that is not `name@domain`.
    #[error("Property userPrincipalName is invalid.")]
    InvalidUserPrincipalName,
    /// A user principal name whose domain is not one of the tenant's verified domains.
    #[error("The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.")]
    UnverifiedDomain,
    /// A password that fails Entra's complexity rules.
    #[error("The specified password does not comply with password complexity requirements. Please provide a different password.")]
    PasswordComplexity,
    /// A unique property (`userPrincipalName`) another object already has.
    #[error("Another object with the same value for property {0} already exists.")]
    ObjectConflict(&'static str),
    /// Adding a member or owner that is already there.
    #[error("One or more added object references already exist for the following modified properties: '{0}'.")]
    ReferencesExist(&'static str),
    /// `mailEnabled: true` or `securityEnabled: false` on a group mimic would have to create as
    /// a Microsoft 365 group or distribution list.
    #[error("The service does not currently support writes of mail-enabled groups. Please ensure that the mail-enablement property is unset and the security-enablement property is set.")]
    MailEnabledGroup,
    /// `/$count` without `ConsistencyLevel: eventual`.
    #[error("$count is not currently supported.")]
    CountNotSupported,
    /// A property value the resource does not accept (missing, malformed, inconsistent). Graph's
    /// wording: "Invalid value specified for property 'web' of resource 'Application'." in the
    /// live-tenant Pester test LockTar/AzureAdApplicationManagement
    /// `scripts/ManageAadApplications/v4/Update-AadApplication.Tests.ps1`.
    #[error("Invalid value specified for property '{property}' of resource '{resource}'.")]
    InvalidPropertyValue {
        property: String,
        resource: &'static str,
    },
    /// `POST /servicePrincipals` for an app id no application of the tenant has.
    #[error(
        "The appId '{0}' of the service principal does not reference a valid application object."
    )]
    NoBackingApplication(String),
    /// A `keyCredentials[].key` that is not an RSA X.509 certificate. The message is the one
    /// Microsoft's Entra docs quote for a PATCH with a badly encoded certificate (the note on
    /// PKCS#12 in the SAML-SSO-through-Graph article); the code is not confirmed.
    #[error("Invalid certificate: Key value is invalid certificate")]
    InvalidCertificate,
    /// `removePassword` (or a `keyCredentials` write) with a key id the object does not have.
    #[error("No credential with keyId '{0}' was found on the object.")]
    CredentialNotFound(String),
    /// A role assignment the principal already has.
    #[error("A conflicting object with one or more of the specified property values is present in the directory.")]
    ConflictingObject,
    /// The principal already holds this app role of this resource.
    #[error("Permission being assigned already exists on the object.")]
    AppRoleAssignmentExists,
    /// `appRoleId` is not an enabled app role (for applications) of the resource.
    #[error("Permission being assigned was not found on application '{0}'.")]
    AppRoleNotFound(String),
    /// A write to a managed identity's service principal, which ARM owns.
    #[error("The service principal of a managed identity cannot be changed through Microsoft Graph; change the identity in Azure Resource Manager.")]
    ManagedIdentityReadOnly,
}

impl RequestBadRequest {
    /// Graph's `error.details` for this error: `[{"code", "target"}]` where Graph sends them.
    pub fn details(&self) -> Vec<ErrorDetailItem> {
        let item = |code, target: &str| {
            vec![ErrorDetailItem {
                code,
                target: target.to_string(),
            }]
        };
        match self {
            Self::InvalidValue { property, .. } => item("InvalidValue", property),
            Self::InvalidPropertyValue { property, .. } => item("InvalidValue", property),
            Self::InvalidUserPrincipalName | Self::UnverifiedDomain => {
                item("InvalidValue", "userPrincipalName")
            }
            Self::ObjectConflict(property) => item("ObjectConflict", property),
            Self::InvalidObjectIdentifier(_)
            | Self::MethodNotAllowed
            | Self::SkipNotSupported
            | Self::InvalidIds(_)
            | Self::InvalidType(_)
            | Self::RequiredProperty { .. }
            | Self::PasswordComplexity
            | Self::ReferencesExist(_)
            | Self::MailEnabledGroup
            | Self::CountNotSupported
            | Self::NoBackingApplication(_)
            | Self::InvalidCertificate
            | Self::CredentialNotFound(_)
            | Self::AppRoleAssignmentExists
            | Self::ConflictingObject
            | Self::AppRoleNotFound(_)
            | Self::ManagedIdentityReadOnly => Vec::new(),
        }
    }
}

/// Which key value is taken (`Request_MultipleObjectsWithSameKeyValue`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SameKeyValue {
    /// The application already has a service principal.
    #[error("The service principal cannot be created, updated, or restored because the service principal name {0} is already in use.")]
    ServicePrincipalName(String),
    /// The application already has a federated identity credential of this name. Graph's wording
    /// in a recorded 409 (Azure/azure-dev#1482).
    #[error("FederatedIdentityCredential with name {0} already exists.")]
    FederatedIdentityCredentialName(String),
}

/// Why a federated identity credential was refused (`InvalidFederatedIdentityCredentialValue`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FederatedCredentialValue {
    /// Another credential of the application has the same issuer and subject. Graph's wording in
    /// a recorded 400 (Azure/azure-workload-identity#434).
    #[error("The combination of issuer and subject must be unique for the application. Issuer {issuer} and Subject: {subject} already exist. paramName: FederatedIdentityCredential.Subject, paramValue: {subject}, objectType: Microsoft.Online.DirectoryServices.Application")]
    IssuerAndSubject { issuer: String, subject: String },
}

/// `error.details[]`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErrorDetailItem {
    pub code: &'static str,
    pub target: String,
}

/// Every error mimic's Graph returns. One variant per Graph error code.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// `InvalidAuthenticationToken` (401).
    #[error("{0}")]
    InvalidAuthenticationToken(TokenFailure),
    /// `BadRequest` (400).
    #[error("{0}")]
    BadRequest(BadRequest),
    /// `Request_BadRequest` (400, or 405 for a wrong method).
    #[error("{0}")]
    RequestBadRequest(RequestBadRequest),
    /// `Authentication_MissingOrMalformed` (401): `addKey`/`removeKey` without a valid proof of
    /// possession (a JWT signed by one of the object's valid certificates); nothing changed.
    #[error("Access Token missing or malformed.")]
    AuthenticationMissingOrMalformed,
    /// `Authorization_RequestDenied` (403): the caller lacks the permission the operation needs;
    /// nothing changed.
    #[error("Insufficient privileges to complete the operation.")]
    AuthorizationRequestDenied,
    /// `Request_ResourceNotFound` (404): no directory object with this key.
    #[error("Resource '{0}' does not exist or one of its queried reference-property objects are not present.")]
    RequestResourceNotFound(String),
    /// `Request_MultipleObjectsWithSameKeyValue` (409): a key value another object has.
    #[error("{0}")]
    RequestMultipleObjectsWithSameKeyValue(SameKeyValue),
    /// `InvalidFederatedIdentityCredentialValue` (400): a federated identity credential whose
    /// issuer and subject another credential of the application has; nothing changed.
    #[error("{0}")]
    InvalidFederatedIdentityCredentialValue(FederatedCredentialValue),
    /// `Directory_ResourceSizeExceeded` (403): the application already has the most federated
    /// identity credentials Entra allows (20). The message is Graph's, as Entra's support notes
    /// and clients matching on it quote it (HashiCorp's vault-plugin-secrets-azure, for secrets);
    /// the code is Azure AD Graph's for the same message, not confirmed for Microsoft Graph.
    #[error("The size of the object has exceeded its limit. Please reduce the number of values and retry your request.")]
    DirectoryResourceSizeExceeded,
    /// `Request_UnsupportedQuery` (400): a query Graph supports but mimic (or Graph) does not.
    /// "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive." is Graph's
    /// (turbot/steampipe-plugin-azuread `azuread/table_azuread_application.go` quotes the
    /// response).
    #[error("{0}")]
    RequestUnsupportedQuery(String),
    /// `Directory_ExpiredPageToken` (400): a `$skiptoken` mimic did not issue. The code is Graph's
    /// (Azure AD Graph client libraries map it to `PageNotAvailableException`; Microsoft's
    /// troubleshooting note on expired `$skiptoken`s answers 400 with it); the message is as
    /// test doubles of Graph's SDK quote it, not seen in a recorded response.
    #[error(
        "The specified page token value has expired and can no longer be included in your request."
    )]
    DirectoryExpiredPageToken,
    /// `InternalServerError` (500): anything unexpected. The chain is logged, never sent.
    #[error("An internal server error occurred.")]
    Internal(#[from] anyhow::Error),
}

impl From<AadError> for GraphError {
    fn from(error: AadError) -> Self {
        match error {
            AadError::Internal(error) => Self::Internal(error),
            // The stores report unique violations with Graph's property name.
            AadError::ServicePrincipalConflict { property, .. } => {
                Self::RequestBadRequest(RequestBadRequest::ObjectConflict(property))
            }
            other => Self::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

impl GraphError {
    /// The HTTP status Graph answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidAuthenticationToken(_) | Self::AuthenticationMissingOrMalformed => {
                StatusCode::UNAUTHORIZED
            }
            Self::BadRequest(_)
            | Self::RequestUnsupportedQuery(_)
            | Self::DirectoryExpiredPageToken => StatusCode::BAD_REQUEST,
            Self::RequestBadRequest(RequestBadRequest::MethodNotAllowed) => {
                StatusCode::METHOD_NOT_ALLOWED
            }
            Self::RequestBadRequest(_) => StatusCode::BAD_REQUEST,
            Self::AuthorizationRequestDenied => StatusCode::FORBIDDEN,
            Self::RequestResourceNotFound(_) => StatusCode::NOT_FOUND,
            Self::RequestMultipleObjectsWithSameKeyValue(_) => StatusCode::CONFLICT,
            Self::InvalidFederatedIdentityCredentialValue(_) => StatusCode::BAD_REQUEST,
            Self::DirectoryResourceSizeExceeded => StatusCode::FORBIDDEN,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Graph's `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidAuthenticationToken(_) => "InvalidAuthenticationToken",
            Self::AuthenticationMissingOrMalformed => "Authentication_MissingOrMalformed",
            Self::BadRequest(_) => "BadRequest",
            Self::RequestBadRequest(_) => "Request_BadRequest",
            Self::AuthorizationRequestDenied => "Authorization_RequestDenied",
            Self::RequestResourceNotFound(_) => "Request_ResourceNotFound",
            Self::RequestMultipleObjectsWithSameKeyValue(_) => {
                "Request_MultipleObjectsWithSameKeyValue"
            }
            Self::InvalidFederatedIdentityCredentialValue(_) => {
                "InvalidFederatedIdentityCredentialValue"
            }
            Self::DirectoryResourceSizeExceeded => "Directory_ResourceSizeExceeded",
            Self::RequestUnsupportedQuery(_) => "Request_UnsupportedQuery",
            Self::DirectoryExpiredPageToken => "Directory_ExpiredPageToken",
            Self::Internal(_) => "InternalServerError",
        }
    }

    /// The envelope for this error in `context`.
    pub fn body(&self, context: &ErrorContext) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                inner_error: InnerError {
                    date: context.date.clone(),
                    request_id: context.request_id.clone(),
                    client_request_id: context.client_request_id.clone(),
                },
                details: match self {
                    Self::RequestBadRequest(error) => error.details(),
                    _ => Vec::new(),
                },
            },
        }
    }

    /// The full response; logs the chain of an internal error.
    pub fn render(&self, context: &ErrorContext) -> HttpResponse {
        if let Self::Internal(error) = self {
            tracing::error!(error = format!("{error:#}"), request_id = %context.request_id, "graph internal error");
        }
        self.response(context)
    }

    fn response(&self, context: &ErrorContext) -> HttpResponse {
        HttpResponse::build(self.status())
            .content_type("application/json")
            .json(self.body(context))
    }
}

impl ResponseError for GraphError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// A context-free rendering; the [`envelope`] middleware replaces it with the request's.
    fn error_response(&self) -> HttpResponse {
        let id = uuid::Uuid::new_v4().to_string();
        self.response(&ErrorContext {
            date: format_date(mimic_token::Clock::system().now()),
            request_id: id.clone(),
            client_request_id: id,
        })
    }
}

/// Graph's error envelope.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// `error`.
#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    #[serde(rename = "innerError")]
    pub inner_error: InnerError,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetailItem>,
}

/// `error.innerError`.
#[derive(Debug, Serialize)]
pub struct InnerError {
    pub date: String,
    #[serde(rename = "request-id")]
    pub request_id: String,
    #[serde(rename = "client-request-id")]
    pub client_request_id: String,
}

/// What an error body says about the request it answers.
#[derive(Debug, Clone)]
pub struct ErrorContext {
    /// `2026-11-23T13:00:00` (UTC, no zone, as Graph writes it).
    pub date: String,
    /// A fresh id, also sent as the `request-id` header.
    pub request_id: String,
    /// The client's `client-request-id`, or the request id when it sent none (as Graph does).
    pub client_request_id: String,
}

impl ErrorContext {
    fn of(request: &ServiceRequest) -> Self {
        let now = request
            .app_data::<web::Data<AppState>>()
            .map_or_else(|| mimic_token::Clock::system().now(), |s| s.clock.now());
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = request
            .headers()
            .get("client-request-id")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty())
            .map_or_else(|| request_id.clone(), str::to_string);
        Self {
            date: format_date(now),
            request_id,
            client_request_id,
        }
    }
}

/// `2026-11-23T13:00:00`, `innerError.date`'s format.
pub fn format_date(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// Middleware for the Graph scopes: `request-id`/`client-request-id` on every response, Graph's
/// envelope on every error (framework errors included), and no error left attached for AAD's own
/// envelope middleware to re-render.
pub async fn envelope(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let context = ErrorContext::of(&request);
    let response = next.call(request).await?;
    let mut response = match response.response().error() {
        None => response.map_into_boxed_body(),
        Some(error) => {
            let rendered = match error.as_error::<GraphError>() {
                Some(graph) => graph.render(&context),
                None if response.status().is_server_error() => {
                    GraphError::Internal(anyhow::anyhow!("{error}")).render(&context)
                }
                None => GraphError::BadRequest(BadRequest::UnreadablePayload).render(&context),
            };
            let (request, _) = response.into_parts();
            ServiceResponse::new(request, rendered)
        }
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("request-id", &context.request_id),
        ("client-request-id", &context.client_request_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ErrorContext {
        ErrorContext {
            date: format_date(1_795_438_800),
            request_id: "r".into(),
            client_request_id: "c".into(),
        }
    }

    #[test]
    fn body_has_graphs_shape() {
        let body = serde_json::to_value(
            GraphError::InvalidAuthenticationToken(TokenFailure::Empty).body(&context()),
        )
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {
                "code": "InvalidAuthenticationToken", "message": "Access token is empty.",
                "innerError": {"date": "2026-11-23T13:00:00", "request-id": "r", "client-request-id": "c"}
            }})
        );
    }

    #[test]
    fn status_and_code_follow_the_variant() {
        let cases = [
            (
                GraphError::RequestBadRequest(RequestBadRequest::MethodNotAllowed),
                405,
                "Request_BadRequest",
            ),
            (
                GraphError::DirectoryExpiredPageToken,
                400,
                "Directory_ExpiredPageToken",
            ),
            (
                GraphError::BadRequest(BadRequest::SegmentNotFound("x".into())),
                400,
                "BadRequest",
            ),
            (
                GraphError::RequestResourceNotFound("x".into()),
                404,
                "Request_ResourceNotFound",
            ),
            (
                GraphError::RequestUnsupportedQuery("x".into()),
                400,
                "Request_UnsupportedQuery",
            ),
            (
                GraphError::Internal(anyhow::anyhow!("x")),
                500,
                "InternalServerError",
            ),
        ];
        for (error, status, code) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
            assert_eq!(error.code(), code, "{error:?}");
        }
    }
}
