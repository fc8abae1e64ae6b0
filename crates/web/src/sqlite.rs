//! Write transactions on a service's SQLite database that take turns within the process.
//!
//! `BEGIN IMMEDIATE` takes SQLite's write lock up front (waiting up to the busy timeout for it),
//! so a transaction that reads and then writes can never fail with `database is locked`
//! (SQLITE_BUSY / SQLITE_BUSY_SNAPSHOT) when it upgrades from reading. Before that, a writer waits
//! for its turn among this process's writers of the same database file ([`WriteTx`]): first come,
//! first served, woken the moment the previous transaction ends. Left to SQLite, concurrent
//! writers meet its busy handler, which sleeps 1, 2, 5, 10 … ms between tries however soon the
//! lock is free — under 16 concurrent PUTs most of a write's latency (docs/benchmarks.md).
//! Another process on the same file (a second `mimic arm`) still meets the busy handler.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use sqlx::SqlitePool;

/// Begins a write transaction on `pool` once this process's earlier writers of its file are
/// done. The wait for the turn is bounded by `busy_timeout` (the pool's own), after which the
/// transaction goes to SQLite's busy handler as it would without turns: a writer that began
/// another write while holding one would otherwise wait for itself for ever instead of failing
/// after the busy timeout.
pub async fn begin_write(pool: &SqlitePool, busy_timeout: Duration) -> sqlx::Result<WriteTx> {
    let turn = write_turn(pool, busy_timeout).await;
    let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    Ok(WriteTx { tx, _turn: turn })
}

/// This process's write turn on `pool`'s file, for a write outside a transaction (one
/// autocommit statement): held while the statement runs, it queues the statement with the
/// transactions instead of sending it to SQLite's busy handler, whose 1–100 ms sleeps were most
/// of the worst latencies under concurrent writes (an identity PUT's p99 ~200 ms, max ~700 ms:
/// its `systemData` insert). Bounded by `busy_timeout` as [`begin_write`] is (`None` then).
pub async fn write_turn(
    pool: &SqlitePool,
    busy_timeout: Duration,
) -> Option<tokio::sync::OwnedMutexGuard<()>> {
    tokio::time::timeout(busy_timeout, turn_for(pool).lock_owned())
        .await
        .ok()
}

/// A write transaction and this process's write turn on its database, held until it commits or
/// is dropped (rolled back). Dereferences to the connection, as `&mut *tx` of a
/// [`sqlx::Transaction`] does.
pub struct WriteTx {
    // Declared first: dropped (rolled back) before the turn passes on.
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Commits; the turn passes on once the commit is durable.
    pub async fn commit(self) -> sqlx::Result<()> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// The write turn of `pool`'s database file in this process (one per file: two pools on the
/// same file, as a test's second ARM, share it).
fn turn_for(pool: &SqlitePool) -> Arc<tokio::sync::Mutex<()>> {
    type Turns = HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>;
    static TURNS: LazyLock<Mutex<Turns>> = LazyLock::new(Default::default);
    let file = pool.connect_options().get_filename().to_path_buf();
    TURNS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(file)
        .or_default()
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pool(path: &std::path::Path) -> SqlitePool {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        SqlitePool::connect_with(options).await.unwrap()
    }

    fn turn_is_free(pool: &SqlitePool) -> bool {
        turn_for(pool).try_lock().is_ok()
    }

    #[tokio::test]
    async fn a_write_holds_its_files_turn_until_it_commits_or_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = pool(&dir.path().join("a.db")).await;
        let same_file = pool(&dir.path().join("a.db")).await;
        let other = pool(&dir.path().join("b.db")).await;
        let timeout = Duration::from_secs(5);

        let first = begin_write(&db, timeout).await.unwrap();
        assert!(!turn_is_free(&db), "the writer holds the turn");
        assert!(!turn_is_free(&same_file), "one turn per file, not per pool");
        assert!(turn_is_free(&other), "another file has its own turn");
        first.commit().await.unwrap();
        assert!(turn_is_free(&db), "a commit passes the turn on");

        let dropped = begin_write(&same_file, timeout).await.unwrap();
        assert!(!turn_is_free(&db));
        drop(dropped);
        assert!(turn_is_free(&db), "a rollback passes the turn on");
    }

    #[tokio::test]
    async fn an_autocommit_write_waits_for_the_turn_a_transaction_holds() {
        let dir = tempfile::tempdir().unwrap();
        let db = pool(&dir.path().join("a.db")).await;
        let timeout = Duration::from_secs(5);
        let writing = begin_write(&db, timeout).await.unwrap();
        let waiting = tokio::spawn({
            let db = db.clone();
            async move { write_turn(&db, timeout).await.is_some() }
        });
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!waiting.is_finished(), "the autocommit write waits");
        writing.commit().await.unwrap();
        assert!(
            waiting.await.unwrap(),
            "and gets the turn once the transaction ends"
        );
        assert!(turn_is_free(&db), "which it gives back");
    }

    #[tokio::test]
    async fn writers_queue_first_come_first_served() {
        let dir = tempfile::tempdir().unwrap();
        let db = pool(&dir.path().join("a.db")).await;
        sqlx::query("CREATE TABLE log (writer INTEGER)")
            .execute(&db)
            .await
            .unwrap();
        let timeout = Duration::from_secs(5);
        let first = begin_write(&db, timeout).await.unwrap();
        let mut writers = Vec::new();
        for writer in 1..=3 {
            let db = db.clone();
            writers.push(tokio::spawn(async move {
                let mut tx = begin_write(&db, timeout).await.unwrap();
                sqlx::query("INSERT INTO log VALUES (?)")
                    .bind(writer)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }));
            // Each one queues for the turn before the next is spawned.
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
        }
        first.commit().await.unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
        let order: Vec<i64> = sqlx::query_scalar("SELECT writer FROM log ORDER BY rowid")
            .fetch_all(&db)
            .await
            .unwrap();
        assert_eq!(order, [1, 2, 3]);
    }
}
