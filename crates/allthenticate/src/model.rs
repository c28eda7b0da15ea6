//! Wire types of Allthenticate's users API: users, invites, groups and the `{"success"}` /
//! `{"error"}` bodies.
//!
//! One file for both sides: the client deserialises these, the simulator serialises them, so the
//! two cannot drift apart silently. Much of the shape is undocumented (`status`, `rank` and
//! `user_tag` are this product's assumption), so reading is tolerant: unknown keys are ignored,
//! any field may be absent or `null`, enum values are case-insensitive, ids may come as numbers
//! or numeric strings, and free-form fields (dates, `ad_status`, `unique_id`) are kept as text
//! whatever JSON scalar carried them. An enum value we do not know is kept as `Other(text)`
//! rather than failing the read: one odd user must not make the whole listing unreadable.
//! Only the two ids are required on a user, because nothing can address a user without them.

use std::fmt;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

mod lenient;

pub use lenient::{flat_names, lenient_string};

/// Route of every operation; the simulator counts calls by these.
pub mod routes {
    /// `GET`: every user at once (no paging); `email` (bool) puts the e-mail in `name`,
    /// `user_tag=GUEST` lists guests only.
    pub const MULTIPLE_USERS: &str = "/multipleusers";
    /// `GET` (`email_id`: policies, computer usernames, smartcards) and `DELETE` (`email_id` or
    /// `email`; the latter also deletes a pending invite).
    pub const USER: &str = "/user";
    /// `POST` `admin_user_id` (the **user_id**) and `rank`.
    pub const MODIFY_RANK: &str = "/modifyrank";
    /// `POST` `email_id`: ACTIVE ↔ SUSPENDED, a true toggle.
    pub const TOGGLE_SUSPENSION: &str = "/togglesuspension";
    /// `POST` `email_id`: GUEST → USER.
    pub const PROMOTE_GUEST: &str = "/promoteguest";
    /// `GET` pending invites, `PUT` invite `emails`, `POST` `email` resends (or `emails`
    /// invites, as the quickstart says).
    pub const INVITES: &str = "/invites";
    /// `GET` (`type`, `resource_type`) and `DELETE` (`type`, `group_id`).
    pub const GROUPS: &str = "/groups";
}

/// A user's `user_id`: what `/modifyrank` addresses (as `admin_user_id`). Never an [`EmailId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// A user's `email_id`: what `/user`, `/togglesuspension` and `/promoteguest` address. Drawn
/// from another range than [`UserId`]; never use one where the other is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EmailId(pub i64);

macro_rules! id_impls {
    ($ty:ident, $label:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, " {}"), self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                lenient::int(de).map($ty)
            }
        }
    };
}

id_impls!(UserId, "user_id");
id_impls!(EmailId, "email_id");

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this client does not know, as sent (the API may grow new ones).
            Other(String),
        }

        impl $name {
            /// The wire text, upper case as Allthenticate writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(text) => text,
                }
            }

            /// Case-insensitive; an unknown value becomes `Other` with its text kept as sent.
            pub fn parse(text: &str) -> Self {
                let trimmed = text.trim();
                $(if trimmed.eq_ignore_ascii_case($text) { return Self::$variant; })+
                Self::Other(trimmed.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
                let text = String::deserialize(de)?;
                Ok(Self::parse(&text))
            }
        }
    };
}

wire_enum! {
    /// Whether the user may authenticate; `/togglesuspension` flips it.
    Status { Active = "ACTIVE", Suspended = "SUSPENDED" }
}

wire_enum! {
    /// The single admin level of a user. Ordered `Regular < Admin < Super` so the bridge can
    /// take the highest rank its groups grant. `Other` sorts above `Super`: a rank this client
    /// does not know is never taken for a lower one, so comparing ranks cannot demote it by
    /// accident.
    Rank {
        /// No admin rights.
        Regular = "REGULAR",
        /// Can add users, policies, …
        Admin = "ADMIN",
        /// Can create admins and access billing.
        Super = "SUPER",
    }
}

wire_enum! {
    /// A guest cannot be put into policies or groups until promoted (`/promoteguest`).
    UserTag { User = "USER", Guest = "GUEST" }
}

/// A user of the organisation, as `/multipleusers` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub user_id: UserId,
    pub email_id: EmailId,
    #[serde(default, deserialize_with = "lenient_string")]
    pub unique_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub email: Option<String>,
    /// `CONFIRMED` in the sample.
    #[serde(default, deserialize_with = "lenient_string")]
    pub email_status: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub last_name: Option<String>,
    /// The display name, or the e-mail when listed with `email=true`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub username: Option<String>,
    /// Group names; the wire nests them in arrays (`[["Engineering"], …]`), flattened here.
    #[serde(default, deserialize_with = "flat_names")]
    pub groups: Vec<String>,
    /// Authentication-device status, free-form.
    #[serde(default, deserialize_with = "lenient_string")]
    pub ad_status: Option<String>,
    /// Dates are free-form strings (Flask's `Wed, 01 May 2024 10:00:00 GMT` in the sample).
    #[serde(default, deserialize_with = "lenient_string")]
    pub created: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub confirmed: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub active_date: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub device_added: Option<String>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub rank: Option<Rank>,
    #[serde(default)]
    pub user_tag: Option<UserTag>,
}

