//! Groups of the target's own ([`EntitlementModel::GroupMembership`], LumApps feeds).
//!
//! A SCIM group is then one target group, whose id is the group's only entitlement: a `POST
//! /Groups` adopts the target group of exactly that name or creates it, a rename or a delete is
//! the target's, and a membership change is one call for the group however many members it
//! concerns, instead of one per member. Each member's applied entitlements record the outcome,
//! so a user synced on its own later (reactivation, start-up) is added to or removed from each
//! group with the same per-user diff as any entitlement.

use std::collections::BTreeSet;

use target_api::{AccountRef, EntitlementId, EntitlementModel, ErrorKind, Target};

use super::GroupState;
use crate::Bridge;
use crate::error::BridgeError;
use crate::ids::{LockKey, UserId};
use crate::writes::Subject;

/// A member whose holding of a target group changes, and what it holds now.
struct Member {
    id: UserId,
    login: String,
    link: AccountRef,
    applied: BTreeSet<EntitlementId>,
}

impl Member {
    fn subject(&self) -> Subject<'_> {
        Subject {
            login: &self.login,
            account: &self.link,
        }
    }
}

impl<T: Target> Bridge<T> {
    /// Whether SCIM groups are groups of the target's own.
    pub(crate) fn groups_are_native(&self) -> bool {
        matches!(
            self.capabilities().entitlements,
            EntitlementModel::GroupMembership
        )
    }

    /// The target group a new SCIM group called `name` stands for: the one of exactly that
    /// name, or a new one.
    pub(super) async fn native_group_for(
        &self,
        name: &str,
    ) -> Result<Vec<EntitlementId>, BridgeError> {
        if let Some(id) = self.native_group_named(name) {
            tracing::info!(group = %name, id = %id, "adopting the {} group of that name", self.naming().product);
            return Ok(vec![id]);
        }
        let product = self.naming().product;
        match self.target_create_group(name).await {
            Ok(created) => {
                let id = created.id.clone();
                self.catalogue
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(created);
                Ok(vec![id])
            }
            // Created in the target since the catalogue was read: adopt it.
            Err(e) if matches!(e.kind(), ErrorKind::Conflict) => {
                self.refresh_catalogue().await?;
                self.native_group_named(name)
                    .map(|id| vec![id])
                    .ok_or_else(|| self.target_failed(format!("create {product} group {name}"), e))
            }
            Err(e) => Err(self.target_failed(format!("create {product} group {name}"), e)),
        }
    }

    fn native_group_named(&self, name: &str) -> Option<EntitlementId> {
        self.catalogue
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|e| e.display_name == name)
            .map(|e| e.id.clone())
    }

    pub(super) async fn rename_native_group(
        &self,
        state: &GroupState,
        name: &str,
    ) -> Result<(), BridgeError> {
        let product = self.naming().product;
        for id in &state.row.roles {
            self.target_rename_group(id, name).await.map_err(|e| {
                self.target_failed(
                    format!(
                        "rename {product} group {} to {name}",
                        state.row.display_name
                    ),
                    e,
                )
            })?;
        }
        Ok(())
    }

    /// Deletes the target group; its former members no longer hold it, without a call each.
    pub(super) async fn delete_native_group(&self, state: &GroupState) -> Result<(), BridgeError> {
        let product = self.naming().product;
        let name = &state.row.display_name;
        for id in &state.row.roles {
            match self.target_delete_group(id, name).await {
                Ok(()) => {}
                Err(e) if matches!(e.kind(), ErrorKind::NotFound) => {}
                Err(e) => {
                    return Err(self.target_failed(format!("delete {product} group {name}"), e));
                }
            }
        }
        let gone: BTreeSet<&EntitlementId> = state.row.roles.iter().collect();
        for member in &state.members {
            let _lock = self.locks.lock(&LockKey::User(member.clone())).await;
            let applied = self.store.applied_roles(member.as_str()).await?;
            let kept: BTreeSet<EntitlementId> = applied
                .iter()
                .filter(|r| !gone.contains(r))
                .cloned()
                .collect();
            if kept != applied {
                self.store.set_applied_roles(member.as_str(), &kept).await?;
            }
        }
        Ok(())
    }

    /// Brings the target group of `state` to its stored members among `touched`, in one call:
    /// linked, active members that should hold it and do not are added, those that hold it and
    /// should not are removed. Inactive users catch up when they are reactivated.
    pub(super) async fn sync_native_members(
        &self,
        state: &GroupState,
        touched: BTreeSet<UserId>,
    ) -> Result<(), BridgeError> {
        // Sorted, so two group changes that share members take their locks in the same order.
        let mut guards = Vec::with_capacity(touched.len());
        for user in &touched {
            guards.push(self.locks.lock(&LockKey::User(user.clone())).await);
        }
        for id in &state.row.roles {
            let (mut added, mut removed) = (Vec::new(), Vec::new());
            for user in &touched {
                let Some(entry) = self.read_directory().get(user).cloned() else {
                    continue;
                };
                let Some(link) = entry.link.filter(|_| entry.resource.write.active) else {
                    continue;
                };
                let (desired, applied) = self.store.roles_of(user.as_str()).await?;
                let member = Member {
                    id: user.clone(),
                    login: entry.resource.write.user_name,
                    link,
                    applied,
                };
                match (desired.contains(id), member.applied.contains(id)) {
                    (true, false) => added.push(member),
                    (false, true) => removed.push(member),
                    _ => {}
                }
            }
            if added.is_empty() && removed.is_empty() {
                continue;
            }
            let name = &state.row.display_name;
            self.target_change_group_members(
                name,
                id,
                &added.iter().map(Member::subject).collect::<Vec<_>>(),
                &removed.iter().map(Member::subject).collect::<Vec<_>>(),
            )
            .await
            .map_err(|e| {
                let product = self.naming().product;
                self.target_failed(format!("change the members of {product} group {name}"), e)
            })?;
            for mut member in added {
                member.applied.insert(id.clone());
                self.store
                    .set_applied_roles(member.id.as_str(), &member.applied)
                    .await?;
            }
            for mut member in removed {
                member.applied.remove(id);
                self.store
                    .set_applied_roles(member.id.as_str(), &member.applied)
                    .await?;
            }
        }
        drop(guards);
        Ok(())
    }
}
