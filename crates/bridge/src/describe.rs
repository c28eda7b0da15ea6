//! What the SCIM discovery endpoints say about users and groups, derived from the target's
//! capabilities: which attributes can change, and what `active` does.

use scim::backend::{Attribute, Description, Mutability};
use target_api::{Capabilities, DeactivateMode, EntitlementModel};

pub fn description(caps: &Capabilities) -> Description {
    let product = caps.naming.product;
    let noun = caps.naming.entitlement;
    let names = if caps.profile.names {
        Mutability::ReadWrite
    } else {
        Mutability::ReadOnly
    };
    let user_name = if caps.profile.login {
        Attribute {
            description: format!("The {product} login e-mail address"),
            mutability: Mutability::ReadWrite,
        }
    } else {
        Attribute {
            description: format!("The {product} login e-mail address; {product} cannot change it"),
            mutability: Mutability::Immutable,
        }
    };
    let active = match caps.deactivate {
        DeactivateMode::Emulated => format!(
            "false revokes the user's {noun}s and deletes the {product} user; true re-creates it"
        ),
        DeactivateMode::Native | DeactivateMode::Field | DeactivateMode::Toggle => {
            format!("false deactivates the {product} user; true activates it again")
        }
    };
    let grants = match caps.entitlements {
        EntitlementModel::RoleSet { .. } => format!("A set of {product} {noun}s"),
        EntitlementModel::SingleRank { .. } => {
            format!("A {product} {noun}; a user holds the highest of its groups'")
        }
        EntitlementModel::GroupMembership => format!("A {product} group"),
    };
    Description {
        user_resource: format!("A {product} console user"),
        user_schema: format!("A {product} user; userName is the {product} login e-mail address"),
        user_name,
        name: format!(
            "The user's name; givenName and familyName are {product}'s first and last name"
        ),
        given_name: Attribute {
            description: format!("{product} first name"),
            mutability: names,
        },
        family_name: Attribute {
            description: format!("{product} last name"),
            mutability: names,
        },
        display_name: format!("Kept by the bridge; {product} has no such field"),
        active,
        group_schema: format!(
            "{grants}; members hold the {noun}s mapped to the group's displayName"
        ),
        group_resource: grants,
        role_resource: format!("A {product} {noun} an IdP may give a user directly"),
    }
}
