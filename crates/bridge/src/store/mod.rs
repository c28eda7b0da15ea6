//! The store: what the target cannot hold (SCIM ids and their links to target accounts,
//! externalId, tombstones, retired accounts, groups, memberships, the audit log, the
//! deletion-guard ledger, the intents of unfinished changes and the leases of jobs that run on
//! one replica at a time). SQLite (a file with WAL, or `sqlite::memory:` for the demo and
//! tests) or PostgreSQL, through `sqlx`'s `Any` driver, with embedded migrations per engine
//! (`migrations/`, `migrations-postgres/`) that mean the same.

mod audit;
mod batch;
mod changes;
mod copy;
mod groups;
mod leases;
mod ledger;
mod queued;
mod replica_locks;
mod retired;
mod role_reads;
mod users;

use std::sync::{Arc, Once};
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

pub use audit::{AuditQuery, AuditRecord};
use batch::Batcher;
pub use changes::Changed;
pub use copy::{CopyError, copy_store};
pub use groups::GroupRow;
pub use ledger::Admission;
use replica_locks::LockSession;
pub use replica_locks::ReplicaLock;
use role_reads::RoleReads;
pub use users::UserRow;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `url` without its password ([`redacted`]).
    #[error("cannot open the store at {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error(
        "the store URL '{0}' names no engine the bridge knows: use sqlite://FILE, sqlite::memory: or postgres://…"
    )]
    Engine(String),
    #[error("cannot migrate the store: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("store query failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error("corrupt row in the store: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
    #[error("'{0}' cannot name a tenant's store: use [a-z0-9-]")]
    Tenant(String),
    /// Another replica held the lock `name` for longer than the bridge waits.
    #[error("another replica has been working on {name} for more than {}s", waited.as_secs())]
    Contended { name: String, waited: Duration },
}

impl StoreError {
    /// Whether the database could not be reached (down, restarting, the network, no free
    /// connection in time), as opposed to refusing a statement: the same request succeeds once
    /// it is back.
    pub fn is_unreachable(&self) -> bool {
        let StoreError::Query(e) = self else {
            return matches!(self, StoreError::Open { .. } | StoreError::Closed);
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            // PostgreSQL's connection exceptions (08…) and shutdowns (57P01-57P03).
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")),
            _ => false,
        }
    }
}

/// The database behind the store. The SQL is written once, with `$1`-style parameters both
/// understand; where the dialects differ (JSON functions, how a writing transaction begins),
/// the engine picks its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// One replica: a file (WAL) or memory.
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }

    /// How a transaction that reads and then writes begins. SQLite's default (deferred) one
    /// fails at once with SQLITE_BUSY when another connection wrote in between, which
    /// busy_timeout cannot help; IMMEDIATE takes the write lock first.
    fn begin_writing(self) -> &'static str {
        match self {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        }
    }

    /// A subquery whose column `id` lists the strings of the JSON array bound as parameter
    /// `$n`: many ids in one parameter, so that a statement's text (and its cached
    /// preparation) does not depend on how many there are.
    fn listed(self, n: u8) -> String {
        match self {
            Engine::Sqlite => format!("SELECT value AS id FROM json_each(${n})"),
            Engine::Postgres => format!("SELECT json_array_elements_text(${n}::json) AS id"),
        }
    }
}

/// `ids` as the JSON array [`Engine::listed`] reads.
fn json_list(ids: &[impl AsRef<str>]) -> String {
    let ids: Vec<&str> = ids.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
}

#[derive(Debug, Clone)]
pub struct Store {
    engine: Engine,
    /// SQLite: every write goes through this one connection. Writers then queue in the pool,
    /// as futures, instead of inside SQLite, whose busy handler sleeps 1, 2, 5, 10 ms...
    /// between retries: with several writing connections a burst of grants spent most of its
    /// time there. PostgreSQL: the same pool as `reader`.
    writer: AnyPool,
    /// Reads, several at once beside the writer (WAL). The same pool as `writer` in memory.
    reader: AnyPool,
    /// Audit rows and applied roles, committed in batches on `writer`.
    batch: Batcher,
    /// Role syncs' reads, answered in batches from `reader`.
    role_reads: RoleReads,
    /// PostgreSQL: the session that holds this replica's locks across replicas.
    replica_locks: Option<Arc<LockSession>>,
    /// The tenant whose store this is, when the bridge serves several: prefixes the names of
    /// the locks across replicas, which share the database's lock space with the other tenants.
    tenant: Option<String>,
}

