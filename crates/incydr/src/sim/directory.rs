//! The tenant's state: users in creation order, their roles, legal holds and orgs.
//!
//! Everything here is synchronous and clock-injected (`now` is a parameter) so it can be tested
//! without a server. Users only ever enter through [`Directory::add_user`] (the test harness
//! standing in for Incydr's own provisioning), because the v1 API has no create and no delete.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::catalogue::{self, Org};
use super::params::ListQuery;
use crate::model::{Role, RolesUpdate, User, UserRoles, UsersPage};

/// A user as Incydr's own provisioning (SCIM from an IdP, directory sync, the console) creates
/// it; also the body of the `/_sim/users` control.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    /// The login, unique case-insensitively; an e-mail address in cloud tenants.
    pub username: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl NewUser {
    /// An active user with these names.
    pub fn new(username: &str, first: &str, last: &str) -> Self {
        Self {
            username: username.to_owned(),
            first_name: Some(first.to_owned()),
            last_name: Some(last.to_owned()),
            active: true,
        }
    }
}

/// Why a control or an API call could not change the directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    #[error("no user with id '{0}'")]
    UnknownUser(String),
    #[error("a user named '{0}' already exists")]
    DuplicateUsername(String),
    #[error("unknown role id '{0}'")]
    UnknownRole(String),
    #[error("unknown orgGuid '{0}'")]
    UnknownOrg(String),
    /// The text starts with [`crate::model::ACTIVE_LEGAL_HOLD`] (a unit test keeps them equal).
    #[error(
        "ACTIVE_LEGAL_HOLD: user '{0}' is under an active legal hold and cannot be deactivated"
    )]
    LegalHold(String),
}

#[derive(Debug, Clone)]
struct Record {
    user: User,
    legal_hold: bool,
    /// Role id → when it was assigned.
    roles: BTreeMap<String, DateTime<Utc>>,
}

#[derive(Debug)]
pub(crate) struct Directory {
    users: Vec<Record>,
    by_id: HashMap<String, usize>,
    /// Lowercased username → index.
    by_username: HashMap<String, usize>,
    roles: Vec<Role>,
    orgs: Vec<Org>,
    /// Next legacy (numeric) user id, and the sequence number of bulk-seeded logins.
    next_legacy_id: u64,
}

impl Default for Directory {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            by_id: HashMap::new(),
            by_username: HashMap::new(),
            roles: catalogue::default_roles(),
            orgs: catalogue::default_orgs(),
            next_legacy_id: 1_047_000,
        }
    }
}

/// The `PUT …/roles` outcome for a user holding `current` who asks for `requested`: known ids
/// are applied in request order (duplicates once), unknown ids are ignored, and whatever the
/// user held but did not ask for again is unassigned. An empty request clears the set.
pub(crate) fn diff_roles<'a>(
    current: impl IntoIterator<Item = &'a String>,
    requested: &[String],
    is_known: impl Fn(&str) -> bool,
) -> RolesUpdate {
    let current: BTreeSet<&String> = current.into_iter().collect();
    let mut update = RolesUpdate::default();
    for id in requested {
        let list = if is_known(id) {
            &mut update.processed
        } else {
            &mut update.ignored
        };
        if !list.contains(id) {
            list.push(id.clone());
        }
    }
    update.newly_assigned = update
        .processed
        .iter()
        .filter(|id| !current.contains(id))
        .cloned()
        .collect();
    update.unassigned = current
        .iter()
        .filter(|id| !update.processed.contains(id))
        .map(|id| (*id).clone())
        .collect();
    update
}

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon",
];
const LAST_NAMES: &[&str] = &[
    "Moreau", "Okafor", "Silva", "Tanaka", "Novak", "Schmidt", "Haddad", "Kowalski",
];

impl Directory {
    fn default_org(&self) -> &Org {
        // The catalogue always has at least one org.
        &self.orgs[0]
    }

