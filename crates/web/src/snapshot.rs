//! Snapshots of a SQLite store, taken and restored while the service runs (`mimic snapshot`,
//! `mimic reset`). Saving is `VACUUM INTO` (one consistent read of the whole database); restoring
//! replaces every table's rows from the snapshot inside one `BEGIN IMMEDIATE` transaction, so
//! readers see the old state or the new one, never a mix, and the pool stays open.
//!
//! Snapshots live in `DATA_DIR/snapshots/NAME/` (owner-only), one file per store.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use sqlx::SqlitePool;

/// The directory of snapshot `name` in `data_dir`, after checking the name.
pub fn dir(data_dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    if !is_valid_name(name) {
        bail!("a snapshot name is 1-64 letters, digits, '.', '_' or '-', and not '.' or '..'");
    }
    Ok(data_dir.join("snapshots").join(name))
}

/// Letters, digits, `.`, `_`, `-`; 1 to 64 of them; not `.` or `..`.
pub fn is_valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Writes a consistent copy of `pool`'s database to `file` (replacing it), owner-only.
pub async fn save(pool: &SqlitePool, file: &Path) -> anyhow::Result<()> {
    let dir = file.parent().context("a snapshot file has a directory")?;
    crate::files::create_private_dir(dir)?;
    let tmp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
    // VACUUM INTO accepts an empty file and keeps its mode: create it owner-only first.
    crate::files::create_private_file(&tmp)?;
    let result = sqlx::query("VACUUM INTO ?")
        .bind(tmp.to_string_lossy().to_string())
        .execute(pool)
        .await;
    if let Err(error) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(error).context("copying the database (VACUUM INTO)");
    }
    std::fs::rename(&tmp, file).with_context(|| format!("renaming to {}", file.display()))
}

/// Replaces every table's rows in `pool`'s database with those in `file`, atomically.
pub async fn restore(pool: &SqlitePool, file: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("no snapshot file {}", file.display());
    }
    let mut conn = pool.acquire().await.context("taking a connection")?;
    sqlx::query("ATTACH DATABASE ? AS snapshot")
        .bind(file.to_string_lossy().to_string())
        .execute(&mut *conn)
        .await
        .context("opening the snapshot")?;
    let copied = copy_tables(&mut conn).await;
    let detached = sqlx::query("DETACH DATABASE snapshot")
        .execute(&mut *conn)
        .await;
    copied?;
    detached.context("closing the snapshot")?;
    Ok(())
}

/// [`save`] for a database no service has open (`mimic snapshot save` while mimic is stopped).
pub async fn save_file(db: &Path, file: &Path) -> anyhow::Result<()> {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .create_if_missing(false);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .with_context(|| format!("opening {}", db.display()))?;
    let saved = save(&pool, file).await;
    pool.close().await;
    saved
}

/// Puts snapshot `file` in place of database `db` while no service has it open: the database and
/// its `-wal`/`-shm` are replaced by an owner-only copy.
pub fn restore_file(db: &Path, file: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("no snapshot file {}", file.display());
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    for suffix in ["-wal", "-shm"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    let dir = db.parent().context("a database has a directory")?;
    let tmp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
    crate::files::create_private_file(&tmp)?;
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, db).with_context(|| format!("replacing {}", db.display()))
}

async fn copy_tables(conn: &mut sqlx::SqliteConnection) -> anyhow::Result<()> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await
    .context("listing tables")?;
    // Foreign keys are off for the copy (no cascade may remove rows already copied back, and rows
    // go in table by table), and checked as a whole before the commit. The pragma only works
    // outside a transaction, and is switched back on whatever happens.
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await
        .context("pausing foreign keys")?;
    let copied = copy_in_transaction(conn, &tables).await;
    let enabled = sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await;
    copied?;
    enabled.context("resuming foreign keys")?;
    Ok(())
}

async fn copy_in_transaction(
    conn: &mut sqlx::SqliteConnection,
    tables: &[(String,)],
) -> anyhow::Result<()> {
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *conn)
        .await
        .context("starting the restore")?;
    let result = async {
        for (table,) in tables {
            let quoted = table.replace('"', "\"\"");
            sqlx::query(&format!("DELETE FROM main.\"{quoted}\""))
                .execute(&mut *conn)
                .await?;
            sqlx::query(&format!(
                "INSERT INTO main.\"{quoted}\" SELECT * FROM snapshot.\"{quoted}\""
            ))
            .execute(&mut *conn)
            .await?;
        }
        let violations: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(&mut *conn)
                .await?;
        Ok::<_, sqlx::Error>(violations)
    }
    .await;
    match result {
        Ok(violations) if violations.is_empty() => {
            sqlx::query("COMMIT")
                .execute(&mut *conn)
                .await
                .context("committing the restore")?;
            Ok(())
        }
        Ok(violations) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            bail!("the snapshot breaks foreign keys in {violations:?}; nothing was changed")
        }
        Err(error) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            Err(error).context("restoring the tables")
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain() {
        for good in ["lab-1", "before_grant", "v1.2", "A"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "../x", "a b", &"x".repeat(65)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn save_then_restore_brings_back_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("x.db"))
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        for statement in [
            // `t` sorts before its parent `z_parent`, and deleting the parent cascades into `t`.
            "CREATE TABLE z_parent (id INTEGER PRIMARY KEY)",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, \
             parent INTEGER REFERENCES z_parent (id) ON DELETE CASCADE)",
            "INSERT INTO z_parent (id) VALUES (1)",
            "INSERT INTO t (v, parent) VALUES ('kept', 1)",
        ] {
            sqlx::query(statement).execute(&pool).await.unwrap();
        }
        let file = dir.path().join("snapshots/one/x.db");
        save(&pool, &file).await.unwrap();
        sqlx::query("INSERT INTO t (v, parent) VALUES ('later', 1)")
            .execute(&pool)
            .await
            .unwrap();

        restore(&pool, &file).await.unwrap();

        let rows: Vec<(String,)> = sqlx::query_as("SELECT v FROM t")
            .fetch_all(&pool)
            .await
            .unwrap();
        assert_eq!(rows, vec![("kept".to_string(),)]);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
