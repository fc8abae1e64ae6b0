//! SQL for virtual machines, their attached identities and the managed-identity credentials.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};

use super::model::{AttachedIdentity, SystemIdentity, Tags, VirtualMachine, VirtualMachineProfile};

/// A managed identity's principal. It holds no key: AAD issues its tokens to the IMDS host over
/// the internal API after checking with ARM that the identity is on the VM (docs/internal-apis.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityCredential {
    pub principal_id: String,
    pub client_id: String,
    pub tenant_id: String,
}

/// Where a VM lives and what it is called (names as the client spelled them).
#[derive(Debug, Clone)]
pub struct VmKey {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
}

/// Whether an optimistic write went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Committed.
    Done,
    /// Someone changed (or created, or deleted) the VM since it was read.
    Conflict,
}

const SELECT_VM: &str = "SELECT v.id, v.subscription_id, v.resource_group, v.name, v.location, \
    v.vm_id, v.tags, v.profile, v.created_time, v.changed_time, v.version, \
    c.principal_id, c.client_id, c.tenant_id \
    FROM virtual_machines v LEFT JOIN identity_credentials c ON c.principal_id = v.system_principal_id";

fn vm_from_row(row: &SqliteRow) -> Result<VirtualMachine, sqlx::Error> {
    let tags: String = row.try_get("tags")?;
    let profile: String = row.try_get("profile")?;
    let principal_id: Option<String> = row.try_get("principal_id")?;
    let system_identity = match principal_id {
        Some(principal_id) => Some(SystemIdentity {
            principal_id,
            client_id: row.try_get("client_id")?,
            tenant_id: row.try_get("tenant_id")?,
        }),
        None => None,
    };
    Ok(VirtualMachine {
        key: row.try_get("id")?,
        subscription_id: row.try_get("subscription_id")?,
        resource_group: row.try_get("resource_group")?,
        name: row.try_get("name")?,
        location: row.try_get("location")?,
        vm_id: row.try_get("vm_id")?,
        tags: serde_json::from_str(&tags).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        profile: serde_json::from_str(&profile).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        system_identity,
        user_identities: Vec::new(),
        created_time: row.try_get("created_time")?,
        changed_time: row.try_get("changed_time")?,
        version: row.try_get("version")?,
    })
}

async fn with_identities(
    db: &SqlitePool,
    mut vms: Vec<VirtualMachine>,
) -> Result<Vec<VirtualMachine>, sqlx::Error> {
    for vm in &mut vms {
        vm.user_identities = attached_identities(db, vm.key).await?;
    }
    Ok(vms)
}

/// The user-assigned identities attached to a VM, in attachment order.
async fn attached_identities(
    db: &SqlitePool,
    vm: i64,
) -> Result<Vec<AttachedIdentity>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT u.subscription_id, u.resource_group, u.name, c.principal_id, c.client_id \
         FROM virtual_machine_identities a \
         JOIN user_assigned_identities u ON u.id = a.identity \
         JOIN identity_credentials c ON c.principal_id = u.principal_id \
         WHERE a.vm = ? ORDER BY a.position",
    )
    .bind(vm)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AttachedIdentity {
                id: crate::user_assigned_identities::model::identity_id_of(
                    row.try_get("subscription_id")?,
                    row.try_get("resource_group")?,
                    row.try_get("name")?,
                ),
                principal_id: row.try_get("principal_id")?,
                client_id: row.try_get("client_id")?,
            })
        })
        .collect()
}

/// One VM, with its identities.
pub async fn get(db: &SqlitePool, key: &VmKey) -> Result<Option<VirtualMachine>, sqlx::Error> {
    let sql =
        format!("{SELECT_VM} WHERE v.subscription_key = ? AND v.group_key = ? AND v.name_key = ?");
    let row = sqlx::query(&sql)
        .bind(key.subscription_id.to_lowercase())
        .bind(key.resource_group.to_lowercase())
        .bind(key.name.to_lowercase())
        .fetch_optional(db)
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(with_identities(db, vec![vm_from_row(&row)?]).await?.pop())
}

/// The VMs of a group, or of a whole subscription when `resource_group` is `None`, or of every
/// subscription when both are `None`; ordered by name.
pub async fn list(
    db: &SqlitePool,
    subscription_id: Option<&str>,
    resource_group: Option<&str>,
) -> Result<Vec<VirtualMachine>, sqlx::Error> {
    let sql = format!(
        "{SELECT_VM} WHERE (?1 IS NULL OR v.subscription_key = ?1) AND (?2 IS NULL OR v.group_key = ?2) \
         ORDER BY v.subscription_key, v.group_key, v.name_key"
    );
    let rows = sqlx::query(&sql)
        .bind(subscription_id.map(str::to_lowercase))
        .bind(resource_group.map(str::to_lowercase))
        .fetch_all(db)
        .await?;
    let vms = rows.iter().map(vm_from_row).collect::<Result<_, _>>()?;
    with_identities(db, vms).await
}

/// The VMs a user-assigned identity is attached to.
pub async fn list_with_identity(
    db: &SqlitePool,
    identity: i64,
) -> Result<Vec<VirtualMachine>, sqlx::Error> {
    let sql = format!(
        "{SELECT_VM} WHERE v.id IN (SELECT vm FROM virtual_machine_identities WHERE identity = ?)"
    );
    let rows = sqlx::query(&sql).bind(identity).fetch_all(db).await?;
    let vms = rows.iter().map(vm_from_row).collect::<Result<_, _>>()?;
    with_identities(db, vms).await
}

