//! SCIM groups as sets of entitlements.
//!
//! A group is a display name and the entitlement ids its members get (`mapping.rs` says which).
//! Membership changes are stored first and then each affected user is synced
//! (`entitlements.rs`), so a target whose entitlements are roles hears only of grants and
//! revokes, never of groups. Where groups are the target's own (`native.rs`), a group's one
//! entitlement is its target group, and a membership change is one call for the group. Groups
//! live in memory (`index.rs`) and in the store.

mod index;
mod mapping;
mod native;

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use scim::backend::{GroupBackend, GroupListRequest, Page, RequestContext};
use scim::etag::Preconditions;
use scim::group::{GroupResource, GroupWrite, MemberRef};
use scim::patch::GroupChange;
use scim::user::GroupRef;
use target_api::{Entitlement, EntitlementId, Target};

pub use index::{GroupIndex, GroupState};
pub use mapping::{EmptyMappedId, GroupMapping, UnknownMappedId, check_mapping};

use crate::Bridge;
use crate::error::{BridgeError, Resource};
use crate::ids::{GroupId, LockKey, UserId};
use crate::store::GroupRow;
use crate::telemetry as names;
use crate::writes::{Cause, caused_by};

/// An id from the URL: one that cannot be a SCIM id names no group.
fn group_id(id: &str) -> Result<GroupId, BridgeError> {
    GroupId::parse(id).map_err(|_| BridgeError::not_found(Resource::Group, id))
}

fn state_of(row: GroupRow, members: BTreeSet<UserId>) -> Result<GroupState, BridgeError> {
    let id = GroupId::parse(&row.id)
        .map_err(|e| crate::store::StoreError::Corrupt(format!("group id '{}': {e}", row.id)))?;
    Ok(GroupState { id, row, members })
}

/// Store ids of users, read back as SCIM ids (the store only holds ids the core wrote).
fn user_ids(ids: impl IntoIterator<Item = String>) -> BTreeSet<UserId> {
    ids.into_iter()
        .filter_map(|id| UserId::parse(&id).ok())
        .collect()
}

fn strings(ids: &[UserId]) -> Vec<String> {
    ids.iter().map(ToString::to_string).collect()
}

impl<T: Target> Bridge<T> {
    /// Loads groups and memberships from the store: at start-up, and when another replica
    /// changed some (`replicas.rs`).
    pub(crate) async fn load_groups(&self) -> Result<(), BridgeError> {
        let groups = self.store.all_groups().await?;
        let memberships = self.store.all_memberships().await?;
        let mut members: HashMap<String, BTreeSet<UserId>> = HashMap::new();
        let mut user_groups: HashMap<UserId, Vec<GroupRef>> = HashMap::new();
        for (user, group, display) in memberships {
            let Ok(user) = UserId::parse(&user) else {
                continue;
            };
            members
                .entry(group.clone())
                .or_default()
                .insert(user.clone());
            user_groups.entry(user).or_default().push(GroupRef {
                value: group,
                display: Some(display),
            });
        }
        let mut states = Vec::with_capacity(groups.len());
        for row in groups {
            let m = members.remove(&row.id).unwrap_or_default();
            states.push(state_of(row, m)?);
        }
        let mut index = GroupIndex::default();
        for state in states {
            index.upsert(state);
        }
        *self.write_groups() = index;
        self.write_directory().replace_groups(user_groups);
        Ok(())
    }

    /// Reloads the target's entitlement catalogue (group names are matched against it).
    pub async fn refresh_catalogue(&self) -> Result<Vec<Entitlement>, BridgeError> {
        let product = self.naming().product;
        let catalogue = self
            .target
            .entitlement_catalogue()
            .await
            .map_err(|e| self.target_failed(format!("load {product}'s role catalogue"), e))?;
        *self.catalogue.write().unwrap_or_else(|p| p.into_inner()) = catalogue.clone();
        Ok(catalogue)
    }

    /// Re-resolves every group's entitlements (the configuration may have changed since the last
    /// start) and syncs the members of groups whose entitlements changed.
    pub async fn apply_group_mapping(&self) -> Result<(), BridgeError> {
        caused_by(
            Cause::internal("start-up"),
            self.apply_group_mapping_caused(),
        )
        .await
    }

