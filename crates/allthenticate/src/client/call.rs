//! One API call as data: the call methods describe what to send, the send loop sends it. Kept
//! apart so that a call can be sent again unchanged after a retryable failure.

use reqwest::Method;

pub(super) struct Call {
    /// Our name of the operation, for logs, metrics and errors, e.g. `toggleSuspension`.
    pub(super) operation: &'static str,
    pub(super) method: Method,
    pub(super) path: &'static str,
    pub(super) query: Vec<(&'static str, String)>,
    pub(super) body: Option<serde_json::Value>,
    /// What the call is about (`email_id 500001`), for a not-found or rejected error.
    pub(super) subject: String,
    /// Whether the call may go again after a 5xx or a lost reply: false for the suspension
    /// toggle, which a repeat would undo.
    pub(super) may_repeat: bool,
}

impl Call {
    pub(super) fn new(operation: &'static str, method: Method, path: &'static str) -> Self {
        Self {
            operation,
            method,
            path,
            query: Vec::new(),
            body: None,
            subject: "the organization".into(),
            may_repeat: true,
        }
    }

    pub(super) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// A JSON body: what the reference says the client sends.
    pub(super) fn json(mut self, body: impl serde::Serialize) -> Self {
        // Serialising our own model types and `json!` values cannot fail.
        self.body = Some(serde_json::to_value(body).unwrap_or_default());
        self
    }

    pub(super) fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = subject.into();
        self
    }

    pub(super) fn once(mut self) -> Self {
        self.may_repeat = false;
        self
    }
}
