//! The mapping between SCIM and Falcon: a SCIM user is a Falcon user, `active:false` revokes
//! the user's roles and deletes the Falcon user while the store keeps a tombstone, and
//! `active:true` brings it back under the same SCIM id. [`Bridge`] implements the SCIM layer's
//! [`UserBackend`] on top of a [`Target`] (Falcon) and the [`Store`].

pub mod directory;
pub mod error;
pub mod groups;
pub mod guard;
pub mod locks;
pub mod mapping;
pub mod reconcile;
mod resume;
mod roles;
pub mod store;
pub mod target;
mod telemetry;
mod users;
pub mod writes;

use crate::telemetry as names;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use directory::{Directory, Entry};
use error::BridgeError;
use groups::{GroupIndex, GroupMapping};
use guard::DeletionGuard;
use locks::KeyedLocks;
pub use target::Target;
use writes::Pretended;

use crate::store::Store;
use falcon::model::Role;

/// What `active:false` does in Falcon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeprovisionMode {
    /// Revoke every role, then delete the Falcon user (the Falcon API has no disable).
    #[default]
    Delete,
    /// Revoke every role and keep the Falcon user.
    RevokeOnly,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub deprovision: DeprovisionMode,
    /// Allow a `userName` change by deleting and re-creating the Falcon user.
    pub allow_user_name_change: bool,
    /// Falcon user deletions allowed per rolling hour (the deletion guard); 0 allows none.
    pub max_deletions_per_hour: u32,
    /// Log and audit Falcon writes instead of sending them.
    pub dry_run: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            deprovision: DeprovisionMode::default(),
            allow_user_name_change: false,
            max_deletions_per_hour: 25,
            dry_run: false,
        }
    }
}

pub struct Bridge<T: Target> {
    target: T,
    store: Store,
    directory: RwLock<Directory>,
    groups: RwLock<GroupIndex>,
    /// Falcon's role catalogue, for matching group names to roles.
    roles: RwLock<Vec<Role>>,
    mapping: GroupMapping,
    locks: KeyedLocks,
    policy: Policy,
    guard: DeletionGuard,
    pretended: Pretended,
}

impl<T: Target> Bridge<T> {
    /// Loads the store into the directory; Falcon's users come with [`Self::refresh_directory`].
    pub async fn start(
        target: T,
        store: Store,
        policy: Policy,
        mapping: GroupMapping,
    ) -> Result<Arc<Self>, BridgeError> {
        let bridge = Arc::new(Self {
            target,
            store,
            directory: RwLock::new(Directory::default()),
            groups: RwLock::new(GroupIndex::default()),
            roles: RwLock::new(Vec::new()),
            mapping,
            locks: KeyedLocks::default(),
            guard: DeletionGuard::new(policy.max_deletions_per_hour),
            policy,
            pretended: Pretended::default(),
        });
        for row in bridge.store.all_users().await? {
            bridge.write_directory().upsert(Entry {
                resource: mapping::resource_from_row(&row),
                link: mapping::link_from_row(&row),
                managed: true,
            });
        }
        bridge.load_groups().await?;
        Ok(bridge)
    }

    /// Reloads Falcon's users (a few paged queries and batched look-ups).
    pub async fn refresh_directory(&self) -> Result<(), BridgeError> {
        let users = self
            .target
            .list_users()
            .await
            .map_err(|e| BridgeError::falcon("load Falcon's users", e))?;
        let count = users.len();
        let size = {
            let mut directory = self.write_directory();
            directory.apply_falcon_snapshot(users);
            directory.len()
        };
        metrics::gauge!(names::DIRECTORY_USERS).set(size as f64);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        metrics::gauge!(names::DIRECTORY_REFRESHED).set(now.as_secs_f64());
        tracing::info!(falcon_users = count, "directory refreshed");
        Ok(())
    }

    pub fn directory_size(&self) -> usize {
        self.read_directory().len()
    }

    pub fn directory_refreshed_at(&self) -> Option<SystemTime> {
        self.read_directory().refreshed_at()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn read_directory(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.directory.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_directory(&self) -> std::sync::RwLockWriteGuard<'_, Directory> {
        self.directory.write().unwrap_or_else(|p| p.into_inner())
    }
}
