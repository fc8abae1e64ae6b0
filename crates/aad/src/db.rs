//! AAD's SQLite database: WAL, foreign keys on (credentials cascade with their principal),
//! a busy timeout, and the embedded migrations in `crates/aad/migrations`.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use mimic_web::migrations::Embedded;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// `crates/aad/migrations`, embedded. Append a line with each new migration file (a test checks this
/// list against the directory).
pub const MIGRATIONS: Embedded = Embedded(&[
    (
        "20261123000001_service_principals.sql",
        include_str!("../migrations/20261123000001_service_principals.sql"),
    ),
    (
        "20261123000002_users.sql",
        include_str!("../migrations/20261123000002_users.sql"),
    ),
    (
        "20261206000001_users_and_groups.sql",
        include_str!("../migrations/20261206000001_users_and_groups.sql"),
    ),
    (
        "20261206000002_applications.sql",
        include_str!("../migrations/20261206000002_applications.sql"),
    ),
    (
        "20261206000003_directory_roles.sql",
        include_str!("../migrations/20261206000003_directory_roles.sql"),
    ),
    (
        "20261206000004_deleted_directory_objects.sql",
        include_str!("../migrations/20261206000004_deleted_directory_objects.sql"),
    ),
    (
        "20261206000005_federated_identity_credentials.sql",
        include_str!("../migrations/20261206000005_federated_identity_credentials.sql"),
    ),
]);

/// How long a writer waits for SQLite's write lock (and for its turn, [`begin_write`]).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens (creating if missing) and migrates the database at `path`.
pub async fn open(path: &Path) -> anyhow::Result<SqlitePool> {
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
        // 1 MiB of page cache per connection (SQLite's default is 2 MiB): the directory a token
        // request reads is small, and memory is a goal (docs/benchmarks.md).
        .pragma("cache_size", "-1024");
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
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
        .context("migrating aad.db")?;
    Ok(pool)
}

/// A write transaction that takes this process's turn on the database first
/// ([`mimic_web::sqlite`]), waiting at most the busy timeout for it.
pub async fn begin_write(pool: &SqlitePool) -> sqlx::Result<mimic_web::sqlite::WriteTx> {
    mimic_web::sqlite::begin_write(pool, BUSY_TIMEOUT).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_list_is_every_migration_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(MIGRATIONS.file_names(), files);
    }

    #[tokio::test]
    async fn migrating_records_what_sqlx_migrate_recorded_before() {
        // `_sqlx_migrations` of a database `sqlx::migrate!` migrated (a data dir made before the
        // migrations were embedded by hand): sqlx refuses to run when an applied migration's
        // version or checksum differs, so these must stay equal.
        let recorded = [
            (20261123000001, "service principals", "DBFE108A36372055C9C3D29275C899AD9E92F0F3C8F0E243353423934954A3F81609CFF20C036CADDE3178CC32AAF54B"),
            (20261123000002, "users", "E6A1B2A1FC8C599CE439BE296240AABBCECD230FFAF038007B58F7C292FEA9DB9CA6BEA286BC7939AE097B147D4B236A"),
            (20261206000001, "users and groups", "D9AA7B092E5C8F4ABB9954D97D36D6015E162C982FDFA6CAC058C2FA7B7A81E4C6B687043B41F99862BEAD989A9FA894"),
            (20261206000002, "applications", "0392C03D528BAA1FCD25D819F0A2F7E51CA4625F0AB2492D25052F5D574D6EDC83D9B0415E1FA31CD88FBE3CA7865348"),
            (20261206000003, "directory roles", "FD54EF806BBD8F4AB54F5AD06D2DF13D5083008E57E980EC13769881E6905086AF5D819E15E74BC10449D6BD7FFD7861"),
            (20261206000004, "deleted directory objects", "20E1D38E9AD718F9FF5330DCB0D56EF50DFE4ED96CD083A6361E1D9F9CC030054955093EC61B92870DD9975E30F2BB53"),
            (20261206000005, "federated identity credentials", "AF895B5F44A2049FBB7D61086295DC644636EB68ECC49D98CCF00E7D06D8CE2321CF8716453A50349193866881F47331"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let db = open(&dir.path().join("x.db")).await.unwrap();

        let rows = mimic_web::migrations::recorded(&db).await.unwrap();
        let recorded: Vec<(i64, String, String)> = recorded
            .iter()
            .map(|(version, description, checksum)| {
                (*version, description.to_string(), checksum.to_string())
            })
            .collect();
        assert_eq!(rows, recorded);
        // A second open applies nothing and accepts what is recorded.
        assert!(open(&dir.path().join("x.db")).await.is_ok());
    }
}
