//! `systemData`: who created a tracked resource and who last modified it, and when, as ARM
//! records them (ARM RPC, "System Metadata for all Azure resources",
//! github.com/Azure/azure-resource-manager-rpc v1.0/common-api-contracts.md): ARM hands the
//! caller's identity to the provider on every write, the provider stores it and returns it on
//! GET, PUT and PATCH.
//!
//! Who the caller is ([`Author::of`]): a user token (`idtyp` `user`) is `User` by its sign-in
//! name (`upn`); a managed identity's token (it carries `xms_mirid`) is `ManagedIdentity` by its
//! client id (`appid`); any other application is `Application` by its client id. (ARM's `Key`
//! type is for writes made with a storage key, which mimic has none of.)
//!
//! Mimic records it for every tracked type it serves — resource groups, virtual machines,
//! user-assigned identities and key vaults ([`TRACKED`]) — and shows it only where the type's
//! published spec has the property, from the first api-version that has it ([`shown`]):
//! `Microsoft.ManagedIdentity/userAssignedIdentities` from 2023-01-31 (2018-11-30,
//! 2021-09-30-preview and 2022-01-31-preview have none), `Microsoft.KeyVault/vaults` from
//! 2021-04-01-preview; `Microsoft.Resources/resourceGroups` and `Microsoft.Compute/virtualMachines`
//! never (their specs have no `systemData` in any version, up to resources 2025-04-01 and compute
//! 2024-11-01). Resources that existed before (the fixture's) have no record until their first
//! write, which then fills the `lastModified*` half only, as ARM does for resources that predate
//! a provider's `systemData`.

pub mod store;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::Method;
use actix_web::HttpMessage;
use serde::Serialize;

use crate::extract::Caller;
use crate::operations::Operation;
use crate::{AppState, ArmError};

/// The `systemData` object of a resource response.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SystemData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    pub last_modified_by: String,
    pub last_modified_by_type: String,
    pub last_modified_at: String,
}

/// Who wrote: the identity string and its `*ByType`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// A user's UPN, or an application's or managed identity's client id.
    pub by: String,
    /// `User`, `Application` or `ManagedIdentity`.
    pub by_type: String,
}

impl Author {
    /// The author of a request by `caller`, as ARM fills `createdBy`/`createdByType`.
    pub fn of(caller: &Caller) -> Self {
        let claims = &caller.claims;
        let (by, by_type) = if claims.idtyp.as_deref() == Some("user") {
            let name = caller.upn.clone().unwrap_or_else(|| caller.oid.clone());
            (name, "User")
        } else if claims.xms_mirid.is_some() {
            (caller.appid.clone(), "ManagedIdentity")
        } else {
            (caller.appid.clone(), "Application")
        };
        Self {
            by,
            by_type: by_type.to_string(),
        }
    }
}

/// What is stored of a resource: its creation (unknown for resources older than the record) and
/// its last modification, each with a time in seconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub created: Option<(Author, i64)>,
    pub last_modified: (Author, i64),
}

impl From<&Record> for SystemData {
    fn from(record: &Record) -> Self {
        let (modified_by, modified_at) = &record.last_modified;
        Self {
            created_by: record.created.as_ref().map(|(author, _)| author.by.clone()),
            created_by_type: record
                .created
                .as_ref()
                .map(|(author, _)| author.by_type.clone()),
            created_at: record
                .created
                .as_ref()
                .map(|(_, at)| mimic_azure::time::arm_timestamp(*at)),
            last_modified_by: modified_by.by.clone(),
            last_modified_by_type: modified_by.by_type.clone(),
            last_modified_at: mimic_azure::time::arm_timestamp(*modified_at),
        }
    }
}

/// A tracked type, and where its writes are recorded.
#[derive(Debug)]
pub struct Tracked {
    /// `Microsoft.Compute/virtualMachines`.
    pub resource_type: &'static str,
    /// Whether its handlers record their writes themselves (to answer the write with the new
    /// `systemData`); otherwise the operation table records them once the write succeeded.
    pub in_handler: bool,
    /// The first api-version (by date) whose spec has `systemData`; `None`: no version has it.
    pub since: Option<&'static str>,
    /// Whether a DELETE only soft-deletes (a key vault): the record stays for a recovery, and a
    /// new creation of the name replaces it.
    pub soft_deletes: bool,
}

