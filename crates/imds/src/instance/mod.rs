//! Instance metadata: `GET /metadata/instance[/<path>]` (Instances_GetMetadata), built from the
//! VM as ARM describes it, plus the handlers for unknown paths and wrong methods.

mod model;
mod render;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::MetadataError;
use crate::extract::ImdsQuery;
use crate::startup::AppState;
use render::Format;

/// Instances_GetMetadata, filtered to the node the path names.
pub(crate) async fn get_metadata(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, MetadataError> {
    let query = ImdsQuery::check(&request)?;
    let api_version = query.api_version()?;
    let format = Format::parse(query.get("format"))?;
    let vm = state
        .host
        .vm(&state.vm_id)
        .await?
        .ok_or(MetadataError::NotFound)?;
    let document = model::instance(&vm.vm, vm.arm_id(&state.vm_id), api_version);
    let tail = request.match_info().get("tail").unwrap_or_default();
    let node = render::find(&document, tail).ok_or(MetadataError::NotFound)?;
    render::respond(node, format)
}

/// Any method but GET on a metadata endpoint.
pub(crate) async fn method_not_allowed(
    request: HttpRequest,
) -> Result<HttpResponse, MetadataError> {
    ImdsQuery::check(&request)?;
    Err(MetadataError::MethodNotAllowed)
}

/// Any path IMDS does not serve. `/metadata…` paths still need the metadata header first.
pub(crate) async fn not_found(request: HttpRequest) -> Result<HttpResponse, MetadataError> {
    if request.path().starts_with("/metadata") {
        ImdsQuery::check(&request)?;
    }
    Err(MetadataError::NotFound)
}
