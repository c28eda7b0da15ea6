//! The User resource the bridge supports, and its lenient reading of what IdPs send.
//!
//! Okta and Entra send more than Falcon can hold (`password`, `locale`, enterprise extension,
//! `null`s for empty attributes, booleans as `"False"`). Reading keeps what the bridge maps or
//! stores and ignores the rest, so no IdP request fails for carrying extra data. `roles` (the
//! roles given directly, `direct_roles.rs`) is kept as sent; the backend decides what they mean.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::direct_roles::{RoleAssignment, parse_roles};
use super::error::ScimError;
use super::lenient::{get_ci, kind_of, parse_bool};
use super::text;

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Name {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub value: String,
    /// SCIM `type` (`work`, `home`, ...).
    pub kind: Option<String>,
    pub primary: bool,
}

/// A group the user belongs to, as shown in the read-only `groups` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    pub value: String,
    pub display: Option<String>,
}

/// What a client may set on a User (POST, PUT, and the result of a PATCH).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserWrite {
    pub user_name: String,
    pub external_id: Option<String>,
    pub name: Name,
    pub display_name: Option<String>,
    pub emails: Vec<Email>,
    pub active: bool,
    /// The roles given directly, as sent (a PUT without `roles` empties them).
    pub roles: Vec<RoleAssignment>,
}

/// A User as the bridge serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserResource {
    pub id: String,
    pub write: UserWrite,
    pub groups: Vec<GroupRef>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

/// A string attribute; `null` and `""` mean absent.
fn optional_string(
    obj: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<String>, ScimError> {
    match get_ci(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ScimError::invalid_value(format!(
            "{path} must be a string, not {}",
            kind_of(other)
        ))),
    }
}

impl UserWrite {
    /// The e-mail addresses a client sees: those given, or, when none were, the login as the
    /// primary work address (design.md: the primary e-mail mirrors `userName` unless given), so
    /// that every user has the same shape whoever created it. Only what was given is stored, so
    /// a PATCH edits the given list and never the shown default.
    pub fn shown_emails(&self) -> Cow<'_, [Email]> {
        if self.emails.is_empty() {
            Cow::Owned(vec![Email {
                value: self.user_name.clone(),
                kind: Some("work".into()),
                primary: true,
            }])
        } else {
            Cow::Borrowed(&self.emails)
        }
    }

    /// Reads a User body. `userName` is required and must be the Falcon login e-mail address.
    pub fn parse(body: &Value) -> Result<Self, ScimError> {
        let obj = body.as_object().ok_or_else(|| {
            ScimError::invalid_syntax("the body must be a JSON object (a SCIM User)")
        })?;
        let user_name = optional_string(obj, "userName", "userName")?
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| ScimError::invalid_value("userName is required"))?;
        validate_login(&user_name)?;
        let name = match get_ci(obj, "name") {
            None | Some(Value::Null) => Name::default(),
            Some(Value::Object(n)) => Name {
                given_name: optional_string(n, "givenName", "name.givenName")?,
                family_name: optional_string(n, "familyName", "name.familyName")?,
                formatted: optional_string(n, "formatted", "name.formatted")?,
            },
            Some(other) => {
                return Err(ScimError::invalid_value(format!(
                    "name must be an object, not {}",
                    kind_of(other)
                )));
            }
        };
        let active = match get_ci(obj, "active") {
            None | Some(Value::Null) => true,
            Some(v) => parse_bool(v, "active")?,
        };
        Ok(Self {
            user_name,
            external_id: optional_string(obj, "externalId", "externalId")?,
            name,
            display_name: optional_string(obj, "displayName", "displayName")?,
            emails: parse_emails(get_ci(obj, "emails"))?,
            active,
            roles: parse_roles(get_ci(obj, "roles"))?,
        })
    }
}

/// One of a user's names, read from a [`UserWrite`].
type NameField = fn(&UserWrite) -> Option<&str>;

