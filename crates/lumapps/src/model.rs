//! Wire types of LumApps' legacy v1 ("lumsites") user and feed API and of the v2 token endpoint.
//!
//! LumApps has no PATCH: an update is "get the whole object, change it, save the whole object".
//! [`User`] and [`Feed`] therefore keep every field the bridge does not know in a flattened map
//! and send it back unchanged, so a save never erases what another tool set. Deserialisation is
//! lenient (absent or `null` lists empty, absent strings `None`, ids that arrive as numbers read
//! as strings, unknown enum values kept verbatim) because much of the shape is inferred.
//! Known fields that are absent or `null` are not sent back; LumApps' Cloud Endpoints API reads
//! both the same way [assumed].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Route of every operation the client uses, relative to the cell's base URL.
pub mod routes {
    /// Prefix of every v1 path.
    pub const V1: &str = "/_ah/api/lumsites/v1";
    /// `GET`: `maxResults`, `cursor`, `status`, `feeds`, `showHidden`, …; a page of users.
    pub const USER_LIST: &str = "/_ah/api/lumsites/v1/user/list";
    /// `GET` with `email` or `uid`; 404 when unknown.
    pub const USER_GET: &str = "/_ah/api/lumsites/v1/user/get";
    /// `POST` a whole user: creates without `id`, replaces the whole user with one.
    pub const USER_SAVE: &str = "/_ah/api/lumsites/v1/user/save";
    /// `POST {"uid":[…]}`; per-uid failures in `errors` [inferred].
    pub const USER_DELETE_MULTI: &str = "/_ah/api/lumsites/v1/user/deleteMulti";
    /// `GET`: `maxResults`, `cursor`; a page of feeds.
    pub const FEED_LIST: &str = "/_ah/api/lumsites/v1/feed/list";
    /// `GET` with `uid`.
    pub const FEED_GET: &str = "/_ah/api/lumsites/v1/feed/get";
    /// `POST` a whole feed.
    pub const FEED_SAVE: &str = "/_ah/api/lumsites/v1/feed/save";
    /// `DELETE` with `uid` [method inferred]; answers an empty object.
    pub const FEED_DELETE: &str = "/_ah/api/lumsites/v1/feed/delete";
    /// `POST {feed, addedUsers, removedUsers}`: batch membership; answers an empty object.
    pub const FEED_SUBSCRIBERS_SAVE: &str = "/_ah/api/lumsites/v1/feed/subscribers/save";

    /// `POST`, HTTP Basic client id and secret, form body
    /// `grant_type=client_credentials&user_email=…`.
    pub fn application_token(organization_id: &str) -> String {
        format!("/v2/organizations/{organization_id}/application-token")
    }
}

/// Users (or feeds) asked for per page; the server may cap it (the simulator at 100).
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The token lifetime assumed when the answer does not say (about an hour [inferred]).
pub const TOKEN_LIFETIME_SECS: u64 = 3600;
/// The header carrying the id of a call, for LumApps support.
pub const CALL_ID_HEADER: &str = "lumapps-call-id";

fn null_as_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

/// A string, or a number or boolean read as its text (ids are strings, but never trust that).
fn lenient_string<'de, D>(de: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<Value>::deserialize(de)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected a string, got {}",
                kind_of(&other)
            )));
        }
    })
}

/// A number, or a string holding one; absent, `null` or unreadable is 0.
fn lenient_u64<'de, D>(de: D) -> Result<u64, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<Value>::deserialize(de)? {
        Some(Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))
            .unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

/// A boolean, or the strings `"true"`/`"false"`; anything else is `false`.
fn lenient_bool<'de, D>(de: D) -> Result<bool, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<Value>::deserialize(de)? {
        Some(Value::Bool(b)) => b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Declares a string enum whose unknown values are kept verbatim (and sent back as received).
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this client does not know, kept as LumApps sent it.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                let s = String::deserialize(de)?;
                Ok($name::from(s.as_str()))
            }
        }
    };
}

