//! The ARM error envelope: `{"error":{"code":"…","message":"…"}}`.
//! See <https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/common-api-details.md>.

use serde::{Deserialize, Serialize};

/// The body of every ARM error response.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorResponse {
    /// The error itself.
    pub error: ErrorDetail,
}

/// One error: a PascalCase code clients branch on and a message for humans.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ErrorDetail {
    /// The error code, e.g. `ResourceGroupNotFound`.
    pub code: String,
    /// The human-readable message.
    pub message: String,
    /// The target of the error, when ARM names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Nested errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

impl ErrorResponse {
    /// An envelope with just a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code: code.into(),
                message: message.into(),
                target: None,
                details: Vec::new(),
            },
        }
    }
}
