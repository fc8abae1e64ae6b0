//! The internal API ARM writes a user-assigned managed identity's federated identity credentials
//! through (docs/internal-apis.md, "federated identity credentials"): ARM owns them, AAD keeps the
//! copy the token exchange reads. ARM sends the identity's whole set each time, so one write
//! converges AAD whatever it held before (and a restart's push heals any crash window).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{ClaimsMatchingExpression, FederatedCredential, FicOwner};
use crate::error::AadError;
use crate::principals::model::PrincipalType;
use crate::principals::{iso_timestamp, InternalCaller};
use crate::state::AppState;

/// One credential as ARM sends and AAD lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CredentialEntry {
    /// Unique per identity (any case).
    pub name: String,
    /// The trusted issuer URL.
    pub issuer: String,
    /// The exact subject; absent when `claims_matching_expression` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The accepted audiences.
    pub audiences: Vec<String>,
    /// Flexible matching, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_matching_expression: Option<ClaimsMatchingExpression>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `{"value": [...]}`: a principal's whole set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSet {
    /// Every credential of the principal.
    pub value: Vec<CredentialEntry>,
}

impl From<FederatedCredential> for CredentialEntry {
    fn from(credential: FederatedCredential) -> Self {
        Self {
            name: credential.name,
            issuer: credential.issuer,
            subject: credential.subject,
            audiences: credential.audiences,
            claims_matching_expression: credential.claims_matching_expression,
            description: credential.description,
        }
    }
}

/// The managed-identity principal `id`: 404 for no principal, 400 for one that is not a managed
/// identity (an application's credentials are Graph's to write, never ARM's).
async fn managed_identity(state: &AppState, id: &str) -> Result<FicOwner, AadError> {
    let principal = state
        .store
        .get(id)
        .await?
        .ok_or_else(|| AadError::ServicePrincipalNotFound(id.to_string()))?;
    match principal.principal_type {
        PrincipalType::ManagedIdentity => Ok(FicOwner::ServicePrincipal(principal.id)),
        PrincipalType::Application => Err(AadError::InvalidInternalRequest(format!(
            "service principal {id} is not a managed identity"
        ))),
    }
}

/// `GET /internal/servicePrincipals/{id}/federatedIdentityCredentials` → `{"value": [...]}`.
pub async fn list(
    _: InternalCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AadError> {
    let owner = managed_identity(&state, &id).await?;
    let value = state.federation.list(&owner).await?;
    let value = value.into_iter().map(CredentialEntry::from).collect();
    Ok(HttpResponse::Ok().json(CredentialSet { value }))
}

/// `GET /internal/federatedIdentityCredentials` → `{"value": {"<principal id>": [...], …}}`:
/// every managed identity's set in one read, for ARM's push at start to write only the sets that
/// differ (principals without credentials are absent).
pub async fn list_all(
    _: InternalCaller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AadError> {
    let value: std::collections::BTreeMap<String, Vec<CredentialEntry>> = state
        .federation
        .all_of_service_principals()
        .await?
        .into_iter()
        .map(|(principal, set)| {
            (
                principal,
                set.into_iter().map(CredentialEntry::from).collect(),
            )
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "value": value })))
}

/// `PUT /internal/servicePrincipals/{id}/federatedIdentityCredentials` with the principal's whole
/// set → 200 with the set as stored. Replaces AAD's copy in one transaction.
pub async fn replace(
    _: InternalCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AadError> {
    let set: CredentialSet = serde_json::from_slice(&body)
        .map_err(|error| AadError::InvalidInternalRequest(error.to_string()))?;
    check(&set)?;
    let owner = managed_identity(&state, &id).await?;
    let now = iso_timestamp(state.clock.now());
    let credentials: Vec<FederatedCredential> = set
        .value
        .into_iter()
        .map(|entry| FederatedCredential {
            id: uuid::Uuid::new_v4().to_string(),
            name: entry.name,
            issuer: entry.issuer,
            subject: entry.subject,
            audiences: entry.audiences,
            description: entry.description,
            claims_matching_expression: entry.claims_matching_expression,
            created_date_time: now.clone(),
        })
        .collect();
    state.federation.replace(&owner, &credentials).await?;
    tracing::info!(principal_id = %id, count = credentials.len(),
        "managed identity's federated identity credentials replaced");
    let value = state.federation.list(&owner).await?;
    let value = value.into_iter().map(CredentialEntry::from).collect();
    Ok(HttpResponse::Ok().json(CredentialSet { value }))
}

/// What AAD itself needs of a set (ARM has applied Azure's rules): names unique and non-empty,
/// an issuer, and a subject or an expression.
fn check(set: &CredentialSet) -> Result<(), AadError> {
    let mut names = std::collections::HashSet::new();
    for entry in &set.value {
        let refuse = |why: &str| {
            Err(AadError::InvalidInternalRequest(format!(
                "credential '{}': {why}",
                entry.name
            )))
        };
        if entry.name.is_empty() || !names.insert(entry.name.to_ascii_lowercase()) {
            return refuse("names must be non-empty and unique");
        }
        if entry.issuer.is_empty() {
            return refuse("an issuer is required");
        }
        if entry.subject.is_some() == entry.claims_matching_expression.is_some() {
            return refuse("exactly one of subject and claimsMatchingExpression is required");
        }
    }
    Ok(())
}
