//! Long-running operations as ARM runs them (issue 17 item 3), shared by every resource type whose
//! writes Azure's specs mark `x-ms-long-running-operation`.
//!
//! A write that Azure runs asynchronously is applied when it is accepted, and an operation is
//! recorded beside it ([`begin`]): durable in SQLite, `InProgress` for the configured time
//! (the run-time setting `async-operation-time`, started from
//! [`crate::Settings::async_operation_seconds`]; default 0), then `Succeeded` (or `Failed`).
//! The write answers as Azure's provider does — 201/200 with `provisioningState: Creating` or
//! `Updating` and `Azure-AsyncOperation`, or 202 with `Azure-AsyncOperation` and/or `Location` —
//! always with a short `Retry-After` ([`RETRY_AFTER_SECONDS`]): without one, azure-core and az wait
//! 30 s between polls (wire-contract §1 item 11, §5.10).
//!
//! While an operation is in progress its resource shows the state ([`pending_kind`]): `Creating`,
//! `Updating`, `Deleting`. What a delete removes is removed when the operation ends, so a deleting
//! resource is still there (and says so) until then. Operations end in [`settle`], which runs
//! before every ARM operation (so a poll after the time is up sees the end) and once a second in
//! the background (so nobody has to poll). With the default time of 0, an operation has ended
//! by the time its first poll arrives: a DELETE is carried out before it answers.
//!
//! Adding a type: record the operation with [`begin`] after the write, answer with the headers of
//! [`accepted`], show [`pending_kind`] as `provisioningState`, and — for deletes — add the type's
//! completion to `complete` in this module.

pub mod model;
pub mod store;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use actix_web::http::header::{HeaderName, LOCATION, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse, HttpResponseBuilder};
use base64::Engine as _;
use serde::Deserialize;

use crate::extract::ApiVersion;
use crate::operations::{Authorization, Operation, ResourceType, Verb};
use crate::{AppState, ArmError};
pub use model::{AsyncOperation, OperationKind, OperationStatus};

/// The `Retry-After` every accepted write and in-progress poll carries, in seconds: short, so
/// clients poll again soon instead of waiting azure-core's and az's default 30 s.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// How long ARM keeps an ended operation's status (one day).
const RETENTION_SECONDS: i64 = 24 * 3600;

/// How often the background settles operations nobody polls.
const TICK: Duration = Duration::from_secs(1);

/// The `Azure-AsyncOperation` header.
pub const AZURE_ASYNC_OPERATION: HeaderName = HeaderName::from_static("azure-asyncoperation");

/// Which operations are due: the earliest end time of those in progress, so [`settle`] costs
/// nothing until then; and one settler at a time.
///
/// Every request reads it, so its reads take no lock: a settle raises `running` before it
/// resets `next_due` and lowers it after `next_due` is right again, and readers load `next_due`
/// first, then `running` — a reader that saw the reset value also sees the settle running.
/// (Probing the mutex with `try_lock` instead failed whenever another request was probing it at
/// the same moment, and sent concurrent requests down the slow path: two queries each, one
/// request at a time.)
#[derive(Debug)]
pub struct Tracker {
    next_due: AtomicI64,
    running: AtomicBool,
    settling: tokio::sync::Mutex<()>,
}

impl Default for Tracker {
    fn default() -> Self {
        Self {
            // Unknown until the store is read: the first settle reads it.
            next_due: AtomicI64::new(i64::MIN),
            running: AtomicBool::new(false),
            settling: tokio::sync::Mutex::new(()),
        }
    }
}

impl Tracker {
    fn lower(&self, due: i64) {
        self.next_due.fetch_min(due, Ordering::SeqCst);
    }

    /// Whether nothing is due at `now` and no settle is running: [`settle`] has nothing to do.
    fn nothing_due(&self, now: i64) -> bool {
        now < self.next_due.load(Ordering::SeqCst) && !self.running.load(Ordering::SeqCst)
    }

    /// Whether no operation is in progress, known without the store: a settle has found none left
    /// and none has begun since (`next_due` at its "nothing" value) and no settle is running.
    /// Reads of a resource's state skip their query then — every GET of a VM or a group would
    /// otherwise pay one, and with the default time of 0 nothing is ever in progress.
    fn idle(&self) -> bool {
        self.next_due.load(Ordering::SeqCst) == i64::MAX && !self.running.load(Ordering::SeqCst)
    }
}

/// What a new operation is about.
#[derive(Debug, Clone)]
pub struct NewOperation<'a> {
    /// The id in its status URL ([`compute_operation_id`], [`resource_group_deletion_token`]).
    pub id: String,
    /// `Microsoft.Compute/virtualMachines`, `Microsoft.Resources/resourceGroups`, …
    pub resource_type: &'static str,
    /// The canonical id of the resource it changes.
    pub resource_id: &'a str,
    pub subscription_id: &'a str,
    pub location: &'a str,
    pub kind: OperationKind,
}

