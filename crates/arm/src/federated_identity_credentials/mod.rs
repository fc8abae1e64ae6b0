//! `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`: create/replace,
//! get, list and delete a user-assigned identity's federated identity credentials (issue 15).
//! ARM owns them and writes each identity's set through to AAD ([`writes`]); AAD answers the token
//! exchange from its copy. No LROs: every write answers 200/201 (204 for nothing to delete).

pub mod model;
pub mod store;
pub mod writes;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::extract::ApiVersion;
use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::user_assigned_identities::store::IdentityKey;
use crate::{AppState, ArmError};
use model::{CredentialList, CredentialRequest, CredentialResponse};

const READ: &str =
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read";
const WRITE: &str =
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write";
const DELETE: &str =
    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete";

const CREDENTIALS_PATH: &str = "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.managedidentity/userassignedidentities/{name}/federatedidentitycredentials";
const CREDENTIAL_PATH: &str = "/subscriptions/{subscription_id}/resourcegroups/{resource_group}/providers/microsoft.managedidentity/userassignedidentities/{name}/federatedidentitycredentials/{credential}";

/// `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials`: every
/// api-version of the MSI specs that has the type (2022-01-31-preview on; 2021-09-30-preview and
/// older have none), newest first.
pub const FEDERATED_IDENTITY_CREDENTIALS: ResourceType = ResourceType {
    namespace: "Microsoft.ManagedIdentity",
    name: "userAssignedIdentities/federatedIdentityCredentials",
    display_name: "Federated Identity Credentials",
    regional: false,
    versions: &[
        "2025-05-31-preview",
        "2025-01-31-preview",
        "2024-11-30",
        "2023-07-31-preview",
        "2023-01-31",
        "2022-01-31-preview",
    ],
};

/// The federated identity credential operations.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        id: "FederatedIdentityCredentials_CreateOrUpdate",
        verb: Verb::Put,
        path: CREDENTIAL_PATH,
        resource_type: &FEDERATED_IDENTITY_CREDENTIALS,
        versions: &[],
        authorization: Authorization::Action(WRITE, ScopeRule::Path),
        handler: |route| route.to(create_or_update),
        summary: "Create or update a federated identity credential of a user-assigned identity",
    },
    Operation {
        id: "FederatedIdentityCredentials_Get",
        verb: Verb::Get,
        path: CREDENTIAL_PATH,
        resource_type: &FEDERATED_IDENTITY_CREDENTIALS,
        versions: &[],
        authorization: Authorization::Action(READ, ScopeRule::Path),
        handler: |route| route.to(get),
        summary: "Get a federated identity credential",
    },
    Operation {
        id: "FederatedIdentityCredentials_Delete",
        verb: Verb::Delete,
        path: CREDENTIAL_PATH,
        resource_type: &FEDERATED_IDENTITY_CREDENTIALS,
        versions: &[],
        authorization: Authorization::Action(DELETE, ScopeRule::Path),
        handler: |route| route.to(delete),
        summary: "Delete a federated identity credential",
    },
    Operation {
        id: "FederatedIdentityCredentials_List",
        verb: Verb::Get,
        path: CREDENTIALS_PATH,
        resource_type: &FEDERATED_IDENTITY_CREDENTIALS,
        versions: &[],
        // Checked on the collection, as ARM checks a list below a resource.
        authorization: Authorization::Action(READ, ScopeRule::Path),
        handler: |route| route.to(list),
        summary:
            "List a user-assigned identity's federated identity credentials ($top, $skiptoken)",
    },
];

/// The path of an identity's credential collection.
#[derive(Debug, Deserialize)]
pub struct CredentialsPath {
    subscription_id: String,
    resource_group: String,
    name: String,
}

/// The path of one credential.
#[derive(Debug, Deserialize)]
pub struct CredentialPath {
    subscription_id: String,
    resource_group: String,
    name: String,
    credential: String,
}

fn identity_key(subscription_id: &str, resource_group: &str, name: &str) -> IdentityKey {
    IdentityKey {
        subscription_id: subscription_id.to_string(),
        resource_group: resource_group.to_string(),
        name: name.to_string(),
    }
}

impl CredentialPath {
    fn identity(&self) -> IdentityKey {
        identity_key(&self.subscription_id, &self.resource_group, &self.name)
    }
}