    pub(crate) fn add_user(
        &mut self,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<User, DirectoryError> {
        let key = new.username.to_lowercase();
        if self.by_username.contains_key(&key) {
            return Err(DirectoryError::DuplicateUsername(new.username));
        }
        let org = self.default_org().clone();
        let legacy = self.next_legacy_id;
        self.next_legacy_id += 1;
        let user = User {
            user_id: Uuid::new_v4().to_string(),
            username: new.username,
            first_name: new.first_name,
            last_name: new.last_name,
            legacy_user_id: Some(legacy.to_string()),
            legacy_org_id: Some(org.legacy_id),
            org_id: Some(org.id),
            org_guid: Some(org.guid),
            org_name: Some(org.name),
            notes: None,
            active: new.active,
            blocked: false,
            creation_date: Some(now),
            modification_date: Some(now),
        };
        let index = self.users.len();
        self.by_id.insert(user.user_id.clone(), index);
        self.by_username.insert(key, index);
        self.users.push(Record {
            user: user.clone(),
            legal_hold: false,
            roles: BTreeMap::new(),
        });
        Ok(user)
    }

    /// `n` active users `first.last.NNNNNNN@domain`, unique by construction.
    pub(crate) fn seed_bulk(&mut self, n: usize, domain: &str, now: DateTime<Utc>) -> Vec<User> {
        self.users.reserve(n);
        let mut created = Vec::with_capacity(n);
        while created.len() < n {
            let seq = self.next_legacy_id;
            let first = FIRST_NAMES[(seq as usize) % FIRST_NAMES.len()];
            let last = LAST_NAMES[(seq as usize / FIRST_NAMES.len()) % LAST_NAMES.len()];
            let username = format!("{first}.{last}.{seq:07}@{domain}").to_lowercase();
            // A collision (a hand-seeded user with that very login) only costs a sequence number.
            if let Ok(user) = self.add_user(NewUser::new(&username, first, last), now) {
                created.push(user);
            }
        }
        created
    }

    fn record(&self, user_id: &str) -> Result<&Record, DirectoryError> {
        self.by_id
            .get(user_id)
            .map(|&i| &self.users[i])
            .ok_or_else(|| DirectoryError::UnknownUser(user_id.to_owned()))
    }

    fn record_mut(&mut self, user_id: &str) -> Result<&mut Record, DirectoryError> {
        match self.by_id.get(user_id) {
            Some(&i) => Ok(&mut self.users[i]),
            None => Err(DirectoryError::UnknownUser(user_id.to_owned())),
        }
    }

    pub(crate) fn user(&self, user_id: &str) -> Option<&User> {
        self.record(user_id).ok().map(|r| &r.user)
    }

    pub(crate) fn user_by_username(&self, username: &str) -> Option<&User> {
        self.by_username
            .get(&username.to_lowercase())
            .map(|&i| &self.users[i].user)
    }

    pub(crate) fn users(&self) -> impl Iterator<Item = &User> {
        self.users.iter().map(|r| &r.user)
    }

    /// The matching users in creation order, one page of them, and how many match in all.
    pub(crate) fn list(&self, query: &ListQuery) -> UsersPage {
        let matching: Vec<&User> = match &query.username {
            // The username index answers the common "resolve a login" call without a scan.
            Some(name) => self.user_by_username(name).into_iter().collect(),
            None => self.users().collect(),
        };
        let matching: Vec<&User> = matching
            .into_iter()
            .filter(|u| query.active.is_none_or(|a| u.active == a))
            .filter(|u| query.blocked.is_none_or(|b| u.blocked == b))
            .collect();
        UsersPage {
            users: query
                .page
                .slice(&matching)
                .iter()
                .map(|u| (*u).clone())
                .collect(),
            total_count: matching.len() as u64,
        }
    }

    pub(crate) fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub(crate) fn role(&self, role_id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.role_id == role_id)
    }

    pub(crate) fn role_ids_of(&self, user_id: &str) -> Result<Vec<String>, DirectoryError> {
        Ok(self.record(user_id)?.roles.keys().cloned().collect())
    }

    /// The user's roles, by role id.
    pub(crate) fn roles_of(&self, user_id: &str) -> Result<UserRoles, DirectoryError> {
        let record = self.record(user_id)?;
        let roles = record
            .roles
            .iter()
            .filter_map(|(id, at)| self.role(id).map(|r| catalogue::user_role(r, *at)))
            .collect();
        Ok(UserRoles { roles })
    }

