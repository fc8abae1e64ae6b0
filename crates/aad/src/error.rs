//! [`AadError`]: every error AAD returns, rendered in AAD's OAuth2 error envelope.
//!
//! ```json
//! {"error":"invalid_client","error_description":"AADSTS7000215: …\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …",
//!  "error_codes":[7000215],"timestamp":"2026-11-23 13:00:00Z","trace_id":"…","correlation_id":"…",
//!  "error_uri":"https://{host}/error?code=7000215"}
//! ```
//!
//! Handlers return `Err(AadError)`; the [`envelope`] middleware renders it with the request's context
//! (clock, public URL, the client's `client-request-id` as correlation id). It also replaces any
//! framework error body (extractor failures, payload limits) with the same envelope.
//! Messages are AAD's, see <https://learn.microsoft.com/entra/identity-platform/reference-error-codes>.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};
use serde::Serialize;

use crate::state::AppState;

/// Which surface asked, where AAD words the same failure differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Discovery documents and keys.
    Metadata,
    /// The token endpoints.
    Token,
}

const FEDERATION_DOC: &str =
    "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

const CERTIFICATE_DOC: &str =
    "Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .";

/// Every error AAD returns. One variant per AADSTS code (or per internal-API error).
#[derive(Debug, thiserror::Error)]
pub enum AadError {
    /// AADSTS90002: the tenant in the URL is neither our GUID nor our domain.
    #[error("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.")]
    InvalidTenantName { tenant: String, surface: Surface },
    /// AADSTS50049: instance discovery for an authority that is neither Entra's nor mimic's own.
    #[error("Unknown or invalid instance.")]
    InvalidInstance,
    /// AADSTS9001023: client credentials asked of `/common` or `/organizations`.
    #[error("The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.")]
    GrantNotSupportedOverCommon,
    /// AADSTS9002313 with 404: no such URL. Real AAD answers unknown paths with an HTML page.
    #[error("Invalid request. Request is malformed or invalid.")]
    RouteNotFound,
    /// AADSTS900561 with 405: wrong HTTP method.
    #[error("The endpoint only accepts {allowed} requests. Received a {received} request.")]
    MethodNotAllowed {
        allowed: &'static str,
        received: String,
    },
    /// AADSTS90004: a body the framework could not read (too large, unreadable).
    #[error("The request is not properly formatted.")]
    InvalidRequestFormat,
    /// AADSTS900144: a required form parameter is missing.
    #[error("The request body must contain the following parameter: '{0}'.")]
    MissingParameter(&'static str),
    /// AADSTS9000411: a form parameter appears twice.
    #[error("The request is not properly formatted. The parameter '{0}' is duplicated.")]
    DuplicateParameter(String),
    /// AADSTS90014: v2 client credentials without `scope`.
    #[error("The required field 'scope' is missing from the credential. Ensure that you have all the necessary parameters for the login request.")]
    MissingScope,
    /// AADSTS901002: `resource` sent to the v2 endpoint.
    #[error("The 'resource' request parameter is not supported.")]
    ResourceParameterNotSupported,
    /// AADSTS70003: any grant but `client_credentials`.
    #[error("The app requested an unsupported grant type '{0}'.")]
    UnsupportedGrantType(String),
    /// AADSTS1002012: a client-credentials scope without the `/.default` suffix.
    #[error("The provided value for scope {0} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")]
    ScopeWithoutDefaultSuffix(String),
    /// AADSTS70011: a scope list AAD cannot grant (several resources, or empty).
    #[error("The provided value for the input parameter 'scope' is not valid. The scope {0} is not valid. static scope limit exceeded.")]
    InvalidScope(String),
    /// AADSTS500011: the resource is neither a first-party resource nor an application (or
    /// service principal) of the tenant.
    #[error("The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.")]
    InvalidResource { resource: String, tenant: String },
    /// AADSTS700016: no principal with this client id.
    #[error("Application with identifier '{app_id}' was not found in the directory '{directory}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")]
    UnauthorizedClient { app_id: String, directory: String },
    /// AADSTS7000229: an application of the tenant that has no service principal to sign in as.
    #[error("The client application {app_id} is missing service principal in the tenant {tenant_id}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119")]
    MissingServicePrincipal { app_id: String, tenant_id: String },
    /// AADSTS7000112: the service principal is disabled (`accountEnabled` false).
    #[error("Application '{app_id}'({display_name}) is disabled.")]
    ApplicationDisabled {
        app_id: String,
        display_name: String,
    },
    /// AADSTS7000218: neither a secret nor an assertion.
    #[error("The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")]
    MissingClientCredentials,
    /// AADSTS7000215: the secret matches none of the principal's password credentials.
    #[error("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app_id}'.")]
    InvalidClientSecret { app_id: String },
    /// AADSTS50027: the client assertion is not a JWT we can read.
    #[error("{0}")]
    InvalidJwtToken(&'static str),
    /// AADSTS700027: no key credential with the assertion's thumbprint, or a bad signature.
    #[error("Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{app_id}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/{app_id}'].")]
    InvalidClientAssertionSignature {
        reason: &'static str,
        thumbprint: String,
        app_id: String,
    },
    /// AADSTS700021: the assertion's `iss` is neither the `client_id` nor an OIDC issuer's URL.
    #[error("Client assertion application identifier doesn't match 'client_id' parameter. {CERTIFICATE_DOC}")]
    ClientAssertionIssuerMismatch,
    /// AADSTS700211: no federated identity credential of the client trusts the token's issuer.
    #[error("No matching federated identity record found for presented assertion issuer '{issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. {FEDERATION_DOC}")]
    FederatedIssuerNotFound { issuer: String },
    /// AADSTS700212: the issuer is trusted, but for other audiences.
    #[error("No matching federated identity record found for presented assertion audience '{audience}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. {FEDERATION_DOC}")]
    FederatedAudienceNotFound { audience: String },
    /// AADSTS700213: the issuer and audience are trusted, but for other subjects.
    #[error("No matching federated identity record found for presented assertion subject '{subject}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. {FEDERATION_DOC}")]
    FederatedSubjectNotFound { subject: String },
    /// AADSTS70021: the issuer is trusted, but neither for this audience nor for this subject.
    #[error("No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{audience}'. {FEDERATION_DOC}")]
    FederatedNoMatch {
        issuer: String,
        subject: String,
        audience: String,
    },
    /// AADSTS70023: the external token is valid for longer than Entra accepts (a day and an hour).
    #[error("External OIDC Provider token must have a lifetime of less than or equal to 1.01:00:00. Token issued at {issued}. Token expires on {expires}.")]
    ExternalTokenLifetimeTooLong { issued: i64, expires: i64 },
    /// AADSTS7000272: the token's `kid` is not among the issuer's published keys.
    #[error("The certificate with identifier {kid} used to sign the federated credential could not be found in the metadata of identity provider {issuer}. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token.")]
    FederatedKeyNotFound { kid: String, issuer: String },
    /// AADSTS700027 (unconfirmed for federated tokens): the issuer's key did not make the signature.
    #[error("Client assertion failed signature validation. {FEDERATION_DOC}")]
    FederatedSignatureInvalid,
    /// AADSTS50166: the issuer's discovery document or JWKS could not be fetched.
    #[error("Request to External OIDC endpoint failed.")]
    ExternalOidcEndpointFailed,
    /// AADSTS50048: the assertion's `sub` is not its `iss`.
    #[error("Subject mismatches Issuer claim in the client assertion.")]
    SubjectMismatchesIssuer,
    /// AADSTS700023: the assertion's `aud` is not a token endpoint of this tenant.
    #[error("Client assertion audience claim does not match Realm issuer. {CERTIFICATE_DOC}")]
    ClientAssertionAudienceMismatch,
    /// AADSTS700024: the assertion expired or is not yet valid.
    #[error("Client assertion is not within its valid time range. Current time: {now}, assertion valid from {valid_from}, expiry time of assertion {expiry}. {CERTIFICATE_DOC}")]
    ClientAssertionNotInTimeRange {
        now: String,
        valid_from: String,
        expiry: String,
    },
    /// Internal API: the `x-mimic-internal-key` header is missing or wrong.
    #[error("The x-mimic-internal-key header is missing or does not match this data directory's internal key.")]
    InternalKeyInvalid,
    /// Internal API (managed-identity token): the principal is not a managed identity on that VM
    /// (IMDS's own wording, which the IMDS host passes on).
    #[error("Identity not found")]
    ManagedIdentityNotAssigned,
    /// Internal API: no service principal with this object id (Graph's wording).
    #[error("Resource '{0}' does not exist or one of its queried reference-property objects are not present.")]
    ServicePrincipalNotFound(String),
    /// Internal API: `id` or `appId` is taken (Graph's wording).
    #[error("Another object with the same value for property {property} already exists.")]
    ServicePrincipalConflict {
        property: &'static str,
        value: String,
    },
    /// Internal API: the body is not a valid service principal.
    #[error("Invalid service principal: {0}")]
    InvalidServicePrincipal(String),
    /// Internal API: a request that is not what the endpoint takes (a malformed body, a bad
    /// snapshot name, an unknown query value).
    #[error("Invalid request: {0}")]
    InvalidInternalRequest(String),
    /// Internal API: no snapshot of that name in the data dir.
    #[error("Snapshot '{0}' does not exist.")]
    SnapshotNotFound(String),
    /// Internal API: the body is not a valid user.
    #[error("Invalid user: {0}")]
    InvalidUser(String),
    /// Internal API: the user's `id` or `userPrincipalName` is taken (Graph's wording).
    #[error("Another object with the same value for property {property} already exists.")]
    UserConflict { property: &'static str },
    /// Internal API: no user with this object id (Graph's wording).
    #[error("Resource '{0}' does not exist or one of its queried reference-property objects are not present.")]
    UserNotFound(String),
    /// Internal API: no user, service principal or group with this object id (Graph's wording).
    #[error("Resource '{0}' does not exist or one of its queried reference-property objects are not present.")]
    ObjectNotFound(String),
    /// AADSTS50057: the user's `accountEnabled` is false.
    #[error("The user account is disabled.")]
    UserDisabled,
    /// AADSTS50055: the user must change its password (`forceChangePasswordNextSignIn`), which
    /// a non-interactive sign-in cannot do. eSTS's wire answer, as Microsoft's HDInsight
    /// troubleshooting page records it (MicrosoftDocs/azure-docs, "Authentication issues in Azure
    /// HDInsight"): `error` `user_password_expired`, "AADSTS50055: Password is expired.",
    /// `suberror` `user_password_expired` (its `password_change_url` is not sent).
    #[error("Password is expired.")]
    PasswordExpired,
    /// AADSTS50034: no user with this user name (AAD hides the name it was given).
    #[error("The user account {{EUII Hidden}} does not exist in the {directory} directory. To sign into this application, the account must be added to the directory.")]
    UserAccountNotFound { directory: String },
    /// AADSTS50126: the password is wrong.
    #[error("Error validating credentials due to invalid username or password.")]
    InvalidUserNameOrPassword,
    /// AADSTS50053: Smart Lockout, after too many wrong passwords in a row (eSTS's wire wording,
    /// as MSAL's test logs and az users quote it).
    #[error("The account is locked, you've tried to sign in too many times with an incorrect user ID or password.")]
    IdsLocked,
    /// AADSTS70000: an authorization code or refresh token mimic did not issue, already used, or
    /// issued to another client or redirect URI.
    #[error("The provided authorization code or refresh token is invalid or malformed.")]
    InvalidGrant,
    /// AADSTS70008: an authorization code or refresh token past its expiry.
    #[error("The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")]
    ExpiredGrant,
    /// AADSTS501481: the PKCE `code_verifier` does not hash to the `code_challenge`.
    #[error("The Code_Verifier does not match the code_challenge supplied in the authorization request.")]
    CodeVerifierMismatch,
    /// AADSTS9002325: an authorization request of a public client without an S256 `code_challenge`.
    #[error(
        "Proof Key for Code Exchange is required for cross-origin authorization code redemption."
    )]
    PkceRequired,
    /// AADSTS50011: a `redirect_uri` the client does not allow.
    #[error("The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{app_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.")]
    RedirectUriMismatch {
        redirect_uri: String,
        app_id: String,
    },
    /// AADSTS700054: an authorization request for a response type other than `code`.
    #[error("response_type '{0}' is not enabled for the application.")]
    UnsupportedResponseType(String),
    /// AADSTS90006 (ExternalServerRetryableError) with 503 `temporarily_unavailable`: OAuth's
    /// "The server is temporarily too busy to handle the request" (Entra's error-code reference).
    /// Only `mimic chaos`.
    #[error("The service is temporarily unavailable.")]
    TemporarilyUnavailable,
    /// AADSTS90006 with 429 and `Retry-After`: Entra throttling a client-credentials caller
    /// (MSAL's throttling docs: "429 Too Many Requests with a Retry-After: 60 header"); body
    /// UNVERIFIED. Only `mimic chaos`.
    #[error("The service is temporarily unavailable.")]
    Throttled { retry_after: u32 },
    /// AADSTS50196 (LoopDetected): "Clients that issue duplicate requests multiple times will be
    /// sent an invalid_grant error" (Entra's token-loop notice). Only `mimic chaos`.
    #[error("The server terminated an operation because it encountered a loop while processing a request.")]
    LoopDetected,
    /// AADSTS90033 (MsodsServiceUnavailable) with 503 `temporarily_unavailable`. Only
    /// `mimic chaos`.
    #[error("A transient error has occurred. Please try again.")]
    MsodsServiceUnavailable,
    /// AADSTS50000: anything unexpected. The chain is logged, never sent.
    #[error("There was an error issuing a token or an issue with our sign-in service.")]
    Internal(#[from] anyhow::Error),
}

impl AadError {
    /// The HTTP status AAD answers with.
    pub fn status(&self) -> StatusCode {
        use AadError::*;
        match self {
            InvalidTenantName { .. }
            | InvalidInstance
            | GrantNotSupportedOverCommon
            | InvalidRequestFormat
            | MissingParameter(_)
            | DuplicateParameter(_)
            | MissingScope
            | ResourceParameterNotSupported
            | UnsupportedGrantType(_)
            | ScopeWithoutDefaultSuffix(_)
            | InvalidScope(_)
            | InvalidResource { .. }
            | UnauthorizedClient { .. }
            | ApplicationDisabled { .. }
            | InvalidServicePrincipal(_)
            | InvalidInternalRequest(_)
            | ManagedIdentityNotAssigned
            | FederatedNoMatch { .. }
            | ExternalOidcEndpointFailed
            | ExternalTokenLifetimeTooLong { .. }
            | InvalidUser(_)
            | UserAccountNotFound { .. }
            | UserDisabled
            | PasswordExpired
            | InvalidUserNameOrPassword
            | IdsLocked
            | InvalidGrant
            | ExpiredGrant
            | CodeVerifierMismatch
            | PkceRequired
            | RedirectUriMismatch { .. }
            | LoopDetected
            | UnsupportedResponseType(_) => StatusCode::BAD_REQUEST,
            TemporarilyUnavailable | MsodsServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            MissingClientCredentials
            | MissingServicePrincipal { .. }
            | InvalidClientSecret { .. }
            | InvalidJwtToken(_)
            | InvalidClientAssertionSignature { .. }
            | ClientAssertionIssuerMismatch
            | FederatedIssuerNotFound { .. }
            | FederatedAudienceNotFound { .. }
            | FederatedSubjectNotFound { .. }
            | FederatedKeyNotFound { .. }
            | FederatedSignatureInvalid
            | SubjectMismatchesIssuer
            | ClientAssertionAudienceMismatch
            | ClientAssertionNotInTimeRange { .. }
            | InternalKeyInvalid => StatusCode::UNAUTHORIZED,
            RouteNotFound
            | ServicePrincipalNotFound(_)
            | UserNotFound(_)
            | ObjectNotFound(_)
            | SnapshotNotFound(_) => StatusCode::NOT_FOUND,
            MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ServicePrincipalConflict { .. } | UserConflict { .. } => StatusCode::CONFLICT,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The OAuth2 `error` string (or the Graph-style code on the internal API).
    pub fn error(&self) -> &'static str {
        use AadError::*;
        match self {
            InvalidTenantName { surface, .. } => match surface {
                Surface::Metadata => "invalid_tenant",
                Surface::Token => "invalid_request",
            },
            GrantNotSupportedOverCommon
            | RouteNotFound
            | MethodNotAllowed { .. }
            | InvalidRequestFormat
            | MissingParameter(_)
            | DuplicateParameter(_)
            | MissingScope
            | ResourceParameterNotSupported
            | PkceRequired
            | ManagedIdentityNotAssigned
            | FederatedNoMatch { .. }
            | ExternalOidcEndpointFailed
            | ExternalTokenLifetimeTooLong { .. }
            | RedirectUriMismatch { .. } => "invalid_request",
            InvalidInstance => "invalid_instance",
            PasswordExpired => "user_password_expired",
            UserAccountNotFound { .. }
            | UserDisabled
            | InvalidUserNameOrPassword
            | IdsLocked
            | InvalidGrant
            | ExpiredGrant
            | LoopDetected
            | CodeVerifierMismatch => "invalid_grant",
            TemporarilyUnavailable | Throttled { .. } | MsodsServiceUnavailable => {
                "temporarily_unavailable"
            }
            UnsupportedGrantType(_) => "unsupported_grant_type",
            UnsupportedResponseType(_) => "unsupported_response_type",
            ScopeWithoutDefaultSuffix(_) | InvalidScope(_) => "invalid_scope",
            InvalidResource { .. } => "invalid_resource",
            UnauthorizedClient { .. } | ApplicationDisabled { .. } => "unauthorized_client",
            MissingClientCredentials
            | MissingServicePrincipal { .. }
            | InvalidClientSecret { .. }
            | InvalidJwtToken(_)
            | InvalidClientAssertionSignature { .. }
            | ClientAssertionIssuerMismatch
            | FederatedIssuerNotFound { .. }
            | FederatedAudienceNotFound { .. }
            | FederatedSubjectNotFound { .. }
            | FederatedKeyNotFound { .. }
            | FederatedSignatureInvalid
            | SubjectMismatchesIssuer
            | ClientAssertionAudienceMismatch
            | ClientAssertionNotInTimeRange { .. } => "invalid_client",
            InternalKeyInvalid => "Authorization_RequestDenied",
            ServicePrincipalNotFound(_)
            | UserNotFound(_)
            | ObjectNotFound(_)
            | SnapshotNotFound(_) => "Request_ResourceNotFound",
            ServicePrincipalConflict { .. } | UserConflict { .. } => {
                "Request_MultipleObjectsWithSameKeyValue"
            }
            InvalidServicePrincipal(_) | InvalidInternalRequest(_) | InvalidUser(_) => {
                "Request_BadRequest"
            }
            Internal(_) => "server_error",
        }
    }

    /// The AADSTS number, if the error has one.
    pub fn code(&self) -> Option<u32> {
        use AadError::*;
        match self {
            InvalidTenantName { .. } => Some(90002),
            InvalidInstance => Some(50049),
            GrantNotSupportedOverCommon => Some(9001023),
            RouteNotFound => Some(9002313),
            MethodNotAllowed { .. } => Some(900561),
            InvalidRequestFormat => Some(90004),
            MissingParameter(_) => Some(900144),
            DuplicateParameter(_) => Some(9000411),
            MissingScope => Some(90014),
            ResourceParameterNotSupported => Some(901002),
            UnsupportedGrantType(_) => Some(70003),
            ScopeWithoutDefaultSuffix(_) => Some(1002012),
            InvalidScope(_) => Some(70011),
            InvalidResource { .. } => Some(500011),
            UnauthorizedClient { .. } => Some(700016),
            MissingClientCredentials => Some(7000218),
            MissingServicePrincipal { .. } => Some(7000229),
            ApplicationDisabled { .. } => Some(7000112),
            InvalidClientSecret { .. } => Some(7000215),
            InvalidJwtToken(_) => Some(50027),
            InvalidClientAssertionSignature { .. } => Some(700027),
            ClientAssertionIssuerMismatch => Some(700021),
            FederatedIssuerNotFound { .. } => Some(700211),
            FederatedAudienceNotFound { .. } => Some(700212),
            FederatedSubjectNotFound { .. } => Some(700213),
            FederatedNoMatch { .. } => Some(70021),
            FederatedKeyNotFound { .. } => Some(7000272),
            FederatedSignatureInvalid => Some(700027),
            ExternalOidcEndpointFailed => Some(50166),
            ExternalTokenLifetimeTooLong { .. } => Some(70023),
            SubjectMismatchesIssuer => Some(50048),
            ClientAssertionAudienceMismatch => Some(700023),
            ClientAssertionNotInTimeRange { .. } => Some(700024),
            UserAccountNotFound { .. } => Some(50034),
            UserDisabled => Some(50057),
            PasswordExpired => Some(50055),
            InvalidUserNameOrPassword => Some(50126),
            IdsLocked => Some(50053),
            InvalidGrant => Some(70000),
            ExpiredGrant => Some(70008),
            CodeVerifierMismatch => Some(501481),
            PkceRequired => Some(9002325),
            RedirectUriMismatch { .. } => Some(50011),
            UnsupportedResponseType(_) => Some(700054),
            TemporarilyUnavailable | Throttled { .. } => Some(90006),
            LoopDetected => Some(50196),
            MsodsServiceUnavailable => Some(90033),
            InternalKeyInvalid
            | ManagedIdentityNotAssigned
            | ServicePrincipalNotFound(_)
            | ServicePrincipalConflict { .. }
            | InvalidServicePrincipal(_)
            | InvalidInternalRequest(_)
            | SnapshotNotFound(_)
            | InvalidUser(_)
            | UserNotFound(_)
            | ObjectNotFound(_)
            | UserConflict { .. } => None,
            Internal(_) => Some(50000),
        }
    }

    /// The `suberror` MSAL reads to tell the user what to do, where AAD sends one.
    pub fn suberror(&self) -> Option<&'static str> {
        match self {
            Self::PasswordExpired => Some("user_password_expired"),
            _ => None,
        }
    }

    /// The envelope for this error in `context`.
    pub fn body(&self, context: &ErrorContext) -> ErrorBody {
        let timestamp = format_timestamp(context.now);
        let message = match self.code() {
            Some(code) => format!("AADSTS{code}: {self}"),
            None => self.to_string(),
        };
        ErrorBody {
            error: self.error(),
            error_description: format!(
                "{message}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {timestamp}",
                context.trace_id, context.correlation_id
            ),
            error_codes: self.code().into_iter().collect(),
            timestamp,
            trace_id: context.trace_id.clone(),
            correlation_id: context.correlation_id.clone(),
            error_uri: self
                .code()
                .zip(context.base_url.as_deref())
                .map(|(code, base)| format!("{base}/error?code={code}")),
            suberror: self.suberror(),
        }
    }

    /// The full response for this error in `context`; logs the chain of an internal error.
    pub fn render(&self, context: &ErrorContext) -> HttpResponse {
        if let AadError::Internal(error) = self {
            tracing::error!(error = format!("{error:#}"), trace_id = %context.trace_id, "internal error");
        }
        self.response(context)
    }

    fn response(&self, context: &ErrorContext) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        if let Self::Throttled { retry_after } = self {
            response.insert_header((header::RETRY_AFTER, *retry_after));
        }
        response
            .insert_header((header::CACHE_CONTROL, "no-store, no-cache"))
            .insert_header((header::PRAGMA, "no-cache"))
            .content_type("application/json; charset=utf-8")
            .json(self.body(context))
    }
}

impl ResponseError for AadError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// A context-free rendering; the [`envelope`] middleware replaces it with the request's.
    fn error_response(&self) -> HttpResponse {
        self.response(&ErrorContext {
            now: mimic_token::Clock::system().now(),
            base_url: None,
            trace_id: uuid::Uuid::new_v4().to_string(),
            correlation_id: uuid::Uuid::new_v4().to_string(),
        })
    }
}

