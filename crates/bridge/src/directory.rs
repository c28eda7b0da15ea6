//! The in-memory directory every read is served from: the bridge's own users (from the store)
//! and the target's accounts it has not adopted yet (from the target, refreshed in the
//! background), less the accounts the IdP deleted where the target cannot delete (retired).
//!
//! Lists and filters never cost a target call: Okta pages with count=100, Entra expects 25
//! requests a second, and targets ration their API (Falcon: 6,000 calls a minute per customer).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::Mutex;
use std::time::SystemTime;

use scim::backend::{ListRequest, Page};
use scim::user::{GroupRef, UserResource};
use target_api::{Account, AccountRef};

use crate::ids::UserId;
use crate::resources;

#[derive(Debug, Clone)]
pub struct Entry {
    pub resource: UserResource,
    /// The target account behind it; `None` for a deprovisioned (tombstoned) user.
    pub link: Option<AccountRef>,
    /// Whether the bridge manages (stores) it, as opposed to a target account merely visible.
    pub managed: bool,
}

impl Entry {
    /// The entry's SCIM id; every entry in the directory has a valid one.
    pub fn id(&self) -> Option<UserId> {
        UserId::parse(&self.resource.id).ok()
    }
}

#[derive(Debug, Default)]
pub struct Directory {
    /// Ordered by SCIM id: the stable order pages are cut from.
    by_id: BTreeMap<UserId, Entry>,
    by_name: HashMap<String, UserId>,
    refreshed_at: Option<SystemTime>,
    /// Ids of target accounts the IdP deleted that the target keeps (it has no delete): hidden.
    retired: HashSet<String>,
    /// Where recent pages ended: 0-based index -> the id at that index, so that an import's
    /// next page is a range look-up instead of a walk from the first entry (5 ms at 100,000
    /// users). Cleared whenever an id comes or goes, since indices then shift.
    cursors: Mutex<HashMap<usize, UserId>>,
}

/// A target account whose login a pending user (managed, not linked yet) holds: the refresh
/// that found it links the two.
#[derive(Debug, Clone)]
pub struct Claim {
    pub user: UserId,
    pub account: Account,
}

/// Page ends remembered at most (a few IdPs importing at once).
const MAX_CURSORS: usize = 64;

impl Directory {
    pub fn get(&self, id: &UserId) -> Option<&Entry> {
        self.by_id.get(id)
    }

    pub fn by_user_name(&self, user_name: &str) -> Option<&Entry> {
        self.by_name
            .get(&user_name.to_lowercase())
            .and_then(|id| self.by_id.get(id))
    }

