//! SCIM groups as Falcon role sets.
//!
//! A group is a display name and the Falcon role ids its members get. The roles come from the
//! configuration's `[groups]` table, else from a Falcon role whose display name or id equals the
//! group's name (case-insensitively), else there are none (or the group is refused, if so
//! configured). Membership changes are stored first and then each affected user is synced
//! (`roles.rs`), so Falcon hears only of grants and revokes, never of groups.

use crate::telemetry as names;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Utc;

use super::error::BridgeError;
use super::writes::{Cause, caused_by};
use super::{Bridge, Target};
use crate::store::GroupRow;
use falcon::model::Role;
use scim::backend::{GroupBackend, GroupListRequest, Page, RequestContext};
use scim::error::ScimError;
use scim::group::{GroupResource, GroupWrite, MemberRef};
use scim::patch::GroupChange;
use scim::user::GroupRef;

/// How group names become role sets (from the TOML configuration).
#[derive(Debug, Clone, Default)]
pub struct GroupMapping {
    /// Lower-cased display name -> (name as configured, role ids).
    configured: HashMap<String, (String, Vec<String>)>,
    pub refuse_unmapped: bool,
}

impl GroupMapping {
    pub fn new(groups: &BTreeMap<String, Vec<String>>, refuse_unmapped: bool) -> Self {
        Self {
            configured: groups
                .iter()
                .map(|(name, roles)| (name.to_lowercase(), (name.clone(), roles.clone())))
                .collect(),
            refuse_unmapped,
        }
    }

    /// Every configured role id with the group that names it.
    pub fn configured_roles(&self) -> impl Iterator<Item = (&str, &str)> {
        self.configured
            .values()
            .flat_map(|(group, roles)| roles.iter().map(move |r| (group.as_str(), r.as_str())))
    }

    /// The roles for a group called `name`, or `None` when nothing maps it.
    pub fn resolve(&self, name: &str, catalogue: &[Role]) -> Option<Vec<String>> {
        let lc = name.trim().to_lowercase();
        if let Some((_, roles)) = self.configured.get(&lc) {
            return Some(roles.clone());
        }
        catalogue
            .iter()
            .find(|r| r.display_name.to_lowercase() == lc || r.id.to_lowercase() == lc)
            .map(|r| vec![r.id.clone()])
    }
}

/// A mapped role id Falcon does not know.
#[derive(Debug, thiserror::Error)]
#[error("group '{group}' maps to Falcon role '{role}', which does not exist{}", suggest(.closest))]
pub struct UnknownMappedRole {
    pub group: String,
    pub role: String,
    pub closest: Vec<String>,
}

fn suggest(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!("; closest existing role ids: {}", closest.join(", "))
    }
}