/// The PostgreSQL schema of a tenant's tables: tenant names are `[a-z0-9-]`, so mapping `-` to
/// `_` is one-to-one and needs no quoting.
pub fn tenant_schema(tenant: &str) -> String {
    format!("tenant_{}", tenant.replace('-', "_"))
}

/// The SQLite file of a tenant's store beside the configured one:
/// `sqlite:///data/falcon-scim-bridge.db` becomes `sqlite:///data/falcon-scim-bridge.acme.db`
/// for the tenant `acme`. In memory, every store is its own database already.
pub fn tenant_sqlite_url(url: &str, tenant: &str) -> String {
    if url.contains(":memory:") {
        return url.to_owned();
    }
    let (path, query) = match url.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (url, None),
    };
    let name_starts = path.rfind('/').map_or(0, |i| i + 1);
    let tenanted = match path[name_starts..].rfind('.') {
        Some(dot) if dot > 0 => {
            let dot = name_starts + dot;
            format!("{}.{tenant}{}", &path[..dot], &path[dot..])
        }
        _ => format!("{path}.{tenant}"),
    };
    match query {
        Some(query) => format!("{tenanted}?{query}"),
        None => tenanted,
    }
}

/// How long [`Store::ping`] waits for an answer.
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections to PostgreSQL per replica unless configured.
pub const DEFAULT_POSTGRES_POOL: u32 = 10;

