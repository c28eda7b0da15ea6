//! The feed calls (LumApps' groups): the full list, one feed, save (create or whole-object
//! update), delete, and the batch membership change `feed/subscribers/save`.

use reqwest::Method;

use super::LumAppsClient;
use super::call::Call;
use crate::error::LumAppsError;
use crate::model::{Feed, SubscribersSave, routes};

impl LumAppsClient {
    /// Every feed of the organisation.
    pub async fn list_feeds(&self) -> Result<Vec<Feed>, LumAppsError> {
        self.list_all("feed/list", routes::FEED_LIST, Vec::new(), Feed::key)
            .await
    }

    /// One feed by uid; an unknown uid is [`LumAppsError::NotFound`].
    pub async fn feed(&self, uid: &str) -> Result<Feed, LumAppsError> {
        let call = Call::new("feed/get", Method::GET, routes::FEED_GET)
            .query("uid", uid)
            .about(format!("feed {uid}"));
        self.execute_json(call).await
    }

    /// Saves a whole feed and returns what LumApps stored: a create without an id (a name
    /// that exists, compared case-sensitively, is [`LumAppsError::Conflict`]), else a
    /// replacement.
    pub async fn save_feed(&self, feed: &Feed) -> Result<Feed, LumAppsError> {
        let call = Call::new("feed/save", Method::POST, routes::FEED_SAVE).json(feed);
        let Some(uid) = feed.key() else {
            let name = feed.name.clone().unwrap_or_default();
            let call = call.about(format!("feed '{name}'")).not_idempotent();
            return match self.execute_json(call).await {
                // As for users: a 400 whose words do not say "duplicate" is checked against
                // the feeds LumApps has; a failed check keeps the refusal as it was.
                Err(LumAppsError::Rejected {
                    operation,
                    status: 400,
                    message,
                    call_id,
                }) if !name.is_empty() => {
                    let taken = self.list_feeds().await.is_ok_and(|feeds| {
                        feeds
                            .iter()
                            .any(|f| f.name.as_deref() == Some(name.as_str()))
                    });
                    Err(if taken {
                        LumAppsError::Conflict {
                            operation,
                            subject: format!("feed '{name}'"),
                            status: 400,
                            message,
                            call_id,
                        }
                    } else {
                        LumAppsError::Rejected {
                            operation,
                            status: 400,
                            message,
                            call_id,
                        }
                    })
                }
                other => other,
            };
        };
        self.execute_json(call.about(format!("feed {uid}"))).await
    }

    /// Deletes a feed; an unknown uid is [`LumAppsError::NotFound`].
    pub async fn delete_feed(&self, uid: &str) -> Result<(), LumAppsError> {
        let call = Call::new("feed/delete", Method::DELETE, routes::FEED_DELETE)
            .query("uid", uid)
            .about(format!("feed {uid}"));
        self.execute_empty(call).await
    }

    /// Adds and removes members of a feed in one call; users are given by e-mail or id. Makes
    /// no call when there is nothing to change.
    pub async fn save_subscribers(
        &self,
        feed_uid: &str,
        added: &[String],
        removed: &[String],
    ) -> Result<(), LumAppsError> {
        if added.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let call = Call::new(
            "feed/subscribers/save",
            Method::POST,
            routes::FEED_SUBSCRIBERS_SAVE,
        )
        .about(format!("feed {feed_uid}"))
        .json(SubscribersSave {
            feed: feed_uid.to_owned(),
            added_users: added.to_vec(),
            removed_users: removed.to_vec(),
        });
        self.execute_empty(call).await
    }
}