impl User {
    /// Suspended only when the record says so: a missing status reads as active, since the
    /// documented sample has no status field at all.
    pub fn is_suspended(&self) -> bool {
        self.status == Some(Status::Suspended)
    }

    pub fn is_guest(&self) -> bool {
        self.user_tag == Some(UserTag::Guest)
    }
}

/// A smartcard of a user (`GET /user`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Smartcard {
    #[serde(default, deserialize_with = "lenient_string")]
    pub label: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub number: Option<String>,
}

/// `GET /user?email_id=`: not the basic profile but what hangs off a user. `status`, `rank`
/// and `user_tag` are this product's assumption, as on [`User`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    /// Policy names, nested in arrays on the wire like [`User::groups`].
    #[serde(default, deserialize_with = "flat_names")]
    pub policies: Vec<String>,
    /// Strings, or `{"computer_username": …}` objects (the shape `/modifyallusernames` takes).
    #[serde(default, deserialize_with = "flat_names")]
    pub computer_usernames: Vec<String>,
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub smartcards: Vec<Smartcard>,
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub rank: Option<Rank>,
    #[serde(default)]
    pub user_tag: Option<UserTag>,
}

/// A pending invite (`GET /invites`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvite {
    #[serde(deserialize_with = "lenient::required_string")]
    pub email: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub added_date: Option<String>,
}

/// A group reference in an invite (`groups[{id,name}]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    pub id: i64,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
}

/// The body of `PUT /invites`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRequest {
    pub emails: Vec<String>,
    /// Add the user without sending the invitation e-mail.
    #[serde(default)]
    pub no_email: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupRef>,
}

/// The answer of `PUT /invites`: which of the e-mails went where. The lists hold e-mails;
/// objects with an `email` key are read too, in case the API reports them that way.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InviteResponse {
    /// Its type is undocumented (a flag or a message); kept as sent.
    #[serde(default)]
    pub success: Option<Value>,
    /// Already had an Allthenticate account: now members of the organisation.
    #[serde(default, deserialize_with = "flat_names")]
    pub added: Vec<String>,
    /// Got an invitation: pending until accepted.
    #[serde(default, deserialize_with = "flat_names")]
    pub invited: Vec<String>,
    /// Already members of the organisation.
    #[serde(default, deserialize_with = "flat_names")]
    pub exists: Vec<String>,
    #[serde(default, deserialize_with = "flat_names")]
    pub invalid: Vec<String>,
    /// The invitation could not be sent.
    #[serde(default, deserialize_with = "flat_names")]
    pub failed_invite: Vec<String>,
    /// Ids of the users added at once; their kind is undocumented, so kept as sent.
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub add_ids: Vec<Value>,
    #[serde(default, deserialize_with = "flat_names")]
    pub group_names: Vec<String>,
    #[serde(default)]
    pub send_email: Option<bool>,
}

/// A group (`GET /groups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: i64,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    #[serde(default)]
    pub count: Option<u64>,
    /// Members (user groups) or resources; their shape is undocumented, kept as sent.
    #[serde(default, deserialize_with = "lenient::null_as_default")]
    pub items: Vec<Value>,
}

/// `{"success": "…"}`: how most calls say they worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccessBody {
    #[serde(deserialize_with = "lenient::required_string")]
    pub success: String,
}

/// `{"error": "…"}` with 400/401/500: how every call says it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(deserialize_with = "lenient::required_string")]
    pub error: String,
}

/// A rank value the bridge reads from its configuration: one of the three, case-insensitive.
impl std::str::FromStr for Rank {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match Rank::parse(text) {
            Rank::Other(other) => Err(format!(
                "unknown Allthenticate rank '{other}': expected REGULAR, ADMIN or SUPER"
            )),
            known => Ok(known),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documented_user_sample_reads_with_our_assumed_fields() {
        let user: User = serde_json::from_value(json!({
            "user_id": 1001, "email_id": 700001, "unique_id": "a1b2",
            "email": "ann@example.com", "email_status": "CONFIRMED",
            "first_name": "Ann", "last_name": "Lee", "name": "Ann Lee", "username": "ann",
            "groups": [["Engineering"], ["Admins", "Ops"]], "ad_status": 1,
            "created": "Wed, 01 May 2024 10:00:00 GMT", "confirmed": null,
            "active_date": null, "device_added": null,
            "status": "suspended", "rank": "Admin", "user_tag": "USER", "brand_new": {"x": 1}
        }))
        .unwrap();
        assert_eq!(
            (user.user_id, user.email_id),
            (UserId(1001), EmailId(700001))
        );
        assert_eq!(user.groups, ["Engineering", "Admins", "Ops"]);
        assert_eq!(user.ad_status.as_deref(), Some("1"));
        assert_eq!(user.confirmed, None);
        assert!(user.is_suspended());
        assert_eq!(user.rank, Some(Rank::Admin));
        assert!(!user.is_guest());
    }