    async fn apply_group_mapping_caused(&self) -> Result<(), BridgeError> {
        if self.groups_are_native() {
            // A native group's entitlement is its target group, not something a name maps to.
            return Ok(());
        }
        let catalogue = self
            .catalogue
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let groups: Vec<GroupState> = self.read_groups().iter().cloned().collect();
        for mut state in groups {
            let _lock = self.lock(&LockKey::Group(state.id.clone())).await?;
            let roles = self
                .mapping
                .resolve(&state.row.display_name, &catalogue)
                .unwrap_or_default();
            if roles == state.row.roles {
                continue;
            }
            tracing::info!(group = %state.row.display_name, old = ?state.row.roles, new = ?roles, "group roles changed by the configuration");
            state.row.roles = roles;
            state.row.last_modified = Utc::now();
            self.store.save_group(&state.row).await?;
            let members = state.members.clone();
            self.write_groups().upsert(state);
            self.sync_users(members).await?;
        }
        Ok(())
    }

    pub fn group_count(&self) -> usize {
        self.read_groups().len()
    }

    fn resource_of(&self, state: &GroupState, include_members: bool) -> GroupResource {
        let members = if include_members {
            let directory = self.read_directory();
            state
                .members
                .iter()
                .map(|id| MemberRef {
                    value: id.to_string(),
                    display: directory
                        .get(id)
                        .map(|e| e.resource.write.user_name.clone()),
                })
                .collect()
        } else {
            Vec::new()
        };
        GroupResource {
            id: state.row.id.clone(),
            display_name: state.row.display_name.clone(),
            external_id: state.row.external_id.clone(),
            members,
            created: state.row.created,
            last_modified: state.row.last_modified,
        }
    }

    /// The entitlements for a new or renamed group, or the refusal the configuration asks for.
    fn roles_for(&self, name: &str) -> Result<Vec<EntitlementId>, BridgeError> {
        let catalogue = self.catalogue.read().unwrap_or_else(|p| p.into_inner());
        if let Some(roles) = self.mapping.resolve(name, &catalogue) {
            return Ok(roles);
        }
        let naming = self.naming();
        let (product, noun, example) = (
            naming.product,
            naming.entitlement,
            naming.example_entitlement,
        );
        if self.mapping.refuse_unmapped {
            return Err(BridgeError::Invalid(format!(
                "group '{name}' maps to no {product} {noun}. Map it in the bridge's TOML \
                 configuration (BRIDGE_CONFIG), e.g. [groups] \"{name}\" = [\"{example}\"], or name \
                 the group after a {product} {noun}"
            )));
        }
        metrics::counter!(names::UNMAPPED_GROUPS).increment(1);
        tracing::warn!(group = %name, "group maps to no {product} {noun}; its members get no {noun}s until it is mapped in [groups] of BRIDGE_CONFIG");
        Ok(Vec::new())
    }

    /// Member ids the bridge knows (adopting target accounts it had not yet); unknown ones are
    /// reported and skipped so that one stale id does not fail a whole push.
    async fn known_members(&self, ids: &[String]) -> Result<Vec<UserId>, BridgeError> {
        let mut known = Vec::with_capacity(ids.len());
        for text in ids {
            let entry = UserId::parse(text)
                .ok()
                .and_then(|id| Some((self.read_directory().get(&id).cloned()?, id)));
            match entry {
                Some((e, id)) if e.managed => known.push(id),
                Some((native, id)) => {
                    let _lock = self.lock(&LockKey::User(id.clone())).await?;
                    self.record(native.resource, native.link).await?;
                    known.push(id);
                }
                None => {
                    metrics::counter!(names::UNKNOWN_MEMBERS).increment(1);
                    tracing::warn!(member = %text, "group member unknown to the bridge; ignored");
                }
            }
        }
        Ok(known)
    }

    /// The group `id` as the store has it now, or gone, and the `groups` attribute of its
    /// members before and after (another replica changed it: `replicas.rs`).
    pub(crate) async fn reload_group(&self, id: &str) -> Result<(), BridgeError> {
        let Ok(group_id) = GroupId::parse(id) else {
            return Ok(());
        };
        let state = match self.store.group(id).await? {
            Some(row) => Some(state_of(row, user_ids(self.store.members(id).await?))?),
            None => None,
        };
        let mut touched = state
            .as_ref()
            .map(|s| s.members.clone())
            .unwrap_or_default();
        let old = {
            let mut index = self.write_groups();
            let old = index.remove(&group_id);
            if let Some(state) = state {
                index.upsert(state);
            }
            old
        };
        touched.extend(old.into_iter().flat_map(|s| s.members));
        self.refresh_user_groups(&touched).await
    }

