//! The flavors' errors and their three envelopes.
//!
//! - App Service and Azure ML answer `{"statusCode":N,"message":"…","correlationId":"…"}`
//!   (msal reads `statusCode` and `message` from App Service errors:
//!   msal/managed_identity.py › `_obtain_token_on_app_service`).
//! - Cloud Shell answers `{"error":{"code":"…","message":"…"}}` (msal/cloudshell.py ›
//!   `_obtain_token`, msal-node `BaseManagedIdentitySource.getServerTokenResponse`).
//! - Arc (HIMDS) and the VM extension answer as IMDS: `{"error":"…","error_description":"…"}`.

use actix_web::body::MessageBody;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::error::IdentityError;

/// How a flavor renders its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Envelope {
    /// App Service and Azure ML.
    AppService,
    /// Cloud Shell.
    CloudShell,
    /// IMDS's OAuth shape: Arc and the VM extension.
    Imds,
}

/// Every error of the flavors' endpoints. Texts marked UNVERIFIED are ours.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FlavorError {
    /// App Service: `X-IDENTITY-HEADER` missing or not this VM's. UNVERIFIED text.
    #[error("The request is missing a valid X-IDENTITY-HEADER header")]
    IdentityHeaderInvalid,
    /// Azure ML: `secret` missing or not this VM's (Azure ML's text, azure-sdk-for-net#46932).
    #[error("Invalid secret token header")]
    SecretInvalid,
    /// An api-version the flavor does not speak. UNVERIFIED text.
    #[error("The api-version '{0}' is not supported; use {1}")]
    ApiVersionUnsupported(String, &'static str),
    /// App Service's answer when the identity asked for is not assigned (its well-known text).
    #[error("Unable to load the proper Managed Identity.")]
    ManagedIdentityNotFound,
    /// Arc: no (valid) `Authorization: Basic <key>`; the challenge names a fresh key file.
    /// UNVERIFIED text.
    #[error("Authorization header with a valid key is required; read the key file named in WWW-Authenticate")]
    ArcChallenge { realm: String },
    /// Anything IMDS's token endpoint would refuse the same way.
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// A [`FlavorError`] in the envelope of the flavor that raised it.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub(crate) struct Failure {
    pub envelope: Envelope,
    pub error: FlavorError,
}

impl Envelope {
    /// Wraps an error in this envelope (for `map_err`).
    pub fn wrap<E: Into<FlavorError>>(self) -> impl Fn(E) -> Failure {
        move |error| Failure {
            envelope: self,
            error: error.into(),
        }
    }
}

impl FlavorError {
    fn status(&self) -> StatusCode {
        match self {
            Self::IdentityHeaderInvalid
            | Self::SecretInvalid
            | Self::ApiVersionUnsupported(..)
            | Self::ManagedIdentityNotFound => StatusCode::BAD_REQUEST,
            Self::ArcChallenge { .. } => StatusCode::UNAUTHORIZED,
            Self::Identity(inner) => inner.status_code(),
        }
    }

    /// The OAuth-style code (Cloud Shell's `error.code`, IMDS's `error`).
    fn code(&self) -> String {
        match self {
            Self::IdentityHeaderInvalid | Self::SecretInvalid | Self::ArcChallenge { .. } => {
                "unauthorized_client".into()
            }
            Self::ApiVersionUnsupported(..) | Self::ManagedIdentityNotFound => {
                "invalid_request".into()
            }
            Self::Identity(inner) => imds_code(inner),
        }
    }
}

/// The `error` IMDS renders for `error` (read back from its own response, so the codes stay
/// those of [`IdentityError`]).
fn imds_code(error: &IdentityError) -> String {
    error
        .error_response()
        .into_body()
        .try_into_bytes()
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|body| body["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| "invalid_request".into())
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        self.error.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let (Envelope::Imds, FlavorError::Identity(inner)) = (self.envelope, &self.error) {
            return inner.error_response();
        }
        if let FlavorError::Identity(IdentityError::Unknown(cause)) = &self.error {
            tracing::error!(error = format!("{cause:#}"), "token request failed");
        }
        let message = self.error.to_string();
        let body = match self.envelope {
            Envelope::AppService => json!({
                "statusCode": status.as_u16(),
                "message": message,
                "correlationId": uuid::Uuid::new_v4().to_string(),
            }),
            Envelope::CloudShell => {
                json!({"error": {"code": self.error.code(), "message": message}})
            }
            Envelope::Imds => json!({"error": self.error.code(), "error_description": message}),
        };
        let mut response = HttpResponse::build(status);
        if let FlavorError::ArcChallenge { realm } = &self.error {
            response.insert_header((header::WWW_AUTHENTICATE, format!("Basic realm={realm}")));
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            response.insert_header((header::ALLOW, "GET"));
        }
        response.json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(envelope: Envelope, error: FlavorError) -> (u16, serde_json::Value) {
        let response = Failure { envelope, error }.error_response();
        let status = response.status().as_u16();
        let bytes = response.into_body().try_into_bytes().unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn each_envelope_has_its_shape() {
        let (status, body) = render(Envelope::AppService, FlavorError::IdentityHeaderInvalid);
        assert_eq!(status, 400);
        assert_eq!(body["statusCode"], 400);
        assert!(body["message"]
            .as_str()
            .unwrap()
            .contains("X-IDENTITY-HEADER"));
        let (status, body) = render(Envelope::CloudShell, IdentityError::IdentityNotFound.into());
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({"error": {"code": "invalid_request", "message": "Identity not found"}})
        );
        let (status, body) = render(Envelope::Imds, IdentityError::IdentityNotFound.into());
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({"error": "invalid_request", "error_description": "Identity not found"})
        );
    }
}
