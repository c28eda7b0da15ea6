//! Read-your-writes across replicas: each replica serves reads from memory (the directory and
//! the group index), so before it answers a request it applies what the other replicas wrote
//! since it last looked, from the store's change log (PostgreSQL; `store/changes.rs`). An IdP
//! whose POST landed on one replica then finds the user on the other at once, and a membership
//! changed on one shows on the other.
//!
//! A change is applied by reading the row as it is now, so applying it twice, or after a later
//! change, does no harm; this replica's own writes come back too and change nothing. A replica
//! that could not look for longer than the log is kept reloads everything instead.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use target_api::Target;

use crate::Bridge;
use crate::directory::Entry;
use crate::error::BridgeError;
use crate::ids::UserId;
use crate::resources;
use crate::store::{Changed, Engine, PING_TIMEOUT, StoreError};
use crate::telemetry as names;

/// How long the change log keeps a row; any replica reads it within seconds.
pub const CHANGES_KEPT: Duration = Duration::from_secs(3600);

/// How long a number the log skipped is looked for: a transaction of the store commits within
/// milliseconds of writing; one that never shows up was rolled back.
const HOLES_KEPT: Duration = Duration::from_secs(30);

/// Where a replica is in the change log.
#[derive(Debug)]
pub(crate) struct Cursor {
    seq: i64,
    /// Numbers below `seq` not read yet, and since when: their transactions had not committed
    /// when a later one was read.
    holes: BTreeMap<i64, Instant>,
    /// When the last read of the log began (what was committed before is applied); after
    /// [`CHANGES_KEPT`] without one, rows may be gone unread.
    read_at: Instant,
    /// When the last read that failed began: requests that were waiting meanwhile fail with it
    /// instead of each waiting out a timeout of its own.
    failed_at: Option<Instant>,
}

impl Cursor {
    pub(crate) fn at(seq: i64) -> Self {
        Self {
            seq,
            holes: BTreeMap::new(),
            read_at: Instant::now(),
            failed_at: None,
        }
    }

    /// Moves past the rows `read` (numbered as the log numbers them), remembering the numbers
    /// skipped, and forgetting those looked for long enough.
    fn advance(&mut self, read: &[i64], started: Instant) {
        for seq in read {
            self.holes.remove(seq);
        }
        let last = read.iter().copied().max().unwrap_or(self.seq).max(self.seq);
        let read: BTreeSet<i64> = read.iter().copied().collect();
        for skipped in (self.seq + 1)..last {
            if !read.contains(&skipped) {
                self.holes.insert(skipped, started);
            }
        }
        self.holes.retain(|_, since| since.elapsed() < HOLES_KEPT);
        self.seq = last;
        self.read_at = started;
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
        if cursor.failed_at.is_some_and(|failed| failed >= arrived) {
            return Err(StoreError::Query(sqlx::Error::PoolTimedOut).into());
        }
        if cursor.read_at.elapsed() > CHANGES_KEPT / 2 {
            tracing::warn!("the change log was not read for a long time; reloading the store");
            let started = Instant::now();
            let seq = self.store.last_change().await?;
            self.reload_users().await?;
            self.load_groups().await?;
            *cursor = Cursor::at(seq);
            cursor.read_at = started;
            return Ok(());
        }
        let started = Instant::now();
        let holes: Vec<i64> = cursor.holes.keys().copied().collect();
        let read = tokio::time::timeout(PING_TIMEOUT, self.store.changes_since(cursor.seq, &holes))
            .await
            .unwrap_or(Err(StoreError::Query(sqlx::Error::PoolTimedOut)));
        let read = match read {
            Ok(read) => read,
            Err(e) => {
                cursor.failed_at = Some(started);
                return Err(e.into());
            }
        };
        let numbers: Vec<i64> = read.iter().map(|(seq, _)| *seq).collect();
        metrics::counter!(names::CHANGES_APPLIED).increment(numbers.len() as u64);
        let mut users = BTreeSet::new();
        let mut retired = BTreeSet::new();
        let mut groups = BTreeSet::new();
        for (_, change) in read {
            match change {
                Changed::User(id) => {
                    users.insert(id);
                }
                Changed::Group(id) => {
                    groups.insert(id);
                }
                // A `Group` row comes with it.
                Changed::Member(_) => {}
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
        for id in groups {
            self.reload_group(&id).await?;
        }
        cursor.advance(&numbers, started);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_skipped_is_looked_for_until_it_shows_or_expires() {
        let mut cursor = Cursor::at(10);
        let now = Instant::now();
        cursor.advance(&[11, 14], now);
        assert_eq!(cursor.seq, 14);
        assert_eq!(cursor.holes.keys().copied().collect::<Vec<_>>(), [12, 13]);
        cursor.advance(&[13, 15], now);
        assert_eq!(cursor.seq, 15);
        assert_eq!(cursor.holes.keys().copied().collect::<Vec<_>>(), [12]);
        cursor.advance(&[], now);
        assert_eq!(cursor.seq, 15, "nothing new");
        let long_ago = now - HOLES_KEPT - Duration::from_secs(1);
        cursor.holes.insert(12, long_ago);
        cursor.advance(&[16], now);
        assert!(cursor.holes.is_empty(), "rolled back: forgotten");
    }
}
