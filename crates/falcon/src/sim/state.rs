//! The simulated tenant directory: CIDs, users, roles and each user's grants.
//!
//! This is plain data with the Falcon rules that are about data (uid uniqueness, allowed
//! domains, CID visibility, custom-role homes, atomic grant batches); HTTP concerns live in the
//! route modules. Every failure is a [`DirectoryError`] whose text is the message Falcon sends.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use thiserror::Error;
use uuid::Uuid;

use crate::model::{Role, User};

use super::catalogue::CUSTOM_KIND;
use super::grants::{GrantLedger, Held};
use super::ids::timestamp;

/// Status of every simulated user (the only value observed in Falcon's replies).
pub(crate) const ACTIVE: &str = "active";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum DirectoryError {
    #[error("User with this email already exists")]
    DuplicateUid,
    #[error("invalid uid '{0}': must be an e-mail address")]
    InvalidUid(String),
    #[error("email domain '{0}' is not allowed for this customer")]
    DomainNotAllowed(String),
    #[error("invalid cid='{0}' specified")]
    InvalidCid(String),
    #[error("invalid user uuid='{0}' specified")]
    UnknownUser(String),
    /// Every bad id of one grant/revoke batch; each becomes its own errors entry.
    #[error("{}", .0.iter().map(|id| invalid_role_message(id)).collect::<Vec<_>>().join("; "))]
    InvalidRoles(Vec<String>),
    #[error("role_ids must not be empty")]
    NoRoles,
}

/// Falcon's message for a role id that cannot be granted.
pub(crate) fn invalid_role_message(id: &str) -> String {
    format!("invalid roleID='{id}' specified")
}

/// A create request after the CID has been resolved.
#[derive(Debug, Clone)]
pub(crate) struct NewUser {
    pub uid: String,
    pub first_name: String,
    pub last_name: String,
    pub cid: String,
}

/// Whether a role batch grants or revokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RoleChange {
    Grant { expires_at: Option<DateTime<Utc>> },
    Revoke,
}

#[derive(Debug, Default)]
pub(crate) struct Directory {
    /// CID -> parent CID (Flight Control children have one).
    parents: HashMap<String, Option<String>>,
    users: HashMap<String, User>,
    /// Lower-cased uid -> uuid. Uids are unique case-insensitively, and iterating this map
    /// yields users in the default `uid|asc` order without sorting on every query.
    by_uid: BTreeMap<String, String>,
    roles: BTreeMap<String, Role>,
    grants: HashMap<String, GrantLedger>,
    /// Serial number for bulk-seeded logins.
    seeded: u64,
    /// Per CID, the uuids of its users in `uid|asc` order: built by the first unfiltered
    /// query after a user was created or deleted, so that paging through 100,000 users does
    /// not walk all of them for every page.
    uid_order: Mutex<HashMap<String, Arc<Vec<String>>>>,
}

impl Directory {
    pub(crate) fn add_cid(&mut self, cid: &str, parent: Option<&str>) {
        self.parents
            .entry(cid.to_owned())
            .or_insert_with(|| parent.map(str::to_owned));
    }

    /// Whether `cid` is `root` or one of its descendants.
    pub(crate) fn is_within(&self, cid: &str, root: &str) -> bool {
        let mut current = Some(cid);
        // The depth bound keeps a misconfigured cycle from spinning forever.
        for _ in 0..16 {
            match current {
                Some(c) if c == root => return true,
                Some(c) => current = self.parents.get(c).and_then(|p| p.as_deref()),
                None => return false,
            }
        }
        false
    }

    pub(crate) fn children_of(&self, root: &str) -> Vec<String> {
        let mut children: Vec<String> = self
            .parents
            .iter()
            .filter(|(_, parent)| parent.as_deref() == Some(root))
            .map(|(cid, _)| cid.clone())
            .collect();
        children.sort();
        children
    }

    pub(crate) fn add_role(&mut self, role: Role) {
        self.roles.insert(role.id.clone(), role);
    }