open_enum!(
    /// `User.status`.
    UserStatus {
        Enabled = "enabled",
        Disabled = "disabled",
    }
);

open_enum!(
    /// `User.accountType`: who owns the account. Google, Microsoft and Okta accounts are
    /// synchronised from that IdP; the bridge creates `external` ones.
    AccountType {
        Google = "google",
        Microsoft = "microsoft",
        Okta = "okta",
        External = "external",
    }
);

/// A LumApps user, with every field the bridge does not model kept in [`User::other`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Absent on a create; a numeric-looking string otherwise.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The same value as `id` in practice [inferred].
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub uid: Option<String>,
    /// The user's key within the organisation.
    #[serde(default, deserialize_with = "null_as_default")]
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<AccountType>,
    /// True when the account is synchronised from an IdP (Google, Microsoft, Okta).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronized: Option<bool>,
    /// Global administrator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_super_admin: Option<bool>,
    /// Everything else LumApps sent (`fullName`, `isHidden`, `instancesSuperAdmin`, `customer`,
    /// `createdAt`, custom profile fields…), sent back unchanged on save.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl User {
    /// A new account owned by the bridge: `accountType: "external"`, enabled.
    pub fn new_external(
        email: impl Into<String>,
        first_name: impl Into<String>,
        last_name: impl Into<String>,
    ) -> Self {
        Self {
            email: email.into(),
            first_name: Some(first_name.into()),
            last_name: Some(last_name.into()),
            status: Some(UserStatus::Enabled),
            account_type: Some(AccountType::External),
            ..Self::default()
        }
    }

    /// The id calls take (`uid`, else `id`); `None` for a user not created yet.
    pub fn key(&self) -> Option<&str> {
        self.uid
            .as_deref()
            .or(self.id.as_deref())
            .filter(|k| !k.is_empty())
    }

    /// True unless LumApps says `disabled` (an absent status is read as enabled).
    pub fn is_enabled(&self) -> bool {
        !matches!(&self.status, Some(s) if s.as_str().eq_ignore_ascii_case("disabled"))
    }

    /// True when an IdP (not the bridge) owns the account: it is synchronised, or its account
    /// type is Google, Microsoft or Okta.
    pub fn is_idp_owned(&self) -> bool {
        self.synchronized == Some(true)
            || matches!(
                self.account_type,
                Some(AccountType::Google | AccountType::Microsoft | AccountType::Okta)
            )
    }
}

/// A LumApps feed (what LumApps calls a group), with the rest of its fields in [`Feed::other`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub uid: Option<String>,
    /// Unique within the organisation, compared case-sensitively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl Feed {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// The id calls take (`uid`, else `id`); `None` for a feed not created yet.
    pub fn key(&self) -> Option<&str> {
        self.uid
            .as_deref()
            .or(self.id.as_deref())
            .filter(|k| !k.is_empty())
    }
}

/// One page of a v1 list: `{items, more, cursor, callId}`, every field optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    bound(deserialize = "T: Deserialize<'de>", serialize = "T: Serialize")
)]
pub struct Page<T> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub items: Vec<T>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub more: bool,
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cursor: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub call_id: Option<String>,
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            more: false,
            cursor: None,
            call_id: None,
        }
    }
}

/// The answer of the application-token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub token_type: String,
    /// Seconds; 0 when absent, read as [`TOKEN_LIFETIME_SECS`].
    #[serde(default, deserialize_with = "lenient_u64")]
    pub expires_in: u64,
}

/// The body of `user/deleteMulti`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteMultiRequest {
    pub uid: Vec<String>,
}

/// The answer of `user/deleteMulti` [inferred]: the uids handled and a failure per uid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeleteMultiResponse {
    #[serde(default, deserialize_with = "null_as_default")]
    pub uid: Vec<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<DeleteMultiError>,
}

/// One per-uid failure of `user/deleteMulti`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeleteMultiError {
    #[serde(default, alias = "id", deserialize_with = "lenient_string")]
    pub uid: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
}

