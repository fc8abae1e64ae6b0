//! All SQL for groups, their members and owners, and the membership generation. A soft-deleted
//! user keeps its membership rows (a restore brings them back, as in Entra) but no read returns
//! it: every query below leaves out references to deleted users.

use anyhow::Context;
use sqlx::SqlitePool;

use super::model::{Added, Group, GroupChanges, ObjectKind, Reference, Relation};
use crate::error::AadError;

type Tx = mimic_web::sqlite::WriteTx;

type GroupRow = (String, String, String, Option<String>, bool, bool, String);

const GROUP_COLUMNS: &str = "id, display_name, mail_nickname, description, security_enabled, \
     mail_enabled, created_date_time";

/// `AND` clause: the referenced object is not a deleted user.
const LIVE: &str =
    "NOT EXISTS (SELECT 1 FROM users u WHERE u.id = {id} AND u.deleted_date_time IS NOT NULL)";

/// The tenant's groups, over AAD's SQLite pool.
#[derive(Debug, Clone)]
pub struct GroupStore {
    pool: SqlitePool,
}

impl GroupStore {
    /// A store over `pool` (migrations already applied).
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// How many groups exist.
    pub async fn count(&self) -> Result<i64, AadError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM groups")
            .fetch_one(&self.pool)
            .await
            .context("counting groups")?;
        Ok(count)
    }

    /// Stores a new group.
    pub async fn create(&self, group: &Group) -> Result<Group, AadError> {
        sqlx::query(&format!(
            "INSERT INTO groups ({GROUP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(&group.id)
        .bind(&group.display_name)
        .bind(&group.mail_nickname)
        .bind(&group.description)
        .bind(group.security_enabled)
        .bind(group.mail_enabled)
        .bind(&group.created_date_time)
        .execute(&self.pool)
        .await
        .context("storing a group")?;
        Ok(group.clone())
    }

    /// The group with this object id.
    pub async fn get(&self, id: &str) -> Result<Option<Group>, AadError> {
        let row: Option<GroupRow> =
            sqlx::query_as(&format!("SELECT {GROUP_COLUMNS} FROM groups WHERE id = ?"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .context("reading a group")?;
        Ok(row.map(group_from_row))
    }

    /// Every group, ordered by id.
    pub async fn all(&self) -> Result<Vec<Group>, AadError> {
        let rows: Vec<GroupRow> =
            sqlx::query_as(&format!("SELECT {GROUP_COLUMNS} FROM groups ORDER BY id"))
                .fetch_all(&self.pool)
                .await
                .context("listing groups")?;
        Ok(rows.into_iter().map(group_from_row).collect())
    }

    /// Applies `changes`; the group as it now is, `None` if there is no such group.
    pub async fn update(
        &self,
        id: &str,
        changes: &GroupChanges,
    ) -> Result<Option<Group>, AadError> {
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let columns = [
            ("display_name", changes.display_name.clone().map(Some)),
            ("mail_nickname", changes.mail_nickname.clone().map(Some)),
            ("description", changes.description.clone()),
        ];
        for (column, value) in columns {
            if let Some(value) = value {
                sqlx::query(&format!("UPDATE groups SET {column} = ? WHERE id = ?"))
                    .bind(value)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .context("updating a group")?;
            }
        }
        tx.commit().await.context("committing a group update")?;
        self.get(id).await
    }

    /// Deletes a group (permanently, as Entra deletes security groups): its own members and
    /// owners go with it (cascade), and so do its memberships in other groups. `None` if there
    /// was no such group.
    pub async fn delete(&self, id: &str) -> Result<Option<()>, AadError> {
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let done = sqlx::query("DELETE FROM groups WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("deleting a group")?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        forget_principal(&mut tx, id).await?;
        tx.commit().await.context("committing a group deletion")?;
        crate::groups::membership_changed();
        Ok(Some(()))
    }

    /// Adds `reference` to a group's members or owners, unless it is there already.
    pub async fn add(
        &self,
        group_id: &str,
        relation: Relation,
        reference: &Reference,
    ) -> Result<Added, AadError> {
        let (table, id_column, type_column) = relation.table();
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let group: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM groups WHERE id = ?")
            .bind(group_id)
            .fetch_optional(&mut *tx)
            .await
            .context("reading a group")?;
        if group.is_none() {
            return Ok(Added::NoGroup);
        }
        let done = sqlx::query(&format!(
            "INSERT OR IGNORE INTO {table} (group_id, {id_column}, {type_column}) VALUES (?, ?, ?)"
        ))
        .bind(group_id)
        .bind(&reference.id)
        .bind(reference.kind.as_str())
        .execute(&mut *tx)
        .await
        .context("adding a group reference")?;
        if done.rows_affected() == 0 {
            return Ok(Added::AlreadyThere);
        }
        if relation == Relation::Members {
            bump_generation(&mut tx).await?;
        }
        tx.commit().await.context("committing a group reference")?;
        crate::groups::membership_changed();
        Ok(Added::Added)
    }

    /// Removes `object_id` from a group's members or owners; `None` if it was not there (or
    /// is a deleted user).
    pub async fn remove(
        &self,
        group_id: &str,
        relation: Relation,
        object_id: &str,
    ) -> Result<Option<()>, AadError> {
        let (table, id_column, _) = relation.table();
        let mut tx = crate::db::begin_write(&self.pool)
            .await
            .context("starting a transaction")?;
        let live = LIVE.replace("{id}", &format!("{table}.{id_column}"));
        let done = sqlx::query(&format!(
            "DELETE FROM {table} WHERE group_id = ? AND {id_column} = ? AND {live}"
        ))
        .bind(group_id)
        .bind(object_id)
        .execute(&mut *tx)
        .await
        .context("removing a group reference")?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        if relation == Relation::Members {
            bump_generation(&mut tx).await?;
        }
        tx.commit()
            .await
            .context("committing a group reference removal")?;
        crate::groups::membership_changed();
        Ok(Some(()))
    }

    /// A group's direct members or owners, ordered by id.
    pub async fn references(
        &self,
        group_id: &str,
        relation: Relation,
    ) -> Result<Vec<Reference>, AadError> {
        let (table, id_column, type_column) = relation.table();
        let live = LIVE.replace("{id}", &format!("r.{id_column}"));
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT r.{id_column}, r.{type_column} FROM {table} r \
             WHERE r.group_id = ? AND {live} ORDER BY r.{id_column}"
        ))
        .bind(group_id)
        .fetch_all(&self.pool)
        .await
        .context("listing a group's references")?;
        references(rows)
    }

    /// Every member of a group, directly or through nested groups, each once, ordered by id.
    pub async fn transitive_members(&self, group_id: &str) -> Result<Vec<Reference>, AadError> {
        let live = LIVE.replace("{id}", "down.id");
        let rows: Vec<(String, String)> = sqlx::query_as(&format!(
            "WITH RECURSIVE down(id, kind) AS ( \
               SELECT member_id, member_type FROM group_members WHERE group_id = ? \
               UNION \
               SELECT m.member_id, m.member_type FROM group_members m \
                 JOIN down ON m.group_id = down.id AND down.kind = 'group' \
             ) SELECT id, kind FROM down WHERE {live} ORDER BY id"
        ))
        .bind(group_id)
        .fetch_all(&self.pool)
        .await
        .context("listing a group's transitive members")?;
        references(rows)
    }

    /// The ids of the groups `member_id` is a direct member of, ordered by id.
    pub async fn direct_groups(&self, member_id: &str) -> Result<Vec<String>, AadError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT group_id FROM group_members WHERE member_id = ? ORDER BY group_id",
        )
        .bind(member_id)
        .fetch_all(&self.pool)
        .await
        .context("listing a principal's groups")?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The ids of every group `member_id` is in, directly or through nested groups, ordered by id.
    pub async fn transitive_groups(&self, member_id: &str) -> Result<Vec<String>, AadError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "WITH RECURSIVE up(id) AS ( \
               SELECT group_id FROM group_members WHERE member_id = ? \
               UNION \
               SELECT m.group_id FROM group_members m JOIN up ON m.member_id = up.id \
             ) SELECT id FROM up ORDER BY id",
        )
        .bind(member_id)
        .fetch_all(&self.pool)
        .await
        .context("listing a principal's transitive groups")?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The membership generation: it grows with every change to any group's membership.
    pub async fn generation(&self) -> Result<i64, AadError> {
        let (generation,): (i64,) =
            sqlx::query_as("SELECT generation FROM membership_generation WHERE id = 1")
                .fetch_one(&self.pool)
                .await
                .context("reading the membership generation")?;
        Ok(generation)
    }

    /// Sets the generation to at least `floor + 1` (after a snapshot restore replaced the table,
    /// so a number ARM cached under never comes back with other contents).
    pub async fn advance_generation_past(&self, floor: i64) -> Result<(), AadError> {
        sqlx::query(
            "UPDATE membership_generation SET generation = MAX(generation, ?) + 1 WHERE id = 1",
        )
        .bind(floor)
        .execute(&self.pool)
        .await
        .context("advancing the membership generation")?;
        Ok(())
    }
}

