//! Workload identity federation (issue 15): federated identity credentials (FICs) — an
//! application's (Graph) and a user-assigned managed identity's (ARM's resources, written through
//! over the internal API) — in one store, which the token exchange reads.
//!
//! See <https://learn.microsoft.com/entra/workload-id/workload-identity-federation>.

pub mod exchange;
pub mod internal;
pub mod issuers;
pub mod issuers_api;
pub mod matching;
pub mod remote;
pub mod store;

use serde::{Deserialize, Serialize};

/// Who holds a federated identity credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FicOwner {
    /// An app registration, by object id.
    Application(String),
    /// A (managed-identity) service principal, by object id.
    ServicePrincipal(String),
}

/// Flexible FIC matching (`claimsMatchingExpression`): an expression over the assertion's claims
/// in place of an exact `subject`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimsMatchingExpression {
    /// The expression, e.g. `claims['sub'] matches 'repo:contoso/*:ref:refs/heads/*'`.
    pub value: String,
    /// The expression language's version (1).
    pub language_version: i64,
}

/// One federated identity credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FederatedCredential {
    /// Graph's `id` (a GUID).
    pub id: String,
    /// Unique per owner (case-insensitive).
    pub name: String,
    /// The external issuer's URL, compared exactly with the assertion's `iss`.
    pub issuer: String,
    /// The assertion's `sub`, compared exactly; `None` when `claims_matching_expression` is set.
    pub subject: Option<String>,
    /// The accepted `aud` values (Entra allows one).
    pub audiences: Vec<String>,
    /// Free text.
    pub description: Option<String>,
    /// Flexible matching, when set.
    pub claims_matching_expression: Option<ClaimsMatchingExpression>,
    /// When it was created (Graph's format).
    pub created_date_time: String,
}
