//! IMDS's two error envelopes.
//!
//! IMDS answers errors in two shapes, and clients parse each differently, so mimic has one enum
//! per shape rather than one per service:
//! - the managed-identity endpoints (`/metadata/identity/…`) use OAuth's
//!   `{"error":"<code>","error_description":"<text>"}` (imds.json `IdentityErrorResponse`);
//! - every other endpoint uses `{"error":"<text>"}` (imds.json `ErrorResponse`).
//!
//! Both render api-version errors as IMDS does, with the `newest-versions` list. Texts marked
//! UNVERIFIED are ours: Microsoft does not document them.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::extract::{Rejection, NEWEST_API_VERSIONS};

/// The text of both api-version errors when no version was given.
const API_VERSION_MISSING: &str = "Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds";
/// The text when the version is not supported (the current IMDS doc's wording).
const API_VERSION_INVALID: &str = "Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds";

/// Every error of the managed-identity endpoints. One variant per situation; the wire `error`
/// code comes from [`IdentityError::code`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum IdentityError {
    #[error("Required metadata header not specified")]
    MetadataHeaderMissing,
    /// UNVERIFIED text; the IMDS doc only says such requests are rejected.
    #[error("Request should not contain X-Forwarded-For header")]
    ForwardedRequest,
    /// UNVERIFIED text; the IMDS doc only says such requests are rejected.
    #[error("Duplicate query parameter '{0}' is not allowed")]
    DuplicateParameter(String),
    #[error("{API_VERSION_MISSING}")]
    ApiVersionMissing,
    #[error("{API_VERSION_INVALID}")]
    ApiVersionInvalid,
    /// Text as third-party IMDS emulators report it (UNVERIFIED against real IMDS).
    #[error("Required audience parameter not specified")]
    AudienceMissing,
    /// UNVERIFIED text: the spec only says the selectors are mutually exclusive.
    #[error("Only one of client_id, object_id, msi_res_id may be specified in the token request")]
    ConflictingSelectors,
    #[error("Identity not found")]
    IdentityNotFound,
    #[error("Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request")]
    MultipleUserAssignedIdentities,
    /// UNVERIFIED text.
    #[error("The request method is not supported; only GET is allowed")]
    MethodNotAllowed,
    /// Over the per-VM limit (IMDS doc, "Rate limiting"). The code is imds.json's
    /// `too_many_requests`; the text is UNVERIFIED.
    #[error("Too many requests")]
    TooManyRequests,
    /// 410 while IMDS's host is updated (IMDS doc, error handling: "IMDS is going through
    /// updates … available within 70 seconds"); code and text UNVERIFIED. Only `mimic chaos`.
    #[error("IMDS is going through updates")]
    Updating,
    /// 503: transient (IMDS doc: "5xx Transient error from service"); text UNVERIFIED. Only
    /// `mimic chaos`.
    #[error("The service is temporarily unavailable")]
    ServiceUnavailable,
    /// AAD refused the token request with a 4xx OAuth error; passed on as IMDS does.
    #[error("{description}")]
    Aad { error: String, description: String },
    /// ARM or AAD failed or could not be reached: transient, so 500 (azure-identity retries it).
    #[error("Failed to retrieve token from the Active directory. For details see logs in C:\\WindowsAzure\\Logs\\Plugins\\Microsoft.Identity.MSI\\MSI.log")]
    Unknown(#[from] anyhow::Error),
}

impl IdentityError {
    /// The OAuth `error` code.
    fn code(&self) -> &str {
        match self {
            Self::MetadataHeaderMissing
            | Self::ForwardedRequest
            | Self::DuplicateParameter(_)
            | Self::ApiVersionMissing
            | Self::ApiVersionInvalid
            | Self::AudienceMissing
            | Self::ConflictingSelectors
            | Self::IdentityNotFound
            | Self::MultipleUserAssignedIdentities => "invalid_request",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::TooManyRequests => "too_many_requests",
            Self::Updating | Self::ServiceUnavailable => "service_unavailable",
            Self::Aad { error, .. } => error,
            Self::Unknown(_) => "unknown",
        }
    }
}

impl From<Rejection> for IdentityError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::MetadataHeader => Self::MetadataHeaderMissing,
            Rejection::ForwardedFor => Self::ForwardedRequest,
            Rejection::DuplicateParameter(name) => Self::DuplicateParameter(name),
            Rejection::ApiVersionMissing => Self::ApiVersionMissing,
            Rejection::ApiVersionInvalid => Self::ApiVersionInvalid,
        }
    }
}

