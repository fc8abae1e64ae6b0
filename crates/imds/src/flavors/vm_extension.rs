//! The managed-identity VM extension's endpoint (seeds 001/003; deprecated in 2019):
//! `GET http://localhost:50342/oauth2/token?resource=…` with `Metadata: true`, answered with
//! IMDS's body and errors. No api-version; the selectors are IMDS's.

use actix_web::{web, HttpRequest, HttpResponse};

use super::error::{Envelope, Failure};
use super::{has_metadata_header, issue, params_of, refuse_forwarded, resource_of, selector_of};
use crate::error::IdentityError;
use crate::identity::select::Selector;
use crate::startup::AppState;

pub(super) const ENVELOPE: Envelope = Envelope::Imds;

/// `GET /oauth2/token`.
pub(crate) async fn get_token(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Failure> {
    if !has_metadata_header(&request) {
        return Err(ENVELOPE.wrap()(IdentityError::MetadataHeaderMissing));
    }
    refuse_forwarded(&request).map_err(ENVELOPE.wrap())?;
    let params = params_of(request.query_string()).map_err(ENVELOPE.wrap())?;
    let resource = resource_of(&params).map_err(ENVELOPE.wrap())?;
    let selector = selector_of(
        &params,
        &[
            ("client_id", Selector::ClientId),
            ("object_id", Selector::ObjectId),
            ("msi_res_id", Selector::ResourceId),
        ],
    )
    .map_err(ENVELOPE.wrap())?;
    let token = issue(&state, resource, selector)
        .await
        .map_err(ENVELOPE.wrap())?;
    Ok(HttpResponse::Ok().json(token))
}

/// Neither GET (VM extension) nor POST (Cloud Shell).
pub(crate) async fn method_not_allowed() -> Result<HttpResponse, Failure> {
    Err(ENVELOPE.wrap()(IdentityError::MethodNotAllowed))
}