/// Every tracked type mimic serves.
pub const TRACKED: &[Tracked] = &[
    Tracked {
        resource_type: "Microsoft.Resources/resourceGroups",
        in_handler: false,
        since: None,
        soft_deletes: false,
    },
    Tracked {
        resource_type: "Microsoft.Compute/virtualMachines",
        in_handler: false,
        since: None,
        soft_deletes: false,
    },
    Tracked {
        resource_type: "Microsoft.ManagedIdentity/userAssignedIdentities",
        in_handler: true,
        since: Some("2023-01-31"),
        soft_deletes: false,
    },
    Tracked {
        resource_type: "Microsoft.KeyVault/vaults",
        in_handler: true,
        since: Some("2021-04-01"),
        soft_deletes: true,
    },
];

fn tracked(resource_type: &str) -> Option<&'static Tracked> {
    TRACKED
        .iter()
        .find(|tracked| tracked.resource_type.eq_ignore_ascii_case(resource_type))
}

/// Whether responses of `resource_type` at `api_version` carry `systemData`.
pub fn shown(resource_type: &str, api_version: &str) -> bool {
    let since = tracked(resource_type).and_then(|tracked| tracked.since);
    let date = api_version.get(..10).unwrap_or(api_version);
    since.is_some_and(|since| date >= since)
}

/// Records a write of the resource `resource_id` by `caller` (now) and returns its `systemData`
/// when `resource_type` shows it at `api_version`.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    resource_id: &str,
    created: bool,
    (resource_type, api_version): (&str, &str),
) -> Result<Option<SystemData>, ArmError> {
    let now = state.clock.now();
    let record = store::record(&state.db, resource_id, &Author::of(caller), now, created).await?;
    Ok(shown(resource_type, api_version).then(|| SystemData::from(&record)))
}

/// The `systemData` of one resource when its type shows it at `api_version`.
pub async fn of(
    state: &AppState,
    resource_id: &str,
    (resource_type, api_version): (&str, &str),
) -> Result<Option<SystemData>, ArmError> {
    if !shown(resource_type, api_version) {
        return Ok(None);
    }
    let record = store::get(&state.db, resource_id).await?;
    Ok(record.as_ref().map(SystemData::from))
}

/// The `systemData` of the resources under `prefix` (a subscription or group id), by lower-cased
/// resource id, for a list; empty when the type does not show it at `api_version`.
pub async fn under(
    state: &AppState,
    prefix: &str,
    (resource_type, api_version): (&str, &str),
) -> Result<std::collections::HashMap<String, SystemData>, ArmError> {
    if !shown(resource_type, api_version) {
        return Ok(Default::default());
    }
    let records = store::under(&state.db, prefix).await?;
    Ok(records
        .iter()
        .map(|(id, record)| (id.clone(), SystemData::from(record)))
        .collect())
}

/// After an operation of the table answered: a successful write of a type the table records
/// is recorded (201: created, else modified), a successful delete of a tracked type forgets the
/// resource and everything under it (a group's resources with the group), except a soft delete. Failures are logged,
/// never turned into the client's answer: the write itself succeeded.
pub async fn after(operation: &Operation, response: &ServiceResponse<BoxBody>) {
    let Some(tracked) = tracked(&operation.resource_type.full_name()) else {
        return;
    };
    let request = response.request();
    let method = request.method();
    let status = response.status();
    if !status.is_success() {
        return;
    }
    let Some(state) = request.app_data::<actix_web::web::Data<AppState>>() else {
        return;
    };
    let resource_id = request.path();
    let result = if *method == Method::DELETE {
        match tracked.soft_deletes {
            true => Ok(()),
            false => store::forget(&state.db, resource_id).await,
        }
    } else if (*method == Method::PUT || *method == Method::PATCH) && !tracked.in_handler {
        let Some(caller) = request.extensions().get::<Caller>().cloned() else {
            return;
        };
        let created = status == actix_web::http::StatusCode::CREATED;
        let now = state.clock.now();
        store::record(&state.db, resource_id, &Author::of(&caller), now, created)
            .await
            .map(|_| ())
    } else {
        Ok(())
    };
    if let Err(error) = result {
        tracing::warn!(%error, resource_id, "recording systemData");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_from_the_first_api_version_whose_spec_has_it() {
        let identities = "Microsoft.ManagedIdentity/userAssignedIdentities";
        assert!(!shown(identities, "2018-11-30"));
        assert!(!shown(identities, "2022-01-31-preview"));
        assert!(shown(identities, "2023-01-31"));
        assert!(shown(identities, "2024-11-30"));
        assert!(shown(identities, "2025-01-31-preview"));
        let vaults = "Microsoft.KeyVault/vaults";
        assert!(!shown(vaults, "2019-09-01"));
        assert!(shown(vaults, "2021-04-01-preview"));
        assert!(shown(vaults, "2023-07-01"));
        assert!(!shown("Microsoft.Resources/resourceGroups", "2025-04-01"));
        assert!(!shown("Microsoft.Compute/virtualMachines", "2024-11-01"));
    }
}
