//! Read-your-writes across replicas: each replica serves reads from memory (the directory and
//! the group index), so before it answers a request it applies what the other replicas wrote
//! since it last looked, from the store's change log (PostgreSQL; `store/changes.rs`). An IdP
//! whose POST landed on one replica then finds the user on the other at once, and a membership
//! changed on one shows on the other.
//!
//! A change is applied by reading the row as it is now, so applying it twice, or after a later
//! change, does no harm; this replica's own writes come back too and change nothing. A replica
//! that could not look for longer than the log is kept reloads everything instead.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use target_api::Target;

use crate::Bridge;
use crate::directory::Entry;
use crate::error::BridgeError;
use crate::ids::UserId;
use crate::resources;
use crate::store::{Changed, Engine, PING_TIMEOUT, StoreError};

/// How long the change log keeps a row; any replica reads it within seconds.
pub const CHANGES_KEPT: Duration = Duration::from_secs(3600);

/// Where a replica is in the change log.
#[derive(Debug)]
pub(crate) struct Cursor {
    seq: i64,
    /// When the last read of the log began (what was committed before is applied); after
    /// [`CHANGES_KEPT`] without one, rows may be gone unread.
    read_at: Instant,
}

impl Cursor {
    pub(crate) fn at(seq: i64) -> Self {
        Self {
            seq,
            read_at: Instant::now(),
        }
    }
}

impl<T: Target> Bridge<T> {
    /// Applies the other replicas' writes this replica has not seen (nothing to do on SQLite).
    pub async fn catch_up(&self) -> Result<(), BridgeError> {
        if self.store.engine() != Engine::Postgres {
            return Ok(());
        }
        let arrived = Instant::now();
        let mut cursor = self.changes_seen.lock().await;
        if cursor.read_at >= arrived {
            // A read that began after this request arrived has just been applied.
            return Ok(());
        }
        if cursor.read_at.elapsed() > CHANGES_KEPT / 2 {
            tracing::warn!("the change log was not read for a long time; reloading the store");
            let started = Instant::now();
            let seq = self.store.last_change().await?;
            self.reload_users().await?;
            self.load_groups().await?;
            *cursor = Cursor {
                seq,
                read_at: started,
            };
            return Ok(());
        }
        let started = Instant::now();
        let (changes, last) =
            tokio::time::timeout(PING_TIMEOUT, self.store.changes_since(cursor.seq))
                .await
                .map_err(|_| StoreError::Query(sqlx::Error::PoolTimedOut))??;
        let mut users = BTreeSet::new();
        let mut retired = BTreeSet::new();
        let mut groups = false;
        for change in changes {
            match change {
                Changed::User(id) => {
                    users.insert(id);
                }
                Changed::Groups => groups = true,
                Changed::Retired(account) => {
                    retired.insert(account);
                }
            }
        }
        for id in users {
            self.reload_user(&id).await?;
        }
        for account in retired {
            let is_retired = self.store.is_retired(&account).await?;
            let mut directory = self.write_directory();
            if is_retired {
                directory.retire(&account);
            } else {
                directory.unretire(&account);
            }
        }
        // After the users: a user's `groups` are set on its directory entry.
        if groups {
            self.load_groups().await?;
        }
        *cursor = Cursor {
            seq: last,
            read_at: started,
        };
        Ok(())
    }

    /// [`Self::catch_up`] before a read. While the store cannot be reached no replica can write
    /// either, so what this one has in memory is served (and the failure logged).
    pub(crate) async fn catch_up_to_read(&self) {
        if let Err(e) = self.catch_up().await {
            tracing::warn!(error = %e, "cannot read the other replicas' writes; answering from memory");
        }
    }

    /// Drops the change log's rows older than [`CHANGES_KEPT`].
    pub async fn forget_old_changes(&self) -> Result<u64, BridgeError> {
        let before = chrono::Utc::now().timestamp() - CHANGES_KEPT.as_secs() as i64;
        Ok(self.store.forget_changes_before(before).await?)
    }

    /// The user `id` as the store has it now, or gone.
    async fn reload_user(&self, id: &str) -> Result<(), BridgeError> {
        let Ok(user_id) = UserId::parse(id) else {
            return Ok(());
        };
        let row = self.store.user(id).await?;
        let mut directory = self.write_directory();
        match row {
            Some(row) => {
                let groups = directory
                    .get(&user_id)
                    .map(|e| e.resource.groups.clone())
                    .unwrap_or_default();
                let mut resource = resources::resource_from_row(&row);
                resource.groups = groups;
                directory.upsert(Entry {
                    resource,
                    link: resources::link_from_row(&row),
                    managed: true,
                });
            }
            None => {
                directory.remove(&user_id);
            }
        }
        Ok(())
    }

    /// Every stored user and retired account, as at start-up; users no longer stored go.
    async fn reload_users(&self) -> Result<(), BridgeError> {
        let rows = self.store.all_users().await?;
        let retired = self.store.retired_accounts().await?;
        let stored: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let mut directory = self.write_directory();
        for gone in directory.managed_ids() {
            if !stored.contains(gone.as_str()) {
                directory.remove(&gone);
            }
        }
        for row in &rows {
            directory.upsert(Entry {
                resource: resources::resource_from_row(row),
                link: resources::link_from_row(row),
                managed: true,
            });
        }
        for account in retired {
            directory.retire(&account);
        }
        Ok(())
    }
}
