//! Finishing what was cut off: intents of user changes (`intents.rs`), and the entitlements
//! memberships call for.
//!
//! At start-up [`Bridge::resume`] replays the intents left in the store, then syncs every user's
//! managed entitlements (memberships are stored before their grants, so a grant cut off shows up
//! as desired but not applied). Both are idempotent: replaying a finished change makes no target
//! call.

use target_api::Target;

use crate::Bridge;
use crate::error::BridgeError;
use crate::ids::{LockKey, UserId};
use crate::intents::Intent;
use crate::writes::{Cause, caused_by};

impl<T: Target> Bridge<T> {
    /// Finishes interrupted user changes, then syncs every user's managed entitlements. Returns
    /// how many things could not be finished (they are logged, and retried at the next start).
    pub async fn resume(&self) -> Result<usize, BridgeError> {
        caused_by(Cause::internal("start-up"), async {
            let mut unfinished = 0;
            for (user_id, text) in self.store.intents().await? {
                let intent = Intent::decode(&text);
                let Some((id, intent)) = UserId::parse(&user_id).ok().zip(intent) else {
                    tracing::error!(user_id, intent = %text, "unreadable intent; dropped");
                    self.store.clear_intent(&user_id).await?;
                    continue;
                };
                if let Err(e) = self.replay(&id, intent).await {
                    tracing::error!(user_id, error = %e, "could not finish an interrupted change; it is retried at the next start");
                    unfinished += 1;
                }
            }
            for row in self.store.all_users().await? {
                let Ok(user_id) = UserId::parse(&row.id) else {
                    continue;
                };
                let _lock = self.lock(&LockKey::User(user_id.clone())).await?;
                if let Err(e) = self.sync_user_locked(&user_id).await {
                    tracing::error!(user_id = %user_id, error = %e, "could not sync the user's roles at start-up");
                    unfinished += 1;
                }
            }
            Ok(unfinished)
        })
        .await
    }

    async fn replay(&self, user_id: &UserId, intent: Intent) -> Result<(), BridgeError> {
        let _lock = self.lock(&LockKey::User(user_id.clone())).await?;
        let Some(entry) = self.read_directory().get(user_id).cloned() else {
            self.store.clear_intent(user_id.as_str()).await?;
            return Ok(());
        };
        tracing::info!(user = %entry.resource.write.user_name, ?intent, "finishing an interrupted change");
        match intent {
            Intent::Delete => {
                self.with_intent(user_id, Intent::Delete, self.delete_locked(user_id))
                    .await
            }
            Intent::Apply(wanted) => {
                let again = Intent::Apply(wanted.clone());
                self.with_intent(user_id, again, self.apply_change(entry, *wanted))
                    .await
                    .map(|_| ())
            }
        }
    }
}
