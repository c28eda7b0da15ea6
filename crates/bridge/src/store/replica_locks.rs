//! Locks across replicas: two IdP requests about one identity that land on different replicas
//! wait for each other, as they do inside one process (`locks.rs`).
//!
//! PostgreSQL only (SQLite serves one replica, whose in-process locks suffice). Each replica
//! keeps one session for its locks and takes them with `pg_try_advisory_lock`: the in-process
//! lock is taken first, so this session never holds a lock twice for two tasks, and it never
//! blocks while another replica holds one (the wait is a poll, bounded). Holding a lock costs no
//! connection from the store's pool, however many identities a request touches. A replica that
//! dies closes its session, which releases its locks.

use std::sync::Arc;
use std::time::Duration;

use sqlx::{AnyConnection, Connection};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::StoreError;

/// The first key of every lock of this kind (`pg_advisory_lock(int4, int4)`), so that they
/// never meet another application's locks, nor the deletion guard's single-key one.
const NAMESPACE: i32 = 0x5343_494d; // "SCIM"

/// How long a connect or a statement of the lock session may take.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub(super) struct LockSession {
    url: String,
    conn: Mutex<Option<AnyConnection>>,
}

/// A lock held across replicas until dropped.
#[derive(Debug)]
pub struct ReplicaLock {
    session: Arc<LockSession>,
    name: String,
}

impl Drop for ReplicaLock {
    fn drop(&mut self) {
        let (session, name) = (self.session.clone(), std::mem::take(&mut self.name));
        // Outside a runtime (a panic unwinding at shutdown) the session closes with the
        // process, which releases the lock.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { session.release(&name).await });
        }
    }
}

impl LockSession {
    pub(super) fn new(url: &str) -> Arc<Self> {
        Arc::new(Self {
            url: url.to_owned(),
            conn: Mutex::new(None),
        })
    }

    /// Takes the lock `name`, waiting at most `bound` for another replica to release it:
    /// `Contended` when it did not.
    pub(super) async fn take(
        self: &Arc<Self>,
        name: &str,
        bound: Duration,
    ) -> Result<ReplicaLock, StoreError> {
        let deadline = Instant::now() + bound;
        let mut pause = Duration::from_millis(5);
        loop {
            if self.try_take(name).await? {
                return Ok(ReplicaLock {
                    session: self.clone(),
                    name: name.to_owned(),
                });
            }
            if Instant::now() + pause > deadline {
                return Err(StoreError::Contended {
                    name: name.to_owned(),
                    waited: bound,
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    async fn try_take(&self, name: &str) -> Result<bool, StoreError> {
        let sql = format!("SELECT pg_try_advisory_lock({NAMESPACE}, hashtext($1))");
        self.run(name, &sql).await
    }

    async fn release(&self, name: &str) {
        let sql = format!("SELECT pg_advisory_unlock({NAMESPACE}, hashtext($1))");
        if let Err(e) = self.run(name, &sql).await {
            // The session was dropped with the error, and with it every lock it held.
            tracing::warn!(lock = name, error = %e, "could not release a lock across replicas; its session was closed");
        }
    }

    /// Runs `sql` (one boolean answer, `name` as `$1`) on the session, connecting first when
    /// needed. A session that fails is dropped: PostgreSQL releases what it held (its holders are
    /// then in requests whose writes to the same server fail too). One that had been open is
    /// replaced once at once, since after a restart of the server the old session is simply
    /// gone and the new one works.
    async fn run(&self, name: &str, sql: &str) -> Result<bool, StoreError> {
        let mut slot = self.conn.lock().await;
        let reused = slot.is_some();
        let answer = match self.run_on(&mut slot, name, sql).await {
            Err(_) if reused => self.run_on(&mut slot, name, sql).await,
            answer => answer,
        };
        Ok(answer?)
    }

    async fn run_on(
        &self,
        slot: &mut Option<AnyConnection>,
        name: &str,
        sql: &str,
    ) -> Result<bool, sqlx::Error> {
        let answer = tokio::time::timeout(STATEMENT_TIMEOUT, async {
            if slot.is_none() {
                *slot = Some(AnyConnection::connect(&self.url).await?);
            }
            let conn = slot.as_mut().expect("connected above");
            sqlx::query_scalar::<_, bool>(sql)
                .bind(name)
                .fetch_one(conn)
                .await
        })
        .await
        .unwrap_or(Err(sqlx::Error::PoolTimedOut));
        if answer.is_err() {
            *slot = None;
        }
        answer
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::time::Duration;

    use crate::store::{Engine, StoreError, testing};

    #[tokio::test]
    async fn sqlite_needs_no_lock_across_replicas() {
        a_lock_is_held_by_one_replica_at_a_time().await;
    }

    pub(crate) async fn a_lock_is_held_by_one_replica_at_a_time() {
        let (a, b) = (testing::store().await, testing::store().await);
        let wait = Duration::from_secs(5);
        let Some(held) = a.lock_across_replicas("user:x", wait).await.unwrap() else {
            assert_eq!(
                a.engine(),
                Engine::Sqlite,
                "one replica: its own locks suffice"
            );
            return;
        };
        let refused = b
            .lock_across_replicas("user:x", Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, StoreError::Contended { name, .. } if name == "user:x"),
            "{refused}"
        );
        let other = b.lock_across_replicas("user:y", wait).await.unwrap();
        assert!(other.is_some(), "another identity is free");
        drop(held);
        let taken = b.lock_across_replicas("user:x", wait).await.unwrap();
        assert!(taken.is_some(), "released: the other replica takes it");

        // A replica that dies (its session ends) leaves nothing locked.
        std::mem::forget(taken);
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_locks \
             WHERE locktype = 'advisory' AND pid <> pg_backend_pid()",
        )
        .execute(&a.writer)
        .await
        .unwrap();
        assert!(
            a.lock_across_replicas("user:x", wait)
                .await
                .unwrap()
                .is_some()
        );
        // The survivor's session broke with it: its next lock opens a new one.
        let again = b.lock_across_replicas("user:z", wait).await.unwrap();
        assert!(again.is_some());
    }
}