    /// `PUT …/roles`: replaces the whole set with the known ids of `requested`.
    pub(crate) fn replace_roles(
        &mut self,
        user_id: &str,
        requested: &[String],
        now: DateTime<Utc>,
    ) -> Result<RolesUpdate, DirectoryError> {
        let known: BTreeSet<String> = self.roles.iter().map(|r| r.role_id.clone()).collect();
        let record = self.record_mut(user_id)?;
        let update = diff_roles(record.roles.keys(), requested, |id| known.contains(id));
        for id in &update.unassigned {
            record.roles.remove(id);
        }
        for id in &update.newly_assigned {
            record.roles.insert(id.clone(), now);
        }
        if !update.newly_assigned.is_empty() || !update.unassigned.is_empty() {
            record.user.modification_date = Some(now);
        }
        Ok(update)
    }

    /// Adds roles as a console administrator would; all-or-nothing on an unknown role id.
    pub(crate) fn grant_roles(
        &mut self,
        user_id: &str,
        role_ids: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), DirectoryError> {
        if let Some(unknown) = role_ids.iter().find(|id| self.role(id).is_none()) {
            return Err(DirectoryError::UnknownRole(unknown.clone()));
        }
        let record = self.record_mut(user_id)?;
        for id in role_ids {
            record.roles.entry(id.clone()).or_insert(now);
        }
        Ok(())
    }