/// The principal's ids (client id, tenant).
pub async fn credential(
    db: &SqlitePool,
    principal_id: &str,
) -> Result<Option<IdentityCredential>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT principal_id, client_id, tenant_id FROM identity_credentials WHERE principal_id = ?",
    )
    .bind(principal_id)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(IdentityCredential {
            principal_id: row.try_get("principal_id")?,
            client_id: row.try_get("client_id")?,
            tenant_id: row.try_get("tenant_id")?,
        })
    })
    .transpose()
}

/// Stores a new principal's credential.
pub async fn insert_credential(
    conn: &mut SqliteConnection,
    credential: &IdentityCredential,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO identity_credentials \
         (principal_id, client_id, tenant_id, private_key_pem, certificate_pem, created_time) \
         VALUES (?, ?, ?, '', '', ?)",
    )
    .bind(&credential.principal_id)
    .bind(&credential.client_id)
    .bind(&credential.tenant_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The principal of every managed identity ARM has (system- and user-assigned).
pub async fn credential_principal_ids(db: &SqlitePool) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT principal_id FROM identity_credentials")
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Forgets a principal's credential.
pub async fn delete_credential(
    conn: &mut SqliteConnection,
    principal_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM identity_credentials WHERE principal_id = ?")
        .bind(principal_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Everything a VM write stores (the identities are given by principal id and identity keys).
#[derive(Debug, Clone)]
pub struct VmRecord<'a> {
    pub subscription_id: &'a str,
    pub resource_group: &'a str,
    pub name: &'a str,
    pub location: &'a str,
    pub vm_id: &'a str,
    pub tags: &'a Tags,
    pub profile: &'a VirtualMachineProfile,
    pub system_principal_id: Option<&'a str>,
    /// Keys of the attached user-assigned identities, in order.
    pub user_identities: &'a [i64],
    pub created_time: i64,
    pub changed_time: i64,
}

fn json(value: &impl serde::Serialize) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Inserts a VM; `Conflict` when one with the same name appeared meanwhile.
pub async fn insert(
    conn: &mut SqliteConnection,
    record: &VmRecord<'_>,
) -> Result<Saved, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO virtual_machines (subscription_key, group_key, name_key, subscription_id, \
         resource_group, name, location, vm_id, tags, profile, system_principal_id, created_time, \
         changed_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (subscription_key, group_key, name_key) DO NOTHING RETURNING id",
    )
    .bind(record.subscription_id.to_lowercase())
    .bind(record.resource_group.to_lowercase())
    .bind(record.name.to_lowercase())
    .bind(record.subscription_id)
    .bind(record.resource_group)
    .bind(record.name)
    .bind(record.location)
    .bind(record.vm_id)
    .bind(json(record.tags)?)
    .bind(json(record.profile)?)
    .bind(record.system_principal_id)
    .bind(record.created_time)
    .bind(record.changed_time)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = result else {
        return Ok(Saved::Conflict);
    };
    let key: i64 = row.try_get("id")?;
    set_user_identities(conn, key, record.user_identities).await?;
    Ok(Saved::Done)
}

/// Replaces a VM's stored state if it is still at `version`.
pub async fn update(
    conn: &mut SqliteConnection,
    key: i64,
    version: i64,
    record: &VmRecord<'_>,
) -> Result<Saved, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE virtual_machines SET location = ?, tags = ?, profile = ?, system_principal_id = ?, \
         changed_time = ?, version = version + 1 WHERE id = ? AND version = ?",
    )
    .bind(record.location)
    .bind(json(record.tags)?)
    .bind(json(record.profile)?)
    .bind(record.system_principal_id)
    .bind(record.changed_time)
    .bind(key)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() == 0 {
        return Ok(Saved::Conflict);
    }
    set_user_identities(conn, key, record.user_identities).await?;
    Ok(Saved::Done)
}

async fn set_user_identities(
    conn: &mut SqliteConnection,
    vm: i64,
    identities: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM virtual_machine_identities WHERE vm = ?")
        .bind(vm)
        .execute(&mut *conn)
        .await?;
    for (position, identity) in identities.iter().enumerate() {
        sqlx::query(
            "INSERT INTO virtual_machine_identities (vm, identity, position) VALUES (?, ?, ?)",
        )
        .bind(vm)
        .bind(identity)
        .bind(position as i64)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Deletes a VM if it is still at `version`.
pub async fn delete(
    conn: &mut SqliteConnection,
    key: i64,
    version: i64,
) -> Result<Saved, sqlx::Error> {
    sqlx::query("DELETE FROM virtual_machine_identities WHERE vm = ?")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    let result = sqlx::query("DELETE FROM virtual_machines WHERE id = ? AND version = ?")
        .bind(key)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    Ok(if result.rows_affected() == 0 {
        Saved::Conflict
    } else {
        Saved::Done
    })
}

/// Marks VMs as changed (their identity set changed underneath them).
pub async fn touch(conn: &mut SqliteConnection, keys: &[i64], now: i64) -> Result<(), sqlx::Error> {
    for key in keys {
        sqlx::query(
            "UPDATE virtual_machines SET changed_time = ?, version = version + 1 WHERE id = ?",
        )
        .bind(now)
        .bind(key)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The canonical name of a resource group, `None` if it does not exist.
pub async fn resource_group_name(
    db: &SqlitePool,
    subscription_id: &str,
    resource_group: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM resource_groups WHERE subscription_key = ? AND name_key = ?",
    )
    .bind(subscription_id.to_lowercase())
    .bind(resource_group.to_lowercase())
    .fetch_optional(db)
    .await
}

/// The tenant of a subscription, `None` if it does not exist.
pub async fn subscription_tenant(
    db: &SqlitePool,
    subscription_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT tenant_id FROM subscriptions WHERE subscription_key = ?")
        .bind(subscription_id.to_lowercase())
        .fetch_optional(db)
        .await
}
