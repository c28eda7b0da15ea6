//! Group commit for the store's small writes: user rows, audit rows, applied roles, intents.
//!
//! A 200-member group push makes 200 grants, each followed by an audit row and an update of
//! the user's applied roles. Committed one by one, those writes cost more than everything else
//! the bridge does for a grant (each commit appends WAL frames and takes the WAL locks). Here
//! one task takes whatever writes are queued, commits them in one transaction, and only then
//! answers each caller: a caller still returns after its write is committed, as before, but a
//! burst pays for one commit instead of one each. Multi-statement changes that read what they
//! change (memberships, group deletion) keep their own transactions on the writer connection.

use sqlx::{Any, AnyPool, Executor};
use tokio::sync::{mpsc, oneshot};

use super::{AuditRecord, Engine, StoreError, UserRow, audit, groups, ledger, users};

/// Most writes committed together; bounds a transaction's size and the wait of its last caller.
const MAX_BATCH: usize = 256;
/// Writes waiting for the task before callers wait to queue (backpressure).
const QUEUE: usize = 4096;

/// One write the batcher knows how to make; the SQL lives with its table's module.
#[derive(Debug)]
pub(super) enum Write {
    SaveUser(UserRow),
    DeleteUser(String),
    Audit(AuditRecord),
    /// The user's applied roles, already encoded as the column stores them.
    AppliedRoles {
        user_id: String,
        roles: String,
    },
    SaveIntent {
        user_id: String,
        intent: String,
        at: String,
    },
    ClearIntent(String),
}

/// Answers a caller with the rows its write affected.
type Ack = oneshot::Sender<Result<u64, StoreError>>;

/// The handle callers queue writes through; cheap to clone, like the pool.
#[derive(Debug, Clone)]
pub(super) struct Batcher {
    queue: mpsc::Sender<(Write, Ack)>,
}

impl Batcher {
    /// Starts the task that owns the commits; it ends when the last handle is dropped.
    pub(super) fn start(writer: AnyPool, engine: Engine) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(writer, engine, rx));
        Self { queue }
    }

    /// Queues `write` and waits until it is committed (or has failed on its own); returns the
    /// rows it affected.
    pub(super) async fn write(&self, write: Write) -> Result<u64, StoreError> {
        let (ack, done) = oneshot::channel();
        self.queue
            .send((write, ack))
            .await
            .map_err(|_| StoreError::Closed)?;
        done.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(pool: AnyPool, engine: Engine, mut rx: mpsc::Receiver<(Write, Ack)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if let [(write, _)] = batch.as_slice() {
            // Alone, it commits by itself: a transaction around it would only add round trips.
            let result = apply(&pool, write).await.map_err(StoreError::from);
            if let Some((_, ack)) = batch.pop() {
                let _ = ack.send(result);
            }
            continue;
        }
        match commit_all(&pool, engine, &batch).await {
            Ok(affected) => {
                for ((_, ack), rows) in batch.drain(..).zip(affected) {
                    let _ = ack.send(Ok(rows));
                }
            }
            // One bad write must not fail its neighbours: make each on its own, so that each
            // caller gets the outcome of its own write.
            Err(_) => {
                for (write, ack) in batch.drain(..) {
                    let _ = ack.send(apply(&pool, &write).await.map_err(StoreError::from));
                }
            }
        }
    }
}

async fn commit_all(
    pool: &AnyPool,
    engine: Engine,
    batch: &[(Write, Ack)],
) -> Result<Vec<u64>, sqlx::Error> {
    let mut tx = pool.begin_with(engine.begin_writing()).await?;
    let mut affected = Vec::with_capacity(batch.len());
    for (write, _) in batch {
        affected.push(apply(&mut *tx, write).await?);
    }
    tx.commit().await?;
    Ok(affected)
}

async fn apply<'e>(
    executor: impl Executor<'e, Database = Any>,
    write: &Write,
) -> Result<u64, sqlx::Error> {
    match write {
        Write::SaveUser(user) => users::upsert(executor, user).await,
        Write::DeleteUser(id) => users::delete(executor, id).await,
        Write::Audit(record) => audit::insert(executor, record).await,
        Write::AppliedRoles { user_id, roles } => {
            groups::update_applied_roles(executor, user_id, roles).await
        }
        Write::SaveIntent {
            user_id,
            intent,
            at,
        } => ledger::upsert_intent(executor, user_id, intent, at).await,
        Write::ClearIntent(user_id) => ledger::delete_intent(executor, user_id).await,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use chrono::Utc;

    use crate::store::{AuditQuery, AuditRecord, Store};

    fn record(login: &str) -> AuditRecord {
        AuditRecord {
            at: Utc::now(),
            operation: "grant".into(),
            login: login.into(),
            account_id: None,
            roles: vec!["falcon_analyst".into()],
            outcome: "ok".into(),
            detail: None,
            trace_id: None,
            method: None,
            path: None,
            credential: None,
            request_id: None,
        }
    }

    async fn file_store() -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("fsb-batch-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("bridge.db").display());
        (Store::open(&url).await.unwrap(), dir)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_are_all_committed_before_they_return() {
        let (store, dir) = file_store().await;
        let writers: Vec<_> = (0..300)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store.append_audit(&record(&format!("u{i}@x.com"))).await?;
                    // Returned means committed: a reader connection sees it at once.
                    let seen = store
                        .audit(&AuditQuery {
                            login: Some(format!("u{i}@x.com")),
                            ..AuditQuery::default()
                        })
                        .await?;
                    Ok::<_, crate::store::StoreError>(seen.len())
                })
            })
            .collect();
        for writer in writers {
            assert_eq!(writer.await.unwrap().unwrap(), 1);
        }
        let all = store.audit(&AuditQuery::default()).await.unwrap();
        assert_eq!(all.len(), 300);
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_fails_alone() {
        let (store, dir) = file_store().await;
        sqlx::query(
            "CREATE TRIGGER refuse_bad BEFORE INSERT ON audit WHEN NEW.login = 'bad' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        let writers: Vec<_> = ["bad"]
            .into_iter()
            .chain(std::iter::repeat_n("good", 100))
            .map(|login| {
                let store = store.clone();
                tokio::spawn(async move { (login, store.append_audit(&record(login)).await) })
            })
            .collect();
        let mut good = 0;
        for writer in writers {
            match writer.await.unwrap() {
                ("bad", result) => assert!(result.is_err(), "the refused write reports it"),
                (_, result) => {
                    result.unwrap();
                    good += 1;
                }
            }
        }
        assert_eq!(good, 100);
        let all = store.audit(&AuditQuery::default()).await.unwrap();
        assert_eq!(all.len(), 100);
        assert!(all.iter().all(|r| r.login == "good"));
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
