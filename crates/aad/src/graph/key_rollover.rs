//! `addKey` and `removeKey` on applications and service principals: how an application rolls its
//! own certificates. Each call carries a proof of possession of an existing key — a JWT signed by
//! one of the object's currently valid certificates, `aud` `00000002-0000-0000-c000-000000000000`,
//! `iss` the object's id, `nbf` and `exp` at most ten minutes apart and around now. Without a
//! valid proof Graph answers 401 `Authentication_MissingOrMalformed` and nothing changes; an
//! object without a valid certificate cannot use these actions (Graph: update `keyCredentials`
//! instead).
//! See <https://learn.microsoft.com/graph/api/application-addkey> and
//! <https://learn.microsoft.com/graph/application-rollkey-prooftoken>.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use mimic_token::{Algorithm, Jws};
use serde::Deserialize;

use super::applications::{find, with_status, Key};
use super::auth::GraphCaller;
use super::credential_writes::{new_key, parse_body, KeyCredentialInput};
use super::error::{GraphError, RequestBadRequest};
use super::model::{certificate_facts, Entity, KeyCredential};
use super::not_found_error;
use super::service_principal_writes::writable;
use crate::credentials::Certificate;
use crate::principals::iso_timestamp;
use crate::principals::store::KeyCredentialRecord;
use crate::state::AppState;

/// The proof's audience: Azure AD Graph's app id, as Graph's reference requires.
pub const PROOF_AUDIENCE: &str = "00000002-0000-0000-c000-000000000000";
/// The longest a proof may be valid (`exp` − `nbf`), in seconds.
pub const PROOF_LIFETIME: i64 = 600;
/// Clock skew allowed on the proof's `nbf` and `exp`, in seconds.
const LEEWAY: i64 = 300;

/// `addKey`'s body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddKeyRequest {
    key_credential: KeyCredentialInput,
    /// Only for an `X509CertAndPassword` key (a signing key's password), which mimic does not
    /// model; `null` otherwise.
    #[serde(default)]
    password_credential: Option<serde_json::Value>,
    #[serde(default)]
    proof: Option<String>,
}

/// `removeKey`'s body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoveKeyRequest {
    key_id: String,
    #[serde(default)]
    proof: Option<String>,
}

/// Whose keys a call rolls: an application's or a service principal's (the two differ only in
/// where their certificates are kept and how they tell which are valid now).
enum KeyOwner {
    Application(String),
    ServicePrincipal(String),
}

impl KeyOwner {
    fn id(&self) -> &str {
        match self {
            Self::Application(id) | Self::ServicePrincipal(id) => id,
        }
    }

    /// Graph's resource name in error messages.
    fn resource(&self) -> &'static str {
        match self {
            Self::Application(_) => "Application",
            Self::ServicePrincipal(_) => "ServicePrincipal",
        }
    }

    /// The certificates (PEM) valid at `now`: an application's by its key credentials' dates, a
    /// service principal's by the certificate's own validity.
    async fn certificates(&self, state: &AppState, now: i64) -> Result<Vec<String>, GraphError> {
        let now = iso_timestamp(now);
        Ok(match self {
            Self::Application(id) => state
                .applications
                .keys(id)
                .await?
                .into_iter()
                .filter(|key| key.start_date_time <= now && now < key.end_date_time)
                .map(|key| key.certificate_pem)
                .collect(),
            Self::ServicePrincipal(id) => state
                .store
                .key_credentials_of(std::slice::from_ref(id))
                .await?
                .into_iter()
                .map(|record| record.certificate_pem)
                .filter(|pem| {
                    certificate_facts(pem).is_some_and(|(_, not_before, not_after)| {
                        not_before <= now && now < not_after
                    })
                })
                .collect(),
        })
    }

    /// Stores `new`; its `keyCredential` as Graph shows it, `None` when the object is gone.
    async fn add(
        self,
        state: &AppState,
        new: crate::applications::store::NewKey,
    ) -> Result<Option<Option<KeyCredential>>, GraphError> {
        Ok(match self {
            Self::Application(id) => state
                .applications
                .add_key(&id, &new)
                .await?
                .map(|()| KeyCredential::from_metadata(&new.metadata)),
            Self::ServicePrincipal(id) => state
                .store
                .add_key(&id, &new.metadata.key_id, &new.certificate)
                .await?
                .map(|()| {
                    KeyCredential::from_record(&KeyCredentialRecord {
                        principal_id: id,
                        key_id: new.metadata.key_id,
                        certificate_pem: new.certificate.pem,
                    })
                }),
        })
    }

    /// Removes the key `key_id`; whether there was one.
    async fn remove(&self, state: &AppState, key_id: &str) -> Result<bool, GraphError> {
        Ok(match self {
            Self::Application(id) => state.applications.remove_key(id, key_id).await?,
            Self::ServicePrincipal(id) => state.store.remove_key(id, key_id).await?,
        })
    }
}

/// `POST /v1.0/applications/{id}/addKey`.
pub async fn add_application_key(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let application = find(&state, Key::Id(&key)).await?;
    add_key(
        &caller,
        &state,
        KeyOwner::Application(application.id),
        &key,
        &body,
    )
    .await
}

/// `POST /v1.0/applications/{id}/removeKey`.
pub async fn remove_application_key(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let application = find(&state, Key::Id(&key)).await?;
    remove_key(&state, KeyOwner::Application(application.id), &body).await
}

/// `POST /v1.0/servicePrincipals/{id}/addKey` (not a managed identity's).
pub async fn add_service_principal_key(
    caller: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let principal = writable(&state, &key).await?;
    add_key(
        &caller,
        &state,
        KeyOwner::ServicePrincipal(principal.id),
        &key,
        &body,
    )
    .await
}