/// Records an operation that has just been accepted; it is in progress for the configured time.
pub async fn begin(state: &AppState, new: NewOperation<'_>) -> Result<AsyncOperation, ArmError> {
    let now = state.clock.now();
    let seconds = state
        .reality
        .settings
        .seconds(mimic_web::reality::ASYNC_OPERATION_TIME);
    let operation = AsyncOperation {
        id: new.id,
        subscription_id: new.subscription_id.to_string(),
        resource_type: new.resource_type.to_string(),
        resource_id: new.resource_id.to_string(),
        location: new.location.to_string(),
        kind: new.kind,
        status: OperationStatus::InProgress,
        start_time: now,
        due_time: now.saturating_add(seconds),
        end_time: None,
        error: None,
    };
    store::insert(&state.db, &operation).await?;
    state.operations.lower(operation.due_time);
    tracing::info!(operation = %operation.id, resource = %operation.resource_id,
        kind = operation.kind.as_str(), due_in = seconds, "long-running operation accepted");
    Ok(operation)
}

/// Ends every operation whose time is up, carrying out what ends with it (a delete removes its
/// resource). Cheap when nothing is due; waits for a settle already running, so a caller sees
/// every operation that was due when it asked.
pub async fn settle(state: &AppState) -> Result<(), ArmError> {
    let tracker = &state.operations;
    let now = state.clock.now();
    if tracker.nothing_due(now) {
        return Ok(());
    }
    let _settling = tracker.settling.lock().await;
    if tracker.nothing_due(now) {
        // The settle this one waited for has done it.
        return Ok(());
    }
    // Left raised if this future is dropped half-way: the next request then settles again, which
    // is right, as `next_due` may not be.
    tracker.running.store(true, Ordering::SeqCst);
    // New operations lower this again while the due ones are carried out.
    tracker.next_due.store(i64::MAX, Ordering::SeqCst);
    let outcome = complete_due(state, now).await;
    let next = store::next_due(&state.db).await;
    let outcome = match next {
        Ok(next) => {
            tracker.lower(next.unwrap_or(i64::MAX));
            outcome
        }
        Err(error) => {
            tracker.lower(now);
            Err(anyhow::Error::from(error)
                .context("reading the next operation's end")
                .into())
        }
    };
    tracker.running.store(false, Ordering::SeqCst);
    outcome
}

async fn complete_due(state: &AppState, now: i64) -> Result<(), ArmError> {
    let due = store::due(&state.db, now).await?;
    for operation in &due {
        let error = match complete(state, operation).await {
            Ok(()) => None,
            Err(error) => {
                tracing::warn!(operation = %operation.id, error = ?error,
                    "a long-running operation failed");
                Some((error.code(), error.to_string()))
            }
        };
        let error = error
            .as_ref()
            .map(|(code, message)| (*code, message.as_str()));
        store::finish(&state.db, &operation.id, state.clock.now(), error).await?;
        tracing::info!(operation = %operation.id, resource = %operation.resource_id,
            failed = error.is_some(), "long-running operation ended");
    }
    if !due.is_empty() {
        store::prune(&state.db, now - RETENTION_SECONDS).await?;
    }
    Ok(())
}

/// What ends with an operation: deletes remove their resource. Types whose operations only
/// report state need no line here.
async fn complete(state: &AppState, operation: &AsyncOperation) -> Result<(), ArmError> {
    match (operation.resource_type.as_str(), operation.kind) {
        (crate::virtual_machines::model::RESOURCE_TYPE, OperationKind::Delete) => {
            crate::virtual_machines::complete_delete(state, &operation.resource_id).await
        }
        (crate::resource_groups::model::RESOURCE_TYPE, OperationKind::Delete) => {
            crate::resource_groups::complete_delete(state, &operation.resource_id).await
        }
        (crate::key_vaults::model::DELETED_TYPE, OperationKind::Delete) => {
            crate::key_vaults::writes::complete_purge(state, &operation.resource_id).await
        }
        _ => Ok(()),
    }
}

/// Settles due operations once a second until the returned future is dropped (the ARM server
/// runs it beside itself, [`crate::Application::run_until_stopped`]).
pub async fn tick(state: AppState) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = settle(&state).await {
            tracing::warn!(error = ?error, "settling long-running operations failed");
        }
    }
}

/// The operation in progress that decides a resource's state: a delete before a create before
/// an update. `None` when nothing runs on it.
pub fn strongest(kinds: impl IntoIterator<Item = OperationKind>) -> Option<OperationKind> {
    let rank = |kind: &OperationKind| match kind {
        OperationKind::Delete => 2,
        OperationKind::Create => 1,
        OperationKind::Update => 0,
    };
    kinds.into_iter().max_by_key(rank)
}

