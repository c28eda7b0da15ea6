//! The store: what the target cannot hold (SCIM ids and their links to target accounts,
//! externalId, tombstones, retired accounts, groups, memberships, the audit log, the
//! deletion-guard ledger and the intents of unfinished changes). SQLite through `sqlx`, with
//! embedded migrations and WAL; `sqlite::memory:` for the demo and tests.

mod audit;
mod batch;
mod groups;
mod ledger;
mod queued;
mod retired;
mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use audit::{AuditQuery, AuditRecord};
use batch::Batcher;
pub use groups::GroupRow;
pub use users::UserRow;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store at {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot migrate the store: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("store query failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error("corrupt row in the store: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
}

#[derive(Debug, Clone)]
pub struct Store {
    /// Every write goes through this one connection. Writers then queue in the pool, as
    /// futures, instead of inside SQLite, whose busy handler sleeps 1, 2, 5, 10 ms... between
    /// retries: with several writing connections a burst of grants spent most of its time there.
    writer: SqlitePool,
    /// Reads, several at once beside the writer (WAL). The same pool as `writer` in memory.
    reader: SqlitePool,
    /// Audit rows and applied roles, committed in batches on `writer`.
    batch: Batcher,
}

impl Store {
    /// Opens (creating if needed) and migrates the store at `url`, e.g.
    /// `sqlite://falcon-scim-bridge.db` or `sqlite::memory:`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            url: url.to_owned(),
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(open_err)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if url.contains(":memory:") {
            // An in-memory database lives in one connection, which must then do everything.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
                .map_err(open_err)?;
            sqlx::migrate!("./migrations").run(&pool).await?;
            return Ok(Self {
                batch: Batcher::start(pool.clone()),
                writer: pool.clone(),
                reader: pool,
            });
        }
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        let writer = file_pool(1)
            .connect_with(options.clone())
            .await
            .map_err(open_err)?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = file_pool(4).connect_with(options).await.map_err(open_err)?;
        Ok(Self {
            batch: Batcher::start(writer.clone()),
            writer,
            reader,
        })
    }

    /// Answers when the database does (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// Flushes the WAL into the main file and closes the connections (graceful shutdown).
    pub async fn close(&self) {
        self.reader.close().await;
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await;
        self.writer.close().await;
    }
}

fn file_pool(connections: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(connections)
        // A local file does not go away under us: a ping before each query would only double
        // the hand-offs to SQLite's worker threads.
        .test_before_acquire(false)
        .idle_timeout(Duration::from_secs(600))
        .max_lifetime(Duration::from_secs(3600))
}