    /// Activate (`true`) or deactivate; idempotent. A held user cannot be deactivated, even if
    /// already inactive: the refusal is about the hold, not about the state change.
    pub(crate) fn set_active(
        &mut self,
        user_id: &str,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<(), DirectoryError> {
        let record = self.record_mut(user_id)?;
        if !active && record.legal_hold {
            return Err(DirectoryError::LegalHold(user_id.to_owned()));
        }
        if record.user.active != active {
            record.user.active = active;
            record.user.modification_date = Some(now);
        }
        Ok(())
    }

    pub(crate) fn set_legal_hold(
        &mut self,
        user_id: &str,
        held: bool,
    ) -> Result<(), DirectoryError> {
        self.record_mut(user_id)?.legal_hold = held;
        Ok(())
    }

    pub(crate) fn set_blocked(
        &mut self,
        user_id: &str,
        blocked: bool,
        now: DateTime<Utc>,
    ) -> Result<(), DirectoryError> {
        let record = self.record_mut(user_id)?;
        if record.user.blocked != blocked {
            record.user.blocked = blocked;
            record.user.modification_date = Some(now);
        }
        Ok(())
    }

    /// `POST …/move`: into the org with this `orgGuid`.
    pub(crate) fn move_user(
        &mut self,
        user_id: &str,
        org_guid: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DirectoryError> {
        // An unknown user is a 404, whatever the body says.
        self.record(user_id)?;
        let org = self
            .orgs
            .iter()
            .find(|o| o.guid == org_guid)
            .cloned()
            .ok_or_else(|| DirectoryError::UnknownOrg(org_guid.to_owned()))?;
        let user = &mut self.record_mut(user_id)?.user;
        if user.org_guid.as_deref() != Some(org_guid) {
            user.org_guid = Some(org.guid);
            user.org_id = Some(org.id);
            user.legacy_org_id = Some(org.legacy_id);
            user.org_name = Some(org.name);
            user.modification_date = Some(now);
        }
        Ok(())
    }

    pub(crate) fn org_guids(&self) -> Vec<String> {
        self.orgs.iter().map(|o| o.guid.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DEFAULT_PAGE_SIZE;
    use crate::sim::paging::PageRequest;

    fn strings(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    fn query(page: u32, size: u32) -> ListQuery {
        ListQuery {
            active: None,
            blocked: None,
            username: None,
            page: PageRequest { page, size },
        }
    }

    #[test]
    fn the_roles_diff_reports_four_lists() {
        let current = strings(&["a", "b"]);
        let known = |id: &str| id != "zz";
        let update = diff_roles(&current, &strings(&["b", "c", "zz", "c"]), known);
        assert_eq!(update.processed, ["b", "c"]);
        assert_eq!(update.newly_assigned, ["c"]);
        assert_eq!(update.unassigned, ["a"]);
        assert_eq!(update.ignored, ["zz"]);
        let cleared = diff_roles(&current, &[], known);
        assert!(cleared.processed.is_empty() && cleared.newly_assigned.is_empty());
        assert_eq!(cleared.unassigned, ["a", "b"]);
    }

    #[test]
    fn replacing_roles_keeps_assignment_times_and_ignores_unknown_ids() {
        let mut dir = Directory::default();
        let t0 = Utc::now();
        let user = dir
            .add_user(NewUser::new("ann@x.io", "Ann", "Lee"), t0)
            .unwrap();
        dir.grant_roles(&user.user_id, &strings(&["desktop-user"]), t0)
            .unwrap();
        let t1 = t0 + chrono::Duration::seconds(5);
        let update = dir
            .replace_roles(
                &user.user_id,
                &strings(&["desktop-user", "cloud-admin", "nope"]),
                t1,
            )
            .unwrap();
        assert_eq!(update.newly_assigned, ["cloud-admin"]);
        assert_eq!(update.ignored, ["nope"]);
        let held = dir.roles_of(&user.user_id).unwrap().roles;
        let desktop = held.iter().find(|r| r.role_id == "desktop-user").unwrap();
        assert_eq!(desktop.creation_date, Some(t0));
        assert_eq!(held.len(), 2);
        assert_eq!(
            dir.grant_roles(&user.user_id, &strings(&["alerts-read", "nope"]), t1),
            Err(DirectoryError::UnknownRole("nope".into()))
        );
        assert_eq!(dir.role_ids_of(&user.user_id).unwrap().len(), 2);
    }

    #[test]
    fn listing_filters_pages_and_counts() {
        let mut dir = Directory::default();
        let now = Utc::now();
        let users = dir.seed_bulk(5, "x.io", now);
        dir.set_active(&users[1].user_id, false, now).unwrap();
        dir.set_blocked(&users[2].user_id, true, now).unwrap();
        let page = dir.list(&query(2, 2));
        assert_eq!(page.total_count, 5);
        assert_eq!(page.users[0].user_id, users[2].user_id);
        let mut active = query(1, DEFAULT_PAGE_SIZE);
        active.active = Some(true);
        assert_eq!(dir.list(&active).total_count, 4);
        active.blocked = Some(false);
        assert_eq!(dir.list(&active).total_count, 3);
        let mut by_name = query(1, 10);
        by_name.username = Some(users[3].username.to_uppercase());
        let found = dir.list(&by_name);
        assert_eq!(found.total_count, 1);
        assert_eq!(found.users[0].user_id, users[3].user_id);
    }

    #[test]
    fn usernames_are_unique_case_insensitively() {
        let mut dir = Directory::default();
        let now = Utc::now();
        dir.add_user(NewUser::new("Ann@x.io", "Ann", "Lee"), now)
            .unwrap();
        assert!(matches!(
            dir.add_user(NewUser::new("ann@X.io", "A", "L"), now),
            Err(DirectoryError::DuplicateUsername(_))
        ));
    }

    #[test]
    fn a_held_user_cannot_be_deactivated_and_roles_survive_deactivation() {
        let mut dir = Directory::default();
        let now = Utc::now();
        let id = dir
            .add_user(NewUser::new("b@x.io", "B", "C"), now)
            .unwrap()
            .user_id;
        dir.grant_roles(&id, &strings(&["alerts-read"]), now)
            .unwrap();
        dir.set_legal_hold(&id, true).unwrap();
        let refused = dir.set_active(&id, false, now).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains(crate::model::ACTIVE_LEGAL_HOLD)
        );
        dir.set_legal_hold(&id, false).unwrap();
        dir.set_active(&id, false, now).unwrap();
        dir.set_active(&id, false, now).unwrap();
        assert!(!dir.user(&id).unwrap().active);
        assert_eq!(dir.role_ids_of(&id).unwrap(), ["alerts-read"]);
    }

    #[test]
    fn move_targets_a_known_org() {
        let mut dir = Directory::default();
        let now = Utc::now();
        let id = dir
            .add_user(NewUser::new("m@x.io", "M", "N"), now)
            .unwrap()
            .user_id;
        let target = dir.org_guids()[1].clone();
        dir.move_user(&id, &target, now).unwrap();
        assert_eq!(
            dir.user(&id).unwrap().org_name.as_deref(),
            Some("Contractors")
        );
        assert!(matches!(
            dir.move_user(&id, "nope", now),
            Err(DirectoryError::UnknownOrg(_))
        ));
    }
}
