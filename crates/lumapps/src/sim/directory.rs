//! The organisation's users and feeds, as JSON objects.
//!
//! Users are stored as `serde_json` maps, not typed structs, so that fields the simulator does
//! not interpret survive `user/save` untouched and fields a client drops are really lost, as in
//! LumApps where a save replaces the whole object. The simulator owns only `id`/`uid` (the same
//! numeric-looking string), `customer`, `fullName` (first + last), `createdAt` and `updatedAt`.
//! E-mails are unique case-insensitively; feed names are unique case-sensitively. Feed
//! membership is kept beside the feed object, in the order members were added; deleting a user
//! removes it from every feed.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

/// A user or feed as the API carries it.
pub type Object = Map<String, Value>;

/// The account types `user/list?types=` and `accountType` know; all but `external` are
/// directory-synchronised (owned by the IdP).
pub const ACCOUNT_TYPES: [&str; 4] = ["google", "microsoft", "okta", "external"];

/// Why a change to the organisation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("A user with email '{0}' already exists")]
    DuplicateEmail(String),
    #[error("A feed named '{0}' already exists")]
    DuplicateFeedName(String),
    #[error("User '{0}' not found")]
    UnknownUser(String),
    #[error("Feed '{0}' not found")]
    UnknownFeed(String),
    #[error("{0}")]
    Invalid(String),
}

/// First id handed out; ids look like LumApps' 16-digit datastore ids.
const FIRST_ID: u64 = 5_700_000_000_000_000;

#[derive(Debug)]
struct Feed {
    object: Object,
    members: Vec<String>,
}

/// What `user/list` filters on (all given conditions must hold).
#[derive(Debug, Default, Clone)]
pub(crate) struct UserFilter {
    pub status: Option<String>,
    pub types: Vec<String>,
    pub feeds: Vec<String>,
    pub email: Option<String>,
    pub ids: Vec<String>,
    pub show_hidden: bool,
}

#[derive(Debug)]
pub(crate) struct Directory {
    org_id: String,
    next_id: u64,
    users: Vec<Object>,
    feeds: Vec<Feed>,
}

fn stamp(now: DateTime<Utc>) -> Value {
    Value::String(now.to_rfc3339_opts(SecondsFormat::Micros, true))
}

fn text<'a>(object: &'a Object, field: &str) -> Option<&'a str> {
    object.get(field).and_then(Value::as_str)
}

/// The id a save body names: `id` or `uid` (they must agree when both are given).
fn named_id(body: &Object) -> Result<Option<String>, SimError> {
    let id = text(body, "id").filter(|s| !s.is_empty());
    let uid = text(body, "uid").filter(|s| !s.is_empty());
    match (id, uid) {
        (Some(a), Some(b)) if a != b => {
            Err(SimError::Invalid(format!("id '{a}' and uid '{b}' differ")))
        }
        (Some(a), _) | (None, Some(a)) => Ok(Some(a.to_owned())),
        (None, None) => Ok(None),
    }
}

fn required_text(body: &Object, field: &str) -> Result<String, SimError> {
    match text(body, field).map(str::trim) {
        Some(value) if !value.is_empty() => Ok(value.to_owned()),
        _ => Err(SimError::Invalid(format!(
            "Missing required field '{field}'"
        ))),
    }
}

/// Checks the fields the simulator interprets and drops the password pair (never stored).
fn check_user_fields(body: &mut Object) -> Result<(), SimError> {
    for field in ["email", "firstName", "lastName", "accountType", "status"] {
        required_text(body, field)?;
    }
    let status = text(body, "status").unwrap_or_default();
    if status != "enabled" && status != "disabled" {
        return Err(SimError::Invalid(format!(
            "Invalid status '{status}': enabled or disabled"
        )));
    }
    let kind = text(body, "accountType").unwrap_or_default();
    if !ACCOUNT_TYPES.contains(&kind) {
        return Err(SimError::Invalid(format!("Invalid accountType '{kind}'")));
    }
    for flag in ["isSuperAdmin", "isHidden", "synchronized"] {
        if body.get(flag).is_some_and(|v| !v.is_boolean()) {
            return Err(SimError::Invalid(format!("'{flag}' must be a boolean")));
        }
    }
    let password = body.remove("password");
    let again = body.remove("rePassword");
    if password != again {
        return Err(SimError::Invalid(
            "password and rePassword differ".to_owned(),
        ));
    }
    Ok(())
}

