//! The activity log: `ActivityLogs_List`
//! (`GET /subscriptions/{s}/providers/Microsoft.Insights/eventtypes/management/values`), what
//! `az monitor activity-log list`, `az role assignment list-changelogs` and azure-mgmt-monitor's
//! `activity_logs.list` read.
//!
//! Every write through the operation table (PUT, PATCH, DELETE and POST actions, `…/read`
//! actions excepted) is recorded by [`recorder`] as Azure's Administrative category records it:
//! a `Started` event (`BeginRequest`) and a `Succeeded` or `Failed` one (`EndRequest`) sharing an
//! `operationId` — failures included, a 403 `AuthorizationFailed` or a 400 as much as a 409.
//! Writes outside a subscription (tenant-level role definitions) are not recorded: Azure keeps
//! those in the tenant's activity log, which mimic does not serve.
//!
//! Kept in `arm.db` ([`store`]) for [`RETENTION_DAYS`] (Azure keeps 90 days) and at most
//! [`MAX_EVENTS`] events; pages of [`crate::paging::ACTIVITY_LOG`] events, newest first, with a
//! `nextLink` whose `$skiptoken` is the position in the log (stable while events are added).

pub mod model;
pub mod recorder;
pub mod store;
pub mod writer;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::operations::{Authorization, Operation, ResourceType, ScopeRule, Verb};
use crate::{AppState, ArmError};
use model::Filter;

/// Days an event is kept, as Azure keeps the activity log.
pub const RETENTION_DAYS: i64 = 90;

/// Most events kept (all subscriptions); the oldest go first.
pub const MAX_EVENTS: i64 = 100_000;

const READ: &str = "Microsoft.Insights/eventtypes/values/read";

/// `Microsoft.Insights/eventtypes`.
pub const EVENT_TYPES: ResourceType = ResourceType {
    namespace: "Microsoft.Insights",
    name: "eventtypes",
    display_name: "Event Types",
    regional: false,
    versions: &["2017-03-01-preview", "2015-04-01"],
};

/// The activity-log operation.
pub const OPERATIONS: &[Operation] = &[Operation {
    id: "ActivityLogs_List",
    verb: Verb::Get,
    path: "/subscriptions/{subscription_id}/providers/microsoft.insights/eventtypes/management/values",
    resource_type: &EVENT_TYPES,
    versions: &[],
    authorization: Authorization::Action(READ, ScopeRule::Subscription),
    handler: |route| route.to(list),
    summary: "List the subscription's activity log ($filter on time, resource group, resource, provider, correlation id, caller, status; $select; nextLink)",
}];

/// The query of `ActivityLogs_List`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(rename = "$filter")]
    filter: Option<String>,
    #[serde(rename = "$select")]
    select: Option<String>,
    #[serde(rename = "$skiptoken", alias = "$skipToken")]
    skip_token: Option<String>,
}

/// `ActivityLogs_List`: the subscription's events `$filter` selects, newest first, a page at a
/// time; `$select` keeps only the named properties.
pub async fn list(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let subscription_id = path.into_inner();
    crate::scope::require_subscription(&state, &subscription_id).await?;
    let filter = Filter::parse(query.filter.as_deref())?;
    let before = match query.skip_token.as_deref() {
        None => None,
        Some(token) => Some(token.parse::<i64>().map_err(|_| {
            ArmError::BadRequest(format!("The '$skiptoken' value '{token}' is invalid."))
        })?),
    };
    let size = crate::paging::ACTIVITY_LOG;
    let oldest_kept = state.clock.now() - RETENTION_DAYS * 86_400;
    let mut events = store::page(
        &state.db,
        &subscription_id,
        &filter,
        oldest_kept,
        before,
        size as i64 + 1,
    )
    .await?;
    let more = events.len() > size;
    events.truncate(size);
    let next_link = match (more, events.last()) {
        (true, Some(last)) => Some(crate::paging::next_link(
            &state,
            &request,
            &last.sequence.to_string(),
        )),
        _ => None,
    };
    let value = events
        .into_iter()
        .map(|stored| {
            serde_json::to_value(stored.event)
                .map(|event| model::select(event, query.select.as_deref()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::from)?;
    let mut body = serde_json::json!({ "value": value });
    if let Some(next_link) = next_link {
        body["nextLink"] = next_link.into();
    }
    Ok(HttpResponse::Ok().json(body))
}
