//! The organisation's state: members in creation order, groups, policies, and the ids that
//! address them. Pending invites and the "already has an account" switches live in
//! `invitations.rs`, on the same [`Org`].
//!
//! Everything here is synchronous and clock-injected (`now` is a parameter) so it can be tested
//! without a server. `user_id` and `email_id` come from two counters far apart
//! ([`FIRST_USER_ID`], [`FIRST_EMAIL_ID`]), so a value of one never finds a user as the other,
//! which is exactly the confusion the client's newtypes guard against.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::invitations::Invitations;
use super::reply::http_date;
use crate::model::{EmailId, Rank, Smartcard, Status, User, UserDetail, UserId, UserTag};

/// The first `user_id` handed out.
pub const FIRST_USER_ID: i64 = 1_001;
/// The first `email_id` handed out; `user_id`s stop short of it, so the ranges never meet.
pub const FIRST_EMAIL_ID: i64 = 500_001;

/// A member as the test harness seeds it (the body of `POST /_sim/users`). Groups and policies
/// are named; missing ones are created (a policy seeded this way is assigned to this user).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewUser {
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// Defaults to the e-mail's local part.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default = "active")]
    pub status: Status,
    #[serde(default = "regular")]
    pub rank: Rank,
    #[serde(default = "user_tag")]
    pub user_tag: UserTag,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub policies: Vec<String>,
    #[serde(default)]
    pub smartcards: Vec<Smartcard>,
    #[serde(default)]
    pub computer_usernames: Vec<String>,
}

fn active() -> Status {
    Status::Active
}

fn regular() -> Rank {
    Rank::Regular
}

fn user_tag() -> UserTag {
    UserTag::User
}

impl NewUser {
    /// An active REGULAR user (tag USER) with these names and nothing else.
    pub fn new(email: &str, first: &str, last: &str) -> Self {
        Self {
            email: email.to_owned(),
            first_name: Some(first.to_owned()),
            last_name: Some(last.to_owned()),
            username: None,
            status: Status::Active,
            rank: Rank::Regular,
            user_tag: UserTag::User,
            groups: Vec::new(),
            policies: Vec::new(),
            smartcards: Vec::new(),
            computer_usernames: Vec::new(),
        }
    }

    pub fn rank(mut self, rank: Rank) -> Self {
        self.rank = rank;
        self
    }

    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    pub fn tag(mut self, tag: UserTag) -> Self {
        self.user_tag = tag;
        self
    }

    pub fn groups(mut self, groups: &[&str]) -> Self {
        self.groups = groups.iter().map(|g| (*g).to_owned()).collect();
        self
    }

    pub fn policies(mut self, policies: &[&str]) -> Self {
        self.policies = policies.iter().map(|p| (*p).to_owned()).collect();
        self
    }
}

/// A member's whole state, as the `/_sim/users` controls show it (more than the API shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimUser {
    pub user_id: UserId,
    pub email_id: EmailId,
    pub unique_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub status: Status,
    pub rank: Rank,
    pub user_tag: UserTag,
    /// Group names, in group creation order.
    pub groups: Vec<String>,
    /// Policies assigned to the user directly.
    pub policies: Vec<String>,
    pub smartcards: Vec<Smartcard>,
    pub computer_usernames: Vec<String>,
    pub created: String,
    pub device_added: Option<String>,
}

/// Why a control or an API call could not change the organisation. The texts are the `error`
/// of the simulator's 400 answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("User not found: no user with {0} in your organization")]
    UnknownUser(String),
    #[error("A user with email {0} is already in your organization")]
    DuplicateEmail(String),
    #[error("Group not found: no {0}")]
    UnknownGroup(String),
    #[error("Group {group} cannot be deleted: it is used by policy {policy}")]
    GroupInUse { group: String, policy: String },
    #[error("No pending invite for {0}")]
    NoPendingInvite(String),
    #[error("User {0} is not a guest")]
    NotAGuest(String),
    #[error("{0}")]
    Invalid(String),
}

