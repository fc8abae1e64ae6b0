//! SQL for `GET /internal/status`: one read of every table's size.

use serde::Serialize;
use sqlx::SqlitePool;

/// How many of each thing ARM holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub subscriptions: i64,
    pub resource_groups: i64,
    pub virtual_machines: i64,
    pub user_assigned_identities: i64,
    /// VMs with a system-assigned identity.
    pub system_assigned_identities: i64,
    pub role_assignments: i64,
}
mimic_web::sqlite_from_row!(Counts {
    subscriptions,
    resource_groups,
    virtual_machines,
    user_assigned_identities,
    system_assigned_identities,
    role_assignments
});

/// The counts, read in one statement (one consistent snapshot).
pub async fn counts(db: &SqlitePool) -> sqlx::Result<Counts> {
    sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM subscriptions) AS subscriptions, \
           (SELECT COUNT(*) FROM resource_groups) AS resource_groups, \
           (SELECT COUNT(*) FROM virtual_machines) AS virtual_machines, \
           (SELECT COUNT(*) FROM user_assigned_identities) AS user_assigned_identities, \
           (SELECT COUNT(*) FROM virtual_machines WHERE system_principal_id IS NOT NULL) \
             AS system_assigned_identities, \
           (SELECT COUNT(*) FROM role_assignments) AS role_assignments",
    )
    .fetch_one(db)
    .await
}
