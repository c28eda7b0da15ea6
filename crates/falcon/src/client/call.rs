//! One API call as data: the API-call methods describe what to send, and the transport decides
//! how to send it. Keeping the description apart lets a call be sent again unchanged after a
//! retryable failure or a token refresh.

use reqwest::{Method, StatusCode};

use crate::model::Envelope;

/// Whether a call may be sent again after a failure whose effect we cannot know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retry {
    /// Reads, renames and grant/revoke: sending twice leaves Falcon as sending once.
    Idempotent,
    /// Create and delete: a second send after a lost reply could fail or duplicate.
    Never,
}

pub(super) enum Body {
    Empty,
    Json(serde_json::Value),
    Form(Vec<(&'static str, String)>),
}

pub(super) struct Call {
    pub(super) operation: &'static str,
    pub(super) method: Method,
    pub(super) path: &'static str,
    pub(super) query: Vec<(&'static str, String)>,
    pub(super) body: Body,
    pub(super) retry: Retry,
}

impl Call {
    /// Whether the call is charged to the CID's rate budget. The token endpoints have a
    /// per-IP limit of their own (300 a minute), whose headers and 429s say nothing about the
    /// CID's window: they must neither lower the budget nor pause the API calls.
    pub(super) fn draws_on_cid_budget(&self) -> bool {
        !self.path.starts_with("/oauth2/")
    }

    pub(super) fn new(operation: &'static str, method: Method, path: &'static str) -> Self {
        Self {
            operation,
            method,
            path,
            query: Vec::new(),
            body: Body::Empty,
            retry: Retry::Idempotent,
        }
    }

    pub(super) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub(super) fn json(mut self, body: impl serde::Serialize) -> Self {
        // Serialising our own model types cannot fail.
        self.body = Body::Json(serde_json::to_value(body).unwrap_or_default());
        self
    }

    pub(super) fn never_retry(mut self) -> Self {
        self.retry = Retry::Never;
        self
    }
}

/// A successful reply.
pub(super) struct Reply<T> {
    pub(super) envelope: Envelope<T>,
    pub(super) status: StatusCode,
}