    pub(crate) fn all_roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// Roles usable inside `cid`: every default role plus the custom roles homed there.
    pub(crate) fn roles_for<'a>(&'a self, cid: &'a str) -> impl Iterator<Item = &'a Role> + 'a {
        self.roles
            .values()
            .filter(move |r| r.cid.as_deref().is_none_or(|home| home == cid))
    }

    pub(crate) fn role(&self, id: &str) -> Option<&Role> {
        self.roles.get(id)
    }

    /// Checks a create request against every rule; `allowed_domains` compares case-insensitively.
    pub(crate) fn check_new_user(
        &self,
        user: &NewUser,
        allowed_domains: Option<&[String]>,
    ) -> Result<(), DirectoryError> {
        let domain =
            email_domain(&user.uid).ok_or_else(|| DirectoryError::InvalidUid(user.uid.clone()))?;
        if let Some(allowed) = allowed_domains
            && !allowed.iter().any(|d| d.eq_ignore_ascii_case(domain))
        {
            return Err(DirectoryError::DomainNotAllowed(domain.to_owned()));
        }
        if !self.parents.contains_key(&user.cid) {
            return Err(DirectoryError::InvalidCid(user.cid.clone()));
        }
        if self.by_uid.contains_key(&user.uid.to_lowercase()) {
            return Err(DirectoryError::DuplicateUid);
        }
        Ok(())
    }

    pub(crate) fn create_user(
        &mut self,
        new: NewUser,
        allowed_domains: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> Result<User, DirectoryError> {
        self.check_new_user(&new, allowed_domains)?;
        Ok(self.create_unchecked(new, now))
    }

    /// Creates a user without the API's checks (fixtures); the caller ensures the uid is new.
    pub(crate) fn create_unchecked(&mut self, new: NewUser, now: DateTime<Utc>) -> User {
        let stamp = timestamp(now);
        let user = User {
            uuid: Uuid::new_v4().to_string(),
            uid: new.uid,
            cid: new.cid,
            first_name: new.first_name,
            last_name: new.last_name,
            status: ACTIVE.to_owned(),
            factors: Vec::new(),
            created_at: Some(stamp.clone()),
            updated_at: Some(stamp),
            last_login_at: None,
        };
        self.insert(user.clone());
        user
    }

    fn insert(&mut self, user: User) {
        self.forget_uid_order();
        self.by_uid
            .insert(user.uid.to_lowercase(), user.uuid.clone());
        self.users.insert(user.uuid.clone(), user);
    }

    /// Creates `n` users with unique generated logins in `domain` (bulk fixture, no checks
    /// beyond uniqueness).
    pub(crate) fn seed_bulk(
        &mut self,
        n: usize,
        domain: &str,
        cid: &str,
        now: DateTime<Utc>,
    ) -> Vec<User> {
        const FIRST: &[&str] = &[
            "Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis",
        ];
        const LAST: &[&str] = &[
            "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson",
        ];
        let stamp = timestamp(now);
        let mut created = Vec::with_capacity(n);
        while created.len() < n {
            self.seeded += 1;
            let serial = self.seeded;
            let first = FIRST[(serial as usize) % FIRST.len()];
            let last = LAST[(serial as usize / FIRST.len()) % LAST.len()];
            let uid = format!(
                "{}.{}.{serial:06}@{domain}",
                first.to_lowercase(),
                last.to_lowercase()
            );
            if self.by_uid.contains_key(&uid.to_lowercase()) {
                continue;
            }
            let user = User {
                uuid: Uuid::new_v4().to_string(),
                uid,
                cid: cid.to_owned(),
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                status: ACTIVE.to_owned(),
                factors: Vec::new(),
                created_at: Some(stamp.clone()),
                updated_at: Some(stamp.clone()),
                last_login_at: None,
            };
            self.insert(user.clone());
            created.push(user);
        }
        created
    }

    pub(crate) fn user(&self, uuid: &str) -> Option<&User> {
        self.users.get(uuid)
    }

    pub(crate) fn user_by_uid(&self, uid: &str) -> Option<&User> {
        self.by_uid
            .get(&uid.to_lowercase())
            .and_then(|uuid| self.users.get(uuid))
    }

    /// The user, if it exists and is homed in `scope` or one of its children; anything else is
    /// Falcon's "invalid user uuid".
    pub(crate) fn visible_user(&self, uuid: &str, scope: &str) -> Result<&User, DirectoryError> {
        self.users
            .get(uuid)
            .filter(|u| self.is_within(&u.cid, scope))
            .ok_or_else(|| DirectoryError::UnknownUser(uuid.to_owned()))
    }

    /// The uuids of the users homed in `cid`, in `uid|asc` order (cached until a user is
    /// created or deleted).
    pub(crate) fn uuids_of_cid_by_uid(&self, cid: &str) -> Arc<Vec<String>> {
        let mut cache = self.uid_order.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(cid.to_owned())
            .or_insert_with(|| {
                Arc::new(
                    self.users_by_uid()
                        .filter(|u| u.cid == cid)
                        .map(|u| u.uuid.clone())
                        .collect(),
                )
            })
            .clone()
    }

    fn forget_uid_order(&mut self) {
        self.uid_order
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Every user in `uid|asc` order.
    pub(crate) fn users_by_uid(&self) -> impl Iterator<Item = &User> {
        self.by_uid.values().filter_map(|uuid| self.users.get(uuid))
    }

    pub(crate) fn rename(
        &mut self,
        uuid: &str,
        scope: &str,
        first_name: String,
        last_name: String,
        now: DateTime<Utc>,
    ) -> Result<User, DirectoryError> {
        self.visible_user(uuid, scope)?;
        let user = self
            .users
            .get_mut(uuid)
            .ok_or_else(|| DirectoryError::UnknownUser(uuid.to_owned()))?;
        user.first_name = first_name;
        user.last_name = last_name;
        user.updated_at = Some(timestamp(now));
        Ok(user.clone())
    }

    /// Deletes the user and every grant it held; a re-created login gets a new uuid.
    pub(crate) fn delete(&mut self, uuid: &str, scope: &str) -> Result<(), DirectoryError> {
        let uid = self.visible_user(uuid, scope)?.uid.to_lowercase();
        self.forget_uid_order();
        self.by_uid.remove(&uid);
        self.users.remove(uuid);
        self.grants.remove(uuid);
        Ok(())
    }

    /// Applies one grant/revoke batch atomically: either every id is valid for the user and all
    /// are applied, or nothing changes. Returns how many grants actually changed.
    pub(crate) fn change_roles(
        &mut self,
        uuid: &str,
        scope: &str,
        role_ids: &[String],
        change: &RoleChange,
        at: Instant,
        lag: Duration,
    ) -> Result<usize, DirectoryError> {
        let home = self.visible_user(uuid, scope)?.cid.clone();
        if role_ids.is_empty() {
            return Err(DirectoryError::NoRoles);
        }
        let mut invalid: Vec<String> = Vec::new();
        for id in role_ids {
            // Exact, case-sensitive lookup; a custom role only exists inside its home CID.
            let ok = self.roles.get(id).is_some_and(|r| {
                r.kind.as_deref() != Some(CUSTOM_KIND) || r.cid.as_deref() == Some(home.as_str())
            });
            if !ok && !invalid.contains(id) {
                invalid.push(id.clone());
            }
        }
        if !invalid.is_empty() {
            return Err(DirectoryError::InvalidRoles(invalid));
        }
        let to = match change {
            RoleChange::Grant { expires_at } => Some(Held {
                expires_at: *expires_at,
            }),
            // Revoking a role the user does not hold is accepted as a no-op: Falcon's behaviour
            // is undocumented, and an idempotent revoke is what a reconciling client needs to
            // be safe with anyway.
            RoleChange::Revoke => None,
        };
        let ledger = self.grants.entry(uuid.to_owned()).or_default();
        Ok(role_ids
            .iter()
            .filter(|id| ledger.record(at, id, to.clone(), lag))
            .count())
    }

    /// The user's grants as a lagging reader sees them.
    pub(crate) fn visible_grants(
        &self,
        uuid: &str,
        now: Instant,
        lag: Duration,
        wall_now: DateTime<Utc>,
    ) -> BTreeMap<String, Held> {
        self.grants
            .get(uuid)
            .map(|l| l.visible(now, lag, wall_now))
            .unwrap_or_default()
    }

    /// Role ids held right now, ignoring the read lag (expired temporary grants excluded).
    pub(crate) fn current_grant_ids(&self, uuid: &str, wall_now: DateTime<Utc>) -> Vec<String> {
        self.grants
            .get(uuid)
            .map(|l| {
                l.current()
                    .into_iter()
                    .filter(|(_, h)| h.expires_at.is_none_or(|at| at > wall_now))
                    .map(|(id, _)| id)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the user currently holds any unexpired temporary grant.
    pub(crate) fn has_temporary_roles(&self, uuid: &str, wall_now: DateTime<Utc>) -> bool {
        self.grants.get(uuid).is_some_and(|l| {
            l.current()
                .values()
                .any(|h| h.expires_at.is_some_and(|at| at > wall_now))
        })
    }
}

/// The domain of an e-mail login, or `None` if `uid` is not shaped like one.
fn email_domain(uid: &str) -> Option<&str> {
    let (local, domain) = uid.split_once('@')?;
    let sane = |s: &str| !s.is_empty() && !s.contains('@') && !s.contains(char::is_whitespace);
    (sane(local)
        && sane(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.'))
    .then_some(domain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::catalogue::{custom_role, default_roles};

    const ROOT: &str = "0123456789abcdef0123456789abcdef";
    const CHILD: &str = "11111111111111111111111111111111";
    const OTHER: &str = "22222222222222222222222222222222";
    const CUSTOM: &str = "abcdefabcdefabcdefabcdefabcdefab";

    fn directory() -> Directory {
        let mut dir = Directory::default();
        dir.add_cid(ROOT, None);
        dir.add_cid(CHILD, Some(ROOT));
        dir.add_cid(OTHER, None);
        for role in default_roles() {
            dir.add_role(role);
        }
        dir.add_role(custom_role(CUSTOM.to_owned(), ROOT, "SOC"));
        dir
    }

    fn new_user(uid: &str, cid: &str) -> NewUser {
        NewUser {
            uid: uid.into(),
            first_name: "F".into(),
            last_name: "L".into(),
            cid: cid.into(),
        }
    }

    #[test]
    fn uid_is_unique_case_insensitively_and_must_be_an_email() {
        let mut dir = directory();
        let now = Utc::now();
        let user = dir.create_user(new_user("Jane.Doe@example.com", ROOT), None, now);
        assert!(user.is_ok());
        assert_eq!(
            dir.create_user(new_user("jane.doe@EXAMPLE.com", CHILD), None, now)
                .err(),
            Some(DirectoryError::DuplicateUid)
        );
        for bad in [
            "jane",
            "@example.com",
            "a@b@c.com",
            "a b@c.com",
            "a@nodot",
            "a@.com",
        ] {
            assert_eq!(
                dir.check_new_user(&new_user(bad, ROOT), None).err(),
                Some(DirectoryError::InvalidUid(bad.into())),
                "{bad}"
            );
        }
        assert!(dir.user_by_uid("JANE.DOE@example.com").is_some());
    }

    #[test]
    fn allowed_domains_and_unknown_cids_are_enforced() {
        let dir = directory();
        let allowed = vec!["Example.com".to_owned()];
        assert!(
            dir.check_new_user(&new_user("a@example.COM", ROOT), Some(&allowed))
                .is_ok()
        );
        assert_eq!(
            dir.check_new_user(&new_user("a@evil.com", ROOT), Some(&allowed))
                .err(),
            Some(DirectoryError::DomainNotAllowed("evil.com".into()))
        );
        let unknown = "33333333333333333333333333333333";
        assert_eq!(
            dir.check_new_user(&new_user("a@example.com", unknown), None)
                .err(),
            Some(DirectoryError::InvalidCid(unknown.into()))
        );
    }

    #[test]
    fn visibility_follows_the_cid_tree() {
        let mut dir = directory();
        let now = Utc::now();
        let child_user = dir
            .create_user(new_user("c@x.com", CHILD), None, now)
            .unwrap_or_default();
        assert!(dir.visible_user(&child_user.uuid, ROOT).is_ok());
        assert!(dir.visible_user(&child_user.uuid, CHILD).is_ok());
        assert_eq!(
            dir.visible_user(&child_user.uuid, OTHER).err(),
            Some(DirectoryError::UnknownUser(child_user.uuid.clone()))
        );
        assert_eq!(dir.children_of(ROOT), vec![CHILD.to_owned()]);
    }

    #[test]
    fn role_batches_are_atomic_and_case_sensitive() {
        let mut dir = directory();
        let now = Utc::now();
        let at = Instant::now();
        let root_user = dir
            .create_user(new_user("r@x.com", ROOT), None, now)
            .unwrap_or_default();
        let child_user = dir
            .create_user(new_user("c@x.com", CHILD), None, now)
            .unwrap_or_default();
        let grant = RoleChange::Grant { expires_at: None };
        let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

        let err = dir.change_roles(
            &root_user.uuid,
            ROOT,
            &ids(&["falcon_analyst", "Event_Viewer", "nope"]),
            &grant,
            at,
            Duration::ZERO,
        );
        assert_eq!(
            err,
            Err(DirectoryError::InvalidRoles(ids(&["Event_Viewer", "nope"])))
        );
        assert!(
            dir.current_grant_ids(&root_user.uuid, now).is_empty(),
            "nothing applied"
        );

        // The custom role is homed in ROOT, so a CHILD user cannot hold it.
        let err = dir.change_roles(
            &child_user.uuid,
            ROOT,
            &ids(&[CUSTOM]),
            &grant,
            at,
            Duration::ZERO,
        );
        assert_eq!(err, Err(DirectoryError::InvalidRoles(ids(&[CUSTOM]))));
        assert_eq!(
            dir.change_roles(
                &root_user.uuid,
                ROOT,
                &ids(&[CUSTOM, "falcon_analyst"]),
                &grant,
                at,
                Duration::ZERO
            ),
            Ok(2)
        );
        assert_eq!(
            dir.change_roles(
                &root_user.uuid,
                ROOT,
                &ids(&["help_desk", "falcon_analyst"]),
                &RoleChange::Revoke,
                at,
                Duration::ZERO
            ),
            Ok(1),
            "revoking an unheld role is a no-op"
        );
        assert_eq!(
            dir.current_grant_ids(&root_user.uuid, now),
            vec![CUSTOM.to_owned()]
        );
        assert_eq!(
            dir.change_roles(&root_user.uuid, ROOT, &[], &grant, at, Duration::ZERO),
            Err(DirectoryError::NoRoles)
        );
        assert!(
            DirectoryError::InvalidRoles(ids(&["x"]))
                .to_string()
                .contains("invalid roleID='x' specified")
        );
    }

    #[test]
    fn delete_drops_grants_and_frees_the_uid() {
        let mut dir = directory();
        let now = Utc::now();
        let user = dir
            .create_user(new_user("d@x.com", ROOT), None, now)
            .unwrap_or_default();
        let _ = dir.change_roles(
            &user.uuid,
            ROOT,
            &["help_desk".to_owned()],
            &RoleChange::Grant { expires_at: None },
            Instant::now(),
            Duration::ZERO,
        );
        assert_eq!(dir.delete(&user.uuid, ROOT), Ok(()));
        assert!(dir.current_grant_ids(&user.uuid, now).is_empty());
        let again = dir
            .create_user(new_user("d@x.com", ROOT), None, now)
            .unwrap_or_default();
        assert_ne!(again.uuid, user.uuid);
        assert_eq!(
            dir.delete(&user.uuid, ROOT),
            Err(DirectoryError::UnknownUser(user.uuid.clone()))
        );
    }

    #[test]
    fn bulk_seeding_is_unique_and_sorted_by_uid() {
        let mut dir = directory();
        let users = dir.seed_bulk(1000, "bulk.example", ROOT, Utc::now());
        assert_eq!(users.len(), 1000);
        let uids: Vec<String> = dir.users_by_uid().map(|u| u.uid.to_lowercase()).collect();
        let mut sorted = uids.clone();
        sorted.sort();
        assert_eq!(uids, sorted);
        assert_eq!(
            dir.seed_bulk(10, "bulk.example", ROOT, Utc::now()).len(),
            10
        );
        assert_eq!(dir.users_by_uid().count(), 1010);
    }
}
