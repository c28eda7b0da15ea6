//! The user calls: the whole list, one user's detail, the suspension toggle (and a safe "set"
//! on top of it), rank, guest promotion and delete.
//!
//! Parameters go as a JSON body, except for `GET /user`, whose `email_id` goes in the query
//! (a body on a GET is not something every proxy passes on). Addressing follows the API:
//! everything by [`EmailId`] except `/modifyrank`, which takes the [`UserId`].

use reqwest::Method;
use serde_json::{Value, json};

use super::call::Call;
use super::reply::decode;
use super::{AllthenticateClient, LOG_TARGET};
use crate::error::AllthenticateError;
use crate::model::{EmailId, Rank, Status, User, UserDetail, UserId, routes};

/// What [`AllthenticateClient::set_suspended`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuspensionChange {
    /// The user already was in the wanted state: no toggle was sent.
    Unchanged,
    /// One toggle was sent.
    Toggled,
}

/// Reads a `/multipleusers` reply record by record: a record that is no user (no ids) is left
/// out with a warning rather than failing the whole listing. Returns the users and how many
/// records were left out.
pub(super) fn read_users(records: Vec<Value>) -> (Vec<User>, usize) {
    let mut users = Vec::with_capacity(records.len());
    let mut skipped = 0;
    for (index, record) in records.into_iter().enumerate() {
        match serde_json::from_value::<User>(record) {
            Ok(user) => users.push(user),
            Err(err) => {
                skipped += 1;
                // The index and the reason only: the record may hold personal data.
                tracing::warn!(target: LOG_TARGET, index, %err, "an Allthenticate user record is unreadable; left out");
            }
        }
    }
    (users, skipped)
}

impl AllthenticateClient {
    /// Every member of the organisation at once (the API does not page). Unreadable records
    /// are left out with a warning.
    pub async fn list_users(&self) -> Result<Vec<User>, AllthenticateError> {
        let call = Call::new("listUsers", Method::GET, routes::MULTIPLE_USERS);
        let received = self.send(&call).await?;
        let records: Vec<Value> = decode(&call, &received)?;
        Ok(read_users(records).0)
    }

    /// What hangs off one user: policies, computer usernames, smartcards (and, as this product
    /// assumes, status, rank and tag). An unknown `email_id` is [`AllthenticateError::NotFound`].
    pub async fn get_user(&self, id: EmailId) -> Result<UserDetail, AllthenticateError> {
        let call = Call::new("getUser", Method::GET, routes::USER)
            .query("email_id", id.0.to_string())
            .about(id.to_string());
        let received = self.send(&call).await?;
        decode(&call, &received)
    }

    /// Flips ACTIVE ↔ SUSPENDED: **not idempotent**, so it is never retried after a 5xx or a
    /// lost reply (only a 429 or a connection that never opened sends it again). Returns the
    /// new status when the reply says it (the reply is undocumented). Prefer
    /// [`Self::set_suspended`].
    pub async fn toggle_suspension(
        &self,
        id: EmailId,
    ) -> Result<Option<Status>, AllthenticateError> {
        let call = Call::new("toggleSuspension", Method::POST, routes::TOGGLE_SUSPENSION)
            .json(json!({ "email_id": id.0 }))
            .about(id.to_string())
            .once();
        let received = self.send(&call).await?;
        let status = serde_json::from_slice::<Value>(&received.body)
            .ok()
            .and_then(|v| v.get("status")?.as_str().map(Status::parse));
        Ok(status)
    }

    /// Brings the user to `suspended` (true) or active (false): reads the current status,
    /// toggles only when it differs, and holds a per-user lock meanwhile so two changes of one
    /// user cannot both toggle. The status comes from `GET /user`, or from the list when that
    /// answer has none; a user without any status reads as active.
    pub async fn set_suspended(
        &self,
        id: EmailId,
        suspended: bool,
    ) -> Result<SuspensionChange, AllthenticateError> {
        let lock = self.suspension_lock(id);
        let _held = lock.lock().await;
        let status = match self.get_user(id).await?.status {
            Some(status) => Some(status),
            None => self
                .list_users()
                .await?
                .into_iter()
                .find(|u| u.email_id == id)
                .and_then(|u| u.status),
        };
        if (status == Some(Status::Suspended)) == suspended {
            return Ok(SuspensionChange::Unchanged);
        }
        let now = self.toggle_suspension(id).await?;
        if let Some(now) = now.filter(|s| (s == &Status::Suspended) != suspended) {
            tracing::warn!(target: LOG_TARGET, %id, status = %now, "Allthenticate reports another status than the toggle aimed at");
        }
        Ok(SuspensionChange::Toggled)
    }

    /// Sets the user's rank. Addressed by the **user_id** (as `admin_user_id`); an `email_id`
    /// in its place finds nobody. Sends the call even when the rank is already held: see
    /// [`Self::set_rank`] for the check.
    pub async fn modify_rank(&self, id: UserId, rank: Rank) -> Result<(), AllthenticateError> {
        let call = Call::new("modifyRank", Method::POST, routes::MODIFY_RANK)
            .json(json!({ "admin_user_id": id.0, "rank": rank }))
            .about(id.to_string());
        self.send(&call).await.map(|_| ())
    }

    /// Gives `user` the rank `rank` unless the listing shows it already holds it (a wasted
    /// call, which the reference says the client does not send). Whether a call was sent.
    pub async fn set_rank(&self, user: &User, rank: Rank) -> Result<bool, AllthenticateError> {
        if user.rank.as_ref() == Some(&rank) {
            return Ok(false);
        }
        self.modify_rank(user.user_id, rank).await.map(|()| true)
    }

    /// GUEST → USER, so the user can be put into groups and policies.
    pub async fn promote_guest(&self, id: EmailId) -> Result<(), AllthenticateError> {
        let call = Call::new("promoteGuest", Method::POST, routes::PROMOTE_GUEST)
            .json(json!({ "email_id": id.0 }))
            .about(id.to_string());
        self.send(&call).await.map(|_| ())
    }

    /// Removes the user from the organisation, with its group memberships and the policies
    /// assigned only to it: irreversible at org level. Retried like every call but the toggle,
    /// so a [`AllthenticateError::NotFound`] may mean an earlier attempt already deleted it.
    pub async fn delete_user(&self, id: EmailId) -> Result<(), AllthenticateError> {
        let call = Call::new("deleteUser", Method::DELETE, routes::USER)
            .json(json!({ "email_id": id.0 }))
            .about(id.to_string());
        self.send(&call).await.map(|_| ())
    }

    /// Deletes by e-mail: the member (and its pending invite), or a pending invite alone.
    pub async fn delete_by_email(&self, email: &str) -> Result<(), AllthenticateError> {
        let call = Call::new("deleteUser", Method::DELETE, routes::USER)
            .json(json!({ "email": email }))
            .about(format!("email {email}"));
        self.send(&call).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_without_ids_is_left_out_not_fatal() {
        let (users, skipped) = read_users(vec![
            json!({"user_id": 1001, "email_id": 500001, "email": "a@x.io"}),
            json!({"user_id": null, "email": "ghost@x.io"}),
            json!("not even an object"),
        ]);
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].email.as_deref(), Some("a@x.io"));
        assert_eq!(skipped, 2);
    }
}
