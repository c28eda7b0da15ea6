//! The groups in memory: each group's row and its members' SCIM ids, by id and by name.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::ids::{GroupId, UserId};
use crate::store::GroupRow;

/// One group in memory.
#[derive(Debug, Clone)]
pub struct GroupState {
    pub id: GroupId,
    pub row: GroupRow,
    pub members: BTreeSet<UserId>,
}

#[derive(Debug, Default)]
pub struct GroupIndex {
    by_id: BTreeMap<GroupId, GroupState>,
    by_name: HashMap<String, GroupId>,
}

impl GroupIndex {
    pub fn get(&self, id: &GroupId) -> Option<&GroupState> {
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
        if let Some(old) = self.by_id.get(&state.id) {
            self.by_name.remove(&old.row.display_name.to_lowercase());
        }
        self.by_name
            .insert(state.row.display_name.to_lowercase(), state.id.clone());
        self.by_id.insert(state.id.clone(), state);
    }

    pub fn remove(&mut self, id: &GroupId) -> Option<GroupState> {
        let state = self.by_id.remove(id)?;
        self.by_name.remove(&state.row.display_name.to_lowercase());
        Some(state)
    }

    pub fn iter(&self) -> impl Iterator<Item = &GroupState> {
        self.by_id.values()
    }
}
