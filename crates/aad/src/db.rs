//! AAD's SQLite database: WAL, foreign keys on (credentials cascade with their principal),
//! a busy timeout, and the embedded migrations in `crates/aad/migrations`.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

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
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("migrating aad.db")?;
    Ok(pool)
}

/// A write transaction: `BEGIN IMMEDIATE` takes SQLite's write lock up front (waiting up to the
/// busy timeout for it), so a transaction that reads and then writes can never fail with
/// `database is locked` (SQLITE_BUSY / SQLITE_BUSY_SNAPSHOT) when it upgrades from reading.
pub async fn begin_write(
    pool: &SqlitePool,
) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    pool.begin_with("BEGIN IMMEDIATE").await
}
