//! The Role resource of Okta Identity Governance's discovery (`urn:okta:scim:schemas:core:1.0:
//! Role`): a target role an IdP may assign to a user directly, as `/Roles` serves it.
//!
//! Okta reads `id`, `displayName` and `description` (at most 1,000 characters); the IETF draft's
//! `value` and `display` carry the same id and name for clients that read those instead.

use serde_json::{Value, json};

/// Okta's Role schema, which its discovery looks for in `/ResourceTypes`.
pub const ROLE_SCHEMA: &str = "urn:okta:scim:schemas:core:1.0:Role";

/// The longest description Okta accepts.
const MAX_DESCRIPTION_CHARS: usize = 1000;

/// One assignable role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleResource {
    /// The target's id of the role, which a user's `roles[].value` names.
    pub id: String,
    pub display_name: String,
    pub description: String,
}

impl RoleResource {
    pub fn to_json(&self, base: &str) -> Value {
        let mut body = json!({
            "schemas": [ROLE_SCHEMA],
            "id": self.id,
            "displayName": self.display_name,
            "value": self.id,
            "display": self.display_name,
            "meta": {
                "resourceType": "Role",
                "location": format!("{base}/Roles/{}", self.id),
            },
        });
        let description: String = self
            .description
            .trim()
            .chars()
            .take(MAX_DESCRIPTION_CHARS)
            .collect();
        if !description.is_empty() {
            body["description"] = Value::String(description);
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_carries_okta_and_ietf_names_and_a_trimmed_description() {
        let role = RoleResource {
            id: "falcon_analyst".into(),
            display_name: "Falcon Analyst".into(),
            description: "é".repeat(1500),
        };
        let json = role.to_json("https://b/scim/v2");
        assert_eq!(json["schemas"][0], ROLE_SCHEMA);
        assert_eq!(json["id"], "falcon_analyst");
        assert_eq!(json["value"], "falcon_analyst");
        assert_eq!(json["displayName"], "Falcon Analyst");
        assert_eq!(json["display"], "Falcon Analyst");
        assert_eq!(json["description"].as_str().unwrap().chars().count(), 1000);
        assert_eq!(
            json["meta"]["location"],
            "https://b/scim/v2/Roles/falcon_analyst"
        );
        let bare = RoleResource {
            description: "  ".into(),
            ..role
        };
        assert!(bare.to_json("b").get("description").is_none());
    }
}
