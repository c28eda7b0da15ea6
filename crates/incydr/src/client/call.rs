//! One API call as data: the call methods describe what to send, the transport sends it. Kept
//! apart so that a call can be sent again unchanged after a retryable failure or a token refresh.

use reqwest::Method;

pub(super) struct Call {
    /// Our name of the operation, for logs, metrics and errors, e.g. `deactivateUser`.
    pub(super) operation: &'static str,
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) query: Vec<(&'static str, String)>,
    pub(super) body: Option<serde_json::Value>,
    /// What the call is about (`user 9a1…`), for a not-found or legal-hold error.
    pub(super) subject: String,
}

impl Call {
    pub(super) fn new(operation: &'static str, method: Method, path: impl Into<String>) -> Self {
        Self {
            operation,
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            subject: "the resource".into(),
        }
    }

    pub(super) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub(super) fn json(mut self, body: impl serde::Serialize) -> Self {
        // Serialising our own model types cannot fail.
        self.body = Some(serde_json::to_value(body).unwrap_or_default());
        self
    }

    pub(super) fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = subject.into();
        self
    }
}
