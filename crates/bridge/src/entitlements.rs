//! Keeping each account's managed entitlements equal to what its group memberships and its
//! direct set (`roles.rs`) say.
//!
//! For each user the store knows the entitlements its groups map and the roles the IdP gave it
//! directly (together: *desired*) and the managed
//! ones the bridge has set and not taken back (*applied*). Syncing a user hands the target both
//! ([`EntitlementChange`]) and records what it then holds: no target read (some targets' reads
//! lag their writes), and never an entitlement no group maps. Where the target grants and
//! revokes one change at a time, the grant goes first and is recorded before the revoke, so an
//! interruption never leaves a user with less than both sides agree on. Syncs of one user are
//! serialised by its lock and always start from the store's latest memberships, so parallel
//! membership changes converge instead of overwriting each other.

use std::collections::BTreeSet;

use futures::{StreamExt, stream};
use target_api::{EntitlementChange, EntitlementId, EntitlementModel, Target};

use crate::Bridge;
use crate::error::BridgeError;
use crate::ids::{LockKey, UserId};
use crate::writes::Subject;

/// Users synced at once after a group change. A 200-member push is 200 independent grants and
/// Okta gives the request 60 s, so they all go together; the target client's own cap on calls
/// in flight (and its pacing when the rate limit runs low) is what holds them back.
const SYNC_PARALLELISM: usize = 256;

