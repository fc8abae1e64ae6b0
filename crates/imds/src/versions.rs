//! `GET /metadata/versions` (GetVersions): unversioned, lists every supported api-version.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::MetadataError;
use crate::extract::{ImdsQuery, SUPPORTED_API_VERSIONS};

/// imds.json `Versions`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Versions {
    api_versions: &'static [&'static str],
}

/// GetVersions.
pub(crate) async fn list(request: HttpRequest) -> Result<HttpResponse, MetadataError> {
    ImdsQuery::check(&request)?;
    Ok(HttpResponse::Ok().json(Versions {
        api_versions: SUPPORTED_API_VERSIONS,
    }))
}
