//! App Service / Functions / Container Apps (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`):
//! `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…[&client_id|mi_res_id|object_id|principal_id=…]`
//! with `X-IDENTITY-HEADER: <IDENTITY_HEADER>`. The answer carries `expires_on` as epoch seconds
//! in a string and no `expires_in` (App Service "REST endpoint reference"; msal computes
//! `expires_in` from `expires_on`).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::error::{Envelope, Failure, FlavorError};
use super::{
    issue, params_of, refuse_forwarded, resource_of, secret_matches, selector_of, FlavorState,
};
use crate::error::IdentityError;
use crate::identity::select::Selector;
use crate::startup::AppState;

/// The only api-version of this protocol mimic speaks (the one every client sends).
const API_VERSION: &str = "2019-08-01";
pub(super) const ENVELOPE: Envelope = Envelope::AppService;

/// `GET /msi/token`.
pub(crate) async fn get_token(
    request: HttpRequest,
    state: web::Data<AppState>,
    flavors: web::Data<FlavorState>,
) -> Result<HttpResponse, Failure> {
    let given = request.headers().get("x-identity-header");
    if !secret_matches(
        given.and_then(|v| v.to_str().ok()),
        &flavors.identity_header,
    ) {
        return Err(ENVELOPE.wrap()(FlavorError::IdentityHeaderInvalid));
    }
    refuse_forwarded(&request).map_err(ENVELOPE.wrap())?;
    let params = params_of(request.query_string()).map_err(ENVELOPE.wrap())?;
    let version = super::param(&params, "api-version").unwrap_or_default();
    if version != API_VERSION {
        return Err(ENVELOPE.wrap()(FlavorError::ApiVersionUnsupported(
            version.into(),
            API_VERSION,
        )));
    }
    let resource = resource_of(&params).map_err(ENVELOPE.wrap())?;
    let selector = selector_of(
        &params,
        &[
            ("client_id", Selector::ClientId),
            ("mi_res_id", Selector::ResourceId),
            ("object_id", Selector::ObjectId),
            ("principal_id", Selector::ObjectId),
        ],
    )
    .map_err(ENVELOPE.wrap())?;
    let token = issue(&state, resource, selector)
        .await
        .map_err(|error| match error {
            IdentityError::IdentityNotFound => FlavorError::ManagedIdentityNotFound,
            other => FlavorError::Identity(other),
        })
        .map_err(ENVELOPE.wrap())?;
    Ok(HttpResponse::Ok().json(json!({
        "access_token": token["access_token"],
        "expires_on": token["expires_on"],
        "resource": token["resource"],
        "token_type": token.get("token_type").cloned().unwrap_or(Value::from("Bearer")),
        "client_id": token["client_id"],
    })))
}

/// Any method but GET.
pub(crate) async fn method_not_allowed() -> Result<HttpResponse, Failure> {
    Err(ENVELOPE.wrap()(IdentityError::MethodNotAllowed))
}