/// `POST /v1.0/servicePrincipals/{id}/removeKey` (not a managed identity's).
pub async fn remove_service_principal_key(
    _: GraphCaller,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let principal = writable(&state, &key).await?;
    remove_key(&state, KeyOwner::ServicePrincipal(principal.id), &body).await
}

/// `addKey` for `owner` (addressed as `key`): the proof, then the new certificate.
async fn add_key(
    caller: &GraphCaller,
    state: &AppState,
    owner: KeyOwner,
    key: &str,
    body: &[u8],
) -> Result<HttpResponse, GraphError> {
    let request: AddKeyRequest = parse_body(body)?;
    let now = state.clock.now();
    let certificates = owner.certificates(state, now).await?;
    check_proof(request.proof.as_deref(), owner.id(), &certificates, now)?;
    let new = added_key(&request, owner.resource())?;
    let (id, key_id, resource) = (
        owner.id().to_string(),
        new.metadata.key_id.clone(),
        owner.resource(),
    );
    let shown = owner
        .add(state, new)
        .await?
        .ok_or_else(|| not_found_error(key))?;
    tracing::info!(%id, %key_id, resource, "key added");
    key_added(caller, shown)
}

/// `removeKey` for `owner`: the proof, then the key named.
async fn remove_key(
    state: &AppState,
    owner: KeyOwner,
    body: &[u8],
) -> Result<HttpResponse, GraphError> {
    let request: RemoveKeyRequest = parse_body(body)?;
    let now = state.clock.now();
    let certificates = owner.certificates(state, now).await?;
    check_proof(request.proof.as_deref(), owner.id(), &certificates, now)?;
    if !owner.remove(state, &request.key_id).await? {
        return Err(credential_not_found(request.key_id));
    }
    tracing::info!(id = %owner.id(), key_id = %request.key_id, resource = owner.resource(), "key removed");
    Ok(HttpResponse::NoContent().finish())
}

/// Checks `addKey`'s or `removeKey`'s proof of possession against the object's valid
/// certificates (PEM); Graph's 401 for a missing, unsigned, wrongly signed, foreign, or stale one.
pub fn check_proof(
    proof: Option<&str>,
    object_id: &str,
    certificates: &[String],
    now: i64,
) -> Result<(), GraphError> {
    let refused = || GraphError::AuthenticationMissingOrMalformed;
    let jws = Jws::parse(proof.ok_or_else(refused)?).map_err(|_| refused())?;
    let algorithm = Algorithm::from_name(&jws.header().alg).ok_or_else(refused)?;
    let claims = certificates
        .iter()
        .filter_map(|pem| Certificate::parse(pem).ok())
        .filter_map(|certificate| certificate.public_key(algorithm).ok())
        .find_map(|key| jws.verify(&key).ok())
        .ok_or_else(refused)?;
    let audience_ok = match &claims["aud"] {
        serde_json::Value::String(aud) => aud.eq_ignore_ascii_case(PROOF_AUDIENCE),
        serde_json::Value::Array(auds) => {
            auds.iter().any(|aud| aud.as_str() == Some(PROOF_AUDIENCE))
        }
        _ => false,
    };
    let issuer_ok = claims["iss"]
        .as_str()
        .is_some_and(|iss| iss.eq_ignore_ascii_case(object_id));
    let (Some(nbf), Some(exp)) = (numeric_date(&claims["nbf"]), numeric_date(&claims["exp"]))
    else {
        return Err(refused());
    };
    let timely = nbf <= now + LEEWAY && now <= exp + LEEWAY && exp - nbf <= PROOF_LIFETIME;
    if !(audience_ok && issuer_ok && timely) {
        return Err(refused());
    }
    Ok(())
}

/// The certificate `addKey` adds: `type`, `usage` and `key` are required; mimic takes
/// `AsymmetricX509Cert` for `Verify` (client assertions), not signing keys with a password.
fn added_key(
    request: &AddKeyRequest,
    resource: &'static str,
) -> Result<crate::applications::store::NewKey, GraphError> {
    let input = &request.key_credential;
    let invalid = |property: &str| {
        GraphError::RequestBadRequest(RequestBadRequest::InvalidPropertyValue {
            property: property.to_string(),
            resource,
        })
    };
    if input.kind.as_deref() != Some("AsymmetricX509Cert")
        || input.usage.as_deref() != Some("Verify")
    {
        return Err(invalid("keyCredential"));
    }
    if request
        .password_credential
        .as_ref()
        .is_some_and(|value| !value.is_null())
    {
        return Err(invalid("passwordCredential"));
    }
    let key = input
        .key
        .as_deref()
        .filter(|key| !key.is_empty())
        .ok_or_else(|| invalid("keyCredential"))?;
    new_key(input, key, resource)
}

/// 200 with the added `keyCredential`.
fn key_added(caller: &GraphCaller, key: Option<KeyCredential>) -> Result<HttpResponse, GraphError> {
    let key = key.ok_or_else(|| anyhow::anyhow!("a stored certificate cannot be shown"))?;
    let body = Entity {
        context: format!(
            "{}/$metadata#microsoft.graph.keyCredential",
            caller.service_root
        ),
        inner: key,
    };
    with_status(StatusCode::OK, &body)
}

fn credential_not_found(key_id: String) -> GraphError {
    GraphError::RequestBadRequest(RequestBadRequest::CredentialNotFound(key_id))
}

/// A JWT NumericDate (integer or not).
fn numeric_date(value: &serde_json::Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|v| v.is_finite()).map(|v| v as i64))
}
