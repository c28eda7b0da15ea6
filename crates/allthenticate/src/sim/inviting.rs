//! What `PUT /invites` and the invitation controls do to the organisation: each e-mail sorted
//! into invalid, already a member, added at once (it had an Allthenticate account) or invited;
//! a resend; an acceptance that makes the invitee a member. The pending invites themselves are
//! kept by `invitations.rs`, the members by `org.rs`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::org::{NewUser, Org, SimError, SimUser, is_valid_email};
use crate::model::InviteResponse;

impl Org {
    /// `PUT /invites` (and `POST /invites` with `emails`): sorts each e-mail into `invalid`,
    /// `exists` (already a member), `added` (already had an account: a member now, its new
    /// `email_id` in `add_ids`), `failed_invite` or `invited` (pending; an e-mail already
    /// pending is invited again and keeps its one invite).
    pub(crate) fn invite(
        &mut self,
        emails: &[String],
        no_email: bool,
        group_ids: &[i64],
        now: DateTime<Utc>,
    ) -> InviteResponse {
        let mut answer = InviteResponse {
            success: Some(Value::Bool(true)),
            send_email: Some(!no_email),
            group_names: self
                .groups
                .iter()
                .filter(|g| group_ids.contains(&g.id))
                .map(|g| g.name.clone())
                .collect(),
            ..InviteResponse::default()
        };
        let groups: Vec<i64> = self
            .groups
            .iter()
            .filter(|g| group_ids.contains(&g.id))
            .map(|g| g.id)
            .collect();
        for email in emails.iter().map(|e| e.trim()) {
            if !is_valid_email(email) {
                answer.invalid.push(email.to_owned());
            } else if self.emails().contains_key(&email.to_ascii_lowercase()) {
                answer.exists.push(email.to_owned());
            } else if let Some(account) = self.invitations.account(email) {
                let mut new = NewUser::new(email, "", "");
                new.first_name = account.first_name;
                new.last_name = account.last_name;
                if let Ok(user) = self.add_member(new, now) {
                    self.join_groups(&user, &groups);
                    self.invitations.remove(email);
                    answer.add_ids.push(Value::from(user.email_id.0));
                    answer.added.push(email.to_owned());
                }
            } else if !no_email
                && self
                    .invitations
                    .undeliverable
                    .contains(&email.to_ascii_lowercase())
            {
                answer.failed_invite.push(email.to_owned());
            } else {
                self.invitations.add(email, now, groups.clone());
                answer.invited.push(email.to_owned());
            }
        }
        answer
    }

    fn join_groups(&mut self, user: &SimUser, groups: &[i64]) {
        for group in self.groups.iter_mut().filter(|g| groups.contains(&g.id)) {
            group.members.insert(user.email_id);
        }
    }

    /// `POST /invites` with `email`: resends a pending invite (its date is kept).
    pub(crate) fn resend(&self, email: &str) -> Result<String, SimError> {
        match self.invitations.position(email) {
            Some(_) => Ok(format!(
                "Invite was successfully resent to {}.",
                email.trim()
            )),
            None => Err(SimError::NoPendingInvite(email.trim().to_owned())),
        }
    }

    /// The invitee accepts: the pending invite becomes an ACTIVE REGULAR member tagged USER,
    /// with fresh ids, these names, and the groups the invite named.
    pub(crate) fn accept_invite(
        &mut self,
        email: &str,
        first_name: &str,
        last_name: &str,
        now: DateTime<Utc>,
    ) -> Result<SimUser, SimError> {
        let index = self
            .invitations
            .position(email)
            .ok_or_else(|| SimError::NoPendingInvite(email.trim().to_owned()))?;
        let invite = self.invitations.pending[index].clone();
        let user = self.add_member(NewUser::new(&invite.email, first_name, last_name), now)?;
        self.join_groups(&user, &invite.groups);
        self.invitations.pending.remove(index);
        let index = self.index_by_email(&user.email).unwrap_or_default();
        Ok(self.snapshot(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Rank, Status, UserTag};

    fn emails(list: &[&str]) -> Vec<String> {
        list.iter().map(|e| (*e).to_owned()).collect()
    }

    #[test]
    fn each_email_lands_in_one_list() {
        let mut org = Org::default();
        let now = Utc::now();
        org.add_member(NewUser::new("member@x.io", "M", "E"), now)
            .unwrap();
        org.invitations
            .set_account("known@x.io", Some("Kay".into()), Some("Known".into()));
        org.invitations.set_undeliverable("bounce@x.io");
        let answer = org.invite(
            &emails(&[
                "new@x.io",
                "MEMBER@x.io",
                "known@x.io",
                "bounce@x.io",
                "nope",
            ]),
            false,
            &[],
            now,
        );
        assert_eq!(answer.invited, ["new@x.io"]);
        assert_eq!(answer.exists, ["MEMBER@x.io"]);
        assert_eq!(answer.added, ["known@x.io"]);
        assert_eq!(answer.failed_invite, ["bounce@x.io"]);
        assert_eq!(answer.invalid, ["nope"]);
        assert_eq!(answer.send_email, Some(true));
        let known = org.find("known@x.io").unwrap();
        assert_eq!(answer.add_ids, [Value::from(known.email_id.0)]);
        assert_eq!(
            (known.first_name.as_str(), known.last_name.as_str()),
            ("Kay", "Known")
        );
        let pending: Vec<String> = org
            .invitations
            .list()
            .into_iter()
            .map(|i| i.email)
            .collect();
        assert_eq!(pending, ["new@x.io"]);
        // Invited again: still one invite. With no_email nothing can bounce.
        let again = org.invite(&emails(&["new@x.io", "bounce@x.io"]), true, &[], now);
        assert_eq!(again.invited, ["new@x.io", "bounce@x.io"]);
        assert_eq!(org.invitations.list().len(), 2);
    }

    #[test]
    fn the_global_switch_adds_at_once_with_names_from_the_address() {
        let mut org = Org::default();
        let eng = org.group_named("Eng");
        org.invitations.set_every_email_has_account(true);
        let answer = org.invite(&emails(&["ann.lee@x.io"]), false, &[eng, 99], Utc::now());
        assert_eq!(answer.added, ["ann.lee@x.io"]);
        assert_eq!(answer.group_names, ["Eng"]);
        let ann = org.find("ann.lee@x.io").unwrap();
        assert_eq!(
            (ann.first_name.as_str(), ann.last_name.as_str()),
            ("Ann", "Lee")
        );
        assert_eq!(ann.groups, ["Eng"]);
    }

    #[test]
    fn accepting_an_invite_makes_an_active_regular_user() {
        let mut org = Org::default();
        let eng = org.group_named("Eng");
        let now = Utc::now();
        org.invite(&emails(&["new@x.io"]), false, &[eng], now);
        assert!(org.resend("NEW@x.io").is_ok());
        let user = org.accept_invite("new@x.io", "Nia", "Ew", now).unwrap();
        assert_eq!(
            (user.status, user.rank, user.user_tag),
            (Status::Active, Rank::Regular, UserTag::User)
        );
        assert_eq!(user.groups, ["Eng"]);
        assert!(org.invitations.list().is_empty());
        assert!(matches!(
            org.accept_invite("new@x.io", "N", "E", now),
            Err(SimError::NoPendingInvite(_))
        ));
        assert!(org.resend("new@x.io").is_err());
    }
}
