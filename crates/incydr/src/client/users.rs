//! The user calls: the paged list, one user by id or username, activate and deactivate.

use std::collections::HashSet;

use reqwest::Method;

use super::IncydrClient;
use super::call::Call;
use crate::error::IncydrError;
use crate::model::{User, UsersPage, routes};

/// Whether the list is complete after a page of `got` users, `seen` users so far in all and
/// the `total` Incydr announced (0 when it sent none). The SDK stops on a short page; the
/// total also ends it, so an exact multiple of the page size costs no empty extra page.
pub(super) fn is_last_page(got: usize, page_size: u32, seen: u64, total: u64) -> bool {
    (got as u64) < u64::from(page_size) || (total > 0 && seen >= total)
}

impl IncydrClient {
    /// Every user of the tenant, active or not: pages from 1 until a short page or the total.
    pub async fn list_users(&self) -> Result<Vec<User>, IncydrError> {
        let page_size = self.inner.cfg.page_size.max(1);
        let mut users = Vec::new();
        let mut ids = HashSet::new();
        for page in 1u64.. {
            let call = Call::new("listUsers", Method::GET, routes::USERS)
                .query("page", page.to_string())
                .query("pageSize", page_size.to_string());
            let reply: UsersPage = self.execute_json(call).await?;
            let got = reply.users.len();
            let before = users.len();
            // Users created or deactivated while we page can shift pages; never report one
            // twice. A page of nothing new also ends the loop, should a server ignore `page`.
            users.extend(
                reply
                    .users
                    .into_iter()
                    .filter(|u| ids.insert(u.user_id.clone())),
            );
            if users.len() == before
                || is_last_page(got, page_size, users.len() as u64, reply.total_count)
            {
                break;
            }
        }
        Ok(users)
    }

    /// One user by id; an unknown id is [`IncydrError::NotFound`].
    pub async fn user(&self, id: &str) -> Result<User, IncydrError> {
        let call = Call::new("getUser", Method::GET, routes::user(id)).about(format!("user {id}"));
        self.execute_json(call).await
    }

    /// The user whose username is `username`, compared case-insensitively. The server filter
    /// may be case-sensitive [unknown], so a miss is asked again in lower case; the answer is
    /// checked here too, in case the server ignores or loosens the filter.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, IncydrError> {
        if let Some(user) = self.query_username(username, username).await? {
            return Ok(Some(user));
        }
        let lower = username.to_lowercase();
        if lower != username {
            return self.query_username(&lower, username).await;
        }
        Ok(None)
    }

    async fn query_username(&self, sent: &str, wanted: &str) -> Result<Option<User>, IncydrError> {
        let call = Call::new("listUsers", Method::GET, routes::USERS)
            .query("username", sent)
            .query("page", "1")
            .query("pageSize", self.inner.cfg.page_size.max(1).to_string());
        let reply: UsersPage = self.execute_json(call).await?;
        Ok(reply
            .users
            .into_iter()
            .find(|u| u.username.to_lowercase() == wanted.to_lowercase()))
    }

    /// Activates a user (idempotent; an empty 200 or 204).
    pub async fn activate(&self, id: &str) -> Result<(), IncydrError> {
        let call = Call::new("activateUser", Method::POST, routes::activate(id))
            .about(format!("user {id}"));
        self.execute_empty(call).await
    }

    /// Deactivates a user (idempotent; an empty 200 or 204). A user under an active legal hold
    /// is [`IncydrError::LegalHold`].
    pub async fn deactivate(&self, id: &str) -> Result<(), IncydrError> {
        let call = Call::new("deactivateUser", Method::POST, routes::deactivate(id))
            .about(format!("user {id}"));
        self.execute_empty(call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_stops_on_a_short_page_or_the_total() {
        // A full page, no total: there may be more.
        assert!(!is_last_page(100, 100, 100, 0));
        // A full page below the total: more.
        assert!(!is_last_page(100, 100, 100, 250));
        // A short page ends it, whatever the total says.
        assert!(is_last_page(50, 100, 250, 0));
        assert!(is_last_page(0, 100, 200, 300));
        // A full last page ends it when the total is reached: no empty extra page.
        assert!(is_last_page(100, 100, 200, 200));
    }
}