impl Store {
    /// Opens (creating if needed) and migrates the store at `url`: `sqlite://FILE`,
    /// `sqlite::memory:` or `postgres://…` (with [`DEFAULT_POSTGRES_POOL`] connections).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, DEFAULT_POSTGRES_POOL).await
    }

    /// [`Store::open`] with `pool` connections to PostgreSQL (SQLite ignores it).
    pub async fn open_with(url: &str, pool: u32) -> Result<Self, StoreError> {
        Self::open_for(url, pool, None).await
    }

    /// The store of one tenant of several. Its rows are apart from every other tenant's: on
    /// SQLite in a file of its own ([`tenant_sqlite_url`]), on PostgreSQL in a schema of its own
    /// ([`tenant_schema`]) that every connection of its pool is confined to, with its own
    /// migrations and change log. `None`: the store of a bridge without tenants, unchanged.
    pub async fn open_for(url: &str, pool: u32, tenant: Option<&str>) -> Result<Self, StoreError> {
        // The name becomes part of a file name and of SQL (the schema): only what cannot
        // escape either.
        if let Some(bad) = tenant.filter(|t| {
            t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }) {
            return Err(StoreError::Tenant(bad.to_owned()));
        }
        let mut store = match (Engine::of(url), tenant) {
            (Some(Engine::Sqlite), Some(tenant)) => {
                Self::open_at(&tenant_sqlite_url(url, tenant), pool, None).await?
            }
            (_, tenant) => Self::open_at(url, pool, tenant.map(tenant_schema)).await?,
        };
        store.tenant = tenant.map(str::to_owned);
        Ok(store)
    }

    async fn open_at(url: &str, pool: u32, schema: Option<String>) -> Result<Self, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(install_default_drivers);
        let open_err = |source| StoreError::Open {
            url: redacted(url),
            source,
        };
        let engine = Engine::of(url).ok_or_else(|| StoreError::Engine(redacted(url)))?;
        if engine == Engine::Postgres {
            let mut options = AnyPoolOptions::new()
                .max_connections(pool.max(1))
                .acquire_timeout(Duration::from_secs(5));
            if let Some(schema) = schema {
                create_schema(url, &schema).await.map_err(open_err)?;
                // Unqualified names (tables, the change log's trigger function, sqlx's own
                // migrations table) then resolve in the tenant's schema only.
                options = options.after_connect(move |conn, _| {
                    let set = format!("SET search_path TO {schema}");
                    Box::pin(async move { conn.execute(set.as_str()).await.map(|_| ()) })
                });
            }
            let pool = options.connect(url).await.map_err(open_err)?;
            // sqlx holds an advisory lock while it migrates: replicas starting together wait.
            sqlx::migrate!("./migrations-postgres").run(&pool).await?;
            return Ok(Self {
                engine,
                batch: Batcher::start(pool.clone(), engine),
                role_reads: RoleReads::start(pool.clone(), engine),
                writer: pool.clone(),
                reader: pool,
                replica_locks: Some(LockSession::new(url)),
                tenant: None,
            });
        }
        if url.contains(":memory:") {
            // An in-memory database lives in one connection, which must then do everything.
            let pool = sqlite_pool(1, false)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect(url)
                .await
                .map_err(open_err)?;
            sqlx::migrate!("./migrations").run(&pool).await?;
            return Ok(Self {
                engine,
                batch: Batcher::start(pool.clone(), engine),
                role_reads: RoleReads::start(pool.clone(), engine),
                writer: pool.clone(),
                reader: pool,
                replica_locks: None,
                tenant: None,
            });
        }
        let url = creating(url);
        let writer = sqlite_pool(1, true).connect(&url).await.map_err(open_err)?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let reader = sqlite_pool(4, true).connect(&url).await.map_err(open_err)?;
        Ok(Self {
            engine,
            batch: Batcher::start(writer.clone(), engine),
            role_reads: RoleReads::start(reader.clone(), engine),
            writer,
            reader,
            replica_locks: None,
            tenant: None,
        })
    }

    /// Takes the lock `name` across the replicas sharing this store, waiting at most `bound`
    /// for another replica to release it. `None` with SQLite, which serves one replica.
    pub async fn lock_across_replicas(
        &self,
        name: &str,
        bound: Duration,
    ) -> Result<Option<ReplicaLock>, StoreError> {
        let Some(session) = &self.replica_locks else {
            return Ok(None);
        };
        match &self.tenant {
            Some(tenant) => session.take(&format!("{tenant}/{name}"), bound).await,
            None => session.take(name, bound).await,
        }
        .map(Some)
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Answers when the database does, within [`PING_TIMEOUT`] (readiness, and the check
    /// before a change): while PostgreSQL is down, the pool would keep trying to connect for
    /// its whole acquire timeout.
    pub async fn ping(&self) -> Result<(), StoreError> {
        tokio::time::timeout(PING_TIMEOUT, sqlx::query("SELECT 1").execute(&self.reader))
            .await
            .map_err(|_| StoreError::Query(sqlx::Error::PoolTimedOut))??;
        Ok(())
    }

    /// Closes the connections (graceful shutdown); SQLite first flushes the WAL into the main
    /// file.
    pub async fn close(&self) {
        self.reader.close().await;
        if self.engine == Engine::Sqlite {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.writer)
                .await;
        }
        self.writer.close().await;
    }
}

/// Creates the schema of a tenant unless it exists. Replicas starting together may race to
/// create it: the loser's duplicate is no error.
async fn create_schema(url: &str, schema: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let created = conn
        .execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
        .await;
    let _ = conn.close().await;
    match created {
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("23505" | "42P06")) => {
            Ok(())
        }
        other => other.map(|_| ()),
    }
}

/// `url` with the password of its user info replaced by `***`: fit for logs and errors.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{path}")
        }
        _ => url.to_owned(),
    }
}

/// A file URL that creates the file when it is missing (sqlx's own default is not to).
fn creating(url: &str) -> String {
    if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// A pool of SQLite connections set up as the store needs them: foreign keys enforced, a
/// 5 s busy timeout and, for a file, WAL with NORMAL synchronisation (durable at each
/// checkpoint, and a commit costs no fsync).
fn sqlite_pool(connections: u32, file: bool) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        // A local file does not go away under us: a ping before each query would only double
        // the hand-offs to SQLite's worker threads.
        .test_before_acquire(false)
        .idle_timeout(Duration::from_secs(600))
        .max_lifetime(Duration::from_secs(3600))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
                    .await?;
                if file {
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
                        .await?;
                }
                Ok(())
            })
        })
}

/// The store the scenarios of the tables' tests run on: in memory, or the database the
/// PostgreSQL run (below) names for the scenario at hand.
#[cfg(test)]
pub(crate) mod testing {
    use super::Store;

    tokio::task_local! {
        pub(crate) static URL: String;
    }