impl<T: Target> Bridge<T> {
    /// Syncs each of `user_ids` under its own lock.
    pub(crate) async fn sync_users(
        &self,
        user_ids: impl IntoIterator<Item = UserId>,
    ) -> Result<(), BridgeError> {
        stream::iter(user_ids)
            .map(|id| async move {
                let _lock = self.lock(&LockKey::User(id.clone())).await?;
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

    /// Syncs one user's managed entitlements; the caller holds the user's lock.
    pub(crate) async fn sync_user_locked(&self, user_id: &UserId) -> Result<(), BridgeError> {
        let Some(entry) = self.read_directory().get(user_id).cloned() else {
            return Ok(());
        };
        // An inactive user gets its entitlements back when it is reactivated.
        let Some(account) = entry.link.filter(|_| entry.resource.write.active) else {
            return Ok(());
        };
        let (mut desired, applied) = self.store.roles_of(user_id.as_str()).await?;
        desired.extend(self.direct_role_ids(&entry.resource.write.roles));
        let who = Subject {
            login: &entry.resource.write.user_name,
            account: &account,
        };
        let model = &self.capabilities().entitlements;
        let managed = if model.is_incremental() {
            BTreeSet::new()
        } else {
            self.managed_entitlements()
        };
        for step in steps(model, desired, applied, managed) {
            self.apply_step(user_id, who, &step).await?;
        }
        Ok(())
    }

    /// Whether the user's target roles are not yet what its groups and direct set ask for (a
    /// sync was cut off); an inactive or unlinked user has nothing pending.
    pub(crate) async fn roles_pending(&self, user_id: &UserId) -> Result<bool, BridgeError> {
        let Some(entry) = self.read_directory().get(user_id).cloned() else {
            return Ok(false);
        };
        if entry.link.is_none() || !entry.resource.write.active {
            return Ok(false);
        }
        let (mut desired, applied) = self.store.roles_of(user_id.as_str()).await?;
        desired.extend(self.direct_role_ids(&entry.resource.write.roles));
        Ok(desired != applied)
    }

    async fn apply_step(
        &self,
        user_id: &UserId,
        who: Subject<'_>,
        step: &EntitlementChange,
    ) -> Result<(), BridgeError> {
        let (added, removed) = (step.added(), step.removed());
        let name = who.login;
        self.target_set_entitlements(who, step).await.map_err(|e| {
            let action = match (added.is_empty(), removed.is_empty()) {
                (false, true) => format!("grant roles {:?} to {name}", ids(&added)),
                (true, false) => format!("revoke roles {:?} from {name}", ids(&removed)),
                _ => format!("set the roles of {name}"),
            };
            self.target_failed(action, e)
        })?;
        self.store
            .set_applied_roles(user_id.as_str(), &step.desired)
            .await?;
        if !added.is_empty() {
            tracing::info!(user = %name, roles = ?ids(&added), "roles granted");
        }
        if !removed.is_empty() {
            tracing::info!(user = %name, roles = ?ids(&removed), "roles revoked");
        }
        Ok(())
    }

    /// Every entitlement some group maps: the ones the IdP governs.
    fn managed_entitlements(&self) -> BTreeSet<EntitlementId> {
        self.read_groups()
            .iter()
            .flat_map(|g| g.row.roles.iter().cloned())
            .collect()
    }

    /// After a deprovisioning revoked everything: nothing is applied any more.
    pub(crate) async fn forget_applied_roles(&self, user_id: &UserId) -> Result<(), BridgeError> {
        self.store
            .set_applied_roles(user_id.as_str(), &BTreeSet::new())
            .await?;
        Ok(())
    }
}

fn ids(list: &[EntitlementId]) -> Vec<&str> {
    list.iter().map(EntitlementId::as_str).collect()
}

/// The changes that take `applied` to `desired`: none when they agree; for a target that grants
/// and revokes one change at a time, the grant and then the revoke; otherwise one replacement.
fn steps(
    model: &EntitlementModel,
    desired: BTreeSet<EntitlementId>,
    applied: BTreeSet<EntitlementId>,
    managed: BTreeSet<EntitlementId>,
) -> Vec<EntitlementChange> {
    let whole = EntitlementChange {
        desired,
        applied,
        managed,
    };
    if whole.is_empty() {
        return Vec::new();
    }
    let (added, removed) = (whole.added(), whole.removed());
    if !model.is_incremental() || added.is_empty() || removed.is_empty() {
        return vec![whole];
    }
    let granted: BTreeSet<EntitlementId> = whole.applied.iter().chain(&added).cloned().collect();
    vec![
        EntitlementChange {
            desired: granted.clone(),
            applied: whole.applied,
            managed: whole.managed.clone(),
        },
        EntitlementChange {
            desired: whole.desired,
            applied: granted,
            managed: whole.managed,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<EntitlementId> {
        names
            .iter()
            .map(|n| EntitlementId::parse(n).unwrap())
            .collect()
    }

    const INCREMENTAL: EntitlementModel = EntitlementModel::RoleSet {
        by_name: false,
        replace_all: false,
    };
    const REPLACE: EntitlementModel = EntitlementModel::RoleSet {
        by_name: true,
        replace_all: true,
    };

    #[test]
    fn an_incremental_target_grants_first_then_revokes() {
        let steps = steps(&INCREMENTAL, set(&["a", "b"]), set(&["b", "c"]), set(&[]));
        assert_eq!(steps.len(), 2);
        assert_eq!(
            (steps[0].added(), steps[0].removed()),
            (vec![set(&["a"]).pop_first().unwrap()], vec![])
        );
        assert_eq!(steps[0].desired, set(&["a", "b", "c"]));
        assert_eq!(steps[1].applied, set(&["a", "b", "c"]));
        assert_eq!(steps[1].removed(), vec![set(&["c"]).pop_first().unwrap()]);
        assert!(steps[1].added().is_empty());
    }

    #[test]
    fn one_sided_changes_and_replacing_targets_take_one_step() {
        assert_eq!(
            steps(&INCREMENTAL, set(&["a"]), set(&[]), set(&[])).len(),
            1
        );
        assert_eq!(
            steps(&INCREMENTAL, set(&[]), set(&["a"]), set(&[])).len(),
            1
        );
        let whole = steps(
            &REPLACE,
            set(&["a", "b"]),
            set(&["b", "c"]),
            set(&["a", "b", "c"]),
        );
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].desired, set(&["a", "b"]));
        assert_eq!(whole[0].managed, set(&["a", "b", "c"]));
        assert!(steps(&REPLACE, set(&["a"]), set(&["a"]), set(&["a"])).is_empty());
    }
}
