//! The provisioning core: SCIM users and groups on one side, any [`Target`] on the other.
//!
//! A SCIM user is a target account (`userName` is its login); a SCIM group stands for a set of
//! the target's entitlements. [`Bridge`] implements the SCIM layer's backend traits on top of a
//! [`Target`] and the [`store::Store`]: `users.rs` and `lifecycle.rs` for users (deprovisioning
//! the way the target's capabilities allow), `groups/` and `entitlements.rs` for memberships and
//! what they grant, `writes.rs` for the audited target writes, `guard.rs`, `intents.rs`,
//! `resume.rs` and `reconcile.rs` for safety, `directory.rs` for reads, `replicas.rs` for what
//! the other replicas sharing the store wrote. Failures are a
//! [`error::BridgeError`], which becomes a SCIM error in one place. The core depends on no
//! target crate.

mod describe;
pub mod directory;
mod entitlements;
pub mod error;
pub mod groups;
pub mod guard;
pub mod ids;
mod intents;
mod lifecycle;
pub mod locks;
mod pending;
pub mod policy;
pub mod reconcile;
pub mod replicas;
pub mod resources;
pub mod resume;
pub mod roles;
pub mod store;
mod telemetry;
mod users;
pub mod writes;

use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use scim::backend::{Backend, Description};
use target_api::{Capabilities, Entitlement, Naming, Target, TargetError};

use directory::{Directory, Entry};
use error::BridgeError;
use groups::{GroupIndex, GroupMapping};
use guard::DeletionGuard;
use locks::KeyedLocks;
pub use policy::{DeprovisionMode, PendingUsers, Policy};
use store::Store;
use telemetry as names;
use writes::Pretended;

pub struct Bridge<T: Target> {
    target: T,
    store: Store,
    directory: RwLock<Directory>,
    groups: RwLock<GroupIndex>,
    /// The target's entitlement catalogue, for matching group names.
    catalogue: RwLock<Vec<Entitlement>>,
    mapping: GroupMapping,
    locks: KeyedLocks,
    policy: Policy,
    guard: DeletionGuard,
    pretended: Pretended,
    description: Description,
    /// This process among the replicas sharing the store: the holder of the leases it takes.
    replica: String,
    /// How far this replica has applied the other replicas' writes (`replicas.rs`).
    changes_seen: tokio::sync::Mutex<replicas::Cursor>,
}

impl<T: Target> Bridge<T> {
    /// Loads the store into the directory; the target's accounts come with
    /// [`Self::refresh_directory`].
    pub async fn start(
        target: T,
        store: Store,
        policy: Policy,
        mapping: GroupMapping,
    ) -> Result<Arc<Self>, BridgeError> {
        let caps = target.capabilities();
        // Before the store is loaded: what is written meanwhile is applied at the first request.
        let changes_seen = replicas::Cursor::at(store.last_change().await?);
        let bridge = Arc::new(Self {
            guard: DeletionGuard::new(
                policy.max_deletions_per_hour,
                caps.naming.product,
                guard::Counted::of(caps),
            ),
            description: describe::description(caps),
            target,
            store,
            directory: RwLock::new(Directory::default()),
            groups: RwLock::new(GroupIndex::default()),
            catalogue: RwLock::new(Vec::new()),
            mapping,
            locks: KeyedLocks::default(),
            policy,
            pretended: Pretended::default(),
            replica: uuid::Uuid::new_v4().to_string(),
            changes_seen: tokio::sync::Mutex::new(changes_seen),
        });
        for row in bridge.store.all_users().await? {
            bridge.write_directory().upsert(Entry {
                resource: resources::resource_from_row(&row),
                link: resources::link_from_row(&row),
                managed: true,
            });
        }
        {
            let retired = bridge.store.retired_accounts().await?;
            let mut directory = bridge.write_directory();
            for account_id in retired {
                directory.retire(&account_id);
            }
        }
        bridge.load_groups().await?;
        bridge.count_pending();
        Ok(bridge)
    }

    /// Reloads the target's accounts (with as few calls as its API allows).
    pub async fn refresh_directory(&self) -> Result<(), BridgeError> {
        let product = self.naming().product;
        let accounts = self
            .target
            .list_accounts()
            .await
            .map_err(|e| self.target_failed(format!("load {product}'s users"), e))?;
        let count = accounts.len();
        let (size, claims) = {
            let mut directory = self.write_directory();
            let claims = directory.apply_snapshot(accounts);
            (directory.len(), claims)
        };
        metrics::gauge!(names::DIRECTORY_USERS).set(size as f64);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        metrics::gauge!(names::DIRECTORY_REFRESHED).set(now.as_secs_f64());
        tracing::debug!(target_accounts = count, "directory refreshed");
        self.link_pending(claims).await;
        if self.groups_are_native() {
            // The target's own groups come and go in its console too: `GET /Groups` lists them.
            self.refresh_catalogue().await?;
        }
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

    pub fn target(&self) -> &T {
        &self.target
    }

    pub fn capabilities(&self) -> &Capabilities {
        self.target.capabilities()
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn naming(&self) -> Naming {
        self.capabilities().naming
    }

    /// A target failure while doing `action` ("create Falcon user x", said to the admin).
    pub(crate) fn target_failed(
        &self,
        action: impl Into<String>,
        source: TargetError,
    ) -> BridgeError {
        BridgeError::Target(Box::new(error::TargetFailure {
            naming: self.naming(),
            action: action.into(),
            source,
        }))
    }

    fn read_directory(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.directory.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_directory(&self) -> std::sync::RwLockWriteGuard<'_, Directory> {
        self.directory.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T: Target> Backend for Bridge<T> {
    type Error = BridgeError;

    fn description(&self) -> &Description {
        &self.description
    }
}
