//! Azure ML (`MSI_ENDPOINT` + `MSI_SECRET`): `GET {MSI_ENDPOINT}?api-version=2017-09-01&resource=…[&clientid=…]`
//! with `secret: <MSI_SECRET>` — the 2017 App Service protocol, whose only selector is
//! `clientid`. Azure ML returns `expires_on` as epoch seconds (azure-identity
//! `azure_ml.py` › `_parse_expires_on`; msal `int()`s it).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::error::{Envelope, Failure, FlavorError};
use super::{
    issue, params_of, refuse_forwarded, resource_of, secret_matches, selector_of, FlavorState,
};
use crate::error::IdentityError;
use crate::identity::select::Selector;
use crate::startup::AppState;

const API_VERSION: &str = "2017-09-01";
pub(super) const ENVELOPE: Envelope = Envelope::AppService;

/// `GET /machinelearning/msi/token`.
pub(crate) async fn get_token(
    request: HttpRequest,
    state: web::Data<AppState>,
    flavors: web::Data<FlavorState>,
) -> Result<HttpResponse, Failure> {
    let given = request.headers().get("secret");
    if !secret_matches(given.and_then(|v| v.to_str().ok()), &flavors.msi_secret) {
        return Err(ENVELOPE.wrap()(FlavorError::SecretInvalid));
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
    let selector =
        selector_of(&params, &[("clientid", Selector::ClientId)]).map_err(ENVELOPE.wrap())?;
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