/// The kind of operation in progress on a resource (by id, any case), if any.
pub async fn pending_kind(
    state: &AppState,
    resource_id: &str,
) -> Result<Option<OperationKind>, ArmError> {
    if state.operations.idle() {
        return Ok(None);
    }
    let pending = store::pending_for(&state.db, resource_id).await?;
    Ok(strongest(
        pending.into_iter().map(|operation| operation.kind),
    ))
}

/// The operation in progress of `kind` on a resource, if any (a second DELETE answers with the
/// first one's URLs).
pub async fn pending_of(
    state: &AppState,
    resource_id: &str,
    kind: OperationKind,
) -> Result<Option<AsyncOperation>, ArmError> {
    if state.operations.idle() {
        return Ok(None);
    }
    let pending = store::pending_for(&state.db, resource_id).await?;
    Ok(pending.into_iter().find(|operation| operation.kind == kind))
}

/// The states of the resources under `prefix` (a subscription or group id) that have an operation
/// in progress, by lower-cased resource id.
pub async fn pending_under(
    state: &AppState,
    prefix: &str,
) -> Result<std::collections::HashMap<String, OperationKind>, ArmError> {
    let mut states = std::collections::HashMap::new();
    if state.operations.idle() {
        return Ok(states);
    }
    for (key, kind) in store::pending_under(&state.db, prefix).await? {
        let current = states.get(&key).copied();
        if let Some(kind) = strongest(current.into_iter().chain([kind])) {
            states.insert(key, kind);
        }
    }
    Ok(states)
}

// ---------------------------------------------------------------- URLs and answers

/// A new Compute operation id (a GUID, as Compute's are).
pub fn compute_operation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The token of a resource-group deletion in `/subscriptions/{s}/operationresults/{token}`:
/// base64url of `{"jobId":"RESOURCEGROUPDELETIONJOB-{GROUP}-{LOCATION}|{unique}","jobLocation":"{location}"}`,
/// the shape ARM's tokens have (e.g. `RESOURCEGROUPDELETIONJOB-MYJSTEST-EASTUS`, recorded in
/// azure-sdk-for-js test recordings); the unique suffix keeps a recreated group's deletion apart.
pub fn resource_group_deletion_token(group: &str, location: &str) -> String {
    let unique = uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase();
    let job = serde_json::json!({
        "jobId": format!("RESOURCEGROUPDELETIONJOB-{}-{}|{unique}",
            group.to_uppercase(), location.to_uppercase()),
        "jobLocation": location,
    });
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(job.to_string())
}

/// Compute's `Azure-AsyncOperation` URL of an operation, with the request's api-version.
pub fn compute_status_url(state: &AppState, operation: &AsyncOperation, version: &str) -> String {
    format!(
        "{}/subscriptions/{}/providers/Microsoft.Compute/locations/{}/operations/{}?api-version={version}",
        state.public_url, operation.subscription_id, operation.location, operation.id
    )
}

/// Compute's `Location` URL of an operation (the status URL with `monitor=true`, as Compute's
/// VM delete example has it).
pub fn compute_result_url(state: &AppState, operation: &AsyncOperation, version: &str) -> String {
    format!(
        "{}&monitor=true",
        compute_status_url(state, operation, version)
    )
}

/// ARM's `Location` URL of a resource-group deletion.
pub fn resources_result_url(state: &AppState, operation: &AsyncOperation, version: &str) -> String {
    format!(
        "{}/subscriptions/{}/operationresults/{}?api-version={version}",
        state.public_url, operation.subscription_id, operation.id
    )
}

/// A response builder with the headers of an accepted long-running write: `Azure-AsyncOperation`
/// and/or `Location` as given, and `Retry-After`.
pub fn accepted(
    status: StatusCode,
    async_operation: Option<&str>,
    location: Option<&str>,
) -> HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    if let Some(url) = async_operation {
        response.insert_header((AZURE_ASYNC_OPERATION, url.to_string()));
    }
    if let Some(url) = location {
        response.insert_header((LOCATION, url.to_string()));
    }
    response.insert_header((RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()));
    response
}

/// An `Azure-AsyncOperation` poll: 200 with the status body, and `Retry-After` while in progress.
pub fn status_response(operation: &AsyncOperation) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if operation.status == OperationStatus::InProgress {
        response.insert_header((RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()));
    }
    response.json(model::OperationStatusBody::from(operation))
}

