//! Finishing what was cut off: intents of user changes (`intents.rs`), and the entitlements
//! memberships call for.
//!
//! At start-up [`Bridge::resume`] replays the intents left in the store, then syncs every user's
//! managed entitlements (memberships are stored before their grants, so a grant cut off shows up
//! as desired but not applied). Both are idempotent: replaying a finished change makes no target
//! call.
//!
//! With several replicas on PostgreSQL, a replica that dies leaves its half-done work to the
//! others: [`Bridge::finish_abandoned`] runs on each every few seconds, looks at the users
//! changed a little while ago (the change log) and at old intents, and finishes what is still
//! to do for those whose lock no live replica holds (a replica's locks die with it).

use std::collections::BTreeSet;
use std::time::Duration;

use target_api::Target;

use crate::Bridge;
use crate::error::BridgeError;
use crate::ids::{LockKey, UserId};
use crate::intents::Intent;
use crate::telemetry as names;
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
        self.replay_locked(user_id, intent).await
    }

    /// Finishes what replicas that died left half-done among the users changed since the last
    /// round (at least [`QUIET`] ago: requests in flight are over by then) and the intents
    /// older than that. A user another replica is working on waits for the next round. Returns
    /// how many users had something finished.
    pub async fn finish_abandoned(&self, sweep: &mut Sweep) -> Result<usize, BridgeError> {
        caused_by(Cause::internal("finishing another replica's work"), async {
            let now = chrono::Utc::now();
            let until = now - chrono::Duration::from_std(QUIET).unwrap_or_default();
            let mut users = std::mem::take(&mut sweep.waiting);
            let changed = self
                .store
                .users_changed_between(sweep.from, until.timestamp())
                .await?;
            let intents = self.store.intents_before(until).await?;
            users.extend(
                changed
                    .iter()
                    .chain(&intents)
                    .filter_map(|id| UserId::parse(id).ok()),
            );
            sweep.from = until.timestamp();
            let mut finished = 0;
            for user_id in users {
                let key = LockKey::User(user_id.clone());
                let Some(_lock) = self.lock_if_free(&key).await? else {
                    sweep.waiting.insert(user_id);
                    continue;
                };
                // Read again under the lock: the owner may have finished meanwhile.
                let intent = self.store.intent_of(user_id.as_str()).await?;
                let done = match intent.as_deref().and_then(Intent::decode) {
                    Some(intent) => self.replay_locked(&user_id, intent).await.map(|()| true),
                    None if self.roles_pending(&user_id).await? => {
                        tracing::info!(user_id = %user_id, "granting what another replica left ungranted");
                        self.sync_user_locked(&user_id).await.map(|()| true)
                    }
                    None => Ok(false),
                };
                match done {
                    Ok(true) => finished += 1,
                    Ok(false) => {}
                    // Left to the scheduled reconciliation and the next start, as at start-up.
                    Err(e) => {
                        tracing::error!(user_id = %user_id, error = %e, "could not finish another replica's change")
                    }
                }
            }
            metrics::counter!(names::ABANDONED_FINISHED).increment(finished as u64);
            Ok(finished)
        })
        .await
    }

    async fn replay_locked(&self, user_id: &UserId, intent: Intent) -> Result<(), BridgeError> {
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

/// How long ago a change must have been made before [`Bridge::finish_abandoned`] looks at it.
pub const QUIET: Duration = Duration::from_secs(10);

/// Where [`Bridge::finish_abandoned`] is: the start of the next round's window (Unix seconds)
/// and the users another replica was still working on.
#[derive(Debug)]
pub struct Sweep {
    from: i64,
    waiting: BTreeSet<UserId>,
}

impl Sweep {
    /// A sweep that starts with the changes of the last `back` (a replica that died just before
    /// this one started left its work there).
    pub fn looking_back(back: Duration) -> Self {
        Self {
            from: chrono::Utc::now().timestamp() - back.as_secs() as i64,
            waiting: BTreeSet::new(),
        }
    }
}