fn full_name(body: &Object) -> Value {
    let first = text(body, "firstName").unwrap_or_default();
    let last = text(body, "lastName").unwrap_or_default();
    Value::String(format!("{first} {last}").trim().to_owned())
}

impl Directory {
    pub(crate) fn new(org_id: &str) -> Self {
        Self {
            org_id: org_id.to_owned(),
            next_id: FIRST_ID,
            users: Vec::new(),
            feeds: Vec::new(),
        }
    }

    fn fresh_id(&mut self) -> String {
        let id = self.next_id;
        self.next_id += 1;
        id.to_string()
    }

    pub(crate) fn users(&self) -> &[Object] {
        &self.users
    }

    pub(crate) fn user(&self, id: &str) -> Option<&Object> {
        self.users.iter().find(|u| text(u, "id") == Some(id))
    }

    pub(crate) fn user_by_email(&self, email: &str) -> Option<&Object> {
        self.users
            .iter()
            .find(|u| text(u, "email").is_some_and(|e| e.eq_ignore_ascii_case(email.trim())))
    }

    /// A user named by e-mail (anything with an `@`) or by id.
    pub(crate) fn resolve(&self, key: &str) -> Option<&Object> {
        if key.contains('@') {
            self.user_by_email(key)
        } else {
            self.user(key)
        }
    }

    fn email_taken(&self, email: &str, except_id: Option<&str>) -> bool {
        self.user_by_email(email)
            .is_some_and(|u| text(u, "id") != except_id)
    }

    fn insert_user(&mut self, mut body: Object, now: DateTime<Utc>) -> Object {
        let id = self.fresh_id();
        body.insert("id".to_owned(), Value::String(id.clone()));
        body.insert("uid".to_owned(), Value::String(id));
        body.insert("customer".to_owned(), Value::String(self.org_id.clone()));
        body.insert("fullName".to_owned(), full_name(&body));
        body.insert("createdAt".to_owned(), stamp(now));
        body.insert("updatedAt".to_owned(), stamp(now));
        self.users.push(body.clone());
        body
    }

    /// `user/save` without an id: requires `email`, `firstName`, `lastName` and `accountType`;
    /// `status` defaults to enabled, `isHidden`, `isSuperAdmin` and `synchronized` to false.
    pub(crate) fn create_user(
        &mut self,
        mut body: Object,
        now: DateTime<Utc>,
    ) -> Result<Object, SimError> {
        body.entry("status").or_insert_with(|| "enabled".into());
        for flag in ["isHidden", "isSuperAdmin", "synchronized"] {
            body.entry(flag).or_insert(Value::Bool(false));
        }
        check_user_fields(&mut body)?;
        let email = required_text(&body, "email")?;
        if self.email_taken(&email, None) {
            return Err(SimError::DuplicateEmail(email));
        }
        Ok(self.insert_user(body, now))
    }

