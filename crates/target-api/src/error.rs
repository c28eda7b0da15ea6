//! Target failures, classified so that the core decides on the kind and never on a target's own
//! error variants.

use std::time::Duration;

use crate::EntitlementId;

/// What went wrong, in the terms the core decides on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The account does not exist (any more).
    NotFound,
    /// The request conflicts with what the target holds (e.g. the login exists already).
    Conflict,
    /// The target throttles the bridge beyond what it waits for itself.
    RateLimited { retry_after: Duration },
    /// A failure that may pass with time: 5xx, no answer, an unreadable reply.
    Transient,
    /// The target refused the request; `reason` is its own words, for the IdP admin.
    Rejected { reason: String },
    /// The target does not know this entitlement (the group mapping names a wrong one).
    UnknownEntitlement { id: EntitlementId },
    /// The target refuses for a reason of its own that someone must clear (e.g. legal hold).
    Blocked { reason: String },
    /// The target cannot do this at all.
    Unsupported,
    /// The target holds this attribute of this account read-only (e.g. names a directory
    /// synchronises into it); `reason` says why, for the IdP admin.
    ReadOnly { reason: String },
    /// The bridge's access to the target is wrong: credentials, scopes, region.
    Misconfigured,
}

/// A failed target call: its kind, a description for logs and admins, and the target's trace
/// id when it sent one. Never holds a secret.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TargetError {
    kind: ErrorKind,
    message: String,
    trace_id: Option<String>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TargetError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            trace_id: None,
            source: None,
        }
    }

    /// Classifies a target's own error, keeping it as the source.
    pub fn from_source(
        kind: ErrorKind,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind,
            message: source.to_string(),
            trace_id: None,
            source: Some(Box::new(source)),
        }
    }

    pub fn with_trace_id(mut self, trace_id: Option<String>) -> Self {
        self.trace_id = trace_id;
        self
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// True when the same call may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Transient | ErrorKind::RateLimited { .. }
        )
    }

    /// The target's own error, when there is one (for a target crate's tests and logs).
    pub fn source_ref(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_kinds_are_the_ones_time_can_fix() {
        let rate = TargetError::new(
            ErrorKind::RateLimited {
                retry_after: Duration::from_secs(3),
            },
            "slow down",
        );
        assert!(rate.is_transient());
        assert!(TargetError::new(ErrorKind::Transient, "502").is_transient());
        assert!(!TargetError::new(ErrorKind::NotFound, "gone").is_transient());
        assert!(!TargetError::new(ErrorKind::Misconfigured, "bad secret").is_transient());
    }

    #[test]
    fn a_classified_error_keeps_its_source_and_trace() {
        let io = std::io::Error::other("connection reset");
        let e =
            TargetError::from_source(ErrorKind::Transient, io).with_trace_id(Some("t-1".into()));
        assert_eq!(e.to_string(), "connection reset");
        assert_eq!(e.trace_id(), Some("t-1"));
        assert!(std::error::Error::source(&e).is_some());
    }
}
