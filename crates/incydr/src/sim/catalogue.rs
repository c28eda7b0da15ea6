//! The default role catalogue and the small org table of a simulated tenant.
//!
//! Incydr's real catalogue is larger and tenant-specific; these few roles carry realistic ids,
//! case-sensitive names and permissions so that a client can resolve names to ids, and a
//! `UserRole` can list its `permissionIds` (the permission strings of its role).

use chrono::{DateTime, TimeZone, Utc};

use crate::model::{Permission, Role, UserRole};

/// When the catalogue "was created": fixed, so role bodies are stable between runs.
fn catalogue_date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 9, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn role(id: &str, name: &str, permissions: &[(&str, &str)]) -> Role {
    Role {
        role_id: id.to_owned(),
        role_name: name.to_owned(),
        creation_date: Some(catalogue_date()),
        modification_date: Some(catalogue_date()),
        permissions: permissions
            .iter()
            .map(|(p, d)| Permission {
                permission: (*p).to_owned(),
                description: Some((*d).to_owned()),
            })
            .collect(),
    }
}

/// The roles every simulated tenant starts with, in catalogue order.
pub(crate) fn default_roles() -> Vec<Role> {
    vec![
        role(
            "desktop-user",
            "Desktop User",
            &[("desktop.login", "Sign in to the Code42 app")],
        ),
        role(
            "security-center-user",
            "Security Center User",
            &[("console.login", "Sign in to the console")],
        ),
        role(
            "alerts-read",
            "Alerts Read",
            &[
                ("alerts.read", "View alerts"),
                ("console.login", "Sign in to the console"),
            ],
        ),
        role(
            "insider-risk-analyst",
            "Insider Risk Analyst",
            &[
                ("alerts.read", "View alerts"),
                ("alerts.update", "Triage alerts"),
                ("cases.manage", "Create and update cases"),
            ],
        ),
        role(
            "cloud-admin",
            "Cloud Admin",
            &[
                ("users.manage", "Manage users"),
                ("orgs.manage", "Manage organizations"),
            ],
        ),
        role(
            "customer-cloud-admin",
            "Customer Cloud Admin",
            &[
                ("users.manage", "Manage users"),
                ("orgs.manage", "Manage organizations"),
                ("apiclients.manage", "Manage API clients"),
            ],
        ),
    ]
}

/// A role as a user holds it: the permission strings only, stamped with the assignment time.
pub(crate) fn user_role(role: &Role, assigned: DateTime<Utc>) -> UserRole {
    UserRole {
        role_id: role.role_id.clone(),
        role_name: role.role_name.clone(),
        creation_date: Some(assigned),
        modification_date: Some(assigned),
        permission_ids: role
            .permissions
            .iter()
            .map(|p| p.permission.clone())
            .collect(),
    }
}

/// An organization users can belong to (`move` targets one by `orgGuid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Org {
    pub guid: String,
    pub id: String,
    pub legacy_id: String,
    pub name: String,
}

/// Two orgs: where users land by default, and one to move them to.
pub(crate) fn default_orgs() -> Vec<Org> {
    vec![
        Org {
            guid: "890854247383106706".to_owned(),
            id: "c4e43418-07d9-4a9f-a138-29f39a124d33".to_owned(),
            legacy_id: "1034".to_owned(),
            name: "Default Org".to_owned(),
        },
        Org {
            guid: "890854247383106707".to_owned(),
            id: "5f6c5c14-5c64-4d5a-a1c5-6c0e0cbd0b6e".to_owned(),
            legacy_id: "1035".to_owned(),
            name: "Contractors".to_owned(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_ids_and_names_are_unique_and_a_user_role_lists_permission_strings() {
        let roles = default_roles();
        let mut ids: Vec<_> = roles.iter().map(|r| r.role_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), roles.len());
        let admin = roles.iter().find(|r| r.role_name == "Cloud Admin").unwrap();
        let held = user_role(admin, Utc::now());
        assert_eq!(held.role_id, "cloud-admin");
        assert_eq!(held.permission_ids, ["users.manage", "orgs.manage"]);
    }
}
