//! [`KvError`]: what Key Vault's data plane answers when a request fails, in Key Vault's envelope
//! `{"error":{"code","message","innererror":{"code"}}}` (the `KeyVaultError` of the data-plane
//! specs). 401s carry the `WWW-Authenticate` challenge clients follow.

use actix_web::http::header::{HeaderValue, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Every error of the data plane.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// 401: no token, or one Key Vault cannot use. `challenge` is the whole `WWW-Authenticate`
    /// value.
    #[error("{message}")]
    Unauthorized {
        /// E.g. `AKV10000: Request is missing a Bearer or PoP token.`
        message: String,
        /// The `WWW-Authenticate` header's value.
        challenge: String,
    },
    /// 403 `Forbidden` with an inner code (`ForbiddenByRbac`, `AccessDenied`, `SecretDisabled`, …).
    #[error("{message}")]
    Forbidden {
        /// The message.
        message: String,
        /// The inner error's code.
        inner: &'static str,
    },
    /// 404 with a code of its own (`SecretNotFound`, `KeyNotFound`, `NotFound`, …).
    #[error("{message}")]
    NotFound {
        /// The code.
        code: &'static str,
        /// The message.
        message: String,
    },
    /// 400 `BadParameter`.
    #[error("{0}")]
    BadParameter(String),
    /// 409 `Conflict`, with an inner code when Key Vault sends one.
    #[error("{message}")]
    Conflict {
        /// The message.
        message: String,
        /// The inner error's code.
        inner: Option<&'static str>,
    },
    /// 405: a path Key Vault serves, with another method.
    #[error("The requested resource does not support http method '{0}'.")]
    MethodNotAllowed(String),
    /// Anything else: 500, logged, with a generic message.
    #[error("An internal error occurred.")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for KvError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl From<crate::ArmError> for KvError {
    fn from(error: crate::ArmError) -> Self {
        Self::Internal(anyhow::anyhow!("{error}"))
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    innererror: Option<Inner<'a>>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
}

impl KvError {
    /// The envelope's `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => "Unauthorized",
            Self::Forbidden { .. } => "Forbidden",
            Self::NotFound { code, .. } => code,
            Self::BadParameter(_) => "BadParameter",
            Self::Conflict { .. } => "Conflict",
            Self::MethodNotAllowed(_) => "MethodNotAllowed",
            Self::Internal(_) => "InternalServerError",
        }
    }

    fn inner(&self) -> Option<&'static str> {
        match self {
            Self::Forbidden { inner, .. } => Some(inner),
            Self::Conflict { inner, .. } => *inner,
            Self::Unauthorized { .. }
            | Self::NotFound { .. }
            | Self::BadParameter(_)
            | Self::MethodNotAllowed(_)
            | Self::Internal(_) => None,
        }
    }
}

impl ResponseError for KvError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::BadParameter(_) => StatusCode::BAD_REQUEST,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(error) = self {
            tracing::error!(error = format!("{error:#}"), "key vault request failed");
        }
        let mut response = HttpResponse::build(self.status_code()).json(Envelope {
            error: Body {
                code: self.code(),
                message: self.to_string(),
                innererror: self.inner().map(|code| Inner { code }),
            },
        });
        if let Self::Unauthorized { challenge, .. } = self {
            if let Ok(value) = HeaderValue::from_str(challenge) {
                response.headers_mut().insert(WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}
