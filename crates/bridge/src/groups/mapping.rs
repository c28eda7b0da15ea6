//! How group names become entitlements: the configuration's `[groups]` table first, then an
//! entitlement of the target's catalogue whose display name or id equals the group's name
//! (case-insensitively), else none.
//!
//! `[groups]` names each entitlement by its id or by its display name exactly as the target
//! spells it (Incydr's role names are case-sensitive); both are resolved against the catalogue,
//! and a reference that is neither stops the start with the closest ones.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use target_api::{Entitlement, EntitlementId, Naming};

/// The group mapping of the TOML configuration.
#[derive(Debug, Clone, Default)]
pub struct GroupMapping {
    /// Lower-cased display name -> (name as configured, entitlement ids or display names).
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

    /// Every configured entitlement reference (id or display name) with the group that names
    /// it.
    pub fn configured_refs(&self) -> impl Iterator<Item = (&str, &EntitlementId)> {
        self.configured
            .values()
            .flat_map(|(group, refs)| refs.iter().map(move |r| (group.as_str(), r)))
    }

    /// The entitlements for a group called `name`, or `None` when nothing maps it. A configured
    /// reference the catalogue does not know is passed on as an id (the start refuses such a
    /// mapping when the catalogue could be read: see [`check_mapping`]).
    pub fn resolve(&self, name: &str, catalogue: &[Entitlement]) -> Option<Vec<EntitlementId>> {
        let lc = name.trim().to_lowercase();
        if let Some((_, refs)) = self.configured.get(&lc) {
            let mut ids: Vec<EntitlementId> = Vec::with_capacity(refs.len());
            for r in refs {
                let id = lookup(r, catalogue).cloned().unwrap_or_else(|| r.clone());
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            return Some(ids);
        }
        catalogue
            .iter()
            .find(|e| e.display_name.to_lowercase() == lc || e.id.as_str().to_lowercase() == lc)
            .map(|e| vec![e.id.clone()])
    }
}

/// The id of the catalogue's entitlement whose id, or else display name, is exactly `reference`.
fn lookup<'c>(
    reference: &EntitlementId,
    catalogue: &'c [Entitlement],
) -> Option<&'c EntitlementId> {
    catalogue
        .iter()
        .find(|e| &e.id == reference)
        .or_else(|| {
            catalogue
                .iter()
                .find(|e| e.display_name == reference.as_str())
        })
        .map(|e| &e.id)
}

/// A mapped entitlement id the target does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMappedId {
    pub group: String,
    pub id: EntitlementId,
    /// The catalogue's ids that look most like it (by id or by display name), best first.
    pub closest: Vec<EntitlementId>,
    /// The display names of `closest`, in the same order.
    pub closest_names: Vec<String>,
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
            let shown: Vec<String> = self
                .closest
                .iter()
                .zip(&self.closest_names)
                .map(|(id, name)| {
                    if name.is_empty() || name == id.as_str() {
                        id.to_string()
                    } else {
                        format!("{id} (\"{name}\")")
                    }
                })
                .collect();
            write!(
                f,
                "; closest existing {} ids: {}",
                self.naming.entitlement,
                shown.join(", ")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownMappedId {}

/// Checks every configured entitlement reference against the catalogue: each must be an id or
/// a display name (exactly as the target spells it) of one of its entitlements.
pub fn check_mapping(
    mapping: &GroupMapping,
    catalogue: &[Entitlement],
    naming: Naming,
) -> Vec<UnknownMappedId> {
    let mut problems: Vec<UnknownMappedId> = mapping
        .configured_refs()
        .filter(|(_, r)| lookup(r, catalogue).is_none())
        .map(|(group, r)| {
            let wanted = r.as_str().to_lowercase();
            let likeness = |text: &str| strsim::jaro_winkler(&text.to_lowercase(), &wanted);
            let mut scored: Vec<(f64, &Entitlement)> = catalogue
                .iter()
                .map(|e| (likeness(e.id.as_str()).max(likeness(&e.display_name)), e))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            let closest: Vec<&Entitlement> = scored.into_iter().take(3).map(|(_, e)| e).collect();
            UnknownMappedId {
                group: group.to_owned(),
                id: r.clone(),
                closest: closest.iter().map(|e| e.id.clone()).collect(),
                closest_names: closest.iter().map(|e| e.display_name.clone()).collect(),
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
    fn configured_display_names_resolve_to_ids_exactly_as_spelled() {
        let mut groups = BTreeMap::new();
        groups.insert(
            "Analysts".to_owned(),
            vec!["Cloud Admin".to_owned(), "desktop-user".to_owned()],
        );
        groups.insert("Wrong case".to_owned(), vec!["cloud admin".to_owned()]);
        let mapping = GroupMapping::new(&groups, false).unwrap();
        let catalogue = [
            role("cloud-admin", "Cloud Admin"),
            role("desktop-user", "Desktop User"),
        ];
        assert_eq!(
            mapping.resolve("analysts", &catalogue).unwrap(),
            ids(&["cloud-admin", "desktop-user"])
        );
        let problems = check_mapping(&mapping, &catalogue, FALCON);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].group, "Wrong case");
        assert!(
            problems[0].to_string().ends_with(
                "closest existing role ids: cloud-admin (\"Cloud Admin\"), desktop-user (\"Desktop User\")"
            ),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn an_empty_mapped_id_is_refused() {
        let mut groups = BTreeMap::new();
        groups.insert("Admins".to_owned(), vec![" ".to_owned()]);
        let err = GroupMapping::new(&groups, false).unwrap_err();
        assert_eq!(err.group, "Admins");
    }
}
