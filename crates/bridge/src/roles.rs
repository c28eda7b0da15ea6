//! Keeping Falcon's managed grants equal to what group memberships say.
//!
//! For each user the store knows the roles its groups map (*desired*) and the managed roles the
//! bridge has granted and not revoked (*applied*). Syncing a user grants `desired - applied` and
//! revokes `applied - desired`: at most one grant and one revoke call, no Falcon read (role reads
//! lag writes), and never a role no group maps. Syncs of one user are serialised by its lock
//! and always start from the store's latest memberships, so parallel membership changes
//! converge instead of overwriting each other.

use std::collections::BTreeSet;

use futures::{StreamExt, stream};

use super::error::BridgeError;
use super::writes::Subject;
use super::{Bridge, Target};

/// Users synced at once after a group change. A 200-member push is 200 independent grants and
/// Okta gives the request 60 s, so they all go together; the Falcon client's own cap on calls
/// in flight (and its pacing when Falcon's rate limit runs low) is what holds them back.
const SYNC_PARALLELISM: usize = 256;

impl<T: Target> Bridge<T> {
    /// Syncs each of `user_ids` under its own lock.
    pub(super) async fn sync_users(
        &self,
        user_ids: impl IntoIterator<Item = String>,
    ) -> Result<(), BridgeError> {
        stream::iter(user_ids)
            .map(|id| async move {
                let _lock = self.locks.lock(&super::users::id_key(&id)).await;
                self.sync_user_locked(&id).await
            })
            .buffer_unordered(SYNC_PARALLELISM)
            // Every sync runs to its end even when one fails: a sync dropped halfway could
            // leave a call made and not recorded.
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    /// Syncs one user's managed roles; the caller holds the user's lock.
    pub(super) async fn sync_user_locked(&self, user_id: &str) -> Result<(), BridgeError> {
        let Some(entry) = self.read_directory().get(user_id).cloned() else {
            return Ok(());
        };
        // A deprovisioned user holds nothing; its roles come back when it is reactivated.
        let Some(link) = entry.link.filter(|_| entry.resource.write.active) else {
            return Ok(());
        };
        let (desired, mut applied) = self.store.roles_of(user_id).await?;
        let grant: Vec<String> = desired.difference(&applied).cloned().collect();
        let revoke: Vec<String> = applied.difference(&desired).cloned().collect();
        let name = &entry.resource.write.user_name;
        let who = Subject {
            login: name,
            uuid: &link.uuid,
            cid: &link.cid,
        };
        if !grant.is_empty() {
            self.falcon_grant(who, &grant)
                .await
                .map_err(|e| BridgeError::falcon(format!("grant roles {grant:?} to {name}"), e))?;
            applied.extend(grant.iter().cloned());
            self.store.set_applied_roles(user_id, &applied).await?;
            tracing::info!(user = %name, roles = ?grant, "roles granted");
        }
        if !revoke.is_empty() {
            self.falcon_revoke(who, &revoke).await.map_err(|e| {
                BridgeError::falcon(format!("revoke roles {revoke:?} from {name}"), e)
            })?;
            for role in &revoke {
                applied.remove(role);
            }
            self.store.set_applied_roles(user_id, &applied).await?;
            tracing::info!(user = %name, roles = ?revoke, "roles revoked");
        }
        Ok(())
    }

    /// After a deprovisioning revoked everything: nothing is applied any more.
    pub(super) async fn forget_applied_roles(&self, user_id: &str) -> Result<(), BridgeError> {
        self.store
            .set_applied_roles(user_id, &BTreeSet::new())
            .await?;
        Ok(())
    }
}