    #[test]
    fn nulls_and_absences_read_as_nothing_but_the_ids_are_required() {
        let user: User = serde_json::from_value(json!({
            "user_id": "12", "email_id": 13, "groups": null, "status": null, "email": null
        }))
        .unwrap();
        assert_eq!(user.user_id, UserId(12));
        assert!(user.groups.is_empty());
        assert_eq!((&user.status, &user.email), (&None, &None));
        assert!(!user.is_suspended());
        let missing = serde_json::from_value::<User>(json!({"user_id": 1, "email_id": null}));
        assert!(missing.is_err());
        assert!(serde_json::from_value::<User>(json!({"user_id": "x1", "email_id": 1})).is_err());
    }

    #[test]
    fn enums_are_case_insensitive_and_keep_unknown_values() {
        assert_eq!(Status::parse("Active"), Status::Active);
        assert_eq!(UserTag::parse(" guest "), UserTag::Guest);
        assert_eq!(Rank::parse("owner"), Rank::Other("owner".into()));
        assert_eq!(serde_json::to_value(Rank::Super).unwrap(), json!("SUPER"));
        assert_eq!("super".parse::<Rank>(), Ok(Rank::Super));
        assert!("owner".parse::<Rank>().unwrap_err().contains("'owner'"));
    }

    #[test]
    fn ranks_are_ordered_and_an_unknown_rank_is_never_lower() {
        assert!(Rank::Regular < Rank::Admin && Rank::Admin < Rank::Super);
        assert!(Rank::Other("OWNER".into()) > Rank::Super);
        let highest = [Rank::Admin, Rank::Regular, Rank::Super, Rank::Admin]
            .into_iter()
            .max();
        assert_eq!(highest, Some(Rank::Super));
    }

    #[test]
    fn the_ids_cannot_be_confused_and_say_which_they_are() {
        assert_eq!(UserId(5).to_string(), "user_id 5");
        assert_eq!(EmailId(5).to_string(), "email_id 5");
        assert_eq!(serde_json::to_value(EmailId(7)).unwrap(), json!(7));
    }

    #[test]
    fn the_invite_answer_reads_lists_of_emails_or_objects() {
        let answer: InviteResponse = serde_json::from_value(json!({
            "success": true, "added": ["a@x.io"], "invited": [{"email": "b@x.io"}],
            "exists": null, "invalid": [], "failed_invite": ["c@x.io"], "add_ids": [700002],
            "group_names": [["Engineering"]], "send_email": true
        }))
        .unwrap();
        assert_eq!(answer.added, ["a@x.io"]);
        assert_eq!(answer.invited, ["b@x.io"]);
        assert!(answer.exists.is_empty());
        assert_eq!(answer.failed_invite, ["c@x.io"]);
        assert_eq!(answer.add_ids, [json!(700002)]);
        assert_eq!(answer.group_names, ["Engineering"]);
        let sent = serde_json::to_value(InviteRequest {
            emails: vec!["a@x.io".into()],
            no_email: true,
            groups: Vec::new(),
        })
        .unwrap();
        assert_eq!(sent, json!({"emails": ["a@x.io"], "no_email": true}));
    }

    #[test]
    fn the_detail_invites_and_message_bodies_read() {
        let detail: UserDetail = serde_json::from_value(json!({
            "policies": [["VPN"], ["Doors"]],
            "computer_usernames": ["ann", {"computer_username": "alee"}],
            "smartcards": [{"label": "badge", "number": 1234}], "rank": "REGULAR"
        }))
        .unwrap();
        assert_eq!(detail.policies, ["VPN", "Doors"]);
        assert_eq!(detail.computer_usernames, ["ann", "alee"]);
        assert_eq!(detail.smartcards[0].number.as_deref(), Some("1234"));
        let invites: Vec<PendingInvite> = serde_json::from_value(json!([
            {"email": "b@x.io", "added_date": "Wed, 01 May 2024 10:00:00 GMT"},
            {"email": "c@x.io", "added_date": null}
        ]))
        .unwrap();
        assert_eq!(invites[1].email, "c@x.io");
        let ok: SuccessBody = serde_json::from_value(json!({"success": "done"})).unwrap();
        assert_eq!(ok.success, "done");
        let err: ErrorBody = serde_json::from_value(json!({"error": "User not found"})).unwrap();
        assert_eq!(err.error, "User not found");
    }
}
