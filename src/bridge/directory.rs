//! The in-memory directory every read is served from: the bridge's own users (from the store)
//! and the Falcon users it has not adopted yet (from Falcon, refreshed in the background).
//!
//! Lists and filters never cost a Falcon call: Okta pages with count=100, Entra expects 25
//! requests a second, and Falcon allows 6,000 calls a minute for the whole customer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::SystemTime;

use super::mapping::{self, FalconLink};
use crate::falcon::model::User as FalconUser;
use crate::scim::backend::{ListRequest, Page};
use crate::scim::user::UserResource;

#[derive(Debug, Clone)]
pub struct Entry {
    pub resource: UserResource,
    /// The Falcon user behind it; `None` for a deprovisioned (tombstoned) user.
    pub link: Option<FalconLink>,
    /// Whether the bridge manages (stores) it, as opposed to a Falcon user merely visible.
    pub managed: bool,
}

#[derive(Debug, Default)]
pub struct Directory {
    /// Ordered by SCIM id: the stable order pages are cut from.
    by_id: BTreeMap<String, Entry>,
    by_name: HashMap<String, String>,
    refreshed_at: Option<SystemTime>,
}

impl Directory {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.by_id.get(id)
    }

    pub fn by_user_name(&self, user_name: &str) -> Option<&Entry> {
        self.by_name
            .get(&user_name.to_lowercase())
            .and_then(|id| self.by_id.get(id))
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

    pub fn upsert(&mut self, entry: Entry) {
        if let Some(old) = self.by_id.get(&entry.resource.id) {
            let old_name = old.resource.write.user_name.to_lowercase();
            self.by_name.remove(&old_name);
        }
        self.by_name.insert(
            entry.resource.write.user_name.to_lowercase(),
            entry.resource.id.clone(),
        );
        self.by_id.insert(entry.resource.id.clone(), entry);
    }

    /// Sets the read-only `groups` attribute of a user.
    pub fn set_groups(&mut self, id: &str, groups: Vec<crate::scim::user::GroupRef>) {
        if let Some(entry) = self.by_id.get_mut(id) {
            entry.resource.groups = groups;
        }
    }

    pub fn remove(&mut self, id: &str) -> Option<Entry> {
        let entry = self.by_id.remove(id)?;
        let name = entry.resource.write.user_name.to_lowercase();
        if self.by_name.get(&name).is_some_and(|owner| owner == id) {
            self.by_name.remove(&name);
        }
        Some(entry)
    }

    /// Replaces the Falcon users the bridge does not manage with `users`, a fresh snapshot.
    /// Managed users are left alone: the store is their truth, drift is the reconciler's job.
    pub fn apply_falcon_snapshot(&mut self, users: Vec<FalconUser>) {
        let linked: HashSet<String> = self
            .by_id
            .values()
            .filter(|e| e.managed)
            .filter_map(|e| e.link.as_ref().map(|l| l.uuid.clone()))
            .collect();
        let stale: Vec<String> = self
            .by_id
            .values()
            .filter(|e| !e.managed)
            .map(|e| e.resource.id.clone())
            .collect();
        for id in stale {
            self.remove(&id);
        }
        for user in users {
            let managed_same_name = self.by_user_name(&user.uid).is_some_and(|e| e.managed);
            if linked.contains(&user.uuid) || managed_same_name {
                continue;
            }
            self.upsert(Entry {
                resource: mapping::native_resource(&user),
                link: Some(FalconLink {
                    uuid: user.uuid.clone(),
                    cid: user.cid.clone(),
                }),
                managed: false,
            });
        }
        self.refreshed_at = Some(SystemTime::now());
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
            // An import's page: walk to it in id order, without listing all 100,000 users.
            return Page {
                total: self.by_id.len(),
                items: self
                    .by_id
                    .values()
                    .skip(skip)
                    .take(req.count)
                    .map(|e| e.resource.clone())
                    .collect(),
            };
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
    use crate::scim::query::UserFilter;

    fn directory(n: usize) -> Directory {
        let mut dir = Directory::default();
        dir.apply_falcon_snapshot(
            (0..n)
                .map(|i| FalconUser {
                    uuid: format!("{:08}-0000-4000-8000-000000000000", (i * 7919) % 1000),
                    uid: format!("user{i}@example.com"),
                    cid: "cid".into(),
                    first_name: "A".into(),
                    last_name: format!("B{i}"),
                    ..Default::default()
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
}
