//! The activity log's SQL: append events, prune by age and count, read a page by `$filter`.

use sqlx::SqlitePool;

use super::model::{EventData, Filter};

/// One stored event and its place in the log (newer events have larger sequences).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub sequence: i64,
    pub event: EventData,
}

/// Appends `events` (in order) under `subscription_id`, then drops the subscription's events
/// older than `oldest_kept` (seconds since the epoch) and all but the newest `cap` of the log.
pub async fn append(
    db: &SqlitePool,
    subscription_id: &str,
    events: &[(i64, EventData)],
    oldest_kept: i64,
    cap: i64,
) -> anyhow::Result<()> {
    let batch = Batch {
        subscription_id: subscription_id.to_string(),
        events: events.to_vec(),
        oldest_kept,
    };
    append_all(db, std::slice::from_ref(&batch), cap).await
}

/// One write's events, as [`append_all`] stores them.
#[derive(Debug, Clone)]
pub struct Batch {
    pub subscription_id: String,
    pub events: Vec<(i64, EventData)>,
    /// The subscription's events older than this (seconds since the epoch) are dropped.
    pub oldest_kept: i64,
}

/// Appends every batch's events (in order) in one write transaction — one durable commit for
/// all of them ([`super::writer`]) — then drops each subscription's expired events and all but
/// the newest `cap` of the log.
pub async fn append_all(db: &SqlitePool, batches: &[Batch], cap: i64) -> anyhow::Result<()> {
    let mut tx = crate::db::begin_write(db).await?;
    for batch in batches {
        for (timestamp, event) in &batch.events {
            sqlx::query(
                "INSERT INTO activity_log (subscription_id, event_timestamp, resource_group, \
                 resource_id, resource_provider, correlation_id, caller, status, event) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&batch.subscription_id)
            .bind(timestamp)
            .bind(event.resource_group_name.as_deref().unwrap_or_default())
            .bind(&event.resource_id)
            .bind(&event.resource_provider_name.value)
            .bind(&event.correlation_id)
            .bind(&event.caller)
            .bind(&event.status.value)
            .bind(serde_json::to_string(event)?)
            .execute(&mut *tx)
            .await?;
        }
        // This subscription's expired events, through its index: without the subscription the
        // DELETE scanned the whole table (up to MAX_EVENTS rows of JSON) under the write lock on
        // every write, and concurrent writers waited past the busy timeout (500 `database is
        // locked`). Other subscriptions' expired events go on their next write; reads never show
        // them meanwhile.
        sqlx::query("DELETE FROM activity_log WHERE subscription_id = ? AND event_timestamp < ?")
            .bind(&batch.subscription_id)
            .bind(batch.oldest_kept)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "DELETE FROM activity_log WHERE sequence <= (SELECT MAX(sequence) FROM activity_log) - ?",
    )
    .bind(cap)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Up to `limit` events of the subscription that `filter` selects, newest first, older than
/// `before` (a sequence; `None` from the newest), not older than `oldest_kept`.
pub async fn page(
    db: &SqlitePool,
    subscription_id: &str,
    filter: &Filter,
    oldest_kept: i64,
    before: Option<i64>,
    limit: i64,
) -> anyhow::Result<Vec<Stored>> {
    let from = filter.from.unwrap_or(i64::MIN).max(oldest_kept);
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT sequence, event FROM activity_log \
         WHERE subscription_id = ? AND event_timestamp >= ? AND event_timestamp <= ? \
           AND sequence < ? \
           AND (? IS NULL OR resource_group = ?) \
           AND (? IS NULL OR resource_id = ?) \
           AND (? IS NULL OR resource_provider = ?) \
           AND (? IS NULL OR correlation_id = ?) \
           AND (? IS NULL OR caller = ?) \
           AND (? IS NULL OR status = ?) \
         ORDER BY sequence DESC LIMIT ?",
    )
    .bind(subscription_id)
    .bind(from)
    .bind(filter.to.unwrap_or(i64::MAX))
    .bind(before.unwrap_or(i64::MAX))
    .bind(&filter.resource_group)
    .bind(&filter.resource_group)
    .bind(&filter.resource_id)
    .bind(&filter.resource_id)
    .bind(&filter.resource_provider)
    .bind(&filter.resource_provider)
    .bind(&filter.correlation_id)
    .bind(&filter.correlation_id)
    .bind(&filter.caller)
    .bind(&filter.caller)
    .bind(&filter.status)
    .bind(&filter.status)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(sequence, event)| {
            Ok(Stored {
                sequence,
                event: serde_json::from_str(&event)?,
            })
        })
        .collect()
}