/// The body of `feed/subscribers/save`: members added and removed, by e-mail or id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribersSave {
    pub feed: String,
    pub added_users: Vec<String>,
    pub removed_users: Vec<String>,
}

/// One error of the v2 (JSON:API-like) shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct V2Error {
    #[serde(default, deserialize_with = "lenient_string")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub detail: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub title: Option<String>,
    /// The HTTP status as a string ("404") in LumApps' answers; numbers tolerated.
    #[serde(default, deserialize_with = "lenient_string")]
    pub status: Option<String>,
}

/// `{"errors":[…]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct V2ErrorBody {
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<V2Error>,
}

/// One detail of the v1 (Cloud Endpoints) shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct V1ErrorItem {
    #[serde(default, deserialize_with = "lenient_string")]
    pub domain: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
}

/// The inner object of the v1 shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct V1Error {
    /// The HTTP status as a number in Cloud Endpoints; strings tolerated.
    #[serde(default, deserialize_with = "lenient_string")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub errors: Vec<V1ErrorItem>,
}

/// `{"error":{code,message,errors:[…]}}` [inner shape inferred].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct V1ErrorBody {
    pub error: V1Error,
}

/// What an error body said, whichever shape it had.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorReport {
    /// A code (`NOT_FOUND`) or reason (`alreadyExists`), when the body had one.
    pub code: Option<String>,
    /// The human message; empty when the body had none.
    pub message: String,
    /// The `callId` of the body, when it carried one.
    pub call_id: Option<String>,
}

