//! Long-running operations: the domain record and the status body Azure serves for it.
//!
//! Azure's shape: the `Azure-AsyncOperation` URL answers
//! `{"status": "InProgress"|"Succeeded"|"Failed"|"Canceled", "startTime", "endTime"?, "name", "error"?}`
//! (ARM's async-operation contract, Azure/azure-resource-manager-rpc `async-api-reference.md`;
//! Compute's `…/locations/{l}/operations/{id}` as az reads it, wire-contract §5.7, §5.10).

use serde::Serialize;

/// What an operation does to its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// A PUT that created the resource (`provisioningState: Creating`).
    Create,
    /// A PUT that replaced it or a PATCH (`Updating`).
    Update,
    /// A DELETE (`Deleting`; the resource goes when the operation ends).
    Delete,
}

impl OperationKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    /// The stored form read back.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "create" => Some(Self::Create),
            "update" => Some(Self::Update),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }

    /// The `provisioningState` a resource shows while an operation of this kind runs.
    pub fn provisioning_state(self) -> &'static str {
        match self {
            Self::Create => "Creating",
            Self::Update => "Updating",
            Self::Delete => "Deleting",
        }
    }
}

/// The `provisioningState` of a resource given the kind of its pending operation, if any.
pub fn provisioning_state(pending: Option<OperationKind>) -> &'static str {
    pending.map_or("Succeeded", OperationKind::provisioning_state)
}

/// Azure's operation status values (`Canceled` never happens here: nothing cancels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OperationStatus {
    InProgress,
    Succeeded,
    Failed,
}

impl OperationStatus {
    /// The stored (and wire) form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "InProgress",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
        }
    }

    /// The stored form read back (anything unknown reads as `Failed`).
    pub fn parse(value: &str) -> Self {
        match value {
            "InProgress" => Self::InProgress,
            "Succeeded" => Self::Succeeded,
            _ => Self::Failed,
        }
    }
}

/// One long-running operation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsyncOperation {
    /// The id in the status URL.
    pub id: String,
    pub subscription_id: String,
    /// `Microsoft.Compute/virtualMachines`, `Microsoft.Resources/resourceGroups`, …
    pub resource_type: String,
    /// The canonical id of the resource it changes.
    pub resource_id: String,
    pub location: String,
    pub kind: OperationKind,
    pub status: OperationStatus,
    /// Seconds since the epoch.
    pub start_time: i64,
    /// When the operation stops being in progress.
    pub due_time: i64,
    pub end_time: Option<i64>,
    /// `(code, message)` of a failed operation.
    pub error: Option<(String, String)>,
}

/// The body of an `Azure-AsyncOperation` poll.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatusBody {
    pub start_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    pub status: OperationStatus,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<OperationError>,
}

/// `error` of a failed operation's status.
#[derive(Debug, Clone, Serialize)]
pub struct OperationError {
    pub code: String,
    pub message: String,
}

impl From<&AsyncOperation> for OperationStatusBody {
    fn from(operation: &AsyncOperation) -> Self {
        Self {
            start_time: mimic_azure::time::compute_timestamp(operation.start_time),
            end_time: operation.end_time.map(mimic_azure::time::compute_timestamp),
            status: operation.status,
            name: operation.id.clone(),
            error: operation
                .error
                .as_ref()
                .map(|(code, message)| OperationError {
                    code: code.clone(),
                    message: message.clone(),
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_name_their_provisioning_state() {
        for (kind, state) in [
            (OperationKind::Create, "Creating"),
            (OperationKind::Update, "Updating"),
            (OperationKind::Delete, "Deleting"),
        ] {
            assert_eq!(OperationKind::parse(kind.as_str()), Some(kind));
            assert_eq!(provisioning_state(Some(kind)), state);
        }
        assert_eq!(provisioning_state(None), "Succeeded");
        assert_eq!(OperationKind::parse("other"), None);
    }

    #[test]
    fn a_status_body_has_an_end_time_and_an_error_only_when_it_has_ended_or_failed() {
        let mut operation = AsyncOperation {
            id: "op".into(),
            subscription_id: "s".into(),
            resource_type: "Microsoft.Compute/virtualMachines".into(),
            resource_id:
                "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm"
                    .into(),
            location: "eastus".into(),
            kind: OperationKind::Create,
            status: OperationStatus::InProgress,
            start_time: 0,
            due_time: 5,
            end_time: None,
            error: None,
        };
        let running = serde_json::to_value(OperationStatusBody::from(&operation)).unwrap();
        assert_eq!(
            running,
            serde_json::json!({"startTime": "1970-01-01T00:00:00.0000000+00:00", "status": "InProgress", "name": "op"})
        );
        operation.status = OperationStatus::Failed;
        operation.end_time = Some(5);
        operation.error = Some(("InternalServerError".into(), "boom".into()));
        let failed = serde_json::to_value(OperationStatusBody::from(&operation)).unwrap();
        assert_eq!(failed["endTime"], "1970-01-01T00:00:05.0000000+00:00");
        assert_eq!(failed["status"], "Failed");
        assert_eq!(
            failed["error"],
            serde_json::json!({"code": "InternalServerError", "message": "boom"})
        );
    }
}