impl ResponseError for IdentityError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MetadataHeaderMissing
            | Self::ForwardedRequest
            | Self::DuplicateParameter(_)
            | Self::ApiVersionMissing
            | Self::ApiVersionInvalid
            | Self::AudienceMissing
            | Self::ConflictingSelectors
            | Self::IdentityNotFound
            | Self::MultipleUserAssignedIdentities
            | Self::Aad { .. } => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Updating => StatusCode::GONE,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unknown(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Unknown(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "token request failed");
        }
        let body = match self {
            Self::ApiVersionMissing | Self::ApiVersionInvalid => api_version_body(self),
            _ => json!({"error": self.code(), "error_description": self.to_string()}),
        };
        respond(self.status_code(), body)
    }
}

/// Every error of the other endpoints (`/metadata/instance…`, `/metadata/versions`, unknown
/// paths): `{"error":"<text>"}`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MetadataError {
    #[error("Bad request. Required metadata header not specified")]
    MetadataHeaderMissing,
    /// UNVERIFIED text.
    #[error("Bad request. Request should not contain X-Forwarded-For header")]
    ForwardedRequest,
    /// UNVERIFIED text.
    #[error("Bad request. Duplicate query parameter '{0}' is not allowed")]
    DuplicateParameter(String),
    #[error("{API_VERSION_MISSING}")]
    ApiVersionMissing,
    #[error("{API_VERSION_INVALID}")]
    ApiVersionInvalid,
    /// UNVERIFIED text.
    #[error("Bad request. Invalid format '{0}'; supported formats are json and text")]
    InvalidFormat(String),
    /// The IMDS doc: "When filtering to a leaf node, format=json doesn't work". UNVERIFIED text.
    #[error("Bad request. Leaf nodes are only supported with format=text")]
    LeafRequiresText,
    /// UNVERIFIED text.
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// Over the per-VM limit (IMDS doc, "Rate limiting"). UNVERIFIED text.
    #[error("Too many requests")]
    TooManyRequests,
    #[error("Not found")]
    NotFound,
    /// ARM's host API failed.
    #[error("Internal server error")]
    Internal(#[from] anyhow::Error),
}

impl From<Rejection> for MetadataError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::MetadataHeader => Self::MetadataHeaderMissing,
            Rejection::ForwardedFor => Self::ForwardedRequest,
            Rejection::DuplicateParameter(name) => Self::DuplicateParameter(name),
            Rejection::ApiVersionMissing => Self::ApiVersionMissing,
            Rejection::ApiVersionInvalid => Self::ApiVersionInvalid,
        }
    }
}

impl ResponseError for MetadataError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::MetadataHeaderMissing
            | Self::ForwardedRequest
            | Self::DuplicateParameter(_)
            | Self::ApiVersionMissing
            | Self::ApiVersionInvalid
            | Self::InvalidFormat(_)
            | Self::LeafRequiresText => StatusCode::BAD_REQUEST,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "metadata request failed");
        }
        let body = match self {
            Self::ApiVersionMissing | Self::ApiVersionInvalid => api_version_body(self),
            _ => json!({"error": self.to_string()}),
        };
        respond(self.status_code(), body)
    }
}

fn api_version_body(error: &impl std::fmt::Display) -> serde_json::Value {
    json!({"error": error.to_string(), "newest-versions": NEWEST_API_VERSIONS})
}

fn respond(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    let mut response = HttpResponse::build(status);
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response.insert_header((header::ALLOW, "GET"));
    }
    response.json(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body(response: HttpResponse) -> serde_json::Value {
        let bytes = response.into_body().try_into_bytes().unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn identity_errors_render_oauth_envelopes() {
        let cases = [
            (
                IdentityError::IdentityNotFound,
                400,
                json!({"error": "invalid_request", "error_description": "Identity not found"}),
            ),
            (
                IdentityError::MethodNotAllowed,
                405,
                json!({"error": "method_not_allowed", "error_description": "The request method is not supported; only GET is allowed"}),
            ),
            (
                IdentityError::Aad {
                    error: "invalid_resource".into(),
                    description: "AADSTS500011: x".into(),
                },
                400,
                json!({"error": "invalid_resource", "error_description": "AADSTS500011: x"}),
            ),
            (
                IdentityError::ApiVersionMissing,
                400,
                json!({"error": API_VERSION_MISSING, "newest-versions": NEWEST_API_VERSIONS}),
            ),
        ];
        for (error, status, want) in cases {
            let response = error.error_response();
            assert_eq!(response.status().as_u16(), status, "{error:?}");
            assert_eq!(body(response), want, "{error:?}");
        }
    }

    #[test]
    fn unknown_errors_hide_their_cause() {
        let error = IdentityError::Unknown(anyhow::anyhow!("secret detail"));
        let rendered = body(error.error_response()).to_string();
        assert!(!rendered.contains("secret detail"));
        assert!(rendered.contains("\"error\":\"unknown\""));
    }

    #[test]
    fn metadata_errors_render_a_single_error_string() {
        let response = MetadataError::NotFound.error_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(body(response), json!({"error": "Not found"}));
    }
}