    /// Refreshes the `groups` attribute of `users` after their memberships changed.
    async fn refresh_user_groups(&self, users: &BTreeSet<UserId>) -> Result<(), BridgeError> {
        let ids: Vec<&str> = users.iter().map(UserId::as_str).collect();
        // One read for all of them: a 200-member push waits for it before its first grant.
        let mut groups = self.store.groups_of_users(&ids).await?;
        let mut directory = self.write_directory();
        for user in users {
            let refs = groups
                .remove(user.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|(value, display)| GroupRef {
                    value,
                    display: Some(display),
                })
                .collect();
            directory.set_groups(user, refs);
        }
        Ok(())
    }

    /// Applies `changes` to the group `id` (if its version is the one `preconditions` expect)
    /// and syncs every user they touch.
    async fn change_group(
        &self,
        id: &GroupId,
        changes: Vec<GroupChange>,
        preconditions: &Preconditions,
    ) -> Result<GroupState, BridgeError> {
        let _lock = self.lock(&LockKey::Group(id.clone())).await?;
        let mut state = self
            .read_groups()
            .get(id)
            .cloned()
            .ok_or_else(|| BridgeError::not_found(Resource::Group, id))?;
        preconditions
            .allow_change(&self.resource_of(&state, false).version())
            .map_err(BridgeError::Request)?;
        let mut touched: BTreeSet<UserId> = BTreeSet::new();
        let mut roles_changed = false;
        let mut row_changed = false;
        let mut members_changed = false;
        let key = id.as_str();
        for change in changes {
            match change {
                GroupChange::Rename(name) => {
                    if name.trim().is_empty() {
                        return Err(BridgeError::Invalid("displayName must not be empty".into()));
                    }
                    if name == state.row.display_name {
                        continue;
                    }
                    if self
                        .read_groups()
                        .by_name(&name)
                        .is_some_and(|g| &g.id != id)
                    {
                        return Err(BridgeError::Uniqueness(format!(
                            "a group named '{name}' already exists"
                        )));
                    }
                    if self.groups_are_native() {
                        self.rename_native_group(&state, &name).await?;
                    } else {
                        let roles = self.roles_for(&name)?;
                        roles_changed |= roles != state.row.roles;
                        state.row.roles = roles;
                    }
                    state.row.display_name = name;
                    row_changed = true;
                }
                GroupChange::SetExternalId(ext) => {
                    row_changed |= ext != state.row.external_id;
                    state.row.external_id = ext;
                }
                GroupChange::AddMembers(ids) => {
                    let known = self.known_members(&ids).await?;
                    let changed = self
                        .store
                        .change_members(key, &strings(&known), &[], false)
                        .await?;
                    members_changed |= !changed.is_empty();
                    touched.extend(user_ids(changed));
                    touched.extend(known);
                }
                GroupChange::RemoveMembers(ids) => {
                    let changed = self.store.change_members(key, &[], &ids, false).await?;
                    members_changed |= !changed.is_empty();
                    touched.extend(user_ids(changed));
                    let directory = self.read_directory();
                    touched.extend(
                        user_ids(ids)
                            .into_iter()
                            .filter(|i| directory.get(i).is_some()),
                    );
                }
                GroupChange::RemoveAllMembers => {
                    let changed = self.store.change_members(key, &[], &[], true).await?;
                    members_changed |= !changed.is_empty();
                    touched.extend(user_ids(changed));
                }
                GroupChange::ReplaceMembers(ids) => {
                    let known = self.known_members(&ids).await?;
                    let changed = self
                        .store
                        .change_members(key, &strings(&known), &[], true)
                        .await?;
                    members_changed |= !changed.is_empty();
                    touched.extend(user_ids(changed));
                    touched.extend(known);
                }
            }
        }
        // A membership change is a change of the group: its lastModified and version move.
        if row_changed || members_changed {
            state.row.last_modified = Utc::now();
            self.store.save_group(&state.row).await?;
        }
        state.members = user_ids(self.store.members(key).await?);
        if roles_changed {
            touched.extend(state.members.iter().cloned());
        }
        self.write_groups().upsert(state.clone());
        self.refresh_user_groups(&touched).await?;
        if self.groups_are_native() {
            self.sync_native_members(&state, touched).await?;
        } else {
            self.sync_users(touched).await?;
        }
        Ok(state)
    }