impl UserWrite {
    /// Refuses a `userName`, e-mail address or name (`name.givenName`, `name.familyName`,
    /// `name.formatted`, `displayName`) holding a control or invisible format character (see
    /// `text.rs`; names may hold the joiners their scripts need). Reading stays lenient ([`UserWrite::parse`] also reads what the bridge stored);
    /// this is the check on what a client asks to write.
    ///
    /// A value equal to `before`'s (the stored user, for PUT and PATCH) is not checked again:
    /// a user stored before this rule, or read from Falcon, must stay deactivatable by a PATCH or
    /// a PUT that echoes its names back.
    pub fn check_text(&self, before: Option<&UserWrite>) -> Result<(), ScimError> {
        if before.is_none_or(|b| b.user_name != self.user_name) {
            text::check("userName", &self.user_name)?;
        }
        for email in &self.emails {
            if before.is_none_or(|b| !b.emails.iter().any(|e| e.value == email.value)) {
                text::check("emails.value", &email.value)?;
            }
        }
        for role in &self.roles {
            if before.is_none_or(|b| !b.roles.iter().any(|r| r.value == role.value)) {
                text::check("roles.value", &role.value)?;
            }
        }
        let fields: [(&str, NameField); 4] = [
            ("name.givenName", |u| u.name.given_name.as_deref()),
            ("name.familyName", |u| u.name.family_name.as_deref()),
            ("name.formatted", |u| u.name.formatted.as_deref()),
            ("displayName", |u| u.display_name.as_deref()),
        ];
        for (attribute, field) in fields {
            if let Some(value) = field(self)
                && before.is_none_or(|b| field(b) != Some(value))
            {
                text::check_name(attribute, value)?;
            }
        }
        Ok(())
    }
}

/// Falcon logins are e-mail addresses; refusing anything else here gives the IdP a clear
/// message instead of Falcon's.
fn validate_login(user_name: &str) -> Result<(), ScimError> {
    let valid = user_name.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !user_name.chars().any(char::is_whitespace)
        && user_name.len() <= 254;
    if valid {
        Ok(())
    } else if let Some(c) = text::first_untrusted(user_name) {
        // A tab or line break is also whitespace; naming the character says more.
        Err(text::untrusted_error("userName", c))
    } else {
        Err(ScimError::invalid_value(format!(
            "userName '{user_name}' is not an e-mail address; Falcon logins are e-mail addresses"
        )))
    }
}

fn parse_emails(value: Option<&Value>) -> Result<Vec<Email>, ScimError> {
    let list = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list.as_slice(),
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        Some(other) => {
            return Err(ScimError::invalid_value(format!(
                "emails must be a list, not {}",
                kind_of(other)
            )));
        }
    };
    let mut emails: Vec<Email> = Vec::with_capacity(list.len());
    for item in list {
        let Value::Object(e) = item else {
            return Err(ScimError::invalid_value(
                "each entry of emails must be an object",
            ));
        };
        let Some(value) = optional_string(e, "value", "emails.value")? else {
            // An entry without an address carries nothing (Entra can send one after a remove).
            continue;
        };
        let primary = match get_ci(e, "primary") {
            None | Some(Value::Null) => false,
            Some(v) => parse_bool(v, "emails.primary")?,
        };
        let email = Email {
            value,
            kind: optional_string(e, "type", "emails.type")?,
            primary,
        };
        // Okta must never see two entries with the same value and type.
        if !emails
            .iter()
            .any(|x| x.value == email.value && x.kind == email.kind)
        {
            emails.push(email);
        }
    }
    if emails.iter().filter(|e| e.primary).count() > 1 {
        return Err(ScimError::invalid_value(
            "at most one of emails may be primary",
        ));
    }
    Ok(emails)
}

impl UserResource {
    /// The SCIM JSON form a client sees: no nulls, multi-valued attributes always lists, the
    /// login shown as the work e-mail when none was given ([`UserWrite::shown_emails`]).
    pub fn to_json(&self, base_url: &str) -> Value {
        self.json(base_url, &self.write.shown_emails())
    }

    /// The JSON form with only the e-mail addresses that were given: what a PATCH edits and an
    /// intent records, so that the shown default never becomes a stored address.
    pub fn to_json_as_given(&self) -> Value {
        self.json("", &self.write.emails)
    }

