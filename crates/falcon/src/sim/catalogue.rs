//! The role catalogue a fresh simulated tenant starts with.
//!
//! Default roles use Falcon's real lower_snake ids and console names (the ids appear in
//! CrowdStrike's Terraform tests and examples); they belong to no CID.
//! Custom roles get 32-hex ids and a home CID, which is what makes the "custom role granted to a
//! user of another CID" error reproducible.

use crate::model::Role;

/// `type` of a built-in role.
pub(crate) const DEFAULT_KIND: &str = "default";
/// `type` of a role created by a customer.
pub(crate) const CUSTOM_KIND: &str = "custom";

const DEFAULT_ROLES: &[(&str, &str, &str)] = &[
    (
        "falcon_administrator",
        "Falcon Administrator",
        "Manage users, roles and every Falcon setting",
    ),
    (
        "falcon_analyst",
        "Falcon Analyst",
        "Investigate and respond to detections and incidents",
    ),
    (
        "falcon_analyst_read_only",
        "Falcon Analyst - Read Only",
        "View detections and incidents",
    ),
    (
        "falcon_investigator",
        "Falcon Investigator",
        "Search events and run investigations",
    ),
    ("event_viewer", "Event Viewer", "View raw events"),
    (
        "falconhost_read_only",
        "Falcon Read Only",
        "Read-only access to the Falcon console",
    ),
    (
        "help_desk",
        "Help Desk",
        "Manage hosts and sensor maintenance tokens",
    ),
    (
        "dashboard_admin",
        "Dashboard Admin",
        "Create and share dashboards",
    ),
    (
        "custom_ioas_manager",
        "Custom IOA Manager",
        "Manage custom indicators of attack",
    ),
    (
        "firewall_manager",
        "Firewall Manager",
        "Manage firewall policies and rule groups",
    ),
    (
        "device_control_manager",
        "Device Control Manager",
        "Manage USB device control policies",
    ),
    (
        "remote_responder_one",
        "Real Time Responder - Read Only Analyst",
        "Run read-only RTR commands",
    ),
    (
        "remote_responder_two",
        "Real Time Responder - Active Responder",
        "Run active RTR commands",
    ),
    (
        "real_time_responder_admin",
        "Real Time Responder - Administrator",
        "Run every RTR command",
    ),
];

/// The built-in roles, in catalogue order.
pub(crate) fn default_roles() -> Vec<Role> {
    DEFAULT_ROLES
        .iter()
        .map(|&(id, name, description)| Role {
            id: id.to_owned(),
            display_name: name.to_owned(),
            description: description.to_owned(),
            is_global: false,
            cid: None,
            kind: Some(DEFAULT_KIND.to_owned()),
        })
        .collect()
}

/// A customer-made role homed in `cid`.
pub(crate) fn custom_role(id: String, cid: &str, name: &str) -> Role {
    Role {
        id,
        display_name: name.to_owned(),
        description: format!("{name}: custom role of CID {cid}"),
        is_global: false,
        cid: Some(cid.to_owned()),
        kind: Some(CUSTOM_KIND.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ids_are_lower_snake_and_unique() {
        let roles = default_roles();
        assert!(roles.len() >= 12);
        let mut ids: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
        assert!(
            ids.iter()
                .all(|id| id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), roles.len());
        assert!(
            roles
                .iter()
                .all(|r| r.cid.is_none() && r.kind.as_deref() == Some(DEFAULT_KIND))
        );
    }
}
