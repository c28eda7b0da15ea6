//! Roles an IdP may give a user directly, rather than through a SCIM group: which ones the
//! configuration opens (`assignable_roles`, ids or display names, or `"*"`), the aliases for IdP
//! values that cannot equal a target id (Entra's app-role values allow no spaces), and `/Roles`,
//! which publishes them for Okta Identity Governance's discovery.
//!
//! Nothing is open by default, so privileged roles stay behind groups until an admin decides
//! otherwise. A configured name the target does not know stops the start, with the closest
//! ones, like the group mapping. Targets whose groups are their own (LumApps) have no roles to
//! open.
//!
//! A user's `roles` (its *direct set*) are kept as the IdP sent them and resolved to target
//! roles here: when a request adds one (an unknown or closed value is refused, naming it and
//! what is open), and at each sync, which gives the target the union of these and the roles of
//! the user's groups (`entitlements.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use scim::backend::RoleBackend;
use scim::direct_roles::RoleAssignment;
use scim::error::ScimError;
use scim::role::RoleResource;
use scim::user::UserWrite;
use target_api::{Entitlement, EntitlementId, EntitlementModel, Naming, Target};

use crate::Bridge;
use crate::error::BridgeError;

/// Which roles the configuration opens to direct assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RoleAllowlist {
    /// None: direct assignment is off and `/Roles` is empty.
    #[default]
    None,
    /// Every role the target can grant.
    All,
    /// These roles, by id or display name.
    Listed(Vec<String>),
}

/// The configuration of direct assignment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectRoles {
    pub allowlist: RoleAllowlist,
    /// IdP value -> a role id or display name.
    pub aliases: BTreeMap<String, String>,
}

/// [`DirectRoles`] resolved against the target's catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignableRoles {
    pub roles: Vec<Entitlement>,
    /// IdP value -> the role id it stands for.
    pub aliases: BTreeMap<String, EntitlementId>,
}

/// Why the direct-assignment configuration cannot stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectRolesError {
    /// A name in `assignable_roles` or `[role_aliases]` the target does not know.
    Unknown {
        /// Where it was configured: `assignable_roles` or `role_aliases."x"`.
        setting: String,
        reference: String,
        /// The closest roles, `(id, display name)`, best first.
        closest: Vec<(EntitlementId, String)>,
        naming: Naming,
    },
    /// An alias for a role the allowlist does not open.
    NotAssignable { alias: String, id: EntitlementId },
    /// The target's groups are its own: it has no roles to assign.
    NoRoles { naming: Naming },
}

impl fmt::Display for DirectRolesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectRolesError::Unknown {
                setting,
                reference,
                closest,
                naming,
            } => {
                write!(
                    f,
                    "{setting} names {} {} '{reference}', which does not exist",
                    naming.product, naming.entitlement
                )?;
                if !closest.is_empty() {
                    let shown: Vec<String> = closest
                        .iter()
                        .map(|(id, name)| format!("{id} (\"{name}\")"))
                        .collect();
                    write!(f, "; closest: {}", shown.join(", "))?;
                }
                Ok(())
            }
            DirectRolesError::NotAssignable { alias, id } => write!(
                f,
                "role_aliases.\"{alias}\" stands for '{id}', which assignable_roles does not open"
            ),
            DirectRolesError::NoRoles { naming } => write!(
                f,
                "assignable_roles and [role_aliases] do not apply to {product}: its groups are its \
                 own, and a SCIM group is the {product} group of its name",
                product = naming.product
            ),
        }
    }
}

impl std::error::Error for DirectRolesError {}

/// The role `reference` names: its exact id, its id in any case, or its display name in any
/// case, in that order.
pub fn find_role<'c>(reference: &str, catalogue: &'c [Entitlement]) -> Option<&'c Entitlement> {
    let wanted = reference.trim();
    catalogue
        .iter()
        .find(|e| e.id.as_str() == wanted)
        .or_else(|| {
            catalogue
                .iter()
                .find(|e| e.id.as_str().eq_ignore_ascii_case(wanted))
        })
        .or_else(|| {
            let lower = wanted.to_lowercase();
            catalogue
                .iter()
                .find(|e| e.display_name.to_lowercase() == lower)
        })
}

fn closest(reference: &str, catalogue: &[Entitlement]) -> Vec<(EntitlementId, String)> {
    let wanted = reference.to_lowercase();
    let likeness = |text: &str| strsim::jaro_winkler(&text.to_lowercase(), &wanted);
    let mut scored: Vec<(f64, &Entitlement)> = catalogue
        .iter()
        .map(|e| (likeness(e.id.as_str()).max(likeness(&e.display_name)), e))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(3)
        .map(|(_, e)| (e.id.clone(), e.display_name.clone()))
        .collect()
}