/// Checks every configured role id against the catalogue.
pub fn check_mapping(mapping: &GroupMapping, catalogue: &[Role]) -> Vec<UnknownMappedRole> {
    let mut problems: Vec<UnknownMappedRole> = mapping
        .configured_roles()
        .filter(|(_, role)| !catalogue.iter().any(|r| r.id == *role))
        .map(|(group, role)| {
            let mut scored: Vec<(f64, &str)> = catalogue
                .iter()
                .map(|r| {
                    (
                        strsim::jaro_winkler(&r.id.to_lowercase(), &role.to_lowercase()),
                        r.id.as_str(),
                    )
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            UnknownMappedRole {
                group: group.to_owned(),
                role: role.to_owned(),
                closest: scored
                    .into_iter()
                    .take(3)
                    .map(|(_, id)| id.to_owned())
                    .collect(),
            }
        })
        .collect();
    problems.sort_by(|a, b| (&a.group, &a.role).cmp(&(&b.group, &b.role)));
    problems
}

/// One group in memory: its row and its members' SCIM ids.
#[derive(Debug, Clone)]
pub struct GroupState {
    pub row: GroupRow,
    pub members: BTreeSet<String>,
}

#[derive(Debug, Default)]
pub struct GroupIndex {
    by_id: BTreeMap<String, GroupState>,
    by_name: HashMap<String, String>,
}

impl GroupIndex {
    pub fn get(&self, id: &str) -> Option<&GroupState> {
        self.by_id.get(id)
    }

    pub fn by_name(&self, name: &str) -> Option<&GroupState> {
        self.by_name
            .get(&name.to_lowercase())
            .and_then(|id| self.by_id.get(id))
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn upsert(&mut self, state: GroupState) {
        if let Some(old) = self.by_id.get(&state.row.id) {
            self.by_name.remove(&old.row.display_name.to_lowercase());
        }
        self.by_name
            .insert(state.row.display_name.to_lowercase(), state.row.id.clone());
        self.by_id.insert(state.row.id.clone(), state);
    }

    pub fn remove(&mut self, id: &str) -> Option<GroupState> {
        let state = self.by_id.remove(id)?;
        self.by_name.remove(&state.row.display_name.to_lowercase());
        Some(state)
    }

    pub fn iter(&self) -> impl Iterator<Item = &GroupState> {
        self.by_id.values()
    }
}

fn group_key(id: &str) -> String {
    format!("group:{id}")
}

fn group_name_key(name: &str) -> String {
    format!("group-name:{}", name.to_lowercase())
}

impl<T: Target> Bridge<T> {
    /// Loads groups and memberships from the store (start-up).
    pub(super) async fn load_groups(&self) -> Result<(), BridgeError> {
        let groups = self.store.all_groups().await?;
        let memberships = self.store.all_memberships().await?;
        let mut members: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut user_groups: HashMap<String, Vec<GroupRef>> = HashMap::new();
        for (user, group, display) in memberships {
            members
                .entry(group.clone())
                .or_default()
                .insert(user.clone());
            user_groups.entry(user).or_default().push(GroupRef {
                value: group,
                display: Some(display),
            });
        }
        {
            let mut index = self.write_groups();
            for row in groups {
                let m = members.remove(&row.id).unwrap_or_default();
                index.upsert(GroupState { row, members: m });
            }
        }
        let mut directory = self.write_directory();
        for (user, refs) in user_groups {
            directory.set_groups(&user, refs);
        }
        Ok(())
    }

    /// Reloads Falcon's role catalogue (group names are matched against it).
    pub async fn refresh_roles(&self) -> Result<Vec<Role>, BridgeError> {
        let roles = self
            .target
            .role_catalogue()
            .await
            .map_err(|e| BridgeError::falcon("load Falcon's role catalogue", e))?;
        *self.roles.write().unwrap_or_else(|p| p.into_inner()) = roles.clone();
        Ok(roles)
    }

    /// Re-resolves every group's roles (the configuration may have changed since the last
    /// start) and syncs the members of groups whose roles changed.
    pub async fn apply_group_mapping(&self) -> Result<(), BridgeError> {
        caused_by(
            Cause::internal("start-up"),
            self.apply_group_mapping_caused(),
        )
        .await
    }

    async fn apply_group_mapping_caused(&self) -> Result<(), BridgeError> {
        let catalogue = self.roles.read().unwrap_or_else(|p| p.into_inner()).clone();
        let groups: Vec<GroupState> = self.read_groups().iter().cloned().collect();
        for mut state in groups {
            let _lock = self.locks.lock(&group_key(&state.row.id)).await;
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
                    value: id.clone(),
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

    /// The roles for a new or renamed group, or the SCIM error the configuration asks for.
    fn roles_for(&self, name: &str) -> Result<Vec<String>, ScimError> {
        let catalogue = self.roles.read().unwrap_or_else(|p| p.into_inner());
        if let Some(roles) = self.mapping.resolve(name, &catalogue) {
            return Ok(roles);
        }
        if self.mapping.refuse_unmapped {
            return Err(ScimError::invalid_value(format!(
                "group '{name}' maps to no Falcon role. Map it in the bridge's TOML configuration \
                 (BRIDGE_CONFIG), e.g. [groups] \"{name}\" = [\"falcon_analyst\"], or name the group \
                 after a Falcon role"
            )));
        }
        metrics::counter!(names::UNMAPPED_GROUPS).increment(1);
        tracing::warn!(group = %name, "group maps to no Falcon role; its members get no roles until it is mapped in [groups] of BRIDGE_CONFIG");
        Ok(Vec::new())
    }

    /// Member ids the bridge knows (adopting Falcon users it had not yet); unknown ones are
    /// reported and skipped so that one stale id does not fail a whole push.
    async fn known_members(&self, ids: &[String]) -> Result<Vec<String>, BridgeError> {
        let mut known = Vec::with_capacity(ids.len());
        for id in ids {
            let entry = self.read_directory().get(id).cloned();
            match entry {
                Some(e) if e.managed => known.push(id.clone()),
                Some(native) => {
                    let _lock = self.locks.lock(&super::users::id_key(id)).await;
                    self.record(native.resource, native.link).await?;
                    known.push(id.clone());
                }
                None => {
                    metrics::counter!(names::UNKNOWN_MEMBERS).increment(1);
                    tracing::warn!(member = %id, "group member unknown to the bridge; ignored");
                }
            }
        }
        Ok(known)
    }

    /// Refreshes the `groups` attribute of `users` after their memberships changed.
    async fn refresh_user_groups(&self, users: &BTreeSet<String>) -> Result<(), BridgeError> {
        for user in users {
            let refs = self
                .store
                .groups_of_user(user)
                .await?
                .into_iter()
                .map(|(value, display)| GroupRef {
                    value,
                    display: Some(display),
                })
                .collect();
            self.write_directory().set_groups(user, refs);
        }
        Ok(())
    }

    /// Applies `changes` to the group `id` and syncs every user they touch.
    async fn change_group(
        &self,
        id: &str,
        changes: Vec<GroupChange>,
    ) -> Result<GroupState, ScimError> {
        let _lock = self.locks.lock(&group_key(id)).await;
        let mut state = self
            .read_groups()
            .get(id)
            .cloned()
            .ok_or_else(|| ScimError::not_found("Group", id))?;
        let mut touched: BTreeSet<String> = BTreeSet::new();
        let mut roles_changed = false;
        let mut row_changed = false;
        for change in changes {
            match change {
                GroupChange::Rename(name) => {
                    if name.trim().is_empty() {
                        return Err(ScimError::invalid_value("displayName must not be empty"));
                    }
                    if name == state.row.display_name {
                        continue;
                    }
                    if self
                        .read_groups()
                        .by_name(&name)
                        .is_some_and(|g| g.row.id != id)
                    {
                        return Err(ScimError::uniqueness(format!(
                            "a group named '{name}' already exists"
                        )));
                    }
                    let roles = self.roles_for(&name)?;
                    roles_changed |= roles != state.row.roles;
                    state.row.roles = roles;
                    state.row.display_name = name;
                    row_changed = true;
                }
                GroupChange::SetExternalId(ext) => {
                    row_changed |= ext != state.row.external_id;
                    state.row.external_id = ext;
                }
                GroupChange::AddMembers(ids) => {
                    let known = self.known_members(&ids).await.map_err(ScimError::from)?;
                    touched.extend(
                        self.store
                            .change_members(id, &known, &[], false)
                            .await
                            .map_err(BridgeError::from)?,
                    );
                    touched.extend(known);
                }
                GroupChange::RemoveMembers(ids) => {
                    touched.extend(
                        self.store
                            .change_members(id, &[], &ids, false)
                            .await
                            .map_err(BridgeError::from)?,
                    );
                    touched.extend(
                        ids.into_iter()
                            .filter(|i| self.read_directory().get(i).is_some()),
                    );
                }
                GroupChange::RemoveAllMembers => {
                    touched.extend(
                        self.store
                            .change_members(id, &[], &[], true)
                            .await
                            .map_err(BridgeError::from)?,
                    );
                }
                GroupChange::ReplaceMembers(ids) => {
                    let known = self.known_members(&ids).await.map_err(ScimError::from)?;
                    touched.extend(
                        self.store
                            .change_members(id, &known, &[], true)
                            .await
                            .map_err(BridgeError::from)?,
                    );
                    touched.extend(known);
                }
            }
        }
        if row_changed {
            state.row.last_modified = Utc::now();
            self.store
                .save_group(&state.row)
                .await
                .map_err(BridgeError::from)?;
        }
        state.members = self
            .store
            .members(id)
            .await
            .map_err(BridgeError::from)?
            .into_iter()
            .collect();
        if roles_changed {
            touched.extend(state.members.iter().cloned());
        }
        self.write_groups().upsert(state.clone());
        self.refresh_user_groups(&touched).await?;
        self.sync_users(touched).await?;
        Ok(state)
    }

    fn read_groups(&self) -> std::sync::RwLockReadGuard<'_, GroupIndex> {
        self.groups.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write_groups(&self) -> std::sync::RwLockWriteGuard<'_, GroupIndex> {
        self.groups.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T: Target> GroupBackend for Bridge<T> {
    async fn get_group(&self, id: &str, include_members: bool) -> Result<GroupResource, ScimError> {
        let groups = self.read_groups();
        let state = groups
            .get(id)
            .ok_or_else(|| ScimError::not_found("Group", id))?;
        Ok(self.resource_of(state, include_members))
    }

    async fn list_groups(&self, req: &GroupListRequest) -> Result<Page<GroupResource>, ScimError> {
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
                matching.push((state, resource));
            }
        }
        let total = matching.len();
        let items = matching
            .into_iter()
            .skip(skip)
            .take(req.count)
            .map(|(state, resource)| {
                if req.include_members || resource.members.is_empty() {
                    resource
                } else {
                    self.resource_of(state, false)
                }
            })
            .collect();
        Ok(Page { total, items })
    }

    async fn create_group(
        &self,
        group: GroupWrite,
        ctx: &RequestContext,
    ) -> Result<GroupResource, ScimError> {
        caused_by(Cause::request(ctx), self.create_group_caused(group)).await
    }

    async fn replace_group(
        &self,
        id: &str,
        group: GroupWrite,
        ctx: &RequestContext,
    ) -> Result<GroupResource, ScimError> {
        let changes = vec![
            GroupChange::Rename(group.display_name),
            GroupChange::SetExternalId(group.external_id),
            GroupChange::ReplaceMembers(group.members),
        ];
        let state = caused_by(Cause::request(ctx), self.change_group(id, changes)).await?;
        Ok(self.resource_of(&state, true))
    }

    async fn patch_group(
        &self,
        id: &str,
        changes: Vec<GroupChange>,
        ctx: &RequestContext,
    ) -> Result<(), ScimError> {
        caused_by(Cause::request(ctx), self.change_group(id, changes))
            .await
            .map(|_| ())
    }

    async fn delete_group(&self, id: &str, ctx: &RequestContext) -> Result<(), ScimError> {
        caused_by(Cause::request(ctx), self.delete_group_caused(id)).await
    }
}

impl<T: Target> Bridge<T> {
    async fn create_group_caused(&self, group: GroupWrite) -> Result<GroupResource, ScimError> {
        let _name_lock = self.locks.lock(&group_name_key(&group.display_name)).await;
        if let Some(existing) = self.read_groups().by_name(&group.display_name) {
            return Err(ScimError::uniqueness(format!(
                "a group named '{}' already exists (id {})",
                existing.row.display_name, existing.row.id
            )));
        }
        let roles = self.roles_for(&group.display_name)?;
        let now = Utc::now();
        let row = GroupRow {
            id: uuid::Uuid::new_v4().to_string(),
            display_name: group.display_name.clone(),
            external_id: group.external_id.clone(),
            roles,
            created: now,
            last_modified: now,
        };
        self.store
            .save_group(&row)
            .await
            .map_err(BridgeError::from)?;
        let id = row.id.clone();
        self.write_groups().upsert(GroupState {
            row,
            members: BTreeSet::new(),
        });
        tracing::info!(group = %group.display_name, id = %id, "group created");
        let state = if group.members.is_empty() {
            self.read_groups()
                .get(&id)
                .cloned()
                .ok_or_else(|| ScimError::not_found("Group", &id))?
        } else {
            self.change_group(&id, vec![GroupChange::AddMembers(group.members)])
                .await?
        };
        Ok(self.resource_of(&state, true))
    }

    async fn delete_group_caused(&self, id: &str) -> Result<(), ScimError> {
        let _lock = self.locks.lock(&group_key(id)).await;
        if self.read_groups().get(id).is_none() {
            return Err(ScimError::not_found("Group", id));
        }
        let members: BTreeSet<String> = self
            .store
            .delete_group(id)
            .await
            .map_err(BridgeError::from)?
            .into_iter()
            .collect();
        self.write_groups().remove(id);
        self.refresh_user_groups(&members).await?;
        self.sync_users(members).await?;
        tracing::info!(id, "group deleted");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: &str, name: &str) -> Role {
        Role {
            id: id.into(),
            display_name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_resolve_by_config_then_role_name_then_id() {
        let mut groups = BTreeMap::new();
        groups.insert(
            "SOC Tier 1".to_owned(),
            vec!["falcon_analyst".to_owned(), "event_viewer".to_owned()],
        );
        let mapping = GroupMapping::new(&groups, false);
        let catalogue = [
            role("falcon_analyst", "Falcon Analyst"),
            role("help_desk", "Help Desk"),
        ];
        assert_eq!(
            mapping.resolve("soc tier 1", &catalogue).unwrap(),
            ["falcon_analyst", "event_viewer"]
        );
        assert_eq!(
            mapping.resolve("FALCON ANALYST", &catalogue).unwrap(),
            ["falcon_analyst"]
        );
        assert_eq!(
            mapping.resolve("help_desk", &catalogue).unwrap(),
            ["help_desk"]
        );
        assert!(mapping.resolve("Marketing", &catalogue).is_none());
    }

    #[test]
    fn unknown_mapped_roles_come_with_the_closest_ids() {
        let mut groups = BTreeMap::new();
        groups.insert(
            "Admins".to_owned(),
            vec!["falcon_admin".to_owned(), "help_desk".to_owned()],
        );
        let mapping = GroupMapping::new(&groups, false);
        let catalogue = [
            role("falcon_administrator", "Falcon Administrator"),
            role("help_desk", "Help Desk"),
            role("event_viewer", "Event Viewer"),
        ];
        let problems = check_mapping(&mapping, &catalogue);
        assert_eq!(problems.len(), 1);
        let text = problems[0].to_string();
        assert!(
            text.starts_with(
                "group 'Admins' maps to Falcon role 'falcon_admin', which does not exist"
            ),
            "{text}"
        );
        assert_eq!(problems[0].closest[0], "falcon_administrator");
    }
}