    /// `user/save` with an id: the body replaces the whole stored user (only the fields the
    /// simulator owns are kept or recomputed). The same fields as a create are required, and
    /// `status` too.
    pub(crate) fn replace_user(
        &mut self,
        mut body: Object,
        now: DateTime<Utc>,
    ) -> Result<Object, SimError> {
        let Some(id) = named_id(&body)? else {
            return Err(SimError::Invalid("Missing id".to_owned()));
        };
        let Some(index) = self.users.iter().position(|u| text(u, "id") == Some(&id)) else {
            return Err(SimError::UnknownUser(id));
        };
        check_user_fields(&mut body)?;
        let email = required_text(&body, "email")?;
        if self.email_taken(&email, Some(&id)) {
            return Err(SimError::DuplicateEmail(email));
        }
        let old = &self.users[index];
        let created = old.get("createdAt").cloned().unwrap_or_else(|| stamp(now));
        body.insert("id".to_owned(), Value::String(id.clone()));
        body.insert("uid".to_owned(), Value::String(id));
        body.insert("customer".to_owned(), Value::String(self.org_id.clone()));
        body.insert("fullName".to_owned(), full_name(&body));
        body.insert("createdAt".to_owned(), created);
        body.insert("updatedAt".to_owned(), stamp(now));
        self.users[index] = body.clone();
        Ok(body)
    }

    /// A user added the way LumApps' own directory sync or console would: only `email` is
    /// required; names default to the e-mail's local part, `accountType` to external,
    /// `synchronized` to true for google/microsoft/okta accounts.
    pub(crate) fn seed_user(
        &mut self,
        mut body: Object,
        now: DateTime<Utc>,
    ) -> Result<Object, SimError> {
        let email = required_text(&body, "email")?;
        let local = email.split('@').next().unwrap_or_default().to_owned();
        body.entry("firstName")
            .or_insert_with(|| local.clone().into());
        body.entry("lastName").or_insert_with(|| "Seeded".into());
        body.entry("accountType")
            .or_insert_with(|| "external".into());
        let synced = text(&body, "accountType") != Some("external");
        body.entry("synchronized").or_insert(Value::Bool(synced));
        body.remove("id");
        body.remove("uid");
        self.create_user(body, now)
    }

    pub(crate) fn set_super_admin(
        &mut self,
        key: &str,
        admin: bool,
        now: DateTime<Utc>,
    ) -> Result<Object, SimError> {
        let id = self
            .resolve(key)
            .and_then(|u| text(u, "id"))
            .map(str::to_owned)
            .ok_or_else(|| SimError::UnknownUser(key.to_owned()))?;
        let user = self
            .users
            .iter_mut()
            .find(|u| text(u, "id") == Some(&id))
            .ok_or_else(|| SimError::UnknownUser(key.to_owned()))?;
        user.insert("isSuperAdmin".to_owned(), Value::Bool(admin));
        user.insert("updatedAt".to_owned(), stamp(now));
        Ok(user.clone())
    }

    /// Removes the user (and its feed memberships); false when there was none.
    pub(crate) fn delete_user(&mut self, id: &str) -> bool {
        let before = self.users.len();
        self.users.retain(|u| text(u, "id") != Some(id));
        if self.users.len() == before {
            return false;
        }
        for feed in &mut self.feeds {
            feed.members.retain(|m| m != id);
        }
        true
    }

    /// Users matching `filter`, in creation order.
    pub(crate) fn list_users(&self, filter: &UserFilter) -> Vec<Object> {
        let members: Option<Vec<&String>> = (!filter.feeds.is_empty()).then(|| {
            self.feeds
                .iter()
                .filter(|f| {
                    filter
                        .feeds
                        .iter()
                        .any(|id| text(&f.object, "uid") == Some(id))
                })
                .flat_map(|f| f.members.iter())
                .collect()
        });
        self.users
            .iter()
            .filter(|u| {
                let id = text(u, "id").unwrap_or_default();
                filter
                    .status
                    .as_deref()
                    .is_none_or(|s| text(u, "status") == Some(s))
                    && (filter.types.is_empty()
                        || text(u, "accountType")
                            .is_some_and(|t| filter.types.iter().any(|x| x == t)))
                    && filter.email.as_deref().is_none_or(|e| {
                        text(u, "email").is_some_and(|x| x.eq_ignore_ascii_case(e.trim()))
                    })
                    && (filter.ids.is_empty() || filter.ids.iter().any(|x| x == id))
                    && members.as_ref().is_none_or(|m| m.iter().any(|x| *x == id))
                    && (filter.show_hidden || u.get("isHidden") != Some(&Value::Bool(true)))
            })
            .cloned()
            .collect()
    }

