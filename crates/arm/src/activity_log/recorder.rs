//! Records each write the operation table admits ([`crate::operations`]) as two activity-log
//! events, `Started` and `Succeeded`/`Failed`, the way Azure's Administrative category does
//! (docs: "Azure Activity Log event schema", Administrative category: "the start and success or
//! fail of that operation are recorded").
//!
//! What an event says, and where it comes from:
//! - `caller`: the token's `upn` (users), else its object id — the SPN claim (`sub`, which is the
//!   object id in an app token) that ARM falls back to;
//! - `claims`: the token's claims with ARM's long names ([`super::model::claim_name`]);
//! - `authorization`: the operation's RBAC action and the resource it names; `operationName` the
//!   action; `resourceId`, `resourceGroupName`, `resourceProviderName`, `resourceType` from the
//!   path in ARM's casing (a POST action's resource is its path without the action);
//! - `correlationId`: the client's `x-ms-correlation-request-id`, else a new GUID; `operationId`
//!   a GUID per request; `httpRequest` the client's `x-ms-client-request-id`, address and method;
//! - `properties`: `statusCode` on the end event, `statusMessage` (the error body) on a failure,
//!   and for role assignments the bodies `az role assignment list-changelogs` reads: the PUT's
//!   `requestbody` on the start event and the `responseBody` on the end event. Other bodies are
//!   not copied (a VM's `adminPassword`, for one, must not land in a log).
//!
//! A failure to store events is logged and does not change the response: the write has happened.

use actix_web::body::{BoxBody, EitherBody};
use actix_web::dev::ServiceRequest;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, HttpMessage};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::model::{self, EventData, HttpRequestInfo, LocalizableString, SenderAuthorization};
use crate::extract::Caller;
use crate::operations::{Operation, Verb};
use crate::AppState;

type Response = ServiceResponse<EitherBody<BoxBody>>;

/// A write in progress: what the start event says, kept until the response is known.
pub struct Activity {
    state: web::Data<AppState>,
    subscription_id: String,
    started_at: i64,
    start: EventData,
    keeps_bodies: bool,
}

/// Whether an operation is recorded: every write and action but `…/read` actions.
pub fn is_recorded(operation: &Operation) -> bool {
    let write = matches!(
        operation.verb,
        Verb::Put | Verb::Patch | Verb::Post | Verb::Delete
    );
    write
        && !operation
            .authorization
            .action()
            .is_some_and(|action| action.ends_with("/read"))
}

impl Activity {
    /// The start of a recorded write (`None` for a read, or a path outside a subscription).
    pub async fn begin(
        operation: &'static Operation,
        request: &mut ServiceRequest,
    ) -> Option<Self> {
        if !is_recorded(operation) {
            return None;
        }
        let state = request.app_data::<web::Data<AppState>>().cloned()?;
        let caller = request.extensions().get::<Caller>().cloned()?;
        let resource_id = resource_id(operation, request);
        let subscription_id = segment_after(&resource_id, "subscriptions")?;
        let keeps_bodies = is_role_assignment(operation);
        let request_body = match keeps_bodies && operation.verb == Verb::Put {
            true => read_body(request).await,
            false => None,
        };
        let started_at = state.clock.now();
        let action = operation
            .authorization
            .action()
            .unwrap_or(operation.id)
            .to_string();
        let claims = token_claims(request);
        let caller_name = claims
            .get("upn")
            .or_else(|| claims.get("unique_name"))
            .and_then(|value| value.as_str())
            .map_or_else(|| caller.oid.clone(), str::to_string);
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
                .filter(|value| !value.is_empty() && value.len() <= 128)
        };
        let correlation_id = header("x-ms-correlation-request-id")
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let resource_type = resource_type_of(&action, operation);
        let event_data_id = uuid::Uuid::new_v4().to_string();
        let timestamp = mimic_azure::time::arm_timestamp(started_at);
        let mut properties = std::collections::BTreeMap::from([
            ("eventCategory".to_string(), "Administrative".to_string()),
            ("entity".to_string(), resource_id.clone()),
            ("message".to_string(), action.clone()),
        ]);
        if let Some(body) = request_body {
            properties.insert("requestbody".to_string(), body);
        }
        let start = EventData {
            authorization: SenderAuthorization {
                action: action.clone(),
                scope: resource_id.clone(),
            },
            caller: caller_name,
            channels: "Operation".to_string(),
            claims: model::claims_of(&claims),
            correlation_id,
            description: String::new(),
            id: model::event_id(&resource_id, &event_data_id, started_at),
            event_data_id,
            event_name: LocalizableString::new("BeginRequest", "Begin request"),
            category: LocalizableString::same("Administrative"),
            http_request: HttpRequestInfo {
                client_request_id: header("x-ms-client-request-id").unwrap_or_default(),
                client_ip_address: request
                    .peer_addr()
                    .map(|peer| peer.ip().to_string())
                    .unwrap_or_default(),
                method: request.method().to_string(),
            },
            level: "Informational".to_string(),
            resource_group_name: segment_after(&resource_id, "resourceGroups"),
            resource_provider_name: LocalizableString::same(operation.resource_type.namespace),
            resource_type: LocalizableString::same(&resource_type),
            resource_id,
            operation_id: uuid::Uuid::new_v4().to_string(),
            operation_name: LocalizableString::same(&action),
            properties,
            status: LocalizableString::same("Started"),
            sub_status: LocalizableString::same(""),
            event_timestamp: timestamp.clone(),
            submission_timestamp: timestamp,
            subscription_id: subscription_id.clone(),
            tenant_id: caller.tid.clone(),
        };
        Some(Self {
            state,
            subscription_id,
            started_at,
            start,
            keeps_bodies,
        })
    }

    /// Records the start and the end of the write from its response, and hands the response on.
    pub async fn finish(self, response: Response) -> Response {
        let status = response.status();
        let failed = status.is_client_error() || status.is_server_error();
        let (response, body) = match failed || self.keeps_bodies {
            true => read_response(response).await,
            false => (response, None),
        };
        let ended_at = self.state.clock.now();
        let mut end = self.start.clone();
        end.event_data_id = uuid::Uuid::new_v4().to_string();
        end.id = model::event_id(&end.resource_id, &end.event_data_id, ended_at);
        end.event_name = LocalizableString::new("EndRequest", "End request");
        end.properties.remove("requestbody");
        end.sub_status = model::sub_status(status.as_u16());
        end.properties
            .insert("statusCode".to_string(), end.sub_status.value.clone());
        match (failed, body) {
            (true, body) => {
                end.status = LocalizableString::same("Failed");
                end.level = "Error".to_string();
                if let Some(body) = body {
                    end.properties.insert("statusMessage".to_string(), body);
                }
            }
            (false, body) => {
                end.status = LocalizableString::same("Succeeded");
                if let Some(body) = body.filter(|body| !body.is_empty()) {
                    end.properties.insert("responseBody".to_string(), body);
                }
            }
        }
        end.event_timestamp = mimic_azure::time::arm_timestamp(ended_at);
        end.submission_timestamp = end.event_timestamp.clone();
        let events = [(self.started_at, self.start), (ended_at, end)];
        let oldest_kept = ended_at - super::RETENTION_DAYS * 86_400;
        let stored = self
            .state
            .activity
            .append(super::store::Batch {
                subscription_id: self.subscription_id.clone(),
                events: Vec::from(events),
                oldest_kept,
            })
            .await;
        if let Err(error) = stored {
            tracing::warn!(error = %format!("{error:#}"), "recording the activity log failed");
        }
        response
    }
}