/// How many events are kept (all subscriptions).
pub async fn count(db: &SqlitePool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM activity_log")
        .fetch_one(db)
        .await?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::activity_log::model::{HttpRequestInfo, LocalizableString, SenderAuthorization};

    pub(crate) fn event(resource_group: &str, caller: &str) -> EventData {
        EventData {
            authorization: SenderAuthorization {
                action: "Microsoft.Resources/subscriptions/resourceGroups/write".into(),
                scope: format!("/subscriptions/s/resourceGroups/{resource_group}"),
            },
            caller: caller.into(),
            channels: "Operation".into(),
            claims: Default::default(),
            correlation_id: "c".into(),
            description: String::new(),
            event_data_id: "e".into(),
            event_name: LocalizableString::new("EndRequest", "End request"),
            category: LocalizableString::same("Administrative"),
            http_request: HttpRequestInfo {
                client_request_id: String::new(),
                client_ip_address: "127.0.0.1".into(),
                method: "PUT".into(),
            },
            id: "i".into(),
            level: "Informational".into(),
            resource_group_name: Some(resource_group.into()),
            resource_provider_name: LocalizableString::same("Microsoft.Resources"),
            resource_id: format!("/subscriptions/s/resourceGroups/{resource_group}"),
            resource_type: LocalizableString::same(
                "Microsoft.Resources/subscriptions/resourceGroups",
            ),
            operation_id: "o".into(),
            operation_name: LocalizableString::same("write"),
            properties: Default::default(),
            status: LocalizableString::same("Succeeded"),
            sub_status: LocalizableString::same(""),
            event_timestamp: String::new(),
            submission_timestamp: String::new(),
            subscription_id: "s".into(),
            tenant_id: "t".into(),
        }
    }

    pub(crate) async fn db() -> (tempfile::TempDir, SqlitePool) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(&dir.path().join("arm.db"))
            .await
            .unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn append_prunes_by_age_and_by_count() {
        let (_dir, db) = db().await;
        for at in 0..5 {
            append(&db, "s", &[(at * 100, event("g", "a"))], 0, 3)
                .await
                .unwrap();
        }
        assert_eq!(count(&db).await.unwrap(), 3, "the cap keeps the newest 3");
        append(&db, "s", &[(1000, event("g", "a"))], 350, 100)
            .await
            .unwrap();
        let kept = page(&db, "s", &Filter::default(), 0, None, 10)
            .await
            .unwrap();
        assert_eq!(kept.len(), 2, "events older than 350 are gone: {kept:?}");
    }

    #[tokio::test]
    async fn page_filters_case_insensitively_and_pages_newest_first() {
        let (_dir, db) = db().await;
        for (group, caller) in [("rg-a", "x@y"), ("RG-B", "x@y"), ("rg-b", "z@y")] {
            append(&db, "s", &[(10, event(group, caller))], 0, 100)
                .await
                .unwrap();
        }
        let filter = Filter {
            resource_group: Some("rg-b".into()),
            ..Filter::default()
        };
        let first = page(&db, "s", &filter, 0, None, 1).await.unwrap();
        assert_eq!(first[0].event.caller, "z@y");
        let rest = page(&db, "s", &filter, 0, Some(first[0].sequence), 5)
            .await
            .unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].event.resource_group_name.as_deref(), Some("RG-B"));
        let other = page(&db, "other", &Filter::default(), 0, None, 5)
            .await
            .unwrap();
        assert!(other.is_empty(), "another subscription sees none");
    }
}
