//! How group names become entitlements: the configuration's `[groups]` table first, then an
//! entitlement of the target's catalogue whose display name or id equals the group's name
//! (case-insensitively), else none.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use target_api::{Entitlement, EntitlementId, Naming};

/// The group mapping of the TOML configuration.
#[derive(Debug, Clone, Default)]
pub struct GroupMapping {
    /// Lower-cased display name -> (name as configured, entitlement ids).
    configured: HashMap<String, (String, Vec<EntitlementId>)>,
    pub refuse_unmapped: bool,
}

/// A `[groups]` entry that names no entitlement id at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("group '{group}' in [groups] maps to an empty role id")]
pub struct EmptyMappedId {
    pub group: String,
}

impl GroupMapping {
    pub fn new(
        groups: &BTreeMap<String, Vec<String>>,
        refuse_unmapped: bool,
    ) -> Result<Self, EmptyMappedId> {
        let mut configured = HashMap::new();
        for (name, ids) in groups {
            let ids = ids
                .iter()
                .map(|id| EntitlementId::parse(id))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| EmptyMappedId {
                    group: name.clone(),
                })?;
            configured.insert(name.to_lowercase(), (name.clone(), ids));
        }
        Ok(Self {
            configured,
            refuse_unmapped,
        })
    }

    /// Every configured entitlement id with the group that names it.
    pub fn configured_ids(&self) -> impl Iterator<Item = (&str, &EntitlementId)> {
        self.configured
            .values()
            .flat_map(|(group, ids)| ids.iter().map(move |id| (group.as_str(), id)))
    }

    /// The entitlements for a group called `name`, or `None` when nothing maps it.
    pub fn resolve(&self, name: &str, catalogue: &[Entitlement]) -> Option<Vec<EntitlementId>> {
        let lc = name.trim().to_lowercase();
        if let Some((_, ids)) = self.configured.get(&lc) {
            return Some(ids.clone());
        }
        catalogue
            .iter()
            .find(|e| e.display_name.to_lowercase() == lc || e.id.as_str().to_lowercase() == lc)
            .map(|e| vec![e.id.clone()])
    }
}

/// A mapped entitlement id the target does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMappedId {
    pub group: String,
    pub id: EntitlementId,
    /// The catalogue's ids that look most like it, best first.
    pub closest: Vec<EntitlementId>,
    pub naming: Naming,
}

impl fmt::Display for UnknownMappedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "group '{}' maps to {} {} '{}', which does not exist",
            self.group, self.naming.product, self.naming.entitlement, self.id
        )?;
        if !self.closest.is_empty() {
            let ids: Vec<&str> = self.closest.iter().map(EntitlementId::as_str).collect();
            write!(
                f,
                "; closest existing {} ids: {}",
                self.naming.entitlement,
                ids.join(", ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownMappedId {}

/// Checks every configured entitlement id against the catalogue.
pub fn check_mapping(
    mapping: &GroupMapping,
    catalogue: &[Entitlement],
    naming: Naming,
) -> Vec<UnknownMappedId> {
    let mut problems: Vec<UnknownMappedId> = mapping
        .configured_ids()
        .filter(|(_, id)| !catalogue.iter().any(|e| &e.id == *id))
        .map(|(group, id)| {
            let wanted = id.as_str().to_lowercase();
            let mut scored: Vec<(f64, &EntitlementId)> = catalogue
                .iter()
                .map(|e| {
                    let score = strsim::jaro_winkler(&e.id.as_str().to_lowercase(), &wanted);
                    (score, &e.id)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            UnknownMappedId {
                group: group.to_owned(),
                id: id.clone(),
                closest: scored
                    .into_iter()
                    .take(3)
                    .map(|(_, id)| id.clone())
                    .collect(),
                naming,
            }
        })
        .collect();
    problems.sort_by(|a, b| (&a.group, &a.id).cmp(&(&b.group, &b.id)));
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const FALCON: Naming = Naming {
        product: "Falcon",
        key: "falcon",
        entitlement: "role",
        example_entitlement: "falcon_analyst",
    };

    fn role(id: &str, name: &str) -> Entitlement {
        Entitlement {
            id: EntitlementId::parse(id).unwrap(),
            display_name: name.into(),
            description: String::new(),
        }
    }

    fn ids(list: &[&str]) -> Vec<EntitlementId> {
        list.iter()
            .map(|id| EntitlementId::parse(id).unwrap())
            .collect()
    }

    #[test]
    fn names_resolve_by_config_then_role_name_then_id() {
        let mut groups = BTreeMap::new();
        groups.insert(
            "SOC Tier 1".to_owned(),
            vec!["falcon_analyst".to_owned(), "event_viewer".to_owned()],
        );
        let mapping = GroupMapping::new(&groups, false).unwrap();
        let catalogue = [
            role("falcon_analyst", "Falcon Analyst"),
            role("help_desk", "Help Desk"),
        ];
        assert_eq!(
            mapping.resolve("soc tier 1", &catalogue).unwrap(),
            ids(&["falcon_analyst", "event_viewer"])
        );
        assert_eq!(
            mapping.resolve("FALCON ANALYST", &catalogue).unwrap(),
            ids(&["falcon_analyst"])
        );
        assert_eq!(
            mapping.resolve("help_desk", &catalogue).unwrap(),
            ids(&["help_desk"])
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
        let mapping = GroupMapping::new(&groups, false).unwrap();
        let catalogue = [
            role("falcon_administrator", "Falcon Administrator"),
            role("help_desk", "Help Desk"),
            role("event_viewer", "Event Viewer"),
        ];
        let problems = check_mapping(&mapping, &catalogue, FALCON);
        assert_eq!(problems.len(), 1);
        let text = problems[0].to_string();
        assert!(
            text.starts_with(
                "group 'Admins' maps to Falcon role 'falcon_admin', which does not exist; \
                 closest existing role ids: falcon_administrator"
            ),
            "{text}"
        );
        assert_eq!(problems[0].closest[0].as_str(), "falcon_administrator");
    }

    #[test]
    fn an_empty_mapped_id_is_refused() {
        let mut groups = BTreeMap::new();
        groups.insert("Admins".to_owned(), vec![" ".to_owned()]);
        let err = GroupMapping::new(&groups, false).unwrap_err();
        assert_eq!(err.group, "Admins");
    }
}