    /// The entries linked to these target accounts, in one pass; accounts the directory does
    /// not show (not refreshed in yet, retired) have none.
    pub fn linked_to(&self, accounts: &[AccountRef]) -> Vec<&Entry> {
        let wanted: HashSet<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
        self.by_id
            .values()
            .filter(|e| {
                e.link
                    .as_ref()
                    .is_some_and(|l| wanted.contains(l.id.as_str()))
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    pub fn refreshed_at(&self) -> Option<SystemTime> {
        self.refreshed_at
    }

    /// Adds or replaces the entry with this SCIM id; an entry whose id is not a valid SCIM id is
    /// not shown (the directory only holds what the IdP can address).
    pub fn upsert(&mut self, entry: Entry) {
        let Some(id) = entry.id() else {
            tracing::warn!(id = %entry.resource.id, user = %entry.resource.write.user_name, "an account whose id cannot be a SCIM id is not shown");
            return;
        };
        if let Some(old) = self.by_id.get(&id) {
            let old_name = old.resource.write.user_name.to_lowercase();
            self.by_name.remove(&old_name);
        } else {
            self.forget_cursors();
        }
        self.by_name
            .insert(entry.resource.write.user_name.to_lowercase(), id.clone());
        self.by_id.insert(id, entry);
    }

    /// Hides the account `account_id` from now on, including from later snapshots.
    pub fn retire(&mut self, account_id: &str) {
        self.retired.insert(account_id.to_owned());
    }

    /// Shows the account `account_id` again (it was taken over anew).
    pub fn unretire(&mut self, account_id: &str) {
        self.retired.remove(account_id);
    }

    /// Managed users linked to no account: tombstones where the target creates accounts,
    /// pending users where it cannot.
    pub fn unlinked(&self) -> impl Iterator<Item = &Entry> {
        self.by_id
            .values()
            .filter(|e| e.managed && e.link.is_none())
    }

    /// The ids of the users the bridge manages (the store's).
    pub fn managed_ids(&self) -> Vec<UserId> {
        self.by_id
            .iter()
            .filter(|(_, e)| e.managed)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Sets the read-only `groups` attribute of every user: those not in `groups` have none.
    pub fn replace_groups(&mut self, mut groups: HashMap<UserId, Vec<GroupRef>>) {
        for (id, entry) in &mut self.by_id {
            entry.resource.groups = groups.remove(id).unwrap_or_default();
        }
    }

    pub fn is_retired(&self, account_id: &str) -> bool {
        self.retired.contains(account_id)
    }

    /// Sets the read-only `groups` attribute of a user.
    pub fn set_groups(&mut self, id: &UserId, groups: Vec<GroupRef>) {
        if let Some(entry) = self.by_id.get_mut(id) {
            entry.resource.groups = groups;
        }
    }

    pub fn remove(&mut self, id: &UserId) -> Option<Entry> {
        let entry = self.by_id.remove(id)?;
        self.forget_cursors();
        let name = entry.resource.write.user_name.to_lowercase();
        if self.by_name.get(&name).is_some_and(|owner| owner == id) {
            self.by_name.remove(&name);
        }
        Some(entry)
    }

    /// Replaces the target accounts the bridge does not manage with `accounts`, a fresh
    /// snapshot, and returns the accounts pending users are waiting for. Managed users are left
    /// alone: the store is their truth, drift is the reconciler's job. Retired accounts stay
    /// hidden.
    pub fn apply_snapshot(&mut self, accounts: Vec<Account>) -> Vec<Claim> {
        let linked: HashSet<String> = self
            .by_id
            .values()
            .filter(|e| e.managed)
            .filter_map(|e| e.link.as_ref().map(|l| l.id.clone()))
            .collect();
        let stale: Vec<UserId> = self
            .by_id
            .iter()
            .filter(|(_, e)| !e.managed)
            .map(|(id, _)| id.clone())
            .collect();
        for id in stale {
            self.remove(&id);
        }
        let mut claims = Vec::new();
        for account in accounts {
            if linked.contains(&account.reference.id) {
                continue;
            }
            if let Some(managed) = self
                .by_user_name(&account.profile.login)
                .filter(|e| e.managed)
            {
                if let (None, Some(user)) = (&managed.link, managed.id()) {
                    claims.push(Claim { user, account });
                }
                continue;
            }
            if self.retired.contains(&account.reference.id) {
                continue;
            }
            self.upsert(Entry {
                resource: resources::native_resource(&account),
                link: Some(account.reference),
                managed: false,
            });
        }
        self.refreshed_at = Some(SystemTime::now());
        claims
    }

    /// One page of the users matching `req`, in a stable order.
    pub fn query(&self, req: &ListRequest) -> Page<UserResource> {
        let skip = req.start_index.saturating_sub(1);
        if let Some(name) = req.filter.as_ref().and_then(|f| f.user_name_eq()) {
            // The lookup every IdP makes before a create: an index hit, not a scan.
            let hit: Vec<&UserResource> = self
                .by_user_name(name)
                .map(|e| &e.resource)
                .into_iter()
                .filter(|r| req.filter.as_ref().is_none_or(|f| f.matches(r)))
                .collect();
            return page(hit, skip, req.count);
        }
        if req.filter.is_none() && req.sort.is_none() {
            return self.plain_page(skip, req.count);
        }
        let mut matches: Vec<&UserResource> = self
            .by_id
            .values()
            .map(|e| &e.resource)
            .filter(|r| req.filter.as_ref().is_none_or(|f| f.matches(r)))
            .collect();
        if let Some(sort) = &req.sort {
            // Stable sort: ties keep id order, so pages stay consistent.
            matches.sort_by(|a, b| sort.compare(a, b));
        }
        page(matches, skip, req.count)
    }
}

impl Directory {
    /// A page of everyone in id order: an import's page.
    fn plain_page(&self, skip: usize, count: usize) -> Page<UserResource> {
        let mut cursors = self.cursors.lock().unwrap_or_else(|p| p.into_inner());
        let entries: Box<dyn Iterator<Item = (&UserId, &Entry)>> = match cursors.get(&skip) {
            Some(id) => Box::new(
                self.by_id
                    .range::<UserId, _>((Bound::Included(id), Bound::Unbounded)),
            ),
            None => Box::new(self.by_id.iter().skip(skip)),
        };
        let mut items = Vec::with_capacity(count.min(self.by_id.len()));
        let mut next = None;
        for (id, entry) in entries.take(count.saturating_add(1)) {
            if items.len() == count {
                next = Some(id.clone());
            } else {
                items.push(entry.resource.clone());
            }
        }
        if let Some(next) = next {
            if cursors.len() >= MAX_CURSORS {
                cursors.clear();
            }
            cursors.insert(skip + count, next);
        }
        Page {
            total: self.by_id.len(),
            items,
        }
    }

    fn forget_cursors(&mut self) {
        self.cursors
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

fn page(matches: Vec<&UserResource>, skip: usize, count: usize) -> Page<UserResource> {
    Page {
        total: matches.len(),
        items: matches
            .into_iter()
            .skip(skip)
            .take(count)
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim::query::UserFilter;
    use target_api::Profile;

    fn directory(n: usize) -> Directory {
        let mut dir = Directory::default();
        dir.apply_snapshot(
            (0..n)
                .map(|i| Account {
                    reference: AccountRef::new(
                        format!("{:08}-0000-4000-8000-000000000000", (i * 7919) % 1000),
                        Some("cid".into()),
                    ),
                    profile: Profile {
                        login: format!("user{i}@example.com"),
                        given_name: "A".into(),
                        family_name: format!("B{i}"),
                    },
                    active: true,
                    created: None,
                    modified: None,
                })
                .collect(),
        );
        dir
    }

    #[test]
    fn unfiltered_pages_are_cut_from_id_order() {
        let dir = directory(250);
        // `active eq true` matches everyone, so it takes the general path: same pages.
        let everyone = UserFilter::parse("active eq true").unwrap();
        for start_index in [1, 2, 100, 201, 250, 251, 400] {
            let plain = dir.query(&ListRequest {
                start_index,
                count: 100,
                ..Default::default()
            });
            let general = dir.query(&ListRequest {
                filter: Some(everyone.clone()),
                start_index,
                count: 100,
                ..Default::default()
            });
            assert_eq!(plain.total, 250);
            assert_eq!(general.total, 250);
            let ids = |p: &Page<UserResource>| -> Vec<String> {
                p.items.iter().map(|u| u.id.clone()).collect()
            };
            assert_eq!(ids(&plain), ids(&general), "startIndex {start_index}");
        }
    }

    #[test]
    fn an_import_pages_from_remembered_cursors_and_stays_right_after_changes() {
        let mut dir = directory(250);
        let everyone = UserFilter::parse("active eq true").unwrap();
        let ids = |dir: &Directory, start_index: usize, filter: Option<UserFilter>| {
            dir.query(&ListRequest {
                filter,
                start_index,
                count: 30,
                ..Default::default()
            })
            .items
            .into_iter()
            .map(|u| u.id)
            .collect::<Vec<_>>()
        };
        let import = |dir: &Directory| {
            let mut all = Vec::new();
            for start in (1..=260).step_by(30) {
                let page = ids(dir, start, None);
                assert_eq!(page, ids(dir, start, Some(everyone.clone())), "{start}");
                all.extend(page);
            }
            all
        };
        let first = import(&dir);
        assert_eq!(first.len(), 250);
        assert_eq!(import(&dir), first, "the same pages from the cursors");
        // A user with the smallest id arrives: every later index shifts by one.
        let mut newcomer = dir.get(&UserId::parse(&first[0]).unwrap()).unwrap().clone();
        newcomer.resource.id = "0".into();
        newcomer.resource.write.user_name = "newcomer@example.com".into();
        dir.upsert(newcomer);
        let second = import(&dir);
        assert_eq!(second.len(), 251);
        assert_eq!(second[0], "0");
        assert_eq!(second[1..], first[..]);
    }
}