/// Counts one more membership change, in the transaction that makes it.
pub async fn bump_generation(tx: &mut Tx) -> Result<(), AadError> {
    sqlx::query("UPDATE membership_generation SET generation = generation + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await
        .context("counting a membership change")?;
    Ok(())
}

/// Removes a principal that is being deleted from every group's members and owners, in the
/// transaction that deletes it.
pub async fn forget_principal(tx: &mut Tx, id: &str) -> Result<(), AadError> {
    for sql in [
        "DELETE FROM group_members WHERE member_id = ?",
        "DELETE FROM group_owners WHERE owner_id = ?",
    ] {
        sqlx::query(sql)
            .bind(id)
            .execute(&mut **tx)
            .await
            .context("removing a deleted principal's memberships")?;
    }
    bump_generation(tx).await
}

fn references(rows: Vec<(String, String)>) -> Result<Vec<Reference>, AadError> {
    rows.into_iter()
        .map(|(id, kind)| {
            let kind = ObjectKind::parse(&kind)
                .with_context(|| format!("unknown member type '{kind}' in aad.db"))?;
            Ok(Reference { id, kind })
        })
        .collect()
}

fn group_from_row(row: GroupRow) -> Group {
    let (id, display_name, mail_nickname, description, security_enabled, mail_enabled, created) =
        row;
    Group {
        id,
        display_name,
        mail_nickname,
        description,
        security_enabled,
        mail_enabled,
        created_date_time: created,
    }
}
