//! Invitations: pending invites, the "already has an Allthenticate account" switches, and what
//! `PUT /invites` does with each e-mail.
//!
//! Creating a user in Allthenticate means inviting an e-mail. An e-mail that already has an
//! Allthenticate account (per e-mail, or every e-mail when the global switch is on) is added to
//! the organisation at once; any other gets a pending invite, which becomes a member only when
//! its owner accepts (a test control here). An e-mail marked undeliverable fails its invitation
//! unless `no_email` is set, since then nothing is sent.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::reply::http_date;
use crate::model::PendingInvite;

#[derive(Debug, Clone)]
pub(super) struct Invite {
    pub(super) email: String,
    added: DateTime<Utc>,
    /// Users' groups the invite puts the user into on acceptance.
    pub(super) groups: Vec<i64>,
}

/// The names an existing Allthenticate account brings along.
#[derive(Debug, Clone, Default)]
pub(super) struct Account {
    pub(super) first_name: Option<String>,
    pub(super) last_name: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Invitations {
    pub(super) pending: Vec<Invite>,
    /// Lowercased e-mail → the account it already has.
    accounts: HashMap<String, Account>,
    every_email_has_account: bool,
    /// Lowercased e-mails whose invitation e-mail cannot be sent.
    pub(super) undeliverable: HashSet<String>,
}

impl Invitations {
    pub(super) fn position(&self, email: &str) -> Option<usize> {
        self.pending
            .iter()
            .position(|i| i.email.eq_ignore_ascii_case(email.trim()))
    }

    /// Adds a pending invite unless one exists for this e-mail (any case).
    pub(crate) fn add(&mut self, email: &str, now: DateTime<Utc>, groups: Vec<i64>) {
        if self.position(email).is_none() {
            self.pending.push(Invite {
                email: email.trim().to_owned(),
                added: now,
                groups,
            });
        }
    }

    /// Removes the pending invite for `email`; whether there was one.
    pub(crate) fn remove(&mut self, email: &str) -> bool {
        match self.position(email) {
            Some(index) => {
                self.pending.remove(index);
                true
            }
            None => false,
        }
    }

    pub(crate) fn list(&self) -> Vec<PendingInvite> {
        self.pending
            .iter()
            .map(|i| PendingInvite {
                email: i.email.clone(),
                added_date: Some(http_date(i.added)),
            })
            .collect()
    }

    /// Marks `email` as already having an Allthenticate account, with the names it carries.
    pub(crate) fn set_account(
        &mut self,
        email: &str,
        first_name: Option<String>,
        last_name: Option<String>,
    ) {
        self.accounts.insert(
            email.trim().to_ascii_lowercase(),
            Account {
                first_name,
                last_name,
            },
        );
    }

    pub(crate) fn set_every_email_has_account(&mut self, on: bool) {
        self.every_email_has_account = on;
    }

    pub(crate) fn set_undeliverable(&mut self, email: &str) {
        self.undeliverable.insert(email.trim().to_ascii_lowercase());
    }

    /// The account `email` already has, if any. Under the global switch an e-mail without
    /// names of its own gets them from its local part (`ann.lee@…` → Ann Lee).
    pub(super) fn account(&self, email: &str) -> Option<Account> {
        if let Some(account) = self.accounts.get(&email.to_ascii_lowercase()) {
            return Some(account.clone());
        }
        self.every_email_has_account.then(|| names_from(email))
    }
}

fn names_from(email: &str) -> Account {
    let local = email.split('@').next().unwrap_or_default();
    let mut parts = local
        .split(['.', '_', '-'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        });
    Account {
        first_name: parts.next(),
        last_name: Some(parts.collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty()),
    }
}