    fn json(&self, base_url: &str, emails: &[Email]) -> Value {
        let w = &self.write;
        let mut obj = Map::new();
        obj.insert("schemas".into(), json!([USER_SCHEMA]));
        obj.insert("id".into(), json!(self.id));
        if let Some(ext) = &w.external_id {
            obj.insert("externalId".into(), json!(ext));
        }
        obj.insert("userName".into(), json!(w.user_name));
        let mut name = Map::new();
        for (key, value) in [
            ("givenName", &w.name.given_name),
            ("familyName", &w.name.family_name),
            ("formatted", &w.name.formatted),
        ] {
            if let Some(v) = value {
                name.insert(key.into(), json!(v));
            }
        }
        if !name.is_empty() {
            obj.insert("name".into(), Value::Object(name));
        }
        if let Some(display) = &w.display_name {
            obj.insert("displayName".into(), json!(display));
        }
        let emails: Vec<Value> = emails
            .iter()
            .map(|e| {
                let mut email = json!({"value": e.value, "primary": e.primary});
                if let Some(kind) = &e.kind {
                    email["type"] = json!(kind);
                }
                email
            })
            .collect();
        obj.insert("emails".into(), Value::Array(emails));
        obj.insert("active".into(), json!(w.active));
        if !w.roles.is_empty() {
            let roles = w.roles.iter().map(RoleAssignment::to_json).collect();
            obj.insert("roles".into(), Value::Array(roles));
        }
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|g| {
                let mut group = json!({
                    "value": g.value,
                    "$ref": format!("{base_url}/Groups/{}", g.value),
                    "type": "direct",
                });
                if let Some(display) = &g.display {
                    group["display"] = json!(display);
                }
                group
            })
            .collect();
        obj.insert("groups".into(), Value::Array(groups));
        obj.insert(
            "meta".into(),
            json!({
                "resourceType": "User",
                "created": self.created.to_rfc3339_opts(SecondsFormat::Millis, true),
                "lastModified": self.last_modified.to_rfc3339_opts(SecondsFormat::Millis, true),
                "location": format!("{base_url}/Users/{}", self.id),
                "version": self.version(),
            }),
        );
        Value::Object(obj)
    }

    /// A weak ETag that changes with every change of the user: its own attributes move
    /// `lastModified`; the read-only `groups` it belongs to are hashed in, since a membership
    /// change does not modify the user.
    pub fn version(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut groups = std::collections::hash_map::DefaultHasher::new();
        for group in &self.groups {
            group.value.hash(&mut groups);
            group.display.hash(&mut groups);
        }
        crate::etag::weak(&format!(
            "{}-{:x}",
            self.last_modified.timestamp_micros(),
            groups.finish()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_without_emails_is_shown_with_its_login_as_work_email() {
        let bare = UserWrite::parse(&json!({"userName": "bare@x.io"})).unwrap();
        assert!(
            bare.emails.is_empty(),
            "nothing is invented in what is kept"
        );
        let shown = UserResource {
            id: "1".into(),
            write: bare.clone(),
            groups: Vec::new(),
            created: Utc::now(),
            last_modified: Utc::now(),
        }
        .to_json("");
        assert_eq!(
            shown["emails"],
            json!([{"value": "bare@x.io", "type": "work", "primary": true}])
        );
        let given = UserWrite::parse(
            &json!({"userName": "bare@x.io", "emails": [{"value": "home@x.io", "type": "home"}]}),
        )
        .unwrap();
        assert_eq!(given.shown_emails().as_ref(), given.emails.as_slice());
        assert_eq!(given.shown_emails()[0].value, "home@x.io");
    }

    #[test]
    fn reads_okta_create_ignoring_what_falcon_cannot_hold() {
        let body = json!({"schemas":[USER_SCHEMA],"userName":"test.user@okta.local",
            "name":{"givenName":"Test","familyName":"User"},
            "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
            "displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7",
            "groups":[],"password":"1mz050nq","active":true});
        let user = UserWrite::parse(&body).unwrap();
        assert_eq!(user.user_name, "test.user@okta.local");
        assert_eq!(user.name.given_name.as_deref(), Some("Test"));
        assert_eq!(user.external_id.as_deref(), Some("00ujl29u0le5T6Aj10h7"));
        assert!(user.active);
        assert_eq!(user.emails.len(), 1);
    }

    #[test]
    fn reads_entra_nulls_and_string_booleans() {
        let body = json!({"USERNAME":"alice@contoso.com","active":"False","title":null,
            "addresses":null,"name":{"formatted":"Alice Doe","givenName":"Alice","familyName":null}});
        let user = UserWrite::parse(&body).unwrap();
        assert!(!user.active);
        assert_eq!(user.name.family_name, None);
        assert_eq!(user.user_name, "alice@contoso.com");
    }

    #[test]
    fn refusals_name_the_attribute() {
        let cases = [
            (json!({}), "userName is required"),
            (json!({"userName": "not-an-email"}), "not an e-mail"),
            (json!({"userName": "a@b.c", "active": "yes"}), "active"),
            (
                json!({"userName": "a@b.c", "name": "x"}),
                "name must be an object",
            ),
            (json!({"userName": "a@b.c", "emails": 3}), "emails"),
            (json!({"userName": 7}), "userName must be a string"),
            (json!([]), "JSON object"),
        ];
        for (body, needle) in cases {
            let err = UserWrite::parse(&body).unwrap_err();
            assert!(err.detail.contains(needle), "{body}: {}", err.detail);
            assert_eq!(err.status, 400);
        }
    }

    #[test]
    fn invisible_characters_in_names_are_refused_naming_them() {
        let cases = [
            (
                json!({"userName": "adm\u{202e}in@x.io"}),
                "userName contains U+202E",
            ),
            (
                json!({"userName": "a@x.io", "emails": [{"value": "a\u{200b}@x.io"}]}),
                "emails.value contains U+200B",
            ),
            (
                json!({"userName": "a@x.io", "name": {"givenName": "Jo\u{2066}hn"}}),
                "name.givenName contains U+2066",
            ),
            (
                json!({"userName": "a@x.io", "name": {"familyName": "Do\u{0}e"}}),
                "name.familyName contains U+0000",
            ),
            (
                json!({"userName": "a@x.io", "name": {"formatted": "\u{feff}J D"}}),
                "name.formatted contains U+FEFF",
            ),
            (
                json!({"userName": "a@x.io", "displayName": "soft\u{ad}hyphen"}),
                "displayName contains U+00AD",
            ),
        ];
        for (body, needle) in cases {
            let err = UserWrite::parse(&body)
                .unwrap()
                .check_text(None)
                .unwrap_err();
            assert_eq!(err.status, 400);
            assert_eq!(err.scim_type, Some(crate::error::ScimType::InvalidValue));
            assert!(err.detail.starts_with(needle), "{body}: {}", err.detail);
        }
        // A whitespace control character was already refused in a login; now it is named.
        let err = UserWrite::parse(&json!({"userName": "a\tb@x.io"})).unwrap_err();
        assert_eq!(
            err.detail,
            "userName contains U+0009 (an invisible or control character)"
        );
        // What the IdPs send is fine, accents and all.
        let fine = json!({"userName": "jose.muller@x.io", "displayName": "José Müller",
            "name": {"givenName": "José", "familyName": "Müller", "formatted": "José Müller"},
            "emails": [{"value": "jose.muller@x.io"}]});
        assert_eq!(UserWrite::parse(&fine).unwrap().check_text(None), Ok(()));
    }

    #[test]
    fn stored_values_are_not_checked_again() {
        let stored = UserWrite::parse(&json!({"userName": "a@x.io",
            "name": {"givenName": "Jo\u{200b}hn"}, "emails": [{"value": "a\u{200b}@x.io"}]}))
        .unwrap();
        let mut deactivated = stored.clone();
        deactivated.active = false;
        assert_eq!(deactivated.check_text(Some(&stored)), Ok(()));
        let mut renamed = stored.clone();
        renamed.name.family_name = Some("Doe\u{202e}".into());
        let err = renamed.check_text(Some(&stored)).unwrap_err();
        assert!(err.detail.starts_with("name.familyName contains U+202E"));
    }

    #[test]
    fn renders_without_nulls() {
        let now = Utc::now();
        let user = UserResource {
            id: "abc".into(),
            write: UserWrite::parse(&json!({"userName":"a@b.co"})).unwrap(),
            groups: vec![GroupRef {
                value: "g".into(),
                display: None,
            }],
            created: now,
            last_modified: now,
        };
        let json = user.to_json("http://h/scim/v2");
        assert!(json.get("name").is_none());
        assert!(json.get("externalId").is_none());
        assert_eq!(json["emails"][0]["value"], "a@b.co", "the login is shown");
        assert_eq!(user.to_json_as_given()["emails"], json!([]));
        assert_eq!(json["groups"][0]["value"], "g");
        assert_eq!(json["meta"]["location"], "http://h/scim/v2/Users/abc");
    }
}
