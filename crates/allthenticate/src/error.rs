//! Typed failures of Allthenticate calls.
//!
//! Each variant keeps what an IdP admin or operator needs to act: the operation, the HTTP status
//! and Allthenticate's own message (its `{"error": …}` body, else the body text, truncated). No
//! variant ever holds the API key: the key is redacted from any message before it gets here, and
//! [`AllthenticateError::Unauthorized`] names only the header the key travels in.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllthenticateError {
    /// The configuration cannot make a client (a key header that is no valid header name, a
    /// key that cannot travel in a header).
    #[error("Allthenticate client configuration is invalid: {0}")]
    Config(String),

    /// A missing, wrong, expired or revoked API key (HTTP 401), or a key without the rights
    /// for the call (HTTP 403).
    #[error(
        "Allthenticate refused the API key sent in '{header}' for {operation} (HTTP {status}: {message}); check the key and its expiry in Settings → API Keys"
    )]
    Unauthorized {
        operation: &'static str,
        status: u16,
        header: String,
        message: String,
    },

    /// The user (or invite, or group) is not in the organisation: a 400 (or 404) whose message
    /// says so. Allthenticate answers an unknown user with a plain 400, so this is recognised by
    /// the words of the message; any other 400 is [`AllthenticateError::Rejected`].
    #[error("Allthenticate does not know {subject} ({operation}: {message})")]
    NotFound {
        operation: &'static str,
        subject: String,
        message: String,
    },

    /// Any other refusal (4xx) with Allthenticate's message.
    #[error("Allthenticate rejected {operation} for {subject} (HTTP {status}): {message}")]
    Rejected {
        operation: &'static str,
        subject: String,
        status: u16,
        message: String,
    },

    /// Allthenticate throttled the call longer than the client is configured to wait.
    #[error("Allthenticate is rate limiting this API key; retry after {} s", .retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },

    /// Allthenticate failed (5xx) and retrying did not help, or the call may not be retried.
    #[error("Allthenticate failed on {operation} (HTTP {status}): {message}")]
    Server {
        operation: &'static str,
        status: u16,
        message: String,
    },

    /// No answer: connection refused or dropped, DNS, TLS, or a timeout.
    #[error("Allthenticate could not be reached for {operation}: {detail}")]
    Unreachable {
        operation: &'static str,
        detail: String,
    },

    /// A 2xx whose body is not what the call expects.
    #[error("Allthenticate sent an unreadable reply to {operation}: {detail}")]
    Unreadable {
        operation: &'static str,
        detail: String,
    },
}

impl AllthenticateError {
    /// The HTTP status Allthenticate answered, when it answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { status, .. }
            | Self::Rejected { status, .. }
            | Self::Server { status, .. } => Some(*status),
            Self::NotFound { .. } => Some(400),
            Self::RateLimited { .. } => Some(429),
            Self::Config(_) | Self::Unreachable { .. } | Self::Unreadable { .. } => None,
        }
    }

    /// True when the same call may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Unreachable { .. }
                | Self::Unreadable { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_names_the_header_and_what_to_check() {
        let e = AllthenticateError::Unauthorized {
            operation: "listUsers",
            status: 401,
            header: "Authorization".into(),
            message: "API key expired".into(),
        };
        let text = e.to_string();
        assert!(text.contains("'Authorization'"), "{text}");
        assert!(text.contains("API key expired"), "{text}");
        assert_eq!(e.status(), Some(401));
        assert!(!e.is_transient());
    }

    #[test]
    fn rate_limited_rounds_the_wait_up_to_a_second() {
        let e = AllthenticateError::RateLimited {
            retry_after: Duration::from_millis(300),
        };
        assert_eq!(
            e.to_string(),
            "Allthenticate is rate limiting this API key; retry after 1 s"
        );
        assert!(e.is_transient());
        assert_eq!(e.status(), Some(429));
    }
}
