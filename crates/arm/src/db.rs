//! The SQLite pool: WAL, foreign keys, busy timeout, created if missing, migrated on open.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use mimic_web::migrations::Embedded;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// `migrations/` at the workspace root, embedded. Append a line with each new migration file (a test
/// checks this list against the directory).
pub const MIGRATIONS: Embedded = Embedded(&[
    (
        "0001_core.sql",
        include_str!("../../../migrations/0001_core.sql"),
    ),
    (
        "0002_compute_msi.sql",
        include_str!("../../../migrations/0002_compute_msi.sql"),
    ),
    (
        "0003_no_identity_keys.sql",
        include_str!("../../../migrations/0003_no_identity_keys.sql"),
    ),
    (
        "0004_custom_roles.sql",
        include_str!("../../../migrations/0004_custom_roles.sql"),
    ),
    (
        "0005_federated_identity_credentials.sql",
        include_str!("../../../migrations/0005_federated_identity_credentials.sql"),
    ),
    (
        "0006_key_vaults.sql",
        include_str!("../../../migrations/0006_key_vaults.sql"),
    ),
    (
        "0007_key_vault_objects.sql",
        include_str!("../../../migrations/0007_key_vault_objects.sql"),
    ),
    (
        "0008_async_operations.sql",
        include_str!("../../../migrations/0008_async_operations.sql"),
    ),
    (
        "0009_system_data.sql",
        include_str!("../../../migrations/0009_system_data.sql"),
    ),
    (
        "0010_activity_log.sql",
        include_str!("../../../migrations/0010_activity_log.sql"),
    ),
    (
        "0011_provider_registrations.sql",
        include_str!("../../../migrations/0011_provider_registrations.sql"),
    ),
]);

/// How long a writer waits for SQLite's write lock (and for its turn, [`begin_write`]).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens (creating if needed) and migrates the database at `path`.
pub async fn connect(path: &Path) -> anyhow::Result<SqlitePool> {
    // Created owner-only before SQLite opens it; SQLite gives `-wal` and `-shm` the same mode.
    mimic_web::files::create_private_file(path)?;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: in WAL mode NORMAL may lose the last commits on an OS crash or power loss, and a
        // 200/201 must mean the state is durable.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // 1 MiB of page cache per connection (SQLite's default is 2 MiB): decisions and group
        // reads come from the authorization index, so the cache mostly serves writes, and eight
        // connections at the default held ~17 MB under the load bench.
        .pragma("cache_size", "-1024");
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // sqlx pings a pooled connection before handing it out (a round trip to the connection's
        // worker thread, as long as the query itself). A SQLite file connection cannot go stale
        // the way a network connection can, so the ping only doubled the cost of each read.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    MIGRATIONS
        .migrator()
        .await?
        .run(&pool)
        .await
        .context("migrating arm.db")?;
    Ok(pool)
}

/// A write transaction that takes this process's turn on the database first
/// ([`mimic_web::sqlite`]), waiting at most the busy timeout for it.
pub async fn begin_write(pool: &SqlitePool) -> sqlx::Result<WriteTx> {
    mimic_web::sqlite::begin_write(pool, BUSY_TIMEOUT).await
}

pub use mimic_web::sqlite::WriteTx;

/// This process's write turn on the database, for a write outside a transaction: every function
/// that writes with one autocommit statement on the pool holds it while the statement runs
/// ([`mimic_web::sqlite::write_turn`]).
pub async fn write_turn(pool: &SqlitePool) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    mimic_web::sqlite::write_turn(pool, BUSY_TIMEOUT).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_is_every_migration_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(MIGRATIONS.file_names(), files);
    }

    #[tokio::test]
    async fn writers_of_one_database_take_turns_and_other_databases_do_not_wait() {
        let dir = tempfile::tempdir().unwrap();
        let db = connect(&dir.path().join("arm.db")).await.unwrap();
        let other = connect(&dir.path().join("other.db")).await.unwrap();
        let first = begin_write(&db).await.unwrap();
        let second = tokio::spawn({
            let db = db.clone();
            async move { begin_write(&db).await.map(|_| ()) }
        });
        // Another file has its own turn.
        begin_write(&other).await.unwrap().commit().await.unwrap();
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(
            !second.is_finished(),
            "the second writer waits for the first"
        );
        first.commit().await.unwrap();
        second.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn migrating_records_what_sqlx_migrate_recorded_before() {
        // `_sqlx_migrations` of a database `sqlx::migrate!` migrated (a data dir made before the
        // migrations were embedded by hand): sqlx refuses to run when an applied migration's
        // version or checksum differs, so these must stay equal.
        let recorded = [
            (1, "core", "02192E84866A15CC77AED431F26164429E23F20AEF28B4CAC16BC98F71ABCB334618F966D8499E1F1EECDC7444B0C949"),
            (2, "compute msi", "72E33954FA29E56A2CDF82EEC5463E0DE1E7392EAE9E699FCAE365591C31920E6D04AB0122EE70C5A91598470D369E69"),
            (3, "no identity keys", "D523A40CFD62996302209C16B542619CB26A7A71E8D580F0491F3085A3321C71F63148D3B4E16F78D5AD3ABB7F04E2DC"),
            (4, "custom roles", "BCA917A12010F09D1CC4CBF14BE4714C63C874E9BCA5580B78BB2B655168F1BD7959164CA5D95B00D8AEE3138C8AA5AE"),
            (5, "federated identity credentials", "426E7554169FFF20786BAA316DCFDE996265E23B1748554175CDE6D46C9F4A1AB0694A2B750F8335EA10A05A310B2DC5"),
            (6, "key vaults", "BFA76159675FE591FCCEC76BCF2FC7EB59405737B8C6680B5A16D40926E093284ADD37A2EE8972630A7414580BDFAC02"),
            (7, "key vault objects", "F483AD1B2142728AA70E6BB2E48919A722FB9C43FCE0642300E3A3CD4251DD094C811C7D11B30A1493505079DFDB656D"),
            (8, "async operations", "ED4DE0C980AA4FDB02F528726D0CE2190D03F117FCEBF35ADDDC9235FFD87C758AA58EC226C7FB4E0BA2E0115C723C1C"),
            (9, "system data", "233656985A3D5D91970BEE7D54AAF0937DE375F9F67670ED3C9E9310F900246AE52BFDBFCC4DF0A54FC99E7ECB2823D2"),
            (10, "activity log", "DBB82D157D591272439F6BBA529CA971926057F5DE8293B37315528283991CE7BA7988BCDC30D5E1A272921647B88192"),
            (11, "provider registrations", "12052CF7A6E9F470CE750EEC32D6A95E2ABAE3C5AF8E631598425642BDDF94B40DDDC665153CB275E18336253835CB45"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let db = connect(&dir.path().join("x.db")).await.unwrap();

        let rows = mimic_web::migrations::recorded(&db).await.unwrap();
        let recorded: Vec<(i64, String, String)> = recorded
            .iter()
            .map(|(version, description, checksum)| {
                (*version, description.to_string(), checksum.to_string())
            })
            .collect();
        assert_eq!(rows, recorded);
        // A second open applies nothing and accepts what is recorded.
        assert!(connect(&dir.path().join("x.db")).await.is_ok());
    }
}
