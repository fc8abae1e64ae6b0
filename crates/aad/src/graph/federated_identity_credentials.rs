//! `applications/{id}/federatedIdentityCredentials`: an app registration's federated identity
//! credentials (workload identity federation) — list (`$filter` on `name`, `subject`, `issuer`,
//! `id`), create, get/update/delete by id or name, and Graph's `(name='…')` alternate key
//! (upsert with `Prefer: create-if-missing`). Entra's rules: at most 20 per application; `name`
//! 3–120 characters (letters, digits, `-`, `_`; a letter or digit first), unique, immutable;
//! `issuer` a URL; `audiences` exactly one value; `issuer` + `subject` unique per application;
//! 600 characters at most for `issuer`, `subject`, each audience and `description`. `/beta` also
//! has `claimsMatchingExpression` (in place of `subject`). Stored in [`crate::federation`], which
//! the token exchange reads; a deleted application's credentials wait with it in
//! `deletedItems`.
//!
//! See <https://learn.microsoft.com/graph/api/resources/federatedidentitycredential> and
//! <https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations>.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Value};

use super::applications::{find, object_body, with_status, Key};
use super::auth::GraphCaller;
use super::error::{
    BadRequest, FederatedCredentialValue, GraphError, RequestBadRequest, SameKeyValue,
};
use super::operations::{Access, Members, Operation, Owned, Verb};
use super::query::{Clause, Literal, ODataQuery};
use super::{entity, no_content, not_found_error, page, Keyed};
use crate::federation::store::{CreateRefusal, WriteConflict};
use crate::federation::{ClaimsMatchingExpression, FederatedCredential, FicOwner};
use crate::principals::iso_timestamp;
use crate::state::AppState;

const TYPE: &str = "microsoft.graph.federatedIdentityCredential";
const RESOURCE: &str = "FederatedIdentityCredential";

/// The most federated identity credentials an application may have (Entra's limit).
pub const LIMIT: i64 = 20;

/// The longest `issuer`, `subject`, audience and `description` Entra accepts.
const MAX_LENGTH: usize = 600;

/// Listing (Graph's permissions table for "List federatedIdentityCredentials").
const LIST: Access = Access::Read(&[
    "Application.Read.All",
    "Application.ReadWrite.OwnedBy",
    "Application.ReadWrite.All",
]);

/// Reading one: Graph's table for "Get federatedIdentityCredential" names only the `ReadWrite`
/// permissions (not `Application.Read.All`, unlike the list); we follow it.
const GET: Access = Access::Read(&["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"]);

/// Writing: as the application's other credentials (its owners, Application Developer for the
/// applications it owns, the application administrators).
const WRITE: Access = Access::Write {
    application: &["Application.ReadWrite.OwnedBy", "Application.ReadWrite.All"],
    roles: &[
        "Application Administrator",
        "Cloud Application Administrator",
    ],
    members: Members::Denied,
    owners: Some(Owned::Application),
};

const COLLECTION: &str = "/applications/{id}/federatedIdentityCredentials";
const ONE: &str = "/applications/{id}/federatedIdentityCredentials/{credential}";
const BY_NAME: &str = "/applications/{id}/federatedIdentityCredentials(name='{name}')";