impl ErrorReport {
    /// Reads a body of either shape; anything else (HTML, text, other JSON) gives `None`.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let call_id = value
            .get("callId")
            .or_else(|| value.get("error").and_then(|e| e.get("callId")))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        if value.get("errors").is_some_and(Value::is_array) {
            let body: V2ErrorBody = serde_json::from_value(value).ok()?;
            let first = body.errors.first().cloned().unwrap_or_default();
            let message = body
                .errors
                .iter()
                .filter_map(|e| e.detail.clone().or_else(|| e.title.clone()))
                .collect::<Vec<_>>()
                .join("; ");
            return Some(Self {
                code: first.code,
                message,
                call_id,
            });
        }
        match value.get("error") {
            Some(Value::Object(_)) => {
                let body: V1ErrorBody = serde_json::from_value(value).ok()?;
                let first = body.error.errors.first().cloned().unwrap_or_default();
                let message = body
                    .error
                    .message
                    .clone()
                    .or_else(|| first.message.clone())
                    .unwrap_or_default();
                Some(Self {
                    code: first.reason.or(body.error.code),
                    message,
                    call_id,
                })
            }
            // OAuth style: `{"error":"invalid_client","error_description":"…"}`.
            Some(Value::String(code)) => Some(Self {
                code: Some(code.clone()),
                message: value
                    .get("error_description")
                    .and_then(Value::as_str)
                    .unwrap_or(code)
                    .to_owned(),
                call_id,
            }),
            _ => Some(Self {
                code: None,
                message: value
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                call_id,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_user_keeps_every_field_it_does_not_know() {
        let received = json!({
            "id": "5629499534213120", "uid": "5629499534213120", "email": "ann@x.io",
            "firstName": "Ann", "lastName": "Lee", "status": "enabled", "accountType": "okta",
            "synchronized": true, "isSuperAdmin": false, "isHidden": false,
            "instancesSuperAdmin": ["i1"], "customProfile": {"dept": {"en": "Ops"}},
            "createdAt": "2026-01-02T03:04:05Z", "fieldNobodyKnows": null
        });
        let user: User = serde_json::from_value(received.clone()).unwrap();
        assert_eq!(user.key(), Some("5629499534213120"));
        assert_eq!(user.account_type, Some(AccountType::Okta));
        assert!(user.is_idp_owned() && user.is_enabled());
        assert_eq!(serde_json::to_value(&user).unwrap(), received);
    }

    #[test]
    fn unknown_enum_values_and_numeric_ids_are_tolerated() {
        let user: User = serde_json::from_value(json!({
            "id": 42, "email": null, "status": "suspended", "accountType": "saml"
        }))
        .unwrap();
        assert_eq!(user.id.as_deref(), Some("42"));
        assert_eq!(user.email, "");
        assert_eq!(user.status, Some(UserStatus::Other("suspended".into())));
        assert_eq!(user.account_type, Some(AccountType::Other("saml".into())));
        let sent = serde_json::to_value(&user).unwrap();
        assert_eq!(sent["status"], "suspended");
        assert_eq!(sent["accountType"], "saml");
        assert!(!user.is_idp_owned());
    }

    #[test]
    fn a_new_external_user_sends_no_id() {
        let sent = serde_json::to_value(User::new_external("b@x.io", "Bo", "Ng")).unwrap();
        assert_eq!(
            sent,
            json!({"email": "b@x.io", "firstName": "Bo", "lastName": "Ng",
                   "status": "enabled", "accountType": "external"})
        );
    }

    #[test]
    fn a_feed_round_trips_and_pages_read_leniently() {
        let received = json!({"uid": "77", "name": "Ops", "type": "g1", "group": "ops@x.io"});
        let feed: Feed = serde_json::from_value(received.clone()).unwrap();
        assert_eq!(
            (feed.key(), feed.name.as_deref()),
            (Some("77"), Some("Ops"))
        );
        assert_eq!(serde_json::to_value(&feed).unwrap(), received);

        let page: Page<User> =
            serde_json::from_value(json!({"more": true, "cursor": "c1"})).unwrap();
        assert!(page.items.is_empty() && page.more);
        let page: Page<User> =
            serde_json::from_value(json!({"items": null, "callId": "k"})).unwrap();
        assert!(!page.more && page.cursor.is_none());
        assert_eq!(page.call_id.as_deref(), Some("k"));
    }

    #[test]
    fn token_lifetimes_read_as_numbers_or_strings() {
        let t: TokenResponse =
            serde_json::from_value(json!({"access_token": "a", "expires_in": "3599"})).unwrap();
        assert_eq!(t.expires_in, 3599);
        let t: TokenResponse = serde_json::from_value(json!({"access_token": "a"})).unwrap();
        assert_eq!((t.expires_in, t.token_type.as_str()), (0, ""));
    }

    #[test]
    fn both_error_shapes_are_read() {
        let v2 = ErrorReport::parse(
            br#"{"errors":[{"code":"NOT_FOUND","detail":"Can't find user","title":"Not found","status":"404"}]}"#,
        )
        .unwrap();
        assert_eq!(v2.code.as_deref(), Some("NOT_FOUND"));
        assert_eq!(v2.message, "Can't find user");

        let v1 = ErrorReport::parse(
            br#"{"error":{"code":400,"message":"User already exists","errors":[{"domain":"global","reason":"alreadyExists","message":"dup"}]},"callId":"c-9"}"#,
        )
        .unwrap();
        assert_eq!(v1.code.as_deref(), Some("alreadyExists"));
        assert_eq!(v1.message, "User already exists");
        assert_eq!(v1.call_id.as_deref(), Some("c-9"));

        let bare = ErrorReport::parse(br#"{"error":{"code":"403"}}"#).unwrap();
        assert_eq!(
            (bare.code.as_deref(), bare.message.as_str()),
            (Some("403"), "")
        );
        let oauth =
            ErrorReport::parse(br#"{"error":"invalid_client","error_description":"bad"}"#).unwrap();
        assert_eq!(oauth.message, "bad");
        assert!(ErrorReport::parse(b"<html>oops</html>").is_none());
    }

    #[test]
    fn the_token_route_names_the_organisation() {
        assert_eq!(
            routes::application_token("123"),
            "/v2/organizations/123/application-token"
        );
        assert!(routes::USER_LIST.starts_with(routes::V1));
    }
}
