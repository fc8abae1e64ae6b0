//! SQL migrations embedded in the binary, and rows read by column name, without sqlx's
//! proc-macros: `sqlx::migrate!` and `#[derive(sqlx::FromRow)]` live in sqlx-macros, which compiles
//! sqlx-sqlite and a second bundled SQLite for the build host, a large share of a cold build.
//!
//! A service lists its migration files with `include_str!`; [`Embedded`] turns them into the
//! `Migrator` the macro built. Versions and descriptions come from the file names as sqlx reads
//! them, and sqlx's own `Migration::new` takes the SHA-384 of the SQL as the checksum, so databases
//! migrated by the macro keep migrating.

use std::borrow::Cow;

use anyhow::Context;
use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// Migration files as `(file name, contents)`: names `<version>_<description>.sql`.
#[derive(Debug, Clone, Copy)]
pub struct Embedded(pub &'static [(&'static str, &'static str)]);

impl Embedded {
    /// The migrations, ordered by version, as `sqlx::migrate!` resolved the same files.
    pub fn migrations(self) -> anyhow::Result<Vec<Migration>> {
        let mut migrations = self
            .0
            .iter()
            .map(|(name, sql)| migration(name, sql))
            .collect::<anyhow::Result<Vec<_>>>()?;
        migrations.sort_by_key(|migration| migration.version);
        Ok(migrations)
    }

    /// The migrator over these migrations.
    pub async fn migrator(self) -> anyhow::Result<Migrator> {
        Migrator::new(self)
            .await
            .context("reading the embedded migrations")
    }

    /// The file names, sorted: for a test that the list matches the migrations directory.
    pub fn file_names(self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.0.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names
    }
}

/// What a database records of its applied migrations — `(version, description, checksum as
/// upper-case hex)` in version order — for tests that pin what `sqlx::migrate!` recorded before the
/// migrations were embedded by hand (sqlx refuses to run when an applied migration differs).
pub async fn recorded(pool: &sqlx::SqlitePool) -> sqlx::Result<Vec<(i64, String, String)>> {
    let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
        "SELECT version, description, checksum FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(version, description, checksum)| {
            let hex: String = checksum.iter().map(|byte| format!("{byte:02X}")).collect();
            (version, description, hex)
        })
        .collect())
}

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(self) -> BoxFuture<'s, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move { self.migrations().map_err(BoxDynError::from) })
    }
}

/// One file, read as sqlx reads a migrations directory: the version before the first `_`, the
/// rest without `.sql` and with `_` as spaces as the description, `-- no-transaction` opting out.
fn migration(name: &str, sql: &'static str) -> anyhow::Result<Migration> {
    let (version, rest) = name
        .split_once('_')
        .filter(|(_, rest)| rest.ends_with(".sql"))
        .with_context(|| format!("{name:?} is not <version>_<description>.sql"))?;
    let version = version
        .parse()
        .with_context(|| format!("{name:?} has no integer version"))?;
    let migration_type = MigrationType::from_filename(rest);
    anyhow::ensure!(
        migration_type == MigrationType::Simple,
        "{name:?}: only simple (up-only) migrations are embedded"
    );
    let description = rest.trim_end_matches(".sql").replace('_', " ");
    Ok(Migration::new(
        version,
        Cow::Owned(description),
        migration_type,
        Cow::Borrowed(sql),
        sql.starts_with("-- no-transaction"),
    ))
}

/// Implements `sqlx::FromRow` for SQLite rows on a struct, reading each listed field from the
/// column of the same name, as `#[derive(sqlx::FromRow)]` does. The struct literal it builds makes
/// a field missing from the list a compile error.
#[macro_export]
macro_rules! sqlite_from_row {
    ($type:ident { $($field:ident),* $(,)? }) => {
        impl<'r> ::sqlx::FromRow<'r, ::sqlx::sqlite::SqliteRow> for $type {
            fn from_row(row: &'r ::sqlx::sqlite::SqliteRow) -> ::sqlx::Result<Self> {
                use ::sqlx::Row as _;
                Ok(Self {
                    $($field: row.try_get(stringify!($field))?,)*
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILES: Embedded = Embedded(&[
        ("20240102_second_one.sql", "CREATE TABLE b (x);"),
        ("0001_core.sql", "-- no-transaction\nCREATE TABLE a (x);"),
    ]);

    #[test]
    fn migrations_read_names_and_checksums_as_sqlx_does() {
        let migrations = FILES.migrations().unwrap();

        let read: Vec<_> = migrations
            .iter()
            .map(|m| (m.version, m.description.as_ref(), m.no_tx))
            .collect();
        assert_eq!(read, [(1, "core", true), (20240102, "second one", false)]);
        for m in &migrations {
            let sha384 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA384, m.sql.as_bytes());
            assert_eq!(m.checksum.as_ref(), sha384.as_ref(), "{}", m.description);
        }
    }

    #[test]
    fn migrations_refuse_names_sqlx_would_not_read() {
        for name in [
            "core.sql",
            "x_core.sql",
            "0001_core.txt",
            "0001_core.up.sql",
        ] {
            assert!(migration(name, "").is_err(), "{name} is refused");
        }
    }

    #[derive(Debug, PartialEq)]
    struct Pair {
        name: String,
        size: Option<i64>,
    }
    sqlite_from_row!(Pair { name, size });

    #[tokio::test]
    async fn sqlite_from_row_reads_fields_by_column_name() {
        let db = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let pair: Pair = sqlx::query_as("SELECT NULL AS size, 'a' AS name")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(
            pair,
            Pair {
                name: "a".into(),
                size: None
            }
        );
        let missing = sqlx::query_as::<_, Pair>("SELECT 'a' AS name")
            .fetch_one(&db)
            .await;
        assert!(matches!(missing, Err(sqlx::Error::ColumnNotFound(_))));
    }
}