    pub(crate) fn read_groups(&self) -> std::sync::RwLockReadGuard<'_, GroupIndex> {
        self.groups.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_groups(&self) -> std::sync::RwLockWriteGuard<'_, GroupIndex> {
        self.groups.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T: Target> GroupBackend for Bridge<T> {
    async fn get_group(
        &self,
        id: &str,
        include_members: bool,
    ) -> Result<GroupResource, BridgeError> {
        let id = group_id(id)?;
        self.catch_up_to_read().await;
        if let Some(state) = self.read_groups().get(&id) {
            return Ok(self.resource_of(state, include_members));
        }
        let group = self
            .unmanaged_native_groups()
            .into_iter()
            .find(|g| g.id.as_str() == id.as_str())
            .ok_or_else(|| BridgeError::not_found(Resource::Group, &id))?;
        if include_members {
            self.unmanaged_resource_with_members(&group).await
        } else {
            Ok(Self::unmanaged_resource(&group))
        }
    }

    async fn list_groups(
        &self,
        req: &GroupListRequest,
    ) -> Result<Page<GroupResource>, BridgeError> {
        self.catch_up_to_read().await;
        // Before the index is read-locked: it read-locks the index too.
        let not_adopted = self.unmanaged_native_groups();
        let (total, page, unmanaged) = {
            let groups = self.read_groups();
            let skip = req.start_index.saturating_sub(1);
            let candidates: Vec<&GroupState> =
                match req.filter.as_ref().and_then(|f| f.display_name_eq()) {
                    Some(name) => groups.by_name(name).into_iter().collect(),
                    None => groups.iter().collect(),
                };
            // Filters on members need them; everything else is decided without building lists.
            let mut matching = Vec::new();
            for state in candidates {
                let resource = self.resource_of(
                    state,
                    req.include_members || req.filter.as_ref().is_some_and(|f| f.needs_members()),
                );
                if req.filter.as_ref().is_none_or(|f| f.matches(&resource)) {
                    matching.push((Some(state), resource));
                }
            }
            // The target's own groups no SCIM group stands for yet: an IdP's push can link to them.
            let mut unmanaged = HashMap::new();
            for group in not_adopted {
                let resource = Self::unmanaged_resource(&group);
                if req.filter.as_ref().is_none_or(|f| f.matches(&resource)) {
                    matching.push((None, resource));
                    unmanaged.insert(group.id.to_string(), group);
                }
            }
            let total = matching.len();
            let page: Vec<GroupResource> = matching
                .into_iter()
                .skip(skip)
                .take(req.count)
                .map(|(state, resource)| match state {
                    Some(state) if !req.include_members && !resource.members.is_empty() => {
                        self.resource_of(state, false)
                    }
                    _ => resource,
                })
                .collect();
            (total, page, unmanaged)
        };
        // Their members are the target's: read for the groups of this page only.
        let mut items = Vec::with_capacity(page.len());
        for resource in page {
            match unmanaged.get(&resource.id) {
                Some(group) if req.include_members => {
                    items.push(self.unmanaged_resource_with_members(group).await?);
                }
                _ => items.push(resource),
            }
        }
        Ok(Page { total, items })
    }

    async fn create_group(
        &self,
        group: GroupWrite,
        ctx: &RequestContext,
    ) -> Result<GroupResource, BridgeError> {
        self.on_request(ctx, self.create_group_caused(group)).await
    }

    async fn replace_group(
        &self,
        id: &str,
        group: GroupWrite,
        ctx: &RequestContext,
    ) -> Result<GroupResource, BridgeError> {
        let id = group_id(id)?;
        let changes = vec![
            GroupChange::Rename(group.display_name),
            GroupChange::SetExternalId(group.external_id),
            GroupChange::ReplaceMembers(group.members),
        ];
        let state = self
            .on_request(ctx, async {
                self.adopt_native_group(&id).await?;
                self.change_group(&id, changes, &ctx.preconditions).await
            })
            .await?;
        Ok(self.resource_of(&state, true))
    }

    async fn patch_group(
        &self,
        id: &str,
        changes: Vec<GroupChange>,
        ctx: &RequestContext,
    ) -> Result<(), BridgeError> {
        let id = group_id(id)?;
        self.on_request(ctx, async {
            self.adopt_native_group(&id).await?;
            self.change_group(&id, changes, &ctx.preconditions).await
        })
        .await
        .map(|_| ())
    }

    async fn delete_group(&self, id: &str, ctx: &RequestContext) -> Result<(), BridgeError> {
        let id = group_id(id)?;
        self.on_request(ctx, async {
            self.adopt_native_group(&id).await?;
            self.delete_group_caused(&id, &ctx.preconditions).await
        })
        .await
    }
}

impl<T: Target> Bridge<T> {
    async fn create_group_caused(&self, group: GroupWrite) -> Result<GroupResource, BridgeError> {
        let _name_lock = self.lock(&LockKey::group_name(&group.display_name)).await?;
        let existing = self.read_groups().by_name(&group.display_name).cloned();
        let retried = match &existing {
            Some(existing) => self.is_retry_of_failed_create(existing, &group).await?,
            None => false,
        };
        let id = match existing {
            Some(existing) if retried => {
                tracing::info!(group = %group.display_name, id = %existing.id, "the IdP retries a group creation that failed; finishing it");
                existing.id
            }
            Some(existing) => {
                return Err(BridgeError::Uniqueness(format!(
                    "a group named '{}' already exists (id {})",
                    existing.row.display_name, existing.row.id
                )));
            }
            None => self.store_new_group(&group).await?,
        };
        let state = if group.members.is_empty() {
            self.read_groups()
                .get(&id)
                .cloned()
                .ok_or_else(|| BridgeError::not_found(Resource::Group, &id))?
        } else {
            let added = self
                .change_group(
                    &id,
                    vec![GroupChange::AddMembers(group.members)],
                    &Preconditions::default(),
                )
                .await;
            match added {
                Ok(state) => state,
                Err(e) => {
                    // Stored, answered with a failure: the IdP's retry must not meet a 409.
                    self.store.set_unanswered(id.as_str(), true).await?;
                    return Err(e);
                }
            }
        };
        if retried {
            self.store.set_unanswered(id.as_str(), false).await?;
        }
        Ok(self.resource_of(&state, true))
    }

