//! Wire types of the Falcon user-management API (`/user-management/...` family only).
//!
//! One file for both sides: the client deserialises these, the simulator serialises them, so the
//! two can never drift apart silently. Shapes follow Falcon's reply envelope and its user, role
//! and grant models. Deserialisation is deliberately lenient (absent, `null` and `[]` are all
//! "no errors"; unknown keys are ignored) because captured Falcon replies differ in exactly those
//! ways.

use serde::{Deserialize, Deserializer, Serialize};

/// Route of every operation the bridge uses. Deprecated routes are absent on purpose: nothing in
/// the crate can call them by accident.
pub mod routes {
    pub const TOKEN: &str = "/oauth2/token";
    pub const REVOKE: &str = "/oauth2/revoke";
    pub const QUERY_USERS: &str = "/user-management/queries/users/v1";
    pub const RETRIEVE_USERS: &str = "/user-management/entities/users/GET/v1";
    pub const USERS: &str = "/user-management/entities/users/v1";
    pub const USER_ROLE_ACTIONS: &str = "/user-management/entities/user-role-actions/v1";
    pub const QUERY_ROLES: &str = "/user-management/queries/roles/v1";
    pub const RETRIEVE_ROLES: &str = "/user-management/entities/roles/GET/v2";
    pub const COMBINED_USER_ROLES: &str = "/user-management/combined/user-roles/v2";
}

/// Response headers Falcon sends; compare case-insensitively (the `http` crate does).
pub mod headers {
    pub const TRACE_ID: &str = "x-cs-traceid";
    pub const REGION: &str = "x-cs-region";
    pub const RATE_LIMIT: &str = "x-ratelimit-limit";
    pub const RATE_REMAINING: &str = "x-ratelimit-remaining";
    pub const RATE_RETRY_AFTER: &str = "x-ratelimit-retryafter";
}

/// Largest `limit` a query call accepts.
pub const MAX_PAGE_LIMIT: u32 = 500;
/// Most ids one of the `.../GET/...` look-ups accepts.
pub const MAX_IDS_PER_LOOKUP: usize = 5000;
/// Most role ids the bridge puts in one grant or revoke (Terraform's chunk size; atomic per call).
pub const MAX_ROLES_PER_ACTION: usize = 100;

fn null_as_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

/// `{meta, errors, resources}`, the body of every Falcon reply.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de>"))]
pub struct Envelope<T> {
    #[serde(default)]
    pub meta: Meta,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub errors: Option<Vec<ApiError>>,
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "null_as_default")]
    pub resources: Option<Vec<T>>,
}

impl<T> Envelope<T> {
    /// The errors of the reply; absent and `null` read as none.
    pub fn errors(&self) -> &[ApiError] {
        self.errors.as_deref().unwrap_or_default()
    }

    /// The resources of the reply; absent and `null` read as none.
    pub fn into_resources(self) -> Vec<T> {
        self.resources.unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub query_time: f64,
    #[serde(default)]
    pub trace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub powered_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes: Option<Writes>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    #[serde(default)]
    pub offset: u64,
    #[serde(default)]
    pub limit: u64,
    #[serde(default)]
    pub total: u64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Writes {
    #[serde(default)]
    pub resources_affected: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Body of a successful `POST /oauth2/token` (HTTP 201).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default = "bearer")]
    pub token_type: String,
    pub expires_in: u64,
}

fn bearer() -> String {
    "bearer".to_owned()
}

/// A Falcon user, `domain.User` in Falcon's API models.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub uuid: String,
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub cid: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub first_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub last_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: String,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub factors: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login_at: Option<String>,
}

/// A Falcon role, `domain.Role`. `description` and `display_name` tolerate `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub display_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
    #[serde(default)]
    pub is_global: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// One role grant of a user, `flightcontrolapi.CombinedUserRolesResourceV2`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub role_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// Body of createUserV1 (`domain.CreateUserRequest`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateUserRequest {
    pub uid: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub first_name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Body of updateUserV1: Falcon wants both names on every rename.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateUserRequest {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleActionKind {
    Grant,
    Revoke,
}

impl RoleActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Revoke => "revoke",
        }
    }
}

/// Body of userRolesActionV1 (`flightcontrolapi.GrantInput`). The user key is `uuid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAction {
    pub action: RoleActionKind,
    #[serde(default)]
    pub cid: String,
    pub uuid: String,
    pub role_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// Body of the two `.../GET/...` look-ups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdsRequest {
    #[serde(default)]
    pub ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_accepts_absent_null_and_empty_errors() {
        for body in [
            r#"{"meta":{"query_time":0.1,"trace_id":"t"},"resources":["a"]}"#,
            r#"{"meta":{"query_time":0.1,"trace_id":"t"},"errors":null,"resources":["a"]}"#,
            r#"{"meta":{"query_time":0.1,"trace_id":"t"},"errors":[],"resources":["a"],"extra":1}"#,
        ] {
            let env: Envelope<String> = serde_json::from_str(body).unwrap();
            assert!(env.errors().is_empty(), "{body}");
            assert_eq!(env.into_resources(), vec!["a".to_owned()]);
        }
    }

    #[test]
    fn meta_only_envelope_has_no_resources() {
        let env: Envelope<User> =
            serde_json::from_str(r#"{"meta":{"query_time":0.1,"trace_id":"t"}}"#).unwrap();
        assert!(env.into_resources().is_empty());
    }

    #[test]
    fn role_tolerates_null_description() {
        let role: Role = serde_json::from_str(
            r#"{"id":"x","display_name":null,"description":null,"is_global":false,"type":"default"}"#,
        )
        .unwrap();
        assert_eq!(role.description, "");
        assert_eq!(role.kind.as_deref(), Some("default"));
    }

    #[test]
    fn role_action_serialises_snake_case_with_uuid_key() {
        let body = serde_json::to_value(RoleAction {
            action: RoleActionKind::Grant,
            cid: "c".into(),
            uuid: "u".into(),
            role_ids: vec!["falcon_analyst".into()],
            expires_at: None,
        })
        .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"action":"grant","cid":"c","uuid":"u","role_ids":["falcon_analyst"]})
        );
    }
}
