//! SQL for long-running operations.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqlitePool};

use super::model::{AsyncOperation, OperationKind, OperationStatus};

const SELECT: &str = "SELECT id, subscription_id, resource_type, resource_id, location, kind, \
    status, start_time, due_time, end_time, error_code, error_message FROM async_operations";

fn from_row(row: &SqliteRow) -> Result<AsyncOperation, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let code: Option<String> = row.try_get("error_code")?;
    let message: Option<String> = row.try_get("error_message")?;
    Ok(AsyncOperation {
        id: row.try_get("id")?,
        subscription_id: row.try_get("subscription_id")?,
        resource_type: row.try_get("resource_type")?,
        resource_id: row.try_get("resource_id")?,
        location: row.try_get("location")?,
        kind: OperationKind::parse(&kind).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown operation kind '{kind}'").into())
        })?,
        status: OperationStatus::parse(&status),
        start_time: row.try_get("start_time")?,
        due_time: row.try_get("due_time")?,
        end_time: row.try_get("end_time")?,
        error: code.map(|code| (code, message.unwrap_or_default())),
    })
}

/// Stores a new operation.
pub async fn insert(db: &SqlitePool, operation: &AsyncOperation) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    sqlx::query(
        "INSERT INTO async_operations (id, subscription_id, resource_type, resource_id, \
         resource_key, location, kind, status, start_time, due_time) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&operation.id)
    .bind(&operation.subscription_id)
    .bind(&operation.resource_type)
    .bind(&operation.resource_id)
    .bind(operation.resource_id.to_lowercase())
    .bind(&operation.location)
    .bind(operation.kind.as_str())
    .bind(operation.status.as_str())
    .bind(operation.start_time)
    .bind(operation.due_time)
    .execute(db)
    .await?;
    Ok(())
}

/// One operation by id.
pub async fn get(db: &SqlitePool, id: &str) -> Result<Option<AsyncOperation>, sqlx::Error> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = ?"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The operations in progress whose time is up (`due_time <= now`), oldest first.
pub async fn due(db: &SqlitePool, now: i64) -> Result<Vec<AsyncOperation>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE status = 'InProgress' AND due_time <= ? ORDER BY due_time, start_time"
    ))
    .bind(now)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The earliest `due_time` of the operations in progress.
pub async fn next_due(db: &SqlitePool) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MIN(due_time) FROM async_operations WHERE status = 'InProgress'")
        .fetch_one(db)
        .await
}

/// The operations in progress on resources whose lower-cased id starts with `prefix` (one
/// resource, or everything in a subscription), as `(lower-cased resource id, kind)`.
pub async fn pending_under(
    db: &SqlitePool,
    prefix: &str,
) -> Result<Vec<(String, OperationKind)>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT resource_key, kind FROM async_operations \
         WHERE status = 'InProgress' AND substr(resource_key, 1, length(?1)) = ?1",
    )
    .bind(prefix.to_lowercase())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(key, kind)| OperationKind::parse(&kind).map(|kind| (key, kind)))
        .collect())
}

/// The operations in progress on one resource (by id, any case).
pub async fn pending_for(
    db: &SqlitePool,
    resource_id: &str,
) -> Result<Vec<AsyncOperation>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE resource_key = ? AND status = 'InProgress' ORDER BY start_time"
    ))
    .bind(resource_id.to_lowercase())
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Ends an operation: `Succeeded`, or `Failed` with `error`.
pub async fn finish(
    db: &SqlitePool,
    id: &str,
    end_time: i64,
    error: Option<(&str, &str)>,
) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    let status = match error {
        Some(_) => OperationStatus::Failed,
        None => OperationStatus::Succeeded,
    };
    sqlx::query(
        "UPDATE async_operations SET status = ?, end_time = ?, error_code = ?, error_message = ? \
         WHERE id = ? AND status = 'InProgress'",
    )
    .bind(status.as_str())
    .bind(end_time)
    .bind(error.map(|(code, _)| code))
    .bind(error.map(|(_, message)| message))
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets operations that ended before `before` (ARM keeps an operation's status for a while,
/// not forever).
pub async fn prune(db: &SqlitePool, before: i64) -> Result<u64, sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    let done =
        sqlx::query("DELETE FROM async_operations WHERE status != 'InProgress' AND end_time < ?")
            .bind(before)
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operation(id: &str, resource: &str, kind: OperationKind, due: i64) -> AsyncOperation {
        AsyncOperation {
            id: id.into(),
            subscription_id: "s".into(),
            resource_type: "Microsoft.Compute/virtualMachines".into(),
            resource_id: resource.into(),
            location: "eastus".into(),
            kind,
            status: OperationStatus::InProgress,
            start_time: 10,
            due_time: due,
            end_time: None,
            error: None,
        }
    }

    #[tokio::test]
    async fn due_operations_finish_once_and_pending_ones_name_their_resource() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(&dir.path().join("arm.db"))
            .await
            .unwrap();
        let vm = "/subscriptions/s/resourceGroups/G/providers/Microsoft.Compute/virtualMachines/VM";
        insert(&db, &operation("a", vm, OperationKind::Create, 10))
            .await
            .unwrap();
        insert(&db, &operation("b", vm, OperationKind::Delete, 20))
            .await
            .unwrap();

        assert_eq!(next_due(&db).await.unwrap(), Some(10));
        let due_now: Vec<String> = due(&db, 15)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(due_now, ["a"]);
        finish(&db, "a", 15, None).await.unwrap();
        finish(&db, "a", 99, Some(("X", "y"))).await.unwrap();
        let a = get(&db, "a").await.unwrap().unwrap();
        assert_eq!(
            (a.status, a.end_time, a.error),
            (OperationStatus::Succeeded, Some(15), None)
        );

        let pending = pending_under(&db, "/subscriptions/s/resourcegroups/g/")
            .await
            .unwrap();
        assert_eq!(pending, [(vm.to_lowercase(), OperationKind::Delete)]);
        assert_eq!(pending_for(&db, &vm.to_uppercase()).await.unwrap().len(), 1);
        assert_eq!(next_due(&db).await.unwrap(), Some(20));

        finish(&db, "b", 21, Some(("InternalServerError", "boom")))
            .await
            .unwrap();
        assert_eq!(next_due(&db).await.unwrap(), None);
        assert_eq!(prune(&db, 16).await.unwrap(), 1);
        assert!(get(&db, "a").await.unwrap().is_none());
        let b = get(&db, "b").await.unwrap().unwrap();
        assert_eq!(b.error, Some(("InternalServerError".into(), "boom".into())));
    }
}
