//! Groups of the target's own ([`EntitlementModel::GroupMembership`], LumApps feeds).
//!
//! A SCIM group is then one target group, whose id is the group's only entitlement: a `POST
//! /Groups` adopts the target group of exactly that name or creates it, a rename or a delete is
//! the target's, and a membership change is one call for the group however many members it
//! concerns, instead of one per member. Each member's applied entitlements record the outcome,
//! so a user synced on its own later (reactivation, start-up) is added to or removed from each
//! group with the same per-user diff as any entitlement.
//!
//! A target group the bridge adopts keeps the members it had: they are read from the target
//! once, before anything is stored, and become the SCIM group's members (holding it already,
//! so nothing is written back). The IdP's later changes then add and remove members as for any
//! group. A target group not adopted yet shows its members as the target has them, read at
//! each request.

use std::collections::{BTreeSet, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use scim::group::{GroupResource, MemberRef};
use target_api::{AccountRef, Entitlement, EntitlementId, EntitlementModel, ErrorKind, Target};

use super::GroupState;
use crate::Bridge;
use crate::error::BridgeError;
use crate::ids::{GroupId, LockKey, UserId};
use crate::store::GroupRow;
use crate::writes::Subject;

/// When this process first showed an unmanaged target group: a stable `meta.created` (and
/// version) for groups whose own dates the target does not give.
static FIRST_SEEN: OnceLock<DateTime<Utc>> = OnceLock::new();

/// The target group a new SCIM group stands for.
pub(super) struct NativeGroup {
    pub id: EntitlementId,
    /// The members an existing group had when it was adopted; none for a created one.
    pub members: Vec<AccountRef>,
}

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
    /// name, with its members, or a new one.
    pub(super) async fn native_group_for(&self, name: &str) -> Result<NativeGroup, BridgeError> {
        if let Some(id) = self.native_group_named(name) {
            tracing::info!(group = %name, id = %id, "adopting the {} group of that name", self.naming().product);
            let members = self.target_group_members(&id, name).await?;
            return Ok(NativeGroup { id, members });
        }
        let product = self.naming().product;
        match self.target_create_group(name).await {
            Ok(created) => {
                let id = created.id.clone();
                self.catalogue
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(created);
                Ok(NativeGroup {
                    id,
                    members: Vec::new(),
                })
            }
            // Created in the target since the catalogue was read: adopt it.
            Err(e) if matches!(e.kind(), ErrorKind::Conflict) => {
                self.refresh_catalogue().await?;
                let Some(id) = self.native_group_named(name) else {
                    return Err(self.target_failed(format!("create {product} group {name}"), e));
                };
                let members = self.target_group_members(&id, name).await?;
                Ok(NativeGroup { id, members })
            }
            Err(e) => Err(self.target_failed(format!("create {product} group {name}"), e)),
        }
    }

    /// The accounts in the target group `id` (called `name`), as the target has them now.
    async fn target_group_members(
        &self,
        id: &EntitlementId,
        name: &str,
    ) -> Result<Vec<AccountRef>, BridgeError> {
        self.target.group_members(id).await.map_err(|e| {
            let product = self.naming().product;
            self.target_failed(format!("read the members of {product} group {name}"), e)
        })
    }

    /// The members of a target group as the IdP reads them: the accounts the directory shows.
    pub(super) fn member_refs(&self, accounts: &[AccountRef]) -> Vec<MemberRef> {
        self.read_directory()
            .linked_to(accounts)
            .into_iter()
            .map(|e| MemberRef {
                value: e.resource.id.clone(),
                display: Some(e.resource.write.user_name.clone()),
            })
            .collect()
    }

    /// Makes the accounts an adopted target group had members of the SCIM group `group`, which
    /// they hold already: stored as members with the group among their applied entitlements,
    /// with no call to the target. Accounts the directory does not show yet are left to the
    /// target (and counted in the log).
    pub(super) async fn record_native_members(
        &self,
        group: &GroupId,
        entitlement: &EntitlementId,
        accounts: &[AccountRef],
    ) -> Result<(), BridgeError> {
        if accounts.is_empty() {
            return Ok(());
        }
        let _lock = self.lock(&LockKey::Group(group.clone())).await?;
        let ids: Vec<String> = self
            .read_directory()
            .linked_to(accounts)
            .into_iter()
            .map(|e| e.resource.id.clone())
            .collect();
        let known = self.known_members(&ids).await?;
        let added = super::user_ids(
            self.store
                .change_members(group.as_str(), &super::strings(&known), &[], false)
                .await?,
        );
        for user in &added {
            let _user_lock = self.lock(&LockKey::User(user.clone())).await?;
            let mut applied = self.store.applied_roles(user.as_str()).await?;
            if applied.insert(entitlement.clone()) {
                self.store
                    .set_applied_roles(user.as_str(), &applied)
                    .await?;
            }
        }
        let members = super::user_ids(self.store.members(group.as_str()).await?);
        let state = self.read_groups().get(group).cloned();
        if let Some(mut state) = state {
            state.members = members;
            self.write_groups().upsert(state);
        }
        self.refresh_user_groups(&added).await?;
        let skipped = accounts.len() - known.len();
        tracing::info!(group = %group, members = known.len(), skipped, "the adopted {} group's members are the SCIM group's", self.naming().product);
        Ok(())
    }

    /// The target group of exactly this name that no SCIM group stands for yet.
    fn native_group_named(&self, name: &str) -> Option<EntitlementId> {
        self.unmanaged_native_groups()
            .into_iter()
            .find(|e| e.display_name == name)
            .map(|e| e.id)
    }

    /// Target groups no SCIM group stands for yet. The IdP sees them in `GET /Groups` under
    /// their target id, and the first change it makes to one (a push linking to it) adopts it.
    pub(super) fn unmanaged_native_groups(&self) -> Vec<Entitlement> {
        if !self.groups_are_native() {
            return Vec::new();
        }
        let managed: HashSet<EntitlementId> = self
            .read_groups()
            .iter()
            .flat_map(|g| g.row.roles.iter().cloned())
            .collect();
        self.catalogue
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|e| !managed.contains(&e.id) && GroupId::parse(e.id.as_str()).is_ok())
            .cloned()
            .collect()
    }

    /// An unmanaged target group as the IdP reads it, without its members.
    pub(super) fn unmanaged_resource(group: &Entitlement) -> GroupResource {
        let seen = *FIRST_SEEN.get_or_init(Utc::now);
        GroupResource {
            id: group.id.to_string(),
            display_name: group.display_name.clone(),
            external_id: None,
            members: Vec::new(),
            created: seen,
            last_modified: seen,
        }
    }

    /// An unmanaged target group with the members the target gives it now (one target call).
    pub(super) async fn unmanaged_resource_with_members(
        &self,
        group: &Entitlement,
    ) -> Result<GroupResource, BridgeError> {
        let accounts = self
            .target_group_members(&group.id, &group.display_name)
            .await?;
        Ok(GroupResource {
            members: self.member_refs(&accounts),
            ..Self::unmanaged_resource(group)
        })
    }

    /// Makes the unmanaged target group `id` a SCIM group of the bridge, under the same id,
    /// before the IdP's first change to it. Nothing to do for a group the bridge has, or an id
    /// that is no target group (the change then answers 404). Runs inside the change's
    /// request (after the store answered), under the group's lock, so that two replicas asked
    /// about the same group adopt it once.
    pub(super) async fn adopt_native_group(&self, id: &GroupId) -> Result<(), BridgeError> {
        if self.read_groups().get(id).is_some() {
            return Ok(());
        }
        let Some(group) = self
            .unmanaged_native_groups()
            .into_iter()
            .find(|e| e.id.as_str() == id.as_str())
        else {
            return Ok(());
        };
        let lock = self.lock(&LockKey::Group(id.clone())).await?;
        if self.store.group(id.as_str()).await?.is_some() {
            // Another replica adopted it meanwhile.
            return self.reload_group(id.as_str()).await;
        }
        // Read before anything is stored: a failure leaves the group unmanaged, as it was.
        let members = self
            .target_group_members(&group.id, &group.display_name)
            .await?;
        let now = Utc::now();
        let row = GroupRow {
            id: id.to_string(),
            display_name: group.display_name.clone(),
            external_id: None,
            roles: vec![group.id.clone()],
            created: now,
            last_modified: now,
        };
        self.store.save_group(&row).await?;
        self.write_groups().upsert(GroupState {
            id: id.clone(),
            row,
            members: BTreeSet::new(),
        });
        tracing::info!(group = %group.display_name, id = %id, "adopting the {} group the IdP links to", self.naming().product);
        // Stored: the members are recorded under the lock they take themselves.
        drop(lock);
        self.record_native_members(id, &group.id, &members).await
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
            let _lock = self.lock(&LockKey::User(member.clone())).await?;
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
            guards.push(self.lock(&LockKey::User(user.clone())).await?);
        }
        for id in &state.row.roles {
            // A member leaving is removed whatever the bridge recorded: an adopted target group
            // had members before the bridge knew it, and removing a non-member is harmless.
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
                    (false, _) => removed.push(member),
                    (true, true) => {}
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
