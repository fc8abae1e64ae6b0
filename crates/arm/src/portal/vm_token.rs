//! `POST /portal/api/vm-token`: the token inspector's proxy to a VM's IMDS. The browser cannot call
//! IMDS itself (no CORS, `Metadata: true`), so ARM asks it on the user's behalf. Authorized like
//! Azure's Run Command: whoever may run commands on a VM can obtain its tokens anyway.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use mimic_azure::ResourceId;
use serde::Deserialize;

use crate::extract::Caller;
use crate::{AppState, ArmError};

/// The action the caller needs on the VM (Owner, Contributor, Virtual Machine Contributor).
pub const RUN_COMMAND: &str = "Microsoft.Compute/virtualMachines/runCommand/action";

/// The resource asked for when the body names none.
const DEFAULT_RESOURCE: &str = "https://management.azure.com/";

/// The request body: `{"vmId": "<VM ARM id>", "resource": "…"}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmTokenRequest {
    vm_id: String,
    resource: Option<String>,
}

/// Authenticates the user, authorizes `runCommand/action` on the VM, then relays the VM's IMDS
/// token answer (status and JSON body as IMDS sent them).
pub async fn vm_token(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<VmTokenRequest>,
) -> Result<HttpResponse, ArmError> {
    let Some(directory) = state.settings.imds_directory.clone() else {
        return Err(ArmError::TokenInspectorUnavailable);
    };
    let vm = parse_vm_id(&body.vm_id)?;
    crate::rbac::authorize(&state, &caller, RUN_COMMAND, &body.vm_id).await?;
    let base = directory(&body.vm_id).ok_or_else(|| ArmError::ResourceNotFound(vm))?;
    let resource = body.resource.as_deref().unwrap_or(DEFAULT_RESOURCE);
    ask_imds(&state.http, &base, resource).await
}

/// `?vmId=` of `GET /portal/api/vm-imds`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmImdsQuery {
    vm_id: String,
}

/// `GET /portal/api/vm-imds?vmId=…` → `{"imds": "http://127.0.0.1:PORT"}`: where the VM's IMDS listens,
/// for the VM's overview. Needs only read access to the VM.
pub async fn vm_imds(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<VmImdsQuery>,
) -> Result<HttpResponse, ArmError> {
    let Some(directory) = state.settings.imds_directory.clone() else {
        return Err(ArmError::TokenInspectorUnavailable);
    };
    let vm = parse_vm_id(&query.vm_id)?;
    crate::rbac::authorize(
        &state,
        &caller,
        "Microsoft.Compute/virtualMachines/read",
        &query.vm_id,
    )
    .await?;
    let imds = directory(&query.vm_id).ok_or_else(|| ArmError::ResourceNotFound(vm))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "imds": imds })))
}

/// `GET {base}/metadata/identity/oauth2/token` with `Metadata: true`, relayed as IMDS answered.
async fn ask_imds(
    http: &reqwest::Client,
    base: &str,
    resource: &str,
) -> Result<HttpResponse, ArmError> {
    let answer = http
        .get(format!(
            "{}/metadata/identity/oauth2/token",
            base.trim_end_matches('/')
        ))
        .query(&[("api-version", "2018-02-01"), ("resource", resource)])
        .header("Metadata", "true")
        .send()
        .await
        .map_err(|error| anyhow::anyhow!("asking the VM's IMDS for a token: {error}"))?;
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let text = answer
        .text()
        .await
        .map_err(|error| anyhow::anyhow!("reading the VM's IMDS answer: {error}"))?;
    Ok(HttpResponse::build(status)
        .content_type("application/json; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}

/// `vmId` must be a VM's ARM id: 400 `InvalidRequestContent` otherwise.
fn parse_vm_id(vm_id: &str) -> Result<ResourceId, ArmError> {
    let invalid = || {
        ArmError::InvalidRequestContent(format!(
            "'vmId' must be a virtual machine's resource id; got '{vm_id}'."
        ))
    };
    let id = ResourceId::parse(vm_id).map_err(|_| invalid())?;
    let is_vm = id.namespace().eq_ignore_ascii_case("Microsoft.Compute")
        && id.segments().len() == 1
        && id.segments()[0].0.eq_ignore_ascii_case("virtualMachines");
    match is_vm {
        true => Ok(id),
        false => Err(invalid()),
    }
}
