//! The user calls: the full list, one user by e-mail or uid, save (create or whole-object
//! update), batch deletion with its per-uid outcome, and the members of a feed.
//!
//! LumApps has no PATCH: callers get a [`User`], change it, and save it whole; the model keeps
//! the fields the bridge does not know so that nothing is lost on the way.

use std::collections::HashMap;

use reqwest::Method;

use super::call::Call;
use super::{LOG_TARGET, LumAppsClient};
use crate::error::LumAppsError;
use crate::model::{AccountType, DeleteMultiRequest, DeleteMultiResponse, User, routes};

/// What became of one uid of [`LumAppsClient::delete_users`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// LumApps did not know the uid (deleted before, or never existed).
    NotFound {
        reason: String,
    },
    /// LumApps refused to delete it; `reason` is its words.
    Failed {
        reason: String,
    },
}

/// One uid and its outcome, in the order the uids were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDeletion {
    pub uid: String,
    pub outcome: DeleteOutcome,
}

/// Reads a per-uid reason as "not found" when it says so in any of the usual ways.
fn says_not_found(reason: &str) -> bool {
    let r = reason.to_lowercase().replace(['_', ' ', '-'], "");
    r.contains("notfound") || r.contains("doesnotexist") || r.contains("unknown")
}

/// The outcome of each uid of a batch, from the `errors` of its answer. An error that names no
/// uid cannot be pinned on one, so it marks every uid not otherwise reported as failed:
/// deleting again is harmless, believing a failed deletion done is not.
pub(super) fn outcomes(uids: &[String], reply: &DeleteMultiResponse) -> Vec<UserDeletion> {
    let mut by_uid: HashMap<&str, String> = HashMap::new();
    let mut unattributed: Option<String> = None;
    for error in &reply.errors {
        let reason = error
            .reason
            .clone()
            .into_iter()
            .chain(error.message.clone())
            .collect::<Vec<_>>()
            .join(": ");
        let reason = if reason.is_empty() {
            "refused without a reason".to_owned()
        } else {
            reason
        };
        match error.uid.as_deref().filter(|u| !u.is_empty()) {
            Some(uid) => {
                by_uid.insert(uid, reason);
            }
            None => unattributed = Some(reason),
        }
    }
    uids.iter()
        .map(|uid| {
            let outcome = match by_uid.get(uid.as_str()).or(unattributed.as_ref()) {
                None => DeleteOutcome::Deleted,
                Some(reason) if says_not_found(reason) => DeleteOutcome::NotFound {
                    reason: reason.clone(),
                },
                Some(reason) => DeleteOutcome::Failed {
                    reason: reason.clone(),
                },
            };
            UserDeletion {
                uid: uid.clone(),
                outcome,
            }
        })
        .collect()
}

impl LumAppsClient {
    /// Every user of the organisation, enabled, disabled and hidden.
    pub async fn list_users(&self) -> Result<Vec<User>, LumAppsError> {
        self.list_all(
            "user/list",
            routes::USER_LIST,
            vec![("showHidden", "true".into())],
            User::key,
        )
        .await
    }

    /// The members of a feed (`user/list?feeds=`), all pages.
    pub async fn feed_members(&self, feed_uid: &str) -> Result<Vec<User>, LumAppsError> {
        self.list_all(
            "user/list",
            routes::USER_LIST,
            vec![("feeds", feed_uid.into()), ("showHidden", "true".into())],
            User::key,
        )
        .await
    }

