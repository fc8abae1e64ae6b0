//! The SQL of resource-provider registration: a subscription's namespaces whose state differs
//! from `Registered` (the state every namespace mimic serves starts in).

use sqlx::SqlitePool;

/// The recorded state of `namespace` (canonical case) in `subscription_id`, if one was recorded.
pub async fn registration_state(
    db: &SqlitePool,
    subscription_id: &str,
    namespace: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT state FROM provider_registrations WHERE subscription_id = ?1 AND namespace = ?2",
    )
    .bind(subscription_id.to_ascii_lowercase())
    .bind(namespace)
    .fetch_optional(db)
    .await
}

/// Records `state` for `namespace` (canonical case) in `subscription_id`.
pub async fn set_registration_state(
    db: &SqlitePool,
    subscription_id: &str,
    namespace: &str,
    state: &str,
) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn(db).await;
    sqlx::query(
        "INSERT INTO provider_registrations (subscription_id, namespace, state) VALUES (?1, ?2, ?3) \
         ON CONFLICT (subscription_id, namespace) DO UPDATE SET state = excluded.state",
    )
    .bind(subscription_id.to_ascii_lowercase())
    .bind(namespace)
    .bind(state)
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_recorded_state_is_read_back_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::connect(&dir.path().join("x.db")).await.unwrap();
        let sub = "0B1F6471-1BF0-4DDA-AEC3-CB9272F09590";
        assert_eq!(
            registration_state(&db, sub, "Microsoft.KeyVault")
                .await
                .unwrap(),
            None
        );
        set_registration_state(&db, sub, "Microsoft.KeyVault", "NotRegistered")
            .await
            .unwrap();
        set_registration_state(&db, &sub.to_lowercase(), "Microsoft.KeyVault", "Registered")
            .await
            .unwrap();
        assert_eq!(
            registration_state(&db, sub, "Microsoft.KeyVault")
                .await
                .unwrap()
                .as_deref(),
            Some("Registered")
        );
    }
}