/// Users' groups are listed under `type=users`; resource groups under `type=resources`, each
/// of one resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupKind {
    Users,
    Resources(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) kind: GroupKind,
    pub(crate) members: BTreeSet<EmailId>,
    /// Resource names, for resource groups.
    pub(crate) items: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub(crate) name: String,
    pub(crate) users: BTreeSet<EmailId>,
    pub(crate) groups: BTreeSet<i64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Member {
    pub(crate) user_id: UserId,
    pub(crate) email_id: EmailId,
    unique_id: String,
    pub(crate) email: String,
    first_name: String,
    last_name: String,
    username: String,
    pub(crate) status: Status,
    pub(crate) rank: Rank,
    pub(crate) tag: UserTag,
    smartcards: Vec<Smartcard>,
    computer_usernames: Vec<String>,
    created: DateTime<Utc>,
    device_added: Option<DateTime<Utc>>,
}

/// A plausible address: one `@`, something before it, a dot in the domain, no spaces.
pub(crate) fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

#[derive(Debug)]
pub(crate) struct Org {
    pub(crate) members: Vec<Member>,
    pub(crate) groups: Vec<Group>,
    pub(crate) policies: Vec<Policy>,
    pub(crate) invitations: Invitations,
    next_user_id: i64,
    next_email_id: i64,
    next_group_id: i64,
}

impl Default for Org {
    fn default() -> Self {
        Self {
            members: Vec::new(),
            groups: Vec::new(),
            policies: Vec::new(),
            invitations: Invitations::default(),
            next_user_id: FIRST_USER_ID,
            next_email_id: FIRST_EMAIL_ID,
            next_group_id: 1,
        }
    }
}

impl Org {
    fn index_by_email_id(&self, id: EmailId) -> Result<usize, SimError> {
        self.members
            .iter()
            .position(|m| m.email_id == id)
            .ok_or_else(|| SimError::UnknownUser(id.to_string()))
    }

    fn index_by_user_id(&self, id: UserId) -> Result<usize, SimError> {
        self.members
            .iter()
            .position(|m| m.user_id == id)
            .ok_or_else(|| SimError::UnknownUser(id.to_string()))
    }

    pub(crate) fn index_by_email(&self, email: &str) -> Option<usize> {
        self.members
            .iter()
            .position(|m| m.email.eq_ignore_ascii_case(email.trim()))
    }

    /// The member a control names: an e-mail, a `user_id` or an `email_id` (the ranges never
    /// meet, so a number is unambiguous).
    pub(crate) fn find(&self, key: &str) -> Option<SimUser> {
        let index = match key.trim().parse::<i64>() {
            Ok(n) => self
                .members
                .iter()
                .position(|m| m.user_id.0 == n || m.email_id.0 == n),
            Err(_) => self.index_by_email(key),
        }?;
        Some(self.snapshot(index))
    }

