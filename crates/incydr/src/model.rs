//! Wire types of Incydr's users API v1 and its token endpoint.
//!
//! One file for both sides: the client deserialises these, the simulator serialises them, so the
//! two cannot drift apart silently. Field names are Incydr's camelCase. Deserialisation is
//! lenient (unknown keys ignored, absent lists empty, absent strings `None`) because the
//! reference marks much of the shape as inferred.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// Route of every operation the bridge uses; `{id}` stands for a user or role id.
pub mod routes {
    /// `POST`, HTTP Basic client id and secret, empty body.
    pub const TOKEN: &str = "/v1/oauth";
    /// `GET` with `active`, `blocked`, `username`, `page` (from 1), `pageSize`.
    pub const USERS: &str = "/v1/users";
    /// `GET`: the role catalogue the calling API client may assign, a bare JSON array.
    pub const ROLES: &str = "/v1/users/roles";

    /// `GET /v1/users/{id}`.
    pub fn user(id: &str) -> String {
        format!("/v1/users/{id}")
    }

    /// `GET` (`{"roles":[…]}`) and `PUT` (`{"roleIds":[…]}`, replaces the whole set).
    pub fn user_roles(id: &str) -> String {
        format!("/v1/users/{id}/roles")
    }

    /// `POST`, no body, idempotent, empty 2xx answer.
    pub fn activate(id: &str) -> String {
        format!("/v1/users/{id}/activate")
    }

    /// `POST`, no body, idempotent, empty 2xx answer; 400 `ACTIVE_LEGAL_HOLD` when held.
    pub fn deactivate(id: &str) -> String {
        format!("/v1/users/{id}/deactivate")
    }

    /// `GET /v1/users/roles/{roleId}`.
    pub fn role(id: &str) -> String {
        format!("/v1/users/roles/{id}")
    }
}

/// The page size the SDK uses, and the bridge's default.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The token lifetime Incydr announces (15 minutes).
pub const TOKEN_LIFETIME_SECS: u64 = 900;
/// The text code of a refusal to deactivate a user under an active legal hold.
pub const ACTIVE_LEGAL_HOLD: &str = "ACTIVE_LEGAL_HOLD";

fn null_as_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

/// The answer of `POST /v1/oauth`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: String,
    /// Seconds; 900 in practice.
    #[serde(default)]
    pub expires_in: u64,
}

/// An Incydr user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub user_id: String,
    /// The login; an e-mail address in cloud tenants.
    pub username: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub legacy_user_id: Option<String>,
    #[serde(default)]
    pub legacy_org_id: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub org_guid: Option<String>,
    #[serde(default)]
    pub org_name: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default)]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub modification_date: Option<DateTime<Utc>>,
}

fn yes() -> bool {
    true
}

/// `GET /v1/users`: one page and the total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsersPage {
    #[serde(default, deserialize_with = "null_as_default")]
    pub users: Vec<User>,
    #[serde(default)]
    pub total_count: u64,
}

/// A permission of a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub permission: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// A role of the catalogue (`GET /v1/users/roles`, a bare array of these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// E.g. `desktop-user`, `cloud-admin`.
    pub role_id: String,
    /// Case-sensitive, e.g. `Cloud Admin`.
    pub role_name: String,
    #[serde(default)]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub modification_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Vec<Permission>,
}

/// A role a user holds (`GET /v1/users/{id}/roles`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRole {
    pub role_id: String,
    pub role_name: String,
    #[serde(default)]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub modification_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub permission_ids: Vec<String>,
}

/// `GET /v1/users/{id}/roles`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRoles {
    #[serde(default, deserialize_with = "null_as_default")]
    pub roles: Vec<UserRole>,
}

/// The body of `PUT /v1/users/{id}/roles`: the whole new set, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolesReplacement {
    pub role_ids: Vec<String>,
}

/// The answer of `PUT /v1/users/{id}/roles`: what changed, and what was ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolesUpdate {
    #[serde(
        rename = "processedReplacementRoleIds",
        default,
        deserialize_with = "null_as_default"
    )]
    pub processed: Vec<String>,
    #[serde(
        rename = "newlyAssignedRolesIds",
        default,
        deserialize_with = "null_as_default"
    )]
    pub newly_assigned: Vec<String>,
    #[serde(
        rename = "unassignedRolesIds",
        default,
        deserialize_with = "null_as_default"
    )]
    pub unassigned: Vec<String>,
    /// Unknown or unassignable role ids [inferred]: an error the admin must see.
    #[serde(
        rename = "ignoredRolesIds",
        default,
        deserialize_with = "null_as_default"
    )]
    pub ignored: Vec<String>,
}

/// The error body the simulator sends (Spring style); the client never relies on its shape and
/// reads codes such as [`ACTIVE_LEGAL_HOLD`] as substrings of the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub timestamp: DateTime<Utc>,
    pub status: u16,
    pub error: String,
    pub message: String,
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_user_reads_with_absent_and_null_fields() {
        let user: User = serde_json::from_value(json!({
            "userId": "9a1", "username": "ann@x.io", "firstName": null, "active": false,
            "creationDate": "2026-03-02T09:15:42.123Z", "somethingNew": 1
        }))
        .unwrap();
        assert_eq!(user.user_id, "9a1");
        assert_eq!(user.first_name, None);
        assert!(!user.active);
        assert!(!user.blocked);
        assert!(user.creation_date.is_some());
    }

    #[test]
    fn the_roles_update_reads_its_four_lists() {
        let update: RolesUpdate = serde_json::from_value(json!({
            "processedReplacementRoleIds": ["a", "b"], "newlyAssignedRolesIds": ["b"],
            "unassignedRolesIds": [], "ignoredRolesIds": null
        }))
        .unwrap();
        assert_eq!(update.processed, ["a", "b"]);
        assert_eq!(update.newly_assigned, ["b"]);
        assert!(update.ignored.is_empty());
        let sent = serde_json::to_value(RolesReplacement {
            role_ids: vec!["a".into()],
        })
        .unwrap();
        assert_eq!(sent, json!({"roleIds": ["a"]}));
    }

    #[test]
    fn the_catalogue_is_a_bare_array() {
        let roles: Vec<Role> = serde_json::from_value(json!([
            {"roleId": "desktop-user", "roleName": "Desktop User", "permissions": []}
        ]))
        .unwrap();
        assert_eq!(roles[0].role_name, "Desktop User");
    }
}
