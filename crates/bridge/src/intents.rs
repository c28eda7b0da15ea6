//! Intents: a user change that takes several target calls is written down before the first call
//! and crossed out after the last (or after a failure that retrying cannot fix), so that one cut
//! off by a crash or an outage is finished at the next start (`resume.rs`).

use std::future::Future;

use serde_json::{Value, json};
use target_api::Target;

use crate::Bridge;
use crate::error::BridgeError;
use crate::ids::UserId;
use scim::user::{UserResource, UserWrite};

/// What was about to be done to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Make the target match this (deprovision, reactivate, rename).
    Apply(Box<UserWrite>),
    /// Deprovision and forget the user.
    Delete,
}

impl Intent {
    pub(crate) fn encode(&self) -> String {
        match self {
            Intent::Apply(wanted) => {
                let resource = UserResource {
                    id: String::new(),
                    write: (**wanted).clone(),
                    groups: Vec::new(),
                    created: chrono::Utc::now(),
                    last_modified: chrono::Utc::now(),
                };
                json!({"apply": resource.to_json_as_given()}).to_string()
            }
            Intent::Delete => json!({"delete": true}).to_string(),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        if value.get("delete").is_some() {
            return Some(Intent::Delete);
        }
        UserWrite::parse(value.get("apply")?)
            .ok()
            .map(|w| Intent::Apply(Box::new(w)))
    }
}

impl<T: Target> Bridge<T> {
    /// Runs `change` for `user_id` with its intent on record; the intent stays when the change
    /// failed in a way that can still succeed later.
    pub(crate) async fn with_intent<R>(
        &self,
        user_id: &UserId,
        intent: Intent,
        change: impl Future<Output = Result<R, BridgeError>>,
    ) -> Result<R, BridgeError> {
        self.store
            .save_intent(user_id.as_str(), &intent.encode())
            .await?;
        let result = change.await;
        let finished = match &result {
            Ok(_) => true,
            // What time cannot fix (a refusal, the deletion guard's no) is the IdP's to retry.
            Err(e) => !e.is_transient(),
        };
        if finished {
            self.store.clear_intent(user_id.as_str()).await?;
        }
        result
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
            roles: vec![scim::direct_roles::RoleAssignment {
                value: "event_viewer".into(),
                display: None,
                kind: Some("WindowsAzureActiveDirectoryRole".into()),
                primary: Some(true),
            }],
        };
        for intent in [Intent::Apply(Box::new(wanted)), Intent::Delete] {
            assert_eq!(Intent::decode(&intent.encode()), Some(intent));
        }
        assert_eq!(Intent::decode("not json"), None);
    }
}