    /// Adds a member with fresh ids. Named groups and policies that do not exist are created;
    /// a guest cannot be put into either, as in Allthenticate.
    pub(crate) fn add_member(
        &mut self,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<SimUser, SimError> {
        let email = new.email.trim().to_owned();
        if !is_valid_email(&email) {
            return Err(SimError::Invalid(format!("Invalid email {email}")));
        }
        if self.index_by_email(&email).is_some() {
            return Err(SimError::DuplicateEmail(email));
        }
        if matches!(new.status, Status::Other(_))
            || matches!(new.rank, Rank::Other(_))
            || matches!(new.user_tag, UserTag::Other(_))
        {
            return Err(SimError::Invalid(format!(
                "Unknown status, rank or tag for {email}"
            )));
        }
        if new.user_tag == UserTag::Guest && !(new.groups.is_empty() && new.policies.is_empty()) {
            return Err(SimError::Invalid(format!(
                "Guest {email} cannot be put into groups or policies until promoted"
            )));
        }
        if self.next_user_id >= FIRST_EMAIL_ID {
            return Err(SimError::Invalid("user_id range exhausted".to_owned()));
        }
        let user_id = UserId(self.next_user_id);
        let email_id = EmailId(self.next_email_id);
        self.next_user_id += 1;
        self.next_email_id += 1;
        let local = email.split('@').next().unwrap_or_default().to_owned();
        self.members.push(Member {
            user_id,
            email_id,
            unique_id: format!("{:016x}", rand::rng().random::<u64>()),
            first_name: new.first_name.unwrap_or_default(),
            last_name: new.last_name.unwrap_or_default(),
            username: new.username.unwrap_or(local),
            email,
            status: new.status,
            rank: new.rank,
            tag: new.user_tag,
            smartcards: new.smartcards,
            computer_usernames: new.computer_usernames,
            created: now,
            device_added: Some(now),
        });
        for name in &new.groups {
            let id = self.group_named(name);
            if let Some(group) = self.groups.iter_mut().find(|g| g.id == id) {
                group.members.insert(email_id);
            }
        }
        for name in &new.policies {
            self.policy_named(name).users.insert(email_id);
        }
        Ok(self.snapshot(self.members.len() - 1))
    }

    /// The id of the users' group `name`, created when missing.
    pub(crate) fn group_named(&mut self, name: &str) -> i64 {
        if let Some(group) = self
            .groups
            .iter()
            .find(|g| g.kind == GroupKind::Users && g.name == name)
        {
            return group.id;
        }
        self.add_group(name, GroupKind::Users, Vec::new())
    }

    pub(crate) fn add_group(&mut self, name: &str, kind: GroupKind, items: Vec<String>) -> i64 {
        let id = self.next_group_id;
        self.next_group_id += 1;
        self.groups.push(Group {
            id,
            name: name.to_owned(),
            kind,
            members: BTreeSet::new(),
            items,
        });
        id
    }

    pub(crate) fn policy_named(&mut self, name: &str) -> &mut Policy {
        let index = match self.policies.iter().position(|p| p.name == name) {
            Some(index) => index,
            None => {
                self.policies.push(Policy {
                    name: name.to_owned(),
                    users: BTreeSet::new(),
                    groups: BTreeSet::new(),
                });
                self.policies.len() - 1
            }
        };
        &mut self.policies[index]
    }

    /// A policy using these users (by e-mail) and users' groups (by name); all must exist.
    pub(crate) fn add_policy(
        &mut self,
        name: &str,
        users: &[String],
        groups: &[String],
    ) -> Result<(), SimError> {
        let mut user_ids = BTreeSet::new();
        for email in users {
            let index = self
                .index_by_email(email)
                .ok_or_else(|| SimError::UnknownUser(format!("email {email}")))?;
            if self.members[index].tag == UserTag::Guest {
                return Err(SimError::Invalid(format!(
                    "Guest {email} cannot be put into policies until promoted"
                )));
            }
            user_ids.insert(self.members[index].email_id);
        }
        let mut group_ids = BTreeSet::new();
        for group in groups {
            let found = self
                .groups
                .iter()
                .find(|g| &g.name == group)
                .ok_or_else(|| SimError::UnknownGroup(format!("group named {group}")))?;
            group_ids.insert(found.id);
        }
        let policy = self.policy_named(name);
        policy.users.extend(user_ids);
        policy.groups.extend(group_ids);
        Ok(())
    }

    pub(crate) fn snapshot(&self, index: usize) -> SimUser {
        let m = &self.members[index];
        SimUser {
            user_id: m.user_id,
            email_id: m.email_id,
            unique_id: m.unique_id.clone(),
            email: m.email.clone(),
            first_name: m.first_name.clone(),
            last_name: m.last_name.clone(),
            username: m.username.clone(),
            status: m.status.clone(),
            rank: m.rank.clone(),
            user_tag: m.tag.clone(),
            groups: self.group_names_of(m.email_id),
            policies: self
                .policies
                .iter()
                .filter(|p| p.users.contains(&m.email_id))
                .map(|p| p.name.clone())
                .collect(),
            smartcards: m.smartcards.clone(),
            computer_usernames: m.computer_usernames.clone(),
            created: http_date(m.created),
            device_added: m.device_added.map(http_date),
        }
    }

    pub(crate) fn all(&self) -> Vec<SimUser> {
        (0..self.members.len()).map(|i| self.snapshot(i)).collect()
    }

    fn group_names_of(&self, id: EmailId) -> Vec<String> {
        self.groups
            .iter()
            .filter(|g| g.members.contains(&id))
            .map(|g| g.name.clone())
            .collect()
    }

    /// `GET /multipleusers`: everyone (or only one tag), with the e-mail as `name` on request.
    pub(crate) fn list(&self, email_as_name: bool, tag: Option<&UserTag>) -> Vec<User> {
        self.members
            .iter()
            .filter(|m| tag.is_none_or(|t| &m.tag == t))
            .map(|m| {
                let full_name = format!("{} {}", m.first_name, m.last_name)
                    .trim()
                    .to_owned();
                User {
                    user_id: m.user_id,
                    email_id: m.email_id,
                    unique_id: Some(m.unique_id.clone()),
                    email: Some(m.email.clone()),
                    email_status: Some("CONFIRMED".to_owned()),
                    first_name: Some(m.first_name.clone()),
                    last_name: Some(m.last_name.clone()),
                    name: Some(if email_as_name {
                        m.email.clone()
                    } else {
                        full_name
                    }),
                    username: Some(m.username.clone()),
                    groups: self.group_names_of(m.email_id),
                    ad_status: Some(
                        if m.device_added.is_some() {
                            "REGISTERED"
                        } else {
                            "NONE"
                        }
                        .to_owned(),
                    ),
                    created: Some(http_date(m.created)),
                    confirmed: Some(http_date(m.created)),
                    active_date: Some(http_date(m.created)),
                    device_added: m.device_added.map(http_date),
                    status: Some(m.status.clone()),
                    rank: Some(m.rank.clone()),
                    user_tag: Some(m.tag.clone()),
                }
            })
            .collect()
    }

    /// `GET /user`: the policies (direct or through a group), computer usernames, smartcards.
    pub(crate) fn detail(&self, id: EmailId) -> Result<UserDetail, SimError> {
        let m = &self.members[self.index_by_email_id(id)?];
        let groups: BTreeSet<i64> = self
            .groups
            .iter()
            .filter(|g| g.members.contains(&id))
            .map(|g| g.id)
            .collect();
        Ok(UserDetail {
            policies: self
                .policies
                .iter()
                .filter(|p| p.users.contains(&id) || !p.groups.is_disjoint(&groups))
                .map(|p| p.name.clone())
                .collect(),
            computer_usernames: m.computer_usernames.clone(),
            smartcards: m.smartcards.clone(),
            status: Some(m.status.clone()),
            rank: Some(m.rank.clone()),
            user_tag: Some(m.tag.clone()),
        })
    }

    /// `DELETE /user` by `email_id`: the success message names `[email]/[username]`.
    pub(crate) fn delete_by_email_id(&mut self, id: EmailId) -> Result<String, SimError> {
        let index = self.index_by_email_id(id)?;
        Ok(self.remove_member(index))
    }

    /// `DELETE /user` by `email`: the member and any pending invite for it, or only the invite.
    pub(crate) fn delete_by_email(&mut self, email: &str) -> Result<String, SimError> {
        match self.index_by_email(email) {
            Some(index) => Ok(self.remove_member(index)),
            None if self.invitations.remove(email) => Ok(format!(
                "Invite for {} was successfully deleted from your organization.",
                email.trim()
            )),
            None => Err(SimError::UnknownUser(format!("email {}", email.trim()))),
        }
    }

    /// Removes a member from the organisation and from every group; deletes the policies that
    /// were assigned only to them (no other user, no group), and their pending invite.
    fn remove_member(&mut self, index: usize) -> String {
        let member = self.members.remove(index);
        for group in &mut self.groups {
            group.members.remove(&member.email_id);
        }
        self.policies.retain_mut(|p| {
            let had = p.users.remove(&member.email_id);
            !(had && p.users.is_empty() && p.groups.is_empty())
        });
        self.invitations.remove(&member.email);
        format!(
            "User {}/{} was successfully deleted from your organization.",
            member.email, member.username
        )
    }

    /// `POST /modifyrank`, addressed by `user_id`. Setting the rank already held succeeds.
    pub(crate) fn modify_rank(&mut self, id: UserId, rank: Rank) -> Result<String, SimError> {
        let index = self.index_by_user_id(id)?;
        let member = &mut self.members[index];
        member.rank = rank;
        Ok(format!(
            "Rank of {} was successfully changed to {}.",
            member.email, member.rank
        ))
    }

    /// `POST /togglesuspension`: ACTIVE ↔ SUSPENDED; returns the new status.
    pub(crate) fn toggle_suspension(&mut self, id: EmailId) -> Result<(String, Status), SimError> {
        let index = self.index_by_email_id(id)?;
        let member = &mut self.members[index];
        member.status = match member.status {
            Status::Suspended => Status::Active,
            _ => Status::Suspended,
        };
        Ok((member.email.clone(), member.status.clone()))
    }

    /// `POST /promoteguest`: GUEST → USER; a user who is no guest is refused.
    pub(crate) fn promote_guest(&mut self, id: EmailId) -> Result<String, SimError> {
        let index = self.index_by_email_id(id)?;
        let member = &mut self.members[index];
        if member.tag != UserTag::Guest {
            return Err(SimError::NotAGuest(member.email.clone()));
        }
        member.tag = UserTag::User;
        Ok(format!("Guest {} was successfully promoted.", member.email))
    }

    /// `GET /groups`: `Users`, or resource groups of one type (all types when `None`).
    pub(crate) fn groups_of(&self, resources: Option<Option<&str>>) -> Vec<crate::model::Group> {
        self.groups
            .iter()
            .filter(|g| match (&g.kind, resources) {
                (GroupKind::Users, None) => true,
                (GroupKind::Resources(kind), Some(wanted)) => {
                    wanted.is_none_or(|w| w.eq_ignore_ascii_case(kind))
                }
                _ => false,
            })
            .map(|g| {
                let items: Vec<serde_json::Value> = match g.kind {
                    GroupKind::Users => self
                        .members
                        .iter()
                        .filter(|m| g.members.contains(&m.email_id))
                        .map(|m| serde_json::Value::String(m.email.clone()))
                        .collect(),
                    GroupKind::Resources(_) => g
                        .items
                        .iter()
                        .cloned()
                        .map(serde_json::Value::String)
                        .collect(),
                };
                crate::model::Group {
                    id: g.id,
                    name: Some(g.name.clone()),
                    count: Some(items.len() as u64),
                    items,
                }
            })
            .collect()
    }

    /// `DELETE /groups`: refused while a policy uses the group.
    pub(crate) fn delete_group(&mut self, id: i64, users: bool) -> Result<String, SimError> {
        let index = self
            .groups
            .iter()
            .position(|g| g.id == id && (g.kind == GroupKind::Users) == users)
            .ok_or_else(|| SimError::UnknownGroup(format!("group with id {id}")))?;
        if let Some(policy) = self.policies.iter().find(|p| p.groups.contains(&id)) {
            return Err(SimError::GroupInUse {
                group: self.groups[index].name.clone(),
                policy: policy.name.clone(),
            });
        }
        let group = self.groups.remove(index);
        Ok(format!("Group {} was successfully deleted.", group.name))
    }

    /// Members by lowercased e-mail, for the invitation logic.
    pub(crate) fn emails(&self) -> HashMap<String, EmailId> {
        self.members
            .iter()
            .map(|m| (m.email.to_ascii_lowercase(), m.email_id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> (Org, SimUser, SimUser) {
        let mut org = Org::default();
        let now = Utc::now();
        let ann = org
            .add_member(
                NewUser::new("ann@x.io", "Ann", "Lee")
                    .groups(&["Eng"])
                    .policies(&["Solo", "Shared"]),
                now,
            )
            .unwrap();
        let bob = org
            .add_member(
                NewUser::new("bob@x.io", "Bob", "Ray").policies(&["Shared"]),
                now,
            )
            .unwrap();
        (org, ann, bob)
    }

    #[test]
    fn ids_come_from_ranges_that_never_meet() {
        let (mut org, ann, bob) = org();
        assert_eq!(ann.user_id, UserId(FIRST_USER_ID));
        assert_eq!(ann.email_id, EmailId(FIRST_EMAIL_ID));
        assert_eq!(bob.user_id, UserId(FIRST_USER_ID + 1));
        // An email_id used as a user_id finds nobody.
        assert!(matches!(
            org.modify_rank(UserId(ann.email_id.0), Rank::Admin),
            Err(SimError::UnknownUser(_))
        ));
        assert_eq!(
            org.find(&ann.email_id.0.to_string()).unwrap().email,
            "ann@x.io"
        );
        assert_eq!(org.find("BOB@x.io").unwrap().user_id, bob.user_id);
        assert!(matches!(
            org.add_member(NewUser::new("Ann@X.io", "A", "L"), Utc::now()),
            Err(SimError::DuplicateEmail(_))
        ));
    }

    #[test]
    fn delete_cascades_to_groups_sole_owner_policies_and_invites() {
        let (mut org, ann, bob) = org();
        org.invitations.add("ann@x.io", Utc::now(), Vec::new());
        let message = org.delete_by_email_id(ann.email_id).unwrap();
        assert_eq!(
            message,
            "User ann@x.io/ann was successfully deleted from your organization."
        );
        assert!(org.groups[0].members.is_empty());
        let names: Vec<&str> = org.policies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["Shared"]);
        assert!(org.invitations.list().is_empty());
        assert_eq!(org.detail(bob.email_id).unwrap().policies, ["Shared"]);
        assert!(org.delete_by_email_id(ann.email_id).is_err());
    }

    #[test]
    fn toggle_promote_and_group_deletion() {
        let (mut org, ann, _) = org();
        assert_eq!(
            org.toggle_suspension(ann.email_id).unwrap().1,
            Status::Suspended
        );
        assert_eq!(
            org.toggle_suspension(ann.email_id).unwrap().1,
            Status::Active
        );
        assert!(matches!(
            org.promote_guest(ann.email_id),
            Err(SimError::NotAGuest(_))
        ));
        let eng = org.groups[0].id;
        org.add_policy("Doors", &[], &["Eng".to_owned()]).unwrap();
        assert!(matches!(
            org.delete_group(eng, true),
            Err(SimError::GroupInUse { .. })
        ));
        org.policies.retain(|p| p.name != "Doors");
        assert!(org.delete_group(eng, true).is_ok());
        assert!(org.find("ann@x.io").unwrap().groups.is_empty());
    }

    #[test]
    fn guests_stay_out_of_groups_and_emails_are_checked() {
        let mut org = Org::default();
        let guest = NewUser::new("g@x.io", "G", "Uest")
            .tag(UserTag::Guest)
            .groups(&["Eng"]);
        assert!(matches!(
            org.add_member(guest, Utc::now()),
            Err(SimError::Invalid(_))
        ));
        assert!(is_valid_email("a.b@c.io"));
        for bad in ["", "a", "a@b", "@b.io", "a@@b.io", "a b@c.io", "a@b.io."] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
