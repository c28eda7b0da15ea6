//! Per-key async locks: operations on one identity are serialised (Okta and Entra send requests
//! in parallel), operations on different identities are not. [`Bridge::lock`] takes the lock in
//! this process and then, on PostgreSQL, across the replicas sharing the store.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use target_api::Target;

use crate::Bridge;
use crate::error::BridgeError;
use crate::ids::LockKey;
use crate::store::{ReplicaLock, StoreError};

/// How long a request waits for another replica to finish with the same identity before it is
/// answered 503 (the IdP retries): longer than a change's target calls normally take.
const REPLICA_WAIT: Duration = Duration::from_secs(15);

/// One identity's lock, held until dropped.
#[must_use = "the lock is released when dropped"]
#[derive(Debug)]
pub struct Held {
    // Released in this order: the other replicas' turn, then this process's.
    _across_replicas: Option<ReplicaLock>,
    _here: OwnedMutexGuard<()>,
}

impl<T: Target> Bridge<T> {
    /// Takes `key`'s lock in this process, then across replicas (PostgreSQL); a 503 for the IdP
    /// when another replica keeps it longer than [`REPLICA_WAIT`].
    pub(crate) async fn lock(&self, key: &LockKey) -> Result<Held, BridgeError> {
        let here = self.locks.lock(key).await;
        let across = self
            .store
            .lock_across_replicas(&key.shared_name(), REPLICA_WAIT)
            .await
            .inspect_err(|e| {
                if matches!(e, StoreError::Contended { .. }) {
                    metrics::counter!(crate::telemetry::REPLICA_LOCK_TIMEOUTS).increment(1);
                }
            })?;
        Ok(Held {
            _across_replicas: across,
            _here: here,
        })
    }

    /// [`Self::lock`], without waiting for another replica: `None` while one holds `key`.
    pub(crate) async fn lock_if_free(&self, key: &LockKey) -> Result<Option<Held>, BridgeError> {
        let here = self.locks.lock(key).await;
        match self
            .store
            .lock_across_replicas(&key.shared_name(), Duration::ZERO)
            .await
        {
            Ok(across) => Ok(Some(Held {
                _across_replicas: across,
                _here: here,
            })),
            Err(StoreError::Contended { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Debug)]
pub struct KeyedLocks<K = LockKey> {
    locks: Mutex<HashMap<K, Weak<AsyncMutex<()>>>>,
}

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        Self {
            locks: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Hash + Eq + Clone> KeyedLocks<K> {
    pub async fn lock(&self, key: &K) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(lock) = locks.get(key).and_then(Weak::upgrade) {
                lock
            } else {
                // Forget locks nobody holds any more, so the map does not grow with every user.
                if locks.len() > 1024 {
                    locks.retain(|_, weak| weak.strong_count() > 0);
                }
                let lock = Arc::new(AsyncMutex::new(()));
                locks.insert(key.clone(), Arc::downgrade(&lock));
                lock
            }
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn same_key_waits_other_key_does_not() {
        let locks = Arc::new(KeyedLocks::<&str>::default());
        let held = locks.lock(&"a").await;
        let other = tokio::time::timeout(Duration::from_millis(50), locks.lock(&"b")).await;
        assert!(other.is_ok(), "another key is free");
        let same = tokio::time::timeout(Duration::from_millis(50), locks.lock(&"a")).await;
        assert!(same.is_err(), "the same key waits");
        drop(held);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), locks.lock(&"a"))
                .await
                .is_ok()
        );
    }
}