/// AAD's error envelope.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub error_description: String,
    pub error_codes: Vec<u32>,
    pub timestamp: String,
    pub trace_id: String,
    pub correlation_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suberror: Option<&'static str>,
}

/// What an error body says about the request it answers.
#[derive(Debug, Clone)]
pub struct ErrorContext {
    /// Now, in seconds since the epoch.
    pub now: i64,
    /// AAD's public URL, for `error_uri`.
    pub base_url: Option<String>,
    /// A fresh id for this request.
    pub trace_id: String,
    /// The client's `client-request-id` when it is a GUID (as AAD echoes it), else fresh.
    pub correlation_id: String,
}

impl ErrorContext {
    fn of(request: &ServiceRequest) -> Self {
        let state = request.app_data::<web::Data<AppState>>();
        let correlation_id = ["client-request-id", "x-ms-client-request-id"]
            .iter()
            .filter_map(|name| request.headers().get(*name)?.to_str().ok())
            .find_map(|value| uuid::Uuid::parse_str(value).ok())
            .unwrap_or_else(uuid::Uuid::new_v4);
        Self {
            now: state.map_or_else(|| mimic_token::Clock::system().now(), |s| s.clock.now()),
            base_url: state.map(|s| s.base_url.clone()),
            trace_id: uuid::Uuid::new_v4().to_string(),
            correlation_id: correlation_id.to_string(),
        }
    }
}

