//! Cloud Shell (`MSI_ENDPOINT` alone for azure-identity and msal-node; az with `ACC_CLOUD` posts
//! to `http://localhost:50342/oauth2/token`): `POST {MSI_ENDPOINT}` with `Metadata: true` and the
//! form `resource=…`. Cloud Shell serves one identity, so there is no selector. The answer is
//! IMDS's body (clients read `expires_in` or `expires_on`, and `resource`).

use actix_web::{web, HttpRequest, HttpResponse};

use super::error::{Envelope, Failure};
use super::{has_metadata_header, issue, params_of, refuse_forwarded, resource_of};
use crate::error::IdentityError;
use crate::identity::select::Selector;
use crate::startup::AppState;

pub(super) const ENVELOPE: Envelope = Envelope::CloudShell;

/// `POST /oauth2/token`.
pub(crate) async fn post_token(
    request: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Failure> {
    if !has_metadata_header(&request) {
        return Err(ENVELOPE.wrap()(IdentityError::MetadataHeaderMissing));
    }
    refuse_forwarded(&request).map_err(ENVELOPE.wrap())?;
    let form = String::from_utf8_lossy(&body);
    let params = params_of(&form).map_err(ENVELOPE.wrap())?;
    let resource = resource_of(&params).map_err(ENVELOPE.wrap())?;
    let token = issue(&state, resource, Selector::Default)
        .await
        .map_err(ENVELOPE.wrap())?;
    Ok(HttpResponse::Ok().json(token))
}
