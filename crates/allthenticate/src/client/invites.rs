//! The invite calls: pending invites, inviting one e-mail (what "create" means in
//! Allthenticate) and resending an invite.

use reqwest::Method;
use serde_json::json;

use super::AllthenticateClient;
use super::call::Call;
use super::reply::decode;
use crate::error::AllthenticateError;
use crate::model::{InviteRequest, InviteResponse, PendingInvite, routes};

/// What became of one invited e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteOutcome {
    /// The e-mail already had an Allthenticate account: a member of the organisation now.
    Added,
    /// An invitation went out (or, with `no_email`, was recorded): pending until accepted.
    Invited,
    /// Already a member of the organisation.
    AlreadyMember,
    /// Allthenticate does not take it for an e-mail address.
    Invalid,
    /// The invitation could not be sent.
    Failed,
}

/// Which list of the answer names `email` (case-insensitively). Should none name it (a
/// server that normalises addresses differently), an answer with exactly one entry in all is
/// taken to be about the one e-mail sent.
pub(super) fn outcome_of(email: &str, answer: &InviteResponse) -> Option<InviteOutcome> {
    let lists = [
        (&answer.added, InviteOutcome::Added),
        (&answer.invited, InviteOutcome::Invited),
        (&answer.exists, InviteOutcome::AlreadyMember),
        (&answer.failed_invite, InviteOutcome::Failed),
        (&answer.invalid, InviteOutcome::Invalid),
    ];
    let wanted = email.trim();
    if let Some((_, outcome)) = lists
        .iter()
        .find(|(list, _)| list.iter().any(|e| e.trim().eq_ignore_ascii_case(wanted)))
    {
        return Some(*outcome);
    }
    let mut non_empty = lists.iter().filter(|(list, _)| !list.is_empty());
    match (non_empty.next(), non_empty.next()) {
        (Some((list, outcome)), None) if list.len() == 1 => Some(*outcome),
        _ => None,
    }
}

impl AllthenticateClient {
    /// Pending invites (not yet accepted), oldest first as Allthenticate lists them.
    pub async fn list_invites(&self) -> Result<Vec<PendingInvite>, AllthenticateError> {
        let call = Call::new("listInvites", Method::GET, routes::INVITES);
        let received = self.send(&call).await?;
        decode(&call, &received)
    }

    /// Invites `email` (`PUT /invites`); with `no_email` no invitation e-mail is sent. Retried
    /// on 5xx like the other calls: a repeat is answered `exists` or `invited` again, never a
    /// second member.
    pub async fn invite(
        &self,
        email: &str,
        no_email: bool,
    ) -> Result<InviteOutcome, AllthenticateError> {
        let call = Call::new("invite", Method::PUT, routes::INVITES)
            .json(InviteRequest {
                emails: vec![email.to_owned()],
                no_email,
                groups: Vec::new(),
            })
            .about(format!("email {email}"));
        let received = self.send(&call).await?;
        let answer: InviteResponse = decode(&call, &received)?;
        outcome_of(email, &answer).ok_or_else(|| AllthenticateError::Unreadable {
            operation: call.operation,
            detail: "the answer does not say what became of the e-mail".to_owned(),
        })
    }

    /// Sends a pending invite's e-mail again (`POST /invites` with `email`).
    pub async fn resend_invite(&self, email: &str) -> Result<(), AllthenticateError> {
        let call = Call::new("resendInvite", Method::POST, routes::INVITES)
            .json(json!({ "email": email }))
            .about(format!("email {email}"));
        self.send(&call).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(list: &str, email: &str) -> InviteResponse {
        serde_json::from_value(json!({ list: [email] })).unwrap()
    }

    #[test]
    fn each_list_maps_to_its_outcome() {
        for (list, outcome) in [
            ("added", InviteOutcome::Added),
            ("invited", InviteOutcome::Invited),
            ("exists", InviteOutcome::AlreadyMember),
            ("invalid", InviteOutcome::Invalid),
            ("failed_invite", InviteOutcome::Failed),
        ] {
            assert_eq!(
                outcome_of("Ann@X.io", &answer(list, "ann@x.io")),
                Some(outcome)
            );
        }
    }

    #[test]
    fn a_single_entry_is_about_the_one_email_and_nothing_is_not_guessed() {
        assert_eq!(
            outcome_of("ann@x.io", &answer("invited", "ANN+norm@x.io")),
            Some(InviteOutcome::Invited)
        );
        assert_eq!(outcome_of("ann@x.io", &InviteResponse::default()), None);
        let two: InviteResponse =
            serde_json::from_value(json!({"added": ["b@x.io"], "exists": ["c@x.io"]})).unwrap();
        assert_eq!(outcome_of("ann@x.io", &two), None);
    }
}