impl DirectRoles {
    pub fn is_off(&self) -> bool {
        self.allowlist == RoleAllowlist::None && self.aliases.is_empty()
    }

    /// Resolves the allowlist and the aliases against `catalogue`; every problem, not only
    /// the first, so that one start-up says all that is wrong.
    pub fn resolve(
        &self,
        catalogue: &[Entitlement],
        entitlements: &EntitlementModel,
        naming: Naming,
    ) -> Result<AssignableRoles, Vec<DirectRolesError>> {
        let (resolved, problems) = self.resolve_what_exists(catalogue, entitlements, naming);
        if problems.is_empty() {
            Ok(resolved)
        } else {
            Err(problems)
        }
    }

    /// What resolves, and the problems with the rest.
    fn resolve_what_exists(
        &self,
        catalogue: &[Entitlement],
        entitlements: &EntitlementModel,
        naming: Naming,
    ) -> (AssignableRoles, Vec<DirectRolesError>) {
        if self.is_off() {
            return (AssignableRoles::default(), Vec::new());
        }
        if matches!(entitlements, EntitlementModel::GroupMembership) {
            return (
                AssignableRoles::default(),
                vec![DirectRolesError::NoRoles { naming }],
            );
        }
        let mut problems = Vec::new();
        let unknown = |setting: String, reference: &str| DirectRolesError::Unknown {
            setting,
            reference: reference.to_owned(),
            closest: closest(reference, catalogue),
            naming,
        };
        let mut roles: Vec<Entitlement> = match &self.allowlist {
            RoleAllowlist::None => Vec::new(),
            RoleAllowlist::All => catalogue.to_vec(),
            RoleAllowlist::Listed(references) => {
                let mut roles: Vec<Entitlement> = Vec::new();
                for reference in references {
                    match find_role(reference, catalogue) {
                        Some(role) if !roles.contains(role) => roles.push(role.clone()),
                        Some(_) => {}
                        None => problems.push(unknown("assignable_roles".into(), reference)),
                    }
                }
                roles
            }
        };
        roles.sort_by(|a, b| a.id.cmp(&b.id));
        let mut aliases = BTreeMap::new();
        for (alias, reference) in &self.aliases {
            match find_role(reference, catalogue) {
                Some(role) if roles.iter().any(|r| r.id == role.id) => {
                    aliases.insert(alias.clone(), role.id.clone());
                }
                Some(role) => problems.push(DirectRolesError::NotAssignable {
                    alias: alias.clone(),
                    id: role.id.clone(),
                }),
                None => problems.push(unknown(format!("role_aliases.\"{alias}\""), reference)),
            }
        }
        (AssignableRoles { roles, aliases }, problems)
    }
}

impl AssignableRoles {
    /// The open role an IdP value stands for: by id (exact, then in any case), by display name
    /// in any case, then by alias (exact, then in any case).
    pub fn find(&self, value: &str) -> Option<&EntitlementId> {
        find_role(value, &self.roles).map(|r| &r.id).or_else(|| {
            let wanted = value.trim();
            self.aliases.get(wanted).or_else(|| {
                self.aliases
                    .iter()
                    .find(|(alias, _)| alias.eq_ignore_ascii_case(wanted))
                    .map(|(_, id)| id)
            })
        })
    }

    /// The target roles `roles` stand for; values that no longer do (the configuration closed
    /// them since) are left out.
    pub fn ids_of(&self, roles: &[RoleAssignment]) -> BTreeSet<EntitlementId> {
        roles
            .iter()
            .filter_map(|r| self.find(&r.value).cloned())
            .collect()
    }
}

impl<T: Target> Bridge<T> {
    /// Admits the direct set `wanted` asks for: with direct assignment off, `roles` is ignored
    /// as it always was; otherwise each value `current` did not hold must stand for an open
    /// role, or the request is refused before anything is touched. Values already held are not
    /// checked again, so a user keeps being deactivatable after the configuration closed one.
    pub(crate) fn admit_roles(
        &self,
        wanted: &mut UserWrite,
        current: Option<&UserWrite>,
    ) -> Result<(), BridgeError> {
        if self.policy.direct_roles.is_off() {
            if !wanted.roles.is_empty() {
                tracing::warn!(user = %wanted.user_name, roles = wanted.roles.len(), "roles ignored: direct role assignment is off (assignable_roles)");
                wanted.roles.clear();
            }
            return Ok(());
        }
        let assignable = self.assignable_roles();
        let held = |value: &str| {
            current.is_some_and(|c| c.roles.iter().any(|r| r.value.eq_ignore_ascii_case(value)))
        };
        for role in &wanted.roles {
            if held(&role.value) || assignable.find(&role.value).is_some() {
                continue;
            }
            let naming = self.naming();
            let open: Vec<&str> = assignable.roles.iter().map(|r| r.id.as_str()).collect();
            return Err(BridgeError::Request(ScimError::invalid_value(format!(
                "roles: '{}' is no {} {} open to direct assignment; open: {}",
                role.value,
                naming.product,
                naming.entitlement,
                if open.is_empty() {
                    "none".to_owned()
                } else {
                    open.join(", ")
                }
            ))));
        }
        Ok(())
    }

