//! Entity tags (RFC 7644 §3.14): every User and Group carries a weak version in `meta.version`
//! and an `ETag` header; `If-Match` makes a change conditional on it (412 when stale, before
//! anything is touched) and `If-None-Match` lets a read answer 304.
//!
//! Versions are weak (`W/"…"`): they change whenever the representation does, and comparisons
//! ignore the weakness marker, as RFC 7232's weak comparison does.

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};

use crate::error::ScimError;

/// A weak entity tag for `opaque` (which must not contain a double quote).
pub fn weak(opaque: &str) -> String {
    format!("W/\"{opaque}\"")
}

/// The version of a resource whose representation changes only with its modification time.
pub fn version_at(last_modified: DateTime<Utc>) -> String {
    weak(&last_modified.timestamp_micros().to_string())
}

/// The opaque part of an entity tag: without `W/` and quotes.
fn opaque(tag: &str) -> &str {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag)
}

/// An `If-Match` or `If-None-Match` header: `*`, or a list of entity tags.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tags {
    Any,
    List(Vec<String>),
}

impl Tags {
    fn read(headers: &HeaderMap, name: header::HeaderName) -> Option<Self> {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return None;
        }
        let tags: Vec<String> = values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if tags.iter().any(|t| t == "*") {
            return Some(Tags::Any);
        }
        Some(Tags::List(tags))
    }

    fn matches(&self, version: &str) -> bool {
        match self {
            Tags::Any => true,
            Tags::List(tags) => tags.iter().any(|t| opaque(t) == opaque(version)),
        }
    }
}

/// The conditions a request puts on the resource it names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    if_match: Option<Tags>,
    if_none_match: Option<Tags>,
}

impl Preconditions {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            if_match: Tags::read(headers, header::IF_MATCH),
            if_none_match: Tags::read(headers, header::IF_NONE_MATCH),
        }
    }

    /// A change may go ahead on a resource at `current`: no `If-Match`, or one that matches.
    /// Otherwise a 412, to be answered before anything is touched.
    pub fn allow_change(&self, current: &str) -> Result<(), ScimError> {
        match &self.if_match {
            Some(tags) if !tags.matches(current) => Err(ScimError::precondition_failed(format!(
                "the resource has changed: its version is {current}, the request's If-Match \
                 names another; read it again and retry"
            ))),
            _ => Ok(()),
        }
    }

    /// A read can answer 304: `If-None-Match` names the current version.
    pub fn not_modified(&self, current: &str) -> bool {
        self.if_none_match
            .as_ref()
            .is_some_and(|tags| tags.matches(current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(name: header::HeaderName, value: &str) -> Preconditions {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        Preconditions::from_headers(&headers)
    }

    #[test]
    fn if_match_compares_weakly_and_refuses_a_stale_version() {
        let current = weak("123");
        assert!(Preconditions::default().allow_change(&current).is_ok());
        assert!(
            with(header::IF_MATCH, "W/\"123\"")
                .allow_change(&current)
                .is_ok()
        );
        assert!(
            with(header::IF_MATCH, "\"123\"")
                .allow_change(&current)
                .is_ok()
        );
        assert!(
            with(header::IF_MATCH, "W/\"1\", W/\"123\"")
                .allow_change(&current)
                .is_ok()
        );
        assert!(with(header::IF_MATCH, "*").allow_change(&current).is_ok());
        let stale = with(header::IF_MATCH, "W/\"122\"")
            .allow_change(&current)
            .unwrap_err();
        assert_eq!(stale.status.as_u16(), 412);
        assert!(stale.detail.contains("W/\"123\""), "{}", stale.detail);
    }

    #[test]
    fn if_none_match_names_what_the_client_has() {
        let current = version_at(DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap());
        assert_eq!(current, "W/\"1700000000123456\"");
        assert!(with(header::IF_NONE_MATCH, &current).not_modified(&current));
        assert!(with(header::IF_NONE_MATCH, "*").not_modified(&current));
        assert!(!with(header::IF_NONE_MATCH, "W/\"1\"").not_modified(&current));
        assert!(!Preconditions::default().not_modified(&current));
    }
}