/// A `Location` poll: 202 with `Location` and `Retry-After` while in progress, 200 without a
/// body once it succeeded, and the operation's error (500) if it failed — azure-core reads any
/// status but 202 as the end (base_polling.py `LocationPolling`).
pub fn result_response(operation: &AsyncOperation, location: &str) -> HttpResponse {
    match (&operation.status, &operation.error) {
        (OperationStatus::InProgress, _) => {
            accepted(StatusCode::ACCEPTED, None, Some(location)).finish()
        }
        (OperationStatus::Succeeded, _) => HttpResponse::Ok().finish(),
        (OperationStatus::Failed, error) => {
            let (code, message) = error.clone().unwrap_or_else(|| {
                (
                    "InternalServerError".into(),
                    "Encountered internal server error.".into(),
                )
            });
            HttpResponse::InternalServerError().json(mimic_azure::ErrorResponse::new(code, message))
        }
    }
}

/// An operation of `subscription_id` by id, after settling what is due; `OperationNotFound` for
/// an id ARM never gave out (or gave out in another subscription, or forgot).
pub async fn find(
    state: &AppState,
    subscription_id: &str,
    id: &str,
) -> Result<AsyncOperation, ArmError> {
    settle(state).await?;
    store::get(&state.db, id)
        .await?
        .filter(|operation| {
            operation
                .subscription_id
                .eq_ignore_ascii_case(subscription_id)
        })
        .ok_or(ArmError::OperationNotFound)
}

// ---------------------------------------------------------------- ARM's operation results

/// `Microsoft.Resources/subscriptions/operationresults` (the `Location` of ARM's own
/// long-running operations, e.g. a resource-group deletion).
pub const OPERATION_RESULTS: ResourceType = ResourceType {
    namespace: "Microsoft.Resources",
    name: "subscriptions/operationresults",
    display_name: "Operation results",
    regional: false,
    versions: crate::resources::VERSIONS,
};

/// ARM's operation-result endpoint.
pub const OPERATIONS: &[Operation] = &[Operation {
    id: "OperationResults_Get",
    verb: Verb::Get,
    path: "/subscriptions/{subscription_id}/operationresults/{operation_id}",
    resource_type: &OPERATION_RESULTS,
    versions: &[],
    authorization: Authorization::AnyCaller(
        "ARM answers the caller that holds the URL it gave out; the result carries no data",
    ),
    handler: |route| route.to(get_result),
    summary: "Get a long-running operation's result (not in the spec: the URL comes from the server's `Location`)",
}];

/// The path of an operation result.
#[derive(Debug, Deserialize)]
pub struct ResultPath {
    subscription_id: String,
    operation_id: String,
}

/// `GET /subscriptions/{s}/operationresults/{token}`: 202 while the operation runs, 200 when done.
pub async fn get_result(
    state: web::Data<AppState>,
    version: ApiVersion,
    path: web::Path<ResultPath>,
) -> Result<HttpResponse, ArmError> {
    let operation = find(&state, &path.subscription_id, &path.operation_id).await?;
    let location = resources_result_url(&state, &operation, &version.0);
    Ok(result_response(&operation, &location))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delete_outranks_a_create_which_outranks_an_update() {
        use OperationKind::{Create, Delete, Update};
        assert_eq!(strongest([Update, Delete, Create]), Some(Delete));
        assert_eq!(strongest([Update, Create]), Some(Create));
        assert_eq!(strongest([Update]), Some(Update));
        assert_eq!(strongest([]), None);
    }

    #[test]
    fn a_deletion_token_reads_as_arms_job_and_is_unique() {
        let token = resource_group_deletion_token("my-rg", "eastus");
        let job: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&token)
                .unwrap(),
        )
        .unwrap();
        assert!(job["jobId"]
            .as_str()
            .unwrap()
            .starts_with("RESOURCEGROUPDELETIONJOB-MY-RG-EASTUS|"));
        assert_eq!(job["jobLocation"], "eastus");
        assert_ne!(token, resource_group_deletion_token("my-rg", "eastus"));
    }

    #[test]
    fn the_tracker_reads_take_no_lock_and_see_a_running_settle() {
        let tracker = Tracker::default();
        assert!(!tracker.nothing_due(0), "unknown until the store is read");
        tracker.next_due.store(i64::MAX, Ordering::SeqCst);
        // Another request holding the settle lock (as one probing it did) changes nothing here.
        let held = tracker.settling.try_lock().unwrap();
        assert!(tracker.idle() && tracker.nothing_due(100));
        drop(held);
        tracker.running.store(true, Ordering::SeqCst);
        assert!(
            !tracker.idle() && !tracker.nothing_due(100),
            "a settle is running"
        );
        tracker.running.store(false, Ordering::SeqCst);
        tracker.lower(50);
        assert!(!tracker.idle());
        assert!(tracker.nothing_due(49) && !tracker.nothing_due(50));
    }
}