    /// The target roles a direct set stands for now.
    pub(crate) fn direct_role_ids(&self, roles: &[RoleAssignment]) -> BTreeSet<EntitlementId> {
        if roles.is_empty() || self.policy.direct_roles.is_off() {
            return BTreeSet::new();
        }
        self.assignable_roles().ids_of(roles)
    }

    /// The roles open to direct assignment, from the catalogue the bridge last read. A name
    /// the start did not find stops it; one that left the target since is left out.
    pub fn assignable_roles(&self) -> AssignableRoles {
        let catalogue = self.catalogue.read().unwrap_or_else(|p| p.into_inner());
        let caps = self.capabilities();
        self.policy
            .direct_roles
            .resolve_what_exists(&catalogue, &caps.entitlements, caps.naming)
            .0
    }
}

impl<T: Target> RoleBackend for Bridge<T> {
    fn roles(&self) -> Vec<RoleResource> {
        self.assignable_roles()
            .roles
            .into_iter()
            .map(|e| RoleResource {
                id: e.id.to_string(),
                display_name: e.display_name,
                description: e.description,
            })
            .collect()
    }

    fn single_role(&self) -> bool {
        matches!(
            self.capabilities().entitlements,
            EntitlementModel::SingleRank { .. }
        )
    }
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

    const ROLES: EntitlementModel = EntitlementModel::RoleSet {
        by_name: false,
        replace_all: false,
    };

    fn role(id: &str, name: &str) -> Entitlement {
        Entitlement {
            id: EntitlementId::parse(id).unwrap(),
            display_name: name.into(),
            description: String::new(),
        }
    }

    fn catalogue() -> Vec<Entitlement> {
        vec![
            role("falcon_analyst", "Falcon Analyst"),
            role("event_viewer", "Event Viewer"),
            role("falcon_admin", "Falcon Administrator"),
        ]
    }

    fn ids(resolved: &AssignableRoles) -> Vec<&str> {
        resolved.roles.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn nothing_is_open_by_default() {
        let resolved = DirectRoles::default()
            .resolve(&catalogue(), &ROLES, FALCON)
            .unwrap();
        assert!(resolved.roles.is_empty());
    }

    #[test]
    fn roles_are_named_by_id_in_any_case_or_by_display_name_and_star_opens_all() {
        let direct = DirectRoles {
            allowlist: RoleAllowlist::Listed(vec![
                "FALCON_ANALYST".into(),
                "event viewer".into(),
                "falcon_analyst".into(),
            ]),
            aliases: BTreeMap::from([("EventViewer".into(), "Event Viewer".into())]),
        };
        let resolved = direct.resolve(&catalogue(), &ROLES, FALCON).unwrap();
        assert_eq!(ids(&resolved), ["event_viewer", "falcon_analyst"]);
        assert_eq!(resolved.aliases["EventViewer"].as_str(), "event_viewer");
        let all = DirectRoles {
            allowlist: RoleAllowlist::All,
            ..DirectRoles::default()
        };
        assert_eq!(
            ids(&all.resolve(&catalogue(), &ROLES, FALCON).unwrap()).len(),
            3
        );
    }

    #[test]
    fn unknown_names_and_aliases_outside_the_allowlist_are_all_reported() {
        let direct = DirectRoles {
            allowlist: RoleAllowlist::Listed(vec!["falcon_analyts".into()]),
            aliases: BTreeMap::from([
                ("Admin".into(), "falcon_admin".into()),
                ("Nope".into(), "nothing_like_it".into()),
            ]),
        };
        let problems = direct.resolve(&catalogue(), &ROLES, FALCON).unwrap_err();
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(
            text[0].starts_with("assignable_roles names Falcon role 'falcon_analyts'")
                && text[0].contains("closest: falcon_analyst (\"Falcon Analyst\")"),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t
                == "role_aliases.\"Admin\" stands for 'falcon_admin', which assignable_roles does \
                    not open"),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("role_aliases.\"Nope\" names Falcon role")),
            "{text:?}"
        );
    }

    #[test]
    fn a_target_whose_groups_are_its_own_has_no_roles_to_open() {
        let direct = DirectRoles {
            allowlist: RoleAllowlist::All,
            ..DirectRoles::default()
        };
        let problems = direct
            .resolve(&catalogue(), &EntitlementModel::GroupMembership, FALCON)
            .unwrap_err();
        assert!(matches!(problems[..], [DirectRolesError::NoRoles { .. }]));
    }
}