pub const OPERATIONS: &[Operation] = &[
    Operation {
        name: "List federatedIdentityCredentials",
        verb: Verb::Get,
        path: COLLECTION,
        access: LIST,
        handler: |route| route.to(list),
        summary: "`$filter` (one clause: `name`/`subject`/`issuer`/`id eq`), `$top`, `$skiptoken`, `$select`",
    },
    Operation {
        name: "Create federatedIdentityCredential",
        verb: Verb::Post,
        path: COLLECTION,
        access: WRITE,
        handler: |route| route.to(create),
        summary: "201; `name`, `issuer`, `subject`, `audiences` (one) required; at most 20 per application; `name` and `issuer`+`subject` unique",
    },
    Operation {
        name: "Get federatedIdentityCredential by name",
        verb: Verb::Get,
        path: BY_NAME,
        access: GET,
        handler: |route| route.to(get_by_name),
        summary: "the alternate key; `$select`",
    },
    Operation {
        name: "Upsert federatedIdentityCredential",
        verb: Verb::Patch,
        path: BY_NAME,
        access: WRITE,
        handler: |route| route.to(upsert),
        summary: "204 for an update; with `Prefer: create-if-missing`, 201 and the new credential when there is none (else 404)",
    },
    Operation {
        name: "Delete federatedIdentityCredential by name",
        verb: Verb::Delete,
        path: BY_NAME,
        access: WRITE,
        handler: |route| route.to(delete_by_name),
        summary: "204",
    },
    Operation {
        name: "Get federatedIdentityCredential",
        verb: Verb::Get,
        path: ONE,
        access: GET,
        handler: |route| route.to(get),
        summary: "by id or name; `$select`",
    },
    Operation {
        name: "Update federatedIdentityCredential",
        verb: Verb::Patch,
        path: ONE,
        access: WRITE,
        handler: |route| route.to(update),
        summary: "204; by id or name; `name` cannot change",
    },
    Operation {
        name: "Delete federatedIdentityCredential",
        verb: Verb::Delete,
        path: ONE,
        access: WRITE,
        handler: |route| route.to(delete),
        summary: "204; by id or name",
    },
];

/// `GET /v1.0/applications/{id}/federatedIdentityCredentials`.
pub async fn list(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let owner = owner(&state, &key).await?;
    let clause = match &query.filter {
        Some(filter) => Some(check_filter(filter.single()?)?),
        None => None,
    };
    let mut items: Vec<Resource> = state
        .federation
        .list(&owner.0)
        .await?
        .into_iter()
        .filter(|credential| clause.is_none_or(|clause| matches(clause, credential)))
        .map(|credential| Resource::of(credential, is_beta(&caller)))
        .collect();
    // Paged by id, as the directory's collections are.
    items.sort_by(|a, b| a.id.cmp(&b.id));
    let set = set(&owner.1);
    let path = format!("applications/{}/federatedIdentityCredentials", owner.1);
    page(&caller, (&set, &path), &query, items, Ok, TYPE)
}

/// `POST /v1.0/applications/{id}/federatedIdentityCredentials`.
pub async fn create(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let owner = owner(&state, &key).await?;
    let changes = Changes::parse(&body, is_beta(&caller))?;
    let credential = changes.into_new(&state, None)?;
    add(&caller, &state, &owner, credential, &key).await
}

/// `GET /v1.0/applications/{id}/federatedIdentityCredentials/{id or name}`.
pub async fn get(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    let (key, credential) = path.into_inner();
    let owner = owner(&state, &key).await?;
    let found = find_credential(&state, &owner.0, Lookup::IdOrName(&credential)).await?;
    show(&caller, &query, &owner.1, found)
}

/// `GET /v1.0/applications/{id}/federatedIdentityCredentials(name='{name}')`.
pub async fn get_by_name(
    caller: GraphCaller,
    query: ODataQuery,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    let (key, name) = path.into_inner();
    let owner = owner(&state, &key).await?;
    let found = find_credential(&state, &owner.0, Lookup::Name(&name)).await?;
    show(&caller, &query, &owner.1, found)
}

/// `PATCH /v1.0/applications/{id}/federatedIdentityCredentials/{id or name}`.
pub async fn update(
    caller: GraphCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let (key, credential) = path.into_inner();
    let owner = owner(&state, &key).await?;
    let changes = Changes::parse(&body, is_beta(&caller))?;
    let current = find_credential(&state, &owner.0, Lookup::IdOrName(&credential)).await?;
    change(&state, &owner.0, current, changes, &credential).await
}

/// `PATCH /v1.0/applications/{id}/federatedIdentityCredentials(name='{name}')`: an update, or
/// with `Prefer: create-if-missing` a create when there is no credential of that name.
pub async fn upsert(
    caller: GraphCaller,
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let (key, name) = path.into_inner();
    let owner = owner(&state, &key).await?;
    let changes = Changes::parse(&body, is_beta(&caller))?;
    let current = state.federation.by_name(&owner.0, &name).await?;
    match current {
        Some(current) => change(&state, &owner.0, current, changes, &name).await,
        None if creates_if_missing(&request) => {
            let credential = changes.into_new(&state, Some(&name))?;
            add(&caller, &state, &owner, credential, &key).await
        }
        None => Err(not_found_error(&name)),
    }
}