/// `FederatedIdentityCredentials_CreateOrUpdate`: 201 for a new credential, 200 otherwise.
pub async fn create_or_update(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: web::Path<CredentialPath>,
    body: web::Json<CredentialRequest>,
) -> Result<HttpResponse, ArmError> {
    model::check_name(&path.credential)?;
    let draft = model::draft(&body, &version.0)?;
    let written =
        writes::create_or_update(&state, &path.identity(), &path.credential, &draft).await?;
    let status = match written.created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    let response = CredentialResponse::of(&written.identity.id(), &written.credential, &version.0);
    Ok(HttpResponse::build(status).json(response))
}

/// `FederatedIdentityCredentials_Get`: 404 `ResourceNotFound` for an unknown identity or credential.
pub async fn get(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: web::Path<CredentialPath>,
) -> Result<HttpResponse, ArmError> {
    let key = path.identity();
    let identity = writes::find_identity(&state, &key).await?;
    let credentials = store::list(&state.db, identity.key).await?;
    let credential = credentials
        .iter()
        .find(|credential| credential.name.eq_ignore_ascii_case(&path.credential))
        .ok_or_else(|| {
            ArmError::ResourceNotFound(
                crate::user_assigned_identities::identity_resource_id(&key)
                    .child("federatedIdentityCredentials", &path.credential),
            )
        })?;
    Ok(HttpResponse::Ok().json(CredentialResponse::of(
        &identity.id(),
        credential,
        &version.0,
    )))
}

/// `FederatedIdentityCredentials_Delete`: 200 when deleted, 204 when there was nothing to delete.
pub async fn delete(
    state: web::Data<AppState>,
    _version: ApiVersion,
    path: web::Path<CredentialPath>,
) -> Result<HttpResponse, ArmError> {
    match writes::delete(&state, &path.identity(), &path.credential).await? {
        true => Ok(HttpResponse::Ok().finish()),
        false => Ok(HttpResponse::NoContent().finish()),
    }
}

/// The list's paging parameters.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(rename = "$top")]
    top: Option<String>,
    #[serde(rename = "$skiptoken", alias = "$skipToken")]
    skip_token: Option<String>,
}

/// `FederatedIdentityCredentials_List`: oldest first, `$top` per page with a `nextLink` carrying
/// `$skiptoken` (the offset) while more remain.
pub async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
    version: ApiVersion,
    path: web::Path<CredentialsPath>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let key = identity_key(&path.subscription_id, &path.resource_group, &path.name);
    let identity = writes::find_identity(&state, &key).await?;
    let page = Page::parse(&query)?;
    let credentials = store::list(&state.db, identity.key).await?;
    let end = page.top.map_or(credentials.len(), |top| {
        credentials.len().min(page.skip.saturating_add(top))
    });
    let value = credentials
        .iter()
        .take(end)
        .skip(page.skip)
        .map(|credential| CredentialResponse::of(&identity.id(), credential, &version.0))
        .collect();
    let next_link = (end < credentials.len()).then(|| {
        format!(
            "{}{}?api-version={}&$top={}&$skiptoken={end}",
            state.public_url,
            request.path(),
            version.0,
            page.top.unwrap_or(credentials.len()),
        )
    });
    Ok(HttpResponse::Ok().json(CredentialList { value, next_link }))
}

struct Page {
    top: Option<usize>,
    skip: usize,
}

impl Page {
    /// Text: mimic's (no recorded Azure answer found).
    fn parse(query: &ListQuery) -> Result<Self, ArmError> {
        let top = match &query.top {
            None => None,
            Some(top) => Some(
                top.parse::<usize>()
                    .ok()
                    .filter(|top| *top >= 1)
                    .ok_or_else(|| {
                        ArmError::BadRequest(format!(
                            "The value '{top}' of query parameter '$top' is invalid: it must be an integer of at least 1."
                        ))
                    })?,
            ),
        };
        let skip = match &query.skip_token {
            None => 0,
            Some(token) => token.parse::<usize>().map_err(|_| {
                ArmError::BadRequest(format!("The '$skiptoken' value '{token}' is invalid."))
            })?,
        };
        Ok(Self { top, skip })
    }
}