    pub(crate) fn feeds(&self) -> Vec<Object> {
        self.feeds.iter().map(|f| f.object.clone()).collect()
    }

    fn feed_index(&self, uid: &str) -> Option<usize> {
        self.feeds
            .iter()
            .position(|f| text(&f.object, "uid") == Some(uid))
    }

    pub(crate) fn feed(&self, uid: &str) -> Option<&Object> {
        self.feed_index(uid).map(|i| &self.feeds[i].object)
    }

    pub(crate) fn feed_members(&self, uid: &str) -> Option<&[String]> {
        self.feed_index(uid)
            .map(|i| self.feeds[i].members.as_slice())
    }

    fn name_taken(&self, name: &str, except_uid: Option<&str>) -> bool {
        self.feeds
            .iter()
            .any(|f| text(&f.object, "name") == Some(name) && text(&f.object, "uid") != except_uid)
    }

    /// `feed/save`: create without `uid`, otherwise replace (rename) the feed named by it.
    pub(crate) fn save_feed(
        &mut self,
        mut body: Object,
        now: DateTime<Utc>,
    ) -> Result<Object, SimError> {
        let name = required_text(&body, "name")?;
        let existing = named_id(&body)?;
        if self.name_taken(&name, existing.as_deref()) {
            return Err(SimError::DuplicateFeedName(name));
        }
        let (uid, index, created) = match existing {
            Some(uid) => {
                let index = self
                    .feed_index(&uid)
                    .ok_or_else(|| SimError::UnknownFeed(uid.clone()))?;
                let created = self.feeds[index].object.get("createdAt").cloned();
                (uid, Some(index), created)
            }
            None => (self.fresh_id(), None, None),
        };
        body.insert("uid".to_owned(), Value::String(uid.clone()));
        body.insert("id".to_owned(), Value::String(uid));
        body.insert("name".to_owned(), Value::String(name));
        body.insert("customer".to_owned(), Value::String(self.org_id.clone()));
        body.insert(
            "createdAt".to_owned(),
            created.unwrap_or_else(|| stamp(now)),
        );
        body.insert("updatedAt".to_owned(), stamp(now));
        match index {
            Some(i) => self.feeds[i].object = body.clone(),
            None => self.feeds.push(Feed {
                object: body.clone(),
                members: Vec::new(),
            }),
        }
        Ok(body)
    }

    pub(crate) fn delete_feed(&mut self, uid: &str) -> Result<(), SimError> {
        let index = self
            .feed_index(uid)
            .ok_or_else(|| SimError::UnknownFeed(uid.to_owned()))?;
        self.feeds.remove(index);
        Ok(())
    }