/// `DELETE /v1.0/applications/{id}/federatedIdentityCredentials/{id or name}`.
pub async fn delete(
    _: GraphCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    let (key, credential) = path.into_inner();
    let owner = owner(&state, &key).await?;
    let deleted = state.federation.delete_by_id(&owner.0, &credential).await?
        || state
            .federation
            .delete_by_name(&owner.0, &credential)
            .await?;
    gone(deleted, &owner.1, &credential)
}

/// `DELETE /v1.0/applications/{id}/federatedIdentityCredentials(name='{name}')`.
pub async fn delete_by_name(
    _: GraphCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, GraphError> {
    let (key, name) = path.into_inner();
    let owner = owner(&state, &key).await?;
    let deleted = state.federation.delete_by_name(&owner.0, &name).await?;
    gone(deleted, &owner.1, &name)
}

fn gone(deleted: bool, application: &str, key: &str) -> Result<HttpResponse, GraphError> {
    if !deleted {
        return Err(not_found_error(key));
    }
    tracing::info!(
        application,
        credential = key,
        "federated identity credential deleted"
    );
    Ok(no_content())
}

/// The application the URL names, as the store's owner, and its object id.
async fn owner(state: &AppState, key: &str) -> Result<(FicOwner, String), GraphError> {
    let application = find(state, Key::Id(key)).await?;
    Ok((
        FicOwner::Application(application.id.clone()),
        application.id,
    ))
}

/// How a URL names a credential.
#[derive(Debug, Clone, Copy)]
enum Lookup<'a> {
    /// Its id, else its name (Graph takes either in the key segment).
    IdOrName(&'a str),
    /// Its name (the `(name='…')` alternate key).
    Name(&'a str),
}

async fn find_credential(
    state: &AppState,
    owner: &FicOwner,
    lookup: Lookup<'_>,
) -> Result<FederatedCredential, GraphError> {
    let (found, key) = match lookup {
        Lookup::IdOrName(key) => match state.federation.by_id(owner, key).await? {
            Some(found) => (Some(found), key),
            None => (state.federation.by_name(owner, key).await?, key),
        },
        Lookup::Name(name) => (state.federation.by_name(owner, name).await?, name),
    };
    found.ok_or_else(|| not_found_error(key))
}

/// Stores a new credential and answers 201 with it, or Graph's error (nothing stored).
async fn add(
    caller: &GraphCaller,
    state: &AppState,
    owner: &(FicOwner, String),
    credential: FederatedCredential,
    key: &str,
) -> Result<HttpResponse, GraphError> {
    match state
        .federation
        .create(&owner.0, &credential, LIMIT)
        .await?
    {
        Ok(()) => {}
        Err(CreateRefusal::OwnerNotFound) => return Err(not_found_error(key)),
        Err(CreateRefusal::Name) => {
            return Err(GraphError::RequestMultipleObjectsWithSameKeyValue(
                SameKeyValue::FederatedIdentityCredentialName(credential.name),
            ))
        }
        Err(CreateRefusal::IssuerAndSubject(_)) => return Err(issuer_and_subject(&credential)),
        Err(CreateRefusal::Limit) => return Err(GraphError::DirectoryResourceSizeExceeded),
    }
    tracing::info!(application = %owner.1, id = %credential.id, name = %credential.name, "federated identity credential created");
    let id = credential.id.clone();
    let body = super::model::Entity {
        context: format!(
            "{}/$metadata#{}/$entity",
            caller.service_root,
            set(&owner.1)
        ),
        inner: Resource::of(credential, is_beta(caller)),
    };
    let mut response = with_status(StatusCode::CREATED, &body)?;
    let location = format!(
        "{}/applications/{}/federatedIdentityCredentials/{id}",
        caller.service_root, owner.1
    );
    if let Ok(location) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Applies `changes` to `current` and stores it: 204, or Graph's error (nothing changed).
async fn change(
    state: &AppState,
    owner: &FicOwner,
    mut current: FederatedCredential,
    changes: Changes,
    key: &str,
) -> Result<HttpResponse, GraphError> {
    changes.apply_to(&mut current)?;
    match state.federation.update(owner, &current).await? {
        Ok(true) => {}
        Ok(false) => return Err(not_found_error(key)),
        Err(WriteConflict::IssuerAndSubject(_)) => return Err(issuer_and_subject(&current)),
    }
    tracing::info!(id = %current.id, name = %current.name, "federated identity credential updated");
    Ok(no_content())
}

fn issuer_and_subject(credential: &FederatedCredential) -> GraphError {
    GraphError::InvalidFederatedIdentityCredentialValue(
        FederatedCredentialValue::IssuerAndSubject {
            issuer: credential.issuer.clone(),
            subject: credential.subject.clone().unwrap_or_default(),
        },
    )
}

fn show(
    caller: &GraphCaller,
    query: &ODataQuery,
    application: &str,
    credential: FederatedCredential,
) -> Result<HttpResponse, GraphError> {
    let resource = Resource::of(credential, is_beta(caller));
    entity(caller, &set(application), query, &resource, TYPE)
}

/// The `@odata.context` set of an application's credentials.
fn set(application: &str) -> String {
    format!("applications('{application}')/federatedIdentityCredentials")
}

fn is_beta(caller: &GraphCaller) -> bool {
    caller.service_root.ends_with("/beta")
}

/// Whether the request asks for an upsert (`Prefer: create-if-missing`).
fn creates_if_missing(request: &HttpRequest) -> bool {
    request
        .headers()
        .get_all("prefer")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|preference| preference.trim().eq_ignore_ascii_case("create-if-missing"))
}

/// The one `$filter` clause a credential list takes.
fn check_filter(clause: &Clause) -> Result<&Clause, GraphError> {
    let supported = ["name", "subject", "issuer", "id"];
    match clause {
        Clause::Eq {
            property,
            value: Literal::Text(_),
        } if supported.iter().any(|s| s.eq_ignore_ascii_case(property)) => Ok(clause),
        _ => Err(super::query::unsupported_property(
            clause.property(),
            RESOURCE,
        )),
    }
}

fn matches(clause: &Clause, credential: &FederatedCredential) -> bool {
    let Clause::Eq {
        property,
        value: Literal::Text(value),
    } = clause
    else {
        return false;
    };
    match property.to_ascii_lowercase().as_str() {
        "name" => credential.name.eq_ignore_ascii_case(value),
        "subject" => credential.subject.as_deref() == Some(value.as_str()),
        "issuer" => credential.issuer == *value,
        "id" => credential.id.eq_ignore_ascii_case(value),
        _ => false,
    }
}

/// What a create or update body sets; absent properties are `None`.
#[derive(Debug, Default)]
struct Changes {
    name: Option<String>,
    issuer: Option<String>,
    subject: Option<Option<String>>,
    description: Option<Option<String>>,
    audiences: Option<Vec<String>>,
    claims_matching_expression: Option<Option<ClaimsMatchingExpression>>,
}

impl Changes {
    /// Reads a body: a JSON object of the type's writable properties (`claimsMatchingExpression`
    /// only in beta); `id` and annotations are ignored.
    fn parse(body: &[u8], beta: bool) -> Result<Self, GraphError> {
        let body: Map<String, Value> = object_body(body)?;
        let mut changes = Self::default();
        for (property, value) in body {
            match property.as_str() {
                "name" => changes.name = Some(typed(value)?),
                "issuer" => changes.issuer = Some(typed(value)?),
                "subject" => changes.subject = Some(typed(value)?),
                "description" => changes.description = Some(typed(value)?),
                "audiences" => changes.audiences = Some(typed(value)?),
                "claimsMatchingExpression" if beta => {
                    changes.claims_matching_expression = Some(typed(value)?)
                }
                "id" => {}
                name if name.starts_with('@') => {}
                _ => {
                    return Err(GraphError::BadRequest(BadRequest::UnknownBodyProperty {
                        property,
                        type_name: TYPE,
                    }))
                }
            }
        }
        Ok(changes)
    }

    /// A new credential (named `name` by the URL, for an upsert), checked against Entra's rules.
    fn into_new(
        self,
        state: &AppState,
        name: Option<&str>,
    ) -> Result<FederatedCredential, GraphError> {
        let name = match (name, &self.name) {
            (Some(url), Some(body)) if !url.eq_ignore_ascii_case(body) => {
                return Err(invalid("name"))
            }
            (Some(url), _) => url.to_string(),
            (None, Some(body)) => body.clone(),
            (None, None) => return Err(required("name")),
        };
        let mut credential = FederatedCredential {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            issuer: self.issuer.clone().ok_or_else(|| required("issuer"))?,
            subject: None,
            audiences: self
                .audiences
                .clone()
                .ok_or_else(|| required("audiences"))?,
            description: None,
            claims_matching_expression: None,
            created_date_time: iso_timestamp(state.clock.now()),
        };
        let expression = self.claims_matching_expression.clone().flatten();
        if self.subject.clone().flatten().is_none() && expression.is_none() {
            return Err(required("subject"));
        }
        Self { name: None, ..self }.apply_to(&mut credential)?;
        Ok(credential)
    }

    /// Applies the changes to `credential` if the result keeps Entra's rules; else Graph's error
    /// and `credential` is unchanged. `name` may be sent but not changed.
    fn apply_to(self, credential: &mut FederatedCredential) -> Result<(), GraphError> {
        let mut changed = credential.clone();
        if let Some(name) = self.name {
            if !name.eq_ignore_ascii_case(&credential.name) {
                return Err(invalid("name"));
            }
        }
        if let Some(issuer) = self.issuer {
            changed.issuer = issuer;
        }
        if let Some(subject) = self.subject {
            changed.subject = subject;
        }
        if let Some(description) = self.description {
            changed.description = description;
        }
        if let Some(audiences) = self.audiences {
            changed.audiences = audiences;
        }
        if let Some(expression) = self.claims_matching_expression {
            changed.claims_matching_expression = expression;
        }
        check(&changed)?;
        *credential = changed;
        Ok(())
    }
}

/// Entra's rules for a credential, in the order Graph reports them.
fn check(credential: &FederatedCredential) -> Result<(), GraphError> {
    if !valid_name(&credential.name) {
        return Err(invalid("name"));
    }
    let issuer = &credential.issuer;
    let url = url::Url::parse(issuer).is_ok_and(|url| !url.cannot_be_a_base());
    if !url || issuer.trim() != issuer || issuer.chars().count() > MAX_LENGTH {
        return Err(invalid("issuer"));
    }
    match (&credential.subject, &credential.claims_matching_expression) {
        (Some(_), Some(_)) => return Err(invalid("claimsMatchingExpression")),
        (Some(subject), None) if subject.is_empty() || subject.chars().count() > MAX_LENGTH => {
            return Err(invalid("subject"))
        }
        (None, None) => return Err(required("subject")),
        (None, Some(expression)) if expression.value.trim().is_empty() => {
            return Err(invalid("claimsMatchingExpression"))
        }
        _ => {}
    }
    let audience_ok =
        |audience: &String| !audience.trim().is_empty() && audience.chars().count() <= MAX_LENGTH;
    if credential.audiences.len() != 1 || !credential.audiences.iter().all(audience_ok) {
        return Err(invalid("audiences"));
    }
    if credential
        .description
        .as_ref()
        .is_some_and(|description| description.chars().count() > MAX_LENGTH)
    {
        return Err(invalid("description"));
    }
    Ok(())
}

/// 3–120 characters, letters, digits, `-` and `_`, a letter or digit first.
fn valid_name(name: &str) -> bool {
    let length = name.chars().count();
    (3..=120).contains(&length)
        && name
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A property's value as `T`, else Graph's unreadable-payload answer (a wrong JSON type).
fn typed<T: DeserializeOwned>(value: Value) -> Result<T, GraphError> {
    serde_json::from_value(value).map_err(|_| GraphError::BadRequest(BadRequest::UnreadablePayload))
}

fn required(property: &'static str) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::RequiredProperty {
        property,
        resource: RESOURCE,
    })
}

fn invalid(property: &str) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::InvalidPropertyValue {
        property: property.to_string(),
        resource: RESOURCE,
    })
}