    /// Whether `group` is the IdP's retry of a POST that stored `existing` and then failed:
    /// the same displayName (found by it) and the same externalId.
    async fn is_retry_of_failed_create(
        &self,
        existing: &GroupState,
        group: &GroupWrite,
    ) -> Result<bool, BridgeError> {
        Ok(existing.row.external_id == group.external_id
            && self.store.is_unanswered(existing.id.as_str()).await?)
    }

    /// Stores a new group with the entitlements its name maps to.
    async fn store_new_group(&self, group: &GroupWrite) -> Result<GroupId, BridgeError> {
        let (id, roles, adopted) = if self.groups_are_native() {
            let native = self.native_group_for(&group.display_name).await?;
            // Under its target id, as `GET /Groups` showed it before.
            let id = GroupId::parse(native.id.as_str())
                .ok()
                .filter(|id| self.read_groups().get(id).is_none())
                .unwrap_or_else(GroupId::generate);
            (id, vec![native.id], native.members)
        } else {
            (
                GroupId::generate(),
                self.roles_for(&group.display_name)?,
                Vec::new(),
            )
        };
        let now = Utc::now();
        let row = GroupRow {
            id: id.to_string(),
            display_name: group.display_name.clone(),
            external_id: group.external_id.clone(),
            roles: roles.clone(),
            created: now,
            last_modified: now,
        };
        self.store.save_group(&row).await?;
        self.write_groups().upsert(GroupState {
            id: id.clone(),
            row,
            members: BTreeSet::new(),
        });
        tracing::info!(group = %group.display_name, id = %id, "group created");
        if let Some(entitlement) = roles.first() {
            self.record_native_members(&id, entitlement, &adopted)
                .await?;
        }
        Ok(id)
    }

    async fn delete_group_caused(
        &self,
        id: &GroupId,
        preconditions: &Preconditions,
    ) -> Result<(), BridgeError> {
        let _lock = self.lock(&LockKey::Group(id.clone())).await?;
        let Some(state) = self.read_groups().get(id).cloned() else {
            return Err(BridgeError::not_found(Resource::Group, id));
        };
        preconditions
            .allow_change(&self.resource_of(&state, false).version())
            .map_err(BridgeError::Request)?;
        if self.groups_are_native() {
            self.delete_native_group(&state).await?;
        }
        let members = user_ids(self.store.delete_group(id.as_str()).await?);
        self.write_groups().remove(id);
        self.refresh_user_groups(&members).await?;
        if !self.groups_are_native() {
            self.sync_users(members).await?;
        }
        tracing::info!(id = %id, "group deleted");
        Ok(())
    }
}