/// The type an action is on, as ARM names it in the event: the action without its verb
/// (`Microsoft.Resources/subscriptions/resourceGroups/write` → `…/subscriptions/resourceGroups`,
/// `…/deletedVaults/purge/action` → `…/deletedVaults`).
fn resource_type_of(action: &str, operation: &Operation) -> String {
    let drop = match action.ends_with("/action") {
        true => 2,
        false => 1,
    };
    let segments: Vec<&str> = action.split('/').collect();
    match segments.len() > drop + 1 {
        true => segments[..segments.len() - drop].join("/"),
        false => operation.resource_type.full_name(),
    }
}

fn is_role_assignment(operation: &Operation) -> bool {
    *operation.resource_type == crate::role_assignments::ROLE_ASSIGNMENTS
}

/// The resource a write names, in ARM's casing; a POST action's is its parent.
fn resource_id(operation: &Operation, request: &ServiceRequest) -> String {
    let path = crate::operations::arm_cased_path(request);
    let is_action = operation
        .authorization
        .action()
        .is_some_and(|action| action.ends_with("/action"));
    match operation.verb == Verb::Post && is_action {
        true => path
            .rsplit_once('/')
            .map_or(path.clone(), |(parent, _)| parent.to_string()),
        false => path,
    }
}

/// The segment after `keyword` (any case) in a path.
fn segment_after(path: &str, keyword: &str) -> Option<String> {
    let mut segments = path.split('/');
    segments
        .by_ref()
        .find(|segment| segment.eq_ignore_ascii_case(keyword))?;
    segments
        .next()
        .filter(|segment| !segment.is_empty())
        .map(str::to_string)
}

/// The claims of the request's bearer token (the gate verified it already).
fn token_claims(request: &ServiceRequest) -> serde_json::Map<String, serde_json::Value> {
    request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|header| crate::auth::bearer_token(header).ok())
        .and_then(|token| token.split('.').nth(1))
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// The request body as text, put back for the handler.
async fn read_body(request: &mut ServiceRequest) -> Option<String> {
    let body = request.extract::<web::Bytes>().await.ok()?;
    request.set_payload(actix_web::dev::Payload::from(body.clone()));
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// The response body as text, and the response with the same body.
async fn read_response(response: Response) -> (Response, Option<String>) {
    let (request, response) = response.map_into_boxed_body().into_parts();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let response = head.set_body(BoxBody::new(bytes));
    (
        ServiceResponse::new(request, response).map_into_left_body(),
        Some(text),
    )
}