/// Graph's `federatedIdentityCredential`: v1.0's properties, and beta's
/// `claimsMatchingExpression` (null when unset).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Resource {
    id: String,
    name: String,
    issuer: String,
    subject: Option<String>,
    description: Option<String>,
    audiences: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    claims_matching_expression: Option<Option<ClaimsMatchingExpression>>,
}

impl Resource {
    fn of(credential: FederatedCredential, beta: bool) -> Self {
        Self {
            id: credential.id,
            name: credential.name,
            issuer: credential.issuer,
            subject: credential.subject,
            description: credential.description,
            audiences: credential.audiences,
            claims_matching_expression: beta.then_some(credential.claims_matching_expression),
        }
    }
}

impl Keyed for Resource {
    fn key(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential() -> FederatedCredential {
        FederatedCredential {
            id: "00000000-0000-0000-0000-000000000001".into(),
            name: "github-main".into(),
            issuer: "https://token.actions.githubusercontent.com".into(),
            subject: Some("repo:contoso/app:ref:refs/heads/main".into()),
            audiences: vec!["api://AzureADTokenExchange".into()],
            description: None,
            claims_matching_expression: None,
            created_date_time: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn valid_name_follows_entras_rules() {
        let long = "a".repeat(120);
        let too_long = "a".repeat(121);
        let cases = [
            ("abc", true),
            ("a-b_c9", true),
            ("9ab", true),
            (long.as_str(), true),
            ("ab", false),
            (too_long.as_str(), false),
            ("-ab", false),
            ("_ab", false),
            ("a b", false),
            ("a.b", false),
            ("a/b", false),
            ("ünï", false),
        ];
        for (name, want) in cases {
            assert_eq!(valid_name(name), want, "{name}");
        }
    }

    #[test]
    fn apply_to_refuses_each_bad_change_and_changes_nothing() {
        let long = "x".repeat(601);
        let cases = [
            (serde_json::json!({"name": "renamed"}), "name"),
            (serde_json::json!({"issuer": "not a url"}), "issuer"),
            (
                serde_json::json!({"issuer": " https://a.example"}),
                "issuer",
            ),
            (serde_json::json!({"subject": ""}), "subject"),
            (serde_json::json!({"subject": long}), "subject"),
            (serde_json::json!({"audiences": []}), "audiences"),
            (serde_json::json!({"audiences": ["a", "b"]}), "audiences"),
            (serde_json::json!({"audiences": [long]}), "audiences"),
            (serde_json::json!({"description": long}), "description"),
        ];
        for (body, property) in cases {
            let mut target = credential();
            let changes = Changes::parse(body.to_string().as_bytes(), false).unwrap();
            let error = changes.apply_to(&mut target).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "Invalid value specified for property '{property}' of resource 'FederatedIdentityCredential'."
                ),
                "{body}"
            );
            assert_eq!(target, credential(), "{body}");
        }
    }

    #[test]
    fn parse_refuses_unknown_properties_and_beta_only_ones_in_v1() {
        let v1 = Changes::parse(br#"{"claimsMatchingExpression": null}"#, false).unwrap_err();
        let beta = Changes::parse(br#"{"claimsMatchingExpression": null}"#, true);
        let unknown = Changes::parse(br#"{"nope": 1}"#, true).unwrap_err();
        let wrong_type = Changes::parse(br#"{"audiences": "a"}"#, false).unwrap_err();

        assert_eq!(v1.code(), "BadRequest");
        assert!(beta.is_ok());
        assert_eq!(unknown.code(), "BadRequest");
        assert_eq!(
            wrong_type.to_string(),
            BadRequest::UnreadablePayload.to_string()
        );
    }
}