    /// The user with this e-mail, or `None` (LumApps answers 404). The answer is checked:
    /// `user/get` without a usable filter returns the calling admin, who must not pass for
    /// the user asked for.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, LumAppsError> {
        let call = Call::new("user/get", Method::GET, routes::USER_GET)
            .query("email", email)
            .about(format!("user {email}"));
        let user: User = match self.execute_json(call).await {
            Ok(user) => user,
            Err(LumAppsError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if !user.email.eq_ignore_ascii_case(email) {
            return Err(LumAppsError::Decode {
                operation: "user/get",
                detail: format!("asked for {email}, got the user {}", user.email),
                call_id: None,
            });
        }
        Ok(Some(user))
    }

    /// One user by uid; an unknown uid is [`LumAppsError::NotFound`].
    pub async fn user(&self, uid: &str) -> Result<User, LumAppsError> {
        let call = Call::new("user/get", Method::GET, routes::USER_GET)
            .query("uid", uid)
            .about(format!("user {uid}"));
        self.execute_json(call).await
    }

    /// Saves a whole user and returns what LumApps stored. Without an id this creates the user
    /// (as `accountType: "external"` unless the user says otherwise); a create for an e-mail
    /// that exists is [`LumAppsError::Conflict`]. With an id it replaces the whole user: pass
    /// a user obtained from LumApps, changed, so that every other field goes back as it was.
    pub async fn save_user(&self, user: &User) -> Result<User, LumAppsError> {
        let Some(uid) = user.key() else {
            return self.create_user(user).await;
        };
        let call = Call::new("user/save", Method::POST, routes::USER_SAVE)
            .about(format!("user {uid}"))
            .json(user);
        self.execute_json(call).await
    }

    async fn create_user(&self, user: &User) -> Result<User, LumAppsError> {
        let mut user = user.clone();
        user.account_type.get_or_insert(AccountType::External);
        let call = Call::new("user/save", Method::POST, routes::USER_SAVE)
            .about(format!("user {}", user.email))
            .json(&user)
            .not_idempotent();
        match self.execute_json(call).await {
            // LumApps' words for "that e-mail is taken" are unknown: a 400 the words did not
            // reveal as a duplicate is checked against the directory.
            Err(LumAppsError::Rejected {
                operation,
                status: 400,
                message,
                call_id,
            }) if !user.email.is_empty() => {
                // A failed lookup proves nothing: the refusal stands as LumApps gave it.
                if let Ok(Some(_)) = self.user_by_email(&user.email).await {
                    tracing::info!(
                        target: LOG_TARGET,
                        "LumApps refused a create for an e-mail it has; reporting a conflict"
                    );
                    return Err(LumAppsError::Conflict {
                        operation,
                        subject: format!("user {}", user.email),
                        status: 400,
                        message,
                        call_id,
                    });
                }
                Err(LumAppsError::Rejected {
                    operation,
                    status: 400,
                    message,
                    call_id,
                })
            }
            other => other,
        }
    }

    /// Deletes users by uid (irreversible [assumed]), in batches of `delete_batch_size`, and
    /// says per uid what happened. A refusal of a whole batch is an error; uids of earlier
    /// batches are deleted by then.
    pub async fn delete_users(&self, uids: &[String]) -> Result<Vec<UserDeletion>, LumAppsError> {
        let mut done = Vec::with_capacity(uids.len());
        for batch in uids.chunks(self.inner.cfg.delete_batch_size.max(1)) {
            let call = Call::new("user/deleteMulti", Method::POST, routes::USER_DELETE_MULTI)
                .about(format!("users {}", batch.join(", ")))
                .json(DeleteMultiRequest {
                    uid: batch.to_vec(),
                });
            let reply: DeleteMultiResponse = self.execute_json(call).await?;
            done.extend(outcomes(batch, &reply));
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn uids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn per_uid_errors_become_outcomes() {
        let reply: DeleteMultiResponse = serde_json::from_value(json!({
            "uid": ["1", "2", "3"],
            "errors": [{"uid": "2", "reason": "NOT_FOUND"}, {"id": 3, "message": "is the last admin"}]
        }))
        .unwrap();
        let got = outcomes(&uids(&["1", "2", "3"]), &reply);
        assert_eq!(got[0].outcome, DeleteOutcome::Deleted);
        assert!(matches!(got[1].outcome, DeleteOutcome::NotFound { .. }));
        assert_eq!(
            got[2].outcome,
            DeleteOutcome::Failed {
                reason: "is the last admin".into()
            }
        );
    }

    #[test]
    fn an_empty_answer_means_all_deleted_and_an_anonymous_error_fails_the_rest() {
        let got = outcomes(&uids(&["1"]), &DeleteMultiResponse::default());
        assert_eq!(got[0].outcome, DeleteOutcome::Deleted);
        let reply: DeleteMultiResponse =
            serde_json::from_value(json!({"errors": [{"reason": "backendError"}, {"uid": "1", "reason": "user does not exist"}]}))
                .unwrap();
        let got = outcomes(&uids(&["1", "2"]), &reply);
        assert!(matches!(got[0].outcome, DeleteOutcome::NotFound { .. }));
        assert!(
            matches!(got[1].outcome, DeleteOutcome::Failed { ref reason } if reason == "backendError")
        );
    }
}