    pub(crate) async fn store() -> Store {
        let url = URL
            .try_with(Clone::clone)
            .unwrap_or_else(|_| "sqlite::memory:".to_owned());
        Store::open(&url).await.expect("the test store opens")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scenario of the tables' tests, each on a fresh database of one throwaway server.
    #[tokio::test]
    async fn every_store_scenario_holds_on_postgres() {
        let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
            return;
        };
        macro_rules! scenarios {
            ($($module:ident :: $name:ident),* $(,)?) => {
                $(
                    let url = server.fresh_database().await.expect("a fresh database");
                    testing::URL.scope(url, $module::tests::$name()).await;
                )*
            };
        }
        scenarios!(
            users::saves_reads_updates_and_deletes,
            users::user_names_are_unique_case_insensitively,
            groups::membership_changes_report_who_changed,
            groups::an_unanswered_group_is_kept_until_answered_or_deleted,
            groups::desired_roles_are_the_union_of_the_groups,
            groups::roles_of_reads_desired_and_applied_together,
            groups::applied_roles_round_trip_and_survive_user_saves,
            role_reads::reads_made_at_once_get_each_their_own_user,
            role_reads::a_row_that_cannot_be_read_fails_only_its_reader,
            ledger::the_ledger_counts_a_window_and_forgets_cancelled_reservations,
            ledger::intents_are_replaced_and_cleared,
            retired::retiring_forgets_the_user_and_remembers_the_account,
            audit::records_read_back_filtered_by_time_and_login,
            leases::a_lease_has_one_holder_until_it_expires,
            replica_locks::a_lock_is_held_by_one_replica_at_a_time,
            changes::every_write_is_in_the_change_log,
        );
        let url = server.fresh_database().await.expect("a fresh database");
        users::tests::tenants_see_only_their_own_rows(&url).await;
        let url = server.fresh_database().await.expect("a fresh database");
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.engine(), Engine::Postgres);
        store.ping().await.unwrap();
        store.close().await;
        // Opening again runs no migration twice.
        Store::open(&url).await.unwrap().close().await;
    }

    #[tokio::test]
    async fn a_file_store_runs_in_wal_with_foreign_keys_enforced() {
        let dir = std::env::temp_dir().join(format!("fsb-engine-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("bridge.db").display());
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.engine(), Engine::Sqlite);
        for pool in [&store.reader, &store.writer] {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            let keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(keys, 1);
        }
        store.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_tenant_store_is_named_after_the_tenant() {
        assert_eq!(
            tenant_sqlite_url("sqlite:///data/falcon-scim-bridge.db", "acme"),
            "sqlite:///data/falcon-scim-bridge.acme.db"
        );
        assert_eq!(
            tenant_sqlite_url("sqlite://store.v2/bridge?mode=rwc", "a-1"),
            "sqlite://store.v2/bridge.a-1?mode=rwc"
        );
        assert_eq!(
            tenant_sqlite_url("sqlite::memory:", "acme"),
            "sqlite::memory:"
        );
        assert_eq!(tenant_schema("globex-eu"), "tenant_globex_eu");
    }

    #[tokio::test]
    async fn a_tenant_name_that_could_escape_its_schema_or_file_is_refused() {
        for bad in ["acme; DROP SCHEMA public", "../acme", "Acme", ""] {
            let refused = Store::open_for("sqlite::memory:", 1, Some(bad)).await;
            assert!(matches!(refused, Err(StoreError::Tenant(_))), "{bad}");
        }
    }

    #[test]
    fn passwords_never_leave_the_url() {
        assert_eq!(
            redacted("postgres://bridge:s3cr%40t@db.internal:5432/scim?sslmode=require"),
            "postgres://bridge:***@db.internal:5432/scim?sslmode=require"
        );
        assert_eq!(
            redacted("postgres://bridge@db/scim"),
            "postgres://bridge@db/scim"
        );
        assert_eq!(redacted("sqlite:///data/b.db"), "sqlite:///data/b.db");
        assert_eq!(redacted("sqlite::memory:"), "sqlite::memory:");
    }

    #[tokio::test]
    async fn an_unknown_engine_is_named() {
        let err = Store::open("mysql://x").await.unwrap_err();
        assert!(err.to_string().contains("names no engine"), "{err}");
    }
}