    /// `feed/subscribers/save`: all or nothing. Every user (e-mail or id) must exist, and no
    /// user may be both added and removed; adding a member or removing a non-member is a no-op.
    pub(crate) fn change_members(
        &mut self,
        feed: &str,
        added: &[String],
        removed: &[String],
    ) -> Result<(), SimError> {
        let index = self
            .feed_index(feed)
            .ok_or_else(|| SimError::UnknownFeed(feed.to_owned()))?;
        let ids = |keys: &[String]| -> Result<Vec<String>, SimError> {
            keys.iter()
                .map(|k| {
                    self.resolve(k)
                        .and_then(|u| text(u, "id"))
                        .map(str::to_owned)
                        .ok_or_else(|| SimError::UnknownUser(k.clone()))
                })
                .collect()
        };
        let added = ids(added)?;
        let removed = ids(removed)?;
        if let Some(both) = added.iter().find(|a| removed.contains(a)) {
            return Err(SimError::Invalid(format!(
                "User '{both}' is both added and removed"
            )));
        }
        let members = &mut self.feeds[index].members;
        for id in added {
            if !members.contains(&id) {
                members.push(id);
            }
        }
        members.retain(|m| !removed.contains(m));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Object {
        value.as_object().unwrap().clone()
    }

    fn dir_with_user() -> (Directory, String) {
        let mut dir = Directory::new("org");
        let user = dir
            .create_user(
                object(json!({"email":"a@x.example","firstName":"A","lastName":"B",
                              "accountType":"external","custom":{"k":1}})),
                Utc::now(),
            )
            .unwrap();
        (dir, user["id"].as_str().unwrap().to_owned())
    }

    #[test]
    fn create_fills_server_fields_and_refuses_duplicates_in_any_case() {
        let (mut dir, id) = dir_with_user();
        let user = dir.user(&id).unwrap();
        assert_eq!(user["uid"], user["id"]);
        assert_eq!(user["fullName"], "A B");
        assert_eq!(user["status"], "enabled");
        assert_eq!(user["customer"], "org");
        let again = object(json!({"email":"A@X.example","firstName":"C","lastName":"D",
                                  "accountType":"external"}));
        assert_eq!(
            dir.create_user(again, Utc::now()),
            Err(SimError::DuplicateEmail("A@X.example".to_owned()))
        );
        let missing = object(json!({"email":"z@x.example","firstName":"C"}));
        assert!(matches!(
            dir.create_user(missing, Utc::now()),
            Err(SimError::Invalid(_))
        ));
    }

    #[test]
    fn replace_loses_dropped_fields_and_keeps_unknown_ones_sent_back() {
        let (mut dir, id) = dir_with_user();
        let mut body = dir.user(&id).unwrap().clone();
        body.insert("lastName".to_owned(), "Z".into());
        body.remove("custom");
        body.insert("other".to_owned(), json!([1, 2]));
        let saved = dir.replace_user(body, Utc::now()).unwrap();
        assert_eq!(saved["fullName"], "A Z");
        assert!(!saved.contains_key("custom"));
        assert_eq!(dir.user(&id).unwrap()["other"], json!([1, 2]));
        let unknown = object(json!({"id":"1","email":"q@x.example","firstName":"Q",
                                    "lastName":"Q","accountType":"external","status":"enabled"}));
        assert_eq!(
            dir.replace_user(unknown, Utc::now()),
            Err(SimError::UnknownUser("1".to_owned()))
        );
    }

    #[test]
    fn membership_by_email_or_id_is_all_or_nothing_and_dies_with_the_user() {
        let (mut dir, id) = dir_with_user();
        let feed = dir
            .save_feed(object(json!({"name":"Team"})), Utc::now())
            .unwrap();
        let uid = feed["uid"].as_str().unwrap().to_owned();
        assert_eq!(
            dir.save_feed(object(json!({"name":"Team"})), Utc::now()),
            Err(SimError::DuplicateFeedName("Team".to_owned()))
        );
        assert!(
            dir.save_feed(object(json!({"name":"team"})), Utc::now())
                .is_ok()
        );
        let bad = dir.change_members(&uid, &["A@x.example".into(), "nobody@x".into()], &[]);
        assert_eq!(bad, Err(SimError::UnknownUser("nobody@x".to_owned())));
        assert_eq!(dir.feed_members(&uid), Some(&[][..]));
        dir.change_members(&uid, &["A@x.example".into(), id.clone()], &[])
            .unwrap();
        assert_eq!(dir.feed_members(&uid), Some(&[id.clone()][..]));
        let filter = UserFilter {
            feeds: vec![uid.clone()],
            ..UserFilter::default()
        };
        assert_eq!(dir.list_users(&filter).len(), 1);
        assert!(dir.delete_user(&id));
        assert_eq!(dir.feed_members(&uid), Some(&[][..]));
        assert!(!dir.delete_user(&id));
    }
}