/// `2026-11-23 13:00:00Z`, AAD's timestamp format.
pub fn format_timestamp(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%SZ")
        .to_string()
}

/// Middleware: renders every error response in AAD's envelope with the request's context, and
/// replaces framework error bodies (which must never reach a client) with the same envelope.
pub async fn envelope(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let context = ErrorContext::of(&request);
    let response = next.call(request).await?;
    let Some(error) = response.response().error() else {
        return Ok(response.map_into_boxed_body());
    };
    let rendered = match error.as_error::<AadError>() {
        Some(aad) => aad.render(&context),
        None if response.status().is_server_error() => {
            AadError::Internal(anyhow::anyhow!("{error}")).render(&context)
        }
        None => AadError::InvalidRequestFormat.render(&context),
    };
    let (request, _) = response.into_parts();
    Ok(ServiceResponse::new(request, rendered))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> ErrorContext {
        ErrorContext {
            now: 1_795_438_800,
            base_url: Some("https://127.0.0.1:8444".into()),
            trace_id: "t".into(),
            correlation_id: "c".into(),
        }
    }

    #[test]
    fn body_carries_the_aadsts_code_in_every_field() {
        let body = AadError::InvalidClientSecret {
            app_id: "app".into(),
        }
        .body(&context());
        assert_eq!(body.error, "invalid_client");
        assert_eq!(body.error_codes, vec![7000215]);
        assert!(body
            .error_description
            .starts_with("AADSTS7000215: Invalid client secret provided."));
        assert!(body
            .error_description
            .ends_with("\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2026-11-23 13:00:00Z"));
        assert_eq!(body.timestamp, "2026-11-23 13:00:00Z");
        assert_eq!(
            body.error_uri.as_deref(),
            Some("https://127.0.0.1:8444/error?code=7000215")
        );
    }

    #[test]
    fn body_without_code_has_no_error_uri() {
        let body = AadError::ServicePrincipalNotFound("x".into()).body(&context());
        assert!(body.error_codes.is_empty());
        assert_eq!(body.error_uri, None);
    }

    #[test]
    fn invalid_tenant_is_worded_per_surface() {
        let metadata = AadError::InvalidTenantName {
            tenant: "x".into(),
            surface: Surface::Metadata,
        };
        let token = AadError::InvalidTenantName {
            tenant: "x".into(),
            surface: Surface::Token,
        };
        assert_eq!(metadata.error(), "invalid_tenant");
        assert_eq!(token.error(), "invalid_request");
        assert_eq!(metadata.status(), StatusCode::BAD_REQUEST);
    }
}
