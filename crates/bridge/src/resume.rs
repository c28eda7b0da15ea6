//! Finishing what was cut off: intents of user changes, and the grants memberships call for.
//!
//! A user change that takes several Falcon calls is written down as an [`Intent`] before the
//! first call and crossed out after the last, or after a failure that retrying cannot fix. At
//! start-up [`Bridge::resume`] replays what is left, then syncs every user's managed roles
//! (memberships are stored before their grants, so a grant cut off shows up as desired but not
//! applied). Both are idempotent: replaying a finished change makes no Falcon call.

use std::future::Future;

use serde_json::{Value, json};

use super::error::BridgeError;
use super::target::TargetError;
use super::writes::{Cause, caused_by};
use super::{Bridge, Target};
use scim::user::{UserResource, UserWrite};

/// What was about to be done to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Make Falcon match this (deprovision, reactivate, rename).
    Apply(Box<UserWrite>),
    /// Deprovision and forget the user.
    Delete,
}

impl Intent {
    fn encode(&self) -> String {
        match self {
            Intent::Apply(wanted) => {
                let resource = UserResource {
                    id: String::new(),
                    write: (**wanted).clone(),
                    groups: Vec::new(),
                    created: chrono::Utc::now(),
                    last_modified: chrono::Utc::now(),
                };
                json!({"apply": resource.to_json("")}).to_string()
            }
            Intent::Delete => json!({"delete": true}).to_string(),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        if value.get("delete").is_some() {
            return Some(Intent::Delete);
        }
        UserWrite::parse(value.get("apply")?)
            .ok()
            .map(|w| Intent::Apply(Box::new(w)))
    }
}

/// Whether a failed change could still succeed later without anyone changing anything.
fn worth_finishing(err: &BridgeError) -> bool {
    match err {
        BridgeError::Falcon { source, .. } => matches!(
            source,
            TargetError::Server(_)
                | TargetError::Unreachable { .. }
                | TargetError::RateLimited { .. }
                | TargetError::Decode { .. }
        ),
        BridgeError::Store(_) => true,
        // Refused before anything was touched; the IdP retries it.
        BridgeError::Guard(_) => false,
    }
}

impl<T: Target> Bridge<T> {
    /// Runs `change` for `user_id` with its intent on record.
    pub(super) async fn with_intent<R>(
        &self,
        user_id: &str,
        intent: Intent,
        change: impl Future<Output = Result<R, BridgeError>>,
    ) -> Result<R, BridgeError> {
        self.store.save_intent(user_id, &intent.encode()).await?;
        let result = change.await;
        let finished = match &result {
            Ok(_) => true,
            Err(e) => !worth_finishing(e),
        };
        if finished {
            self.store.clear_intent(user_id).await?;
        }
        result
    }

    /// Finishes interrupted user changes, then syncs every user's managed roles. Returns how
    /// many things could not be finished (they are logged, and retried at the next start).
    pub async fn resume(&self) -> Result<usize, BridgeError> {
        caused_by(Cause::internal("start-up"), async {
            let mut unfinished = 0;
            for (user_id, text) in self.store.intents().await? {
                let Some(intent) = Intent::decode(&text) else {
                    tracing::error!(user_id, intent = %text, "unreadable intent; dropped");
                    self.store.clear_intent(&user_id).await?;
                    continue;
                };
                if let Err(e) = self.replay(&user_id, intent).await {
                    tracing::error!(user_id, error = %e, "could not finish an interrupted change; it is retried at the next start");
                    unfinished += 1;
                }
            }
            let users: Vec<String> = self.store.all_users().await?.into_iter().map(|u| u.id).collect();
            for user_id in users {
                let _lock = self.locks.lock(&super::users::id_key(&user_id)).await;
                if let Err(e) = self.sync_user_locked(&user_id).await {
                    tracing::error!(user_id, error = %e, "could not sync the user's roles at start-up");
                    unfinished += 1;
                }
            }
            Ok(unfinished)
        })
        .await
    }

    async fn replay(&self, user_id: &str, intent: Intent) -> Result<(), BridgeError> {
        let _lock = self.locks.lock(&super::users::id_key(user_id)).await;
        let Some(entry) = self.read_directory().get(user_id).cloned() else {
            self.store.clear_intent(user_id).await?;
            return Ok(());
        };
        tracing::info!(user = %entry.resource.write.user_name, ?intent, "finishing an interrupted change");
        match intent {
            Intent::Delete => {
                self.with_intent(user_id, Intent::Delete, self.delete_locked(user_id))
                    .await
            }
            Intent::Apply(wanted) => {
                let again = Intent::Apply(wanted.clone());
                self.with_intent(user_id, again, self.apply_change(entry, *wanted))
                    .await
                    .map(|_| ())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim::user::Name;

    #[test]
    fn intents_survive_their_encoding() {
        let wanted = UserWrite {
            user_name: "a@example.com".into(),
            external_id: Some("ext".into()),
            name: Name {
                given_name: Some("A".into()),
                family_name: Some("B".into()),
                formatted: None,
            },
            display_name: None,
            emails: Vec::new(),
            active: false,
        };
        for intent in [Intent::Apply(Box::new(wanted)), Intent::Delete] {
            assert_eq!(Intent::decode(&intent.encode()), Some(intent));
        }
        assert_eq!(Intent::decode("not json"), None);
    }
}
