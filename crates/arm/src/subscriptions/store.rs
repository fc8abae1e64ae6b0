//! SQL for subscriptions.

use sqlx::SqlitePool;

use super::model::Subscription;

struct Row {
    subscription_id: String,
    display_name: String,
    tenant_id: String,
    state: String,
    tags: Option<String>,
}
mimic_web::sqlite_from_row!(Row {
    subscription_id,
    display_name,
    tenant_id,
    state,
    tags
});

impl From<Row> for Subscription {
    fn from(row: Row) -> Self {
        Self {
            subscription_id: row.subscription_id,
            display_name: row.display_name,
            tenant_id: row.tenant_id,
            state: row.state,
            tags: row.tags.and_then(|tags| serde_json::from_str(&tags).ok()),
        }
    }
}

const COLUMNS: &str = "subscription_id, display_name, tenant_id, state, tags";

/// The subscription with this id (case-insensitive).
pub async fn find(db: &SqlitePool, subscription_id: &str) -> sqlx::Result<Option<Subscription>> {
    let sql = format!("SELECT {COLUMNS} FROM subscriptions WHERE subscription_key = ?");
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(subscription_id.to_lowercase())
        .fetch_optional(db)
        .await?;
    Ok(row.map(Into::into))
}

/// Every subscription, ordered by id.
pub async fn list(db: &SqlitePool) -> sqlx::Result<Vec<Subscription>> {
    let sql = format!("SELECT {COLUMNS} FROM subscriptions ORDER BY subscription_key");
    let rows: Vec<Row> = sqlx::query_as(&sql).fetch_all(db).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// How many subscriptions exist.
pub async fn count(db: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM subscriptions")
        .fetch_one(db)
        .await
}

/// Inserts a subscription, or replaces the one with the same id.
pub async fn upsert(db: &SqlitePool, subscription: &Subscription) -> sqlx::Result<()> {
    let _turn = crate::db::write_turn(db).await;
    let tags = subscription
        .tags
        .as_ref()
        .map(|tags| serde_json::Value::Object(tags.clone()).to_string());
    sqlx::query(
        "INSERT INTO subscriptions (subscription_key, subscription_id, display_name, tenant_id, state, tags)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (subscription_key) DO UPDATE SET display_name = excluded.display_name,
           tenant_id = excluded.tenant_id, state = excluded.state, tags = excluded.tags",
    )
    .bind(subscription.subscription_id.to_lowercase())
    .bind(&subscription.subscription_id)
    .bind(&subscription.display_name)
    .bind(&subscription.tenant_id)
    .bind(&subscription.state)
    .bind(tags)
    .execute(db)
    .await?;
    crate::rbac::index::changed();
    Ok(())
}
