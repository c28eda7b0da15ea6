//! Entitlements: what membership of a SCIM group grants in the target (Falcon roles, Incydr
//! roles, an Allthenticate rank, a LumApps group).

use std::collections::BTreeSet;
use std::fmt;

/// A target's id of one entitlement, as its API names it (e.g. `falcon_analyst`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntitlementId(String);

/// Why a text is not an entitlement id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntitlementIdError {
    #[error("an entitlement id must not be empty")]
    Empty,
    #[error("an entitlement id must not contain control characters")]
    Control,
}

impl EntitlementId {
    /// Reads an id that comes from outside (the configuration, the store, a target's reply).
    pub fn parse(text: &str) -> Result<Self, EntitlementIdError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(EntitlementIdError::Empty);
        }
        if text.chars().any(char::is_control) {
            return Err(EntitlementIdError::Control);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntitlementId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entitlement of the target's catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    pub id: EntitlementId,
    /// What people call it (Falcon's role display name).
    pub display_name: String,
    pub description: String,
}

/// What an account should hold, and what the bridge last made it hold.
///
/// A target that grants and revokes one by one diffs the two; one that replaces the whole set
/// (or picks one value from it) reads only `desired`, and `managed` to know which of the roles
/// the account holds are the IdP's to decide. The core does not read the target back before a
/// change: some targets' reads lag their writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntitlementChange {
    pub desired: BTreeSet<EntitlementId>,
    pub applied: BTreeSet<EntitlementId>,
    /// Every entitlement some group maps: one the account holds and is not `desired` goes when
    /// the whole set is replaced, even if an admin granted it by hand; the others stay. Empty
    /// where the change concerns only `applied` (a deprovisioning, a reconciliation repair).
    pub managed: BTreeSet<EntitlementId>,
}

impl EntitlementChange {
    /// Entitlements to add: desired and not applied.
    pub fn added(&self) -> Vec<EntitlementId> {
        self.desired.difference(&self.applied).cloned().collect()
    }

    /// Entitlements to remove: applied and no longer desired.
    pub fn removed(&self) -> Vec<EntitlementId> {
        self.applied.difference(&self.desired).cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.desired == self.applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(names: &[&str]) -> BTreeSet<EntitlementId> {
        names
            .iter()
            .map(|n| EntitlementId::parse(n).unwrap())
            .collect()
    }

    #[test]
    fn ids_from_outside_are_checked() {
        assert_eq!(
            EntitlementId::parse(" falcon_analyst ").unwrap().as_str(),
            "falcon_analyst"
        );
        assert_eq!(EntitlementId::parse("  "), Err(EntitlementIdError::Empty));
        assert_eq!(
            EntitlementId::parse("a\u{0}b"),
            Err(EntitlementIdError::Control)
        );
    }

    #[test]
    fn a_change_knows_what_to_add_and_remove() {
        let change = EntitlementChange {
            desired: ids(&["a", "b"]),
            applied: ids(&["b", "c"]),
            ..Default::default()
        };
        assert_eq!(change.added(), ids(&["a"]).into_iter().collect::<Vec<_>>());
        assert_eq!(
            change.removed(),
            ids(&["c"]).into_iter().collect::<Vec<_>>()
        );
        assert!(!change.is_empty());
        assert!(EntitlementChange::default().is_empty());
    }
}
