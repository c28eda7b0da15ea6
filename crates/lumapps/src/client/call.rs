//! One API call as data: the call methods describe what to send, the transport sends it. Kept
//! apart so that a call can be sent again unchanged after a retryable failure or a token refresh.
//!
//! A call also says whether it may be sent again after a reply that may have followed the
//! write: a 5xx or a lost reply to a create (`user/save` or `feed/save` without an id) can mean
//! "created", and sending it again would then fail as a duplicate. Such calls are retried only
//! when LumApps certainly did nothing: after a 429, a 401, or a connection that never opened.

use reqwest::Method;

pub(super) enum Body {
    Json(serde_json::Value),
    /// An `application/x-www-form-urlencoded` body (the token request).
    Form(String),
}

pub(super) struct Call {
    /// The operation, for logs, metrics and errors: LumApps' method name, e.g. `user/save`.
    pub(super) operation: &'static str,
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) query: Vec<(&'static str, String)>,
    pub(super) body: Option<Body>,
    /// What the call is about (`user 123`), for a not-found or conflict error.
    pub(super) subject: String,
    /// False for creates: see the module documentation.
    pub(super) idempotent: bool,
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
            idempotent: true,
        }
    }

    pub(super) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    pub(super) fn json(mut self, body: impl serde::Serialize) -> Self {
        // Serialising our own model types cannot fail.
        self.body = Some(Body::Json(serde_json::to_value(body).unwrap_or_default()));
        self
    }

    pub(super) fn form(mut self, body: String) -> Self {
        self.body = Some(Body::Form(body));
        self
    }

    pub(super) fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = subject.into();
        self
    }

    pub(super) fn not_idempotent(mut self) -> Self {
        self.idempotent = false;
        self
    }
}
