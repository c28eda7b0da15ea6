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
    /// that exists is [`LumAppsError::Conflict`] when LumApps says so), else a replacement.
    pub async fn save_feed(&self, feed: &Feed) -> Result<Feed, LumAppsError> {
        let call = Call::new("feed/save", Method::POST, routes::FEED_SAVE).json(feed);
        let call = match feed.key() {
            Some(uid) => call.about(format!("feed {uid}")),
            None => call
                .about(format!("feed '{}'", feed.name.as_deref().unwrap_or("")))
                .not_idempotent(),
        };
        self.execute_json(call).await
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
