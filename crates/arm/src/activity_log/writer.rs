//! Group commit of the activity log: every write's events go to one task, which stores whatever
//! has queued up in one transaction — one durable commit for all the writes waiting, instead of
//! one each beside the write's own commit.
//!
//! A write still answers only once its events are committed ([`Writer::append`] waits for its
//! batch), so a 200/201 means the events are durable and an activity-log read that follows sees
//! them. Alone, a write's events commit at once (the task wakes on the first); under load, those
//! that arrive while a commit runs share the next one.

use tokio::sync::{mpsc, oneshot};

use super::store::{self, Batch};

/// The most writes one commit takes (a bound on the transaction, not a wait).
const MAX_BATCH: usize = 256;

/// One write's events and who waits for their commit.
struct Job {
    batch: Batch,
    done: oneshot::Sender<Result<(), String>>,
}

/// The handle of the task that commits the activity log.
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the task on `db`; it ends when the last handle is dropped.
    pub fn start(db: sqlx::SqlitePool, cap: i64) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(db, queue, cap));
        Self { jobs }
    }

    /// Stores `batch` and returns once it is committed (or has failed).
    pub async fn append(&self, batch: Batch) -> anyhow::Result<()> {
        let (done, committed) = oneshot::channel();
        self.jobs
            .send(Job { batch, done })
            .map_err(|_| anyhow::anyhow!("the activity log's writer has stopped"))?;
        committed
            .await
            .map_err(|_| anyhow::anyhow!("the activity log's writer stopped before committing"))?
            .map_err(anyhow::Error::msg)
    }
}

async fn run(db: sqlx::SqlitePool, mut queue: mpsc::UnboundedReceiver<Job>, cap: i64) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (batches, waiting): (Vec<Batch>, Vec<_>) =
            jobs.into_iter().map(|job| (job.batch, job.done)).unzip();
        let outcome = store::append_all(&db, &batches, cap)
            .await
            .map_err(|error| format!("{error:#}"));
        for done in waiting {
            let _ = done.send(outcome.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity_log::store::tests::{db, event};

    #[tokio::test]
    async fn concurrent_writes_each_return_once_their_events_are_stored() {
        let (_dir, db) = db().await;
        let writer = Writer::start(db.clone(), 1_000);
        let writes = (0..40).map(|n| {
            let (writer, db) = (writer.clone(), db.clone());
            async move {
                writer
                    .append(Batch {
                        subscription_id: "s".into(),
                        events: vec![(n, event("g", "a")), (n, event("g", "a"))],
                        oldest_kept: 0,
                    })
                    .await
                    .unwrap();
                // Committed by the time it returns: the rows are there to read.
                store::count(&db).await.unwrap()
            }
        });
        let seen = futures::future::join_all(writes).await;

        assert!(seen.iter().all(|&rows| rows >= 2), "{seen:?}");
        assert_eq!(store::count(&db).await.unwrap(), 80);
    }

    #[tokio::test]
    async fn a_failed_commit_is_every_waiting_writes_error() {
        let (_dir, db) = db().await;
        sqlx::query("DROP TABLE activity_log")
            .execute(&db)
            .await
            .unwrap();
        let writer = Writer::start(db, 1_000);
        let failed = writer
            .append(Batch {
                subscription_id: "s".into(),
                events: vec![(1, event("g", "a"))],
                oldest_kept: 0,
            })
            .await;
        assert!(failed.is_err());
    }
}
