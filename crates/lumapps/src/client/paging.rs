//! Following v1 list cursors to the end.
//!
//! A page says `more` and carries a `cursor` to send back. The loop follows the cursor while
//! `more` is true, also after a page with no items (LumApps does send those), and ends when
//! `more` is false. Two server faults end it too: a cursor seen before would loop forever, so
//! the list stops there (with a warning); `more: true` without a cursor cannot be followed, so
//! the list fails rather than pass for complete.

use std::collections::HashSet;

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::call::Call;
use super::{LOG_TARGET, LumAppsClient};
use crate::error::LumAppsError;
use crate::model::Page;

/// What to do after a page.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    Done,
    Follow(String),
    /// The cursor came back again.
    Loop,
    /// `more` without a cursor.
    Stuck,
}

/// Decides the step after a page with `more` and `cursor`, given the cursors sent so far (to
/// which a followed cursor is added).
pub(super) fn next(more: bool, cursor: Option<&str>, sent: &mut HashSet<String>) -> Next {
    if !more {
        return Next::Done;
    }
    match cursor.filter(|c| !c.is_empty()) {
        None => Next::Stuck,
        Some(c) if !sent.insert(c.to_owned()) => Next::Loop,
        Some(c) => Next::Follow(c.to_owned()),
    }
}

impl LumAppsClient {
    /// Every item of a GET list, pages of `page_size`, each item once (by `key`).
    pub(super) async fn list_all<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &'static str,
        query: Vec<(&'static str, String)>,
        key: fn(&T) -> Option<&str>,
    ) -> Result<Vec<T>, LumAppsError> {
        let page_size = self.inner.cfg.page_size.max(1).to_string();
        let mut items: Vec<T> = Vec::new();
        let mut keys = HashSet::new();
        let mut sent = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut call = Call::new(operation, Method::GET, path);
            for (k, v) in &query {
                call = call.query(k, v.clone());
            }
            call = call.query("maxResults", page_size.clone());
            if let Some(c) = &cursor {
                call = call.query("cursor", c.clone());
            }
            let page: Page<T> = self.execute_json(call).await?;
            // Items created or deleted while we page can shift pages; never report one twice.
            items.extend(
                page.items
                    .into_iter()
                    .filter(|item| key(item).is_none_or(|k| keys.insert(k.to_owned()))),
            );
            match next(page.more, page.cursor.as_deref(), &mut sent) {
                Next::Done => return Ok(items),
                Next::Follow(c) => cursor = Some(c),
                Next::Loop => {
                    tracing::warn!(
                        target: LOG_TARGET,
                        operation,
                        items = items.len(),
                        "LumApps sent a cursor it had sent before; the list ends here"
                    );
                    return Ok(items);
                }
                Next::Stuck => {
                    return Err(LumAppsError::Decode {
                        operation,
                        detail: "a page says there is more but carries no cursor".into(),
                        call_id: page.call_id,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_followed_until_more_is_false_and_never_twice() {
        let mut sent = HashSet::new();
        assert_eq!(next(true, Some("c1"), &mut sent), Next::Follow("c1".into()));
        assert_eq!(next(true, Some("c2"), &mut sent), Next::Follow("c2".into()));
        assert_eq!(next(true, Some("c1"), &mut sent), Next::Loop);
        assert_eq!(next(true, None, &mut sent), Next::Stuck);
        assert_eq!(next(true, Some(""), &mut sent), Next::Stuck);
        // A last page may still carry a cursor; `more: false` ends the list.
        assert_eq!(next(false, Some("c9"), &mut sent), Next::Done);
    }
}
