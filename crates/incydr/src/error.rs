//! Typed failures of Incydr calls.
//!
//! Each variant keeps what an IdP admin or operator needs to act: the operation, the HTTP status
//! and Incydr's own message. Incydr's error body format is not published, so the message is
//! whatever the body said (its `message` field when it is JSON, else its text, truncated). No
//! variant ever holds the client secret, a token or an Authorization header: the secret is
//! redacted from any message before it gets here.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncydrError {
    /// The token endpoint refused the API client, or Incydr refused a freshly obtained token.
    /// Names the client id so an operator knows which credentials to check; never the secret.
    #[error(
        "Incydr refused API client '{client_id}' (HTTP {status}: {message}); check the client id and secret"
    )]
    Authentication {
        client_id: String,
        status: u16,
        message: String,
    },

    /// The API client's role does not allow the call (HTTP 403): permissions come from the role
    /// of the API client in Incydr, not from OAuth scopes.
    #[error(
        "Incydr does not allow this API client to {operation} (HTTP 403: {message}); check the API client's role"
    )]
    Forbidden {
        operation: &'static str,
        message: String,
    },

    /// The user (or role) does not exist (HTTP 404).
    #[error("Incydr does not know {subject} ({operation}: {message})")]
    NotFound {
        operation: &'static str,
        subject: String,
        message: String,
    },

    /// Incydr refuses to deactivate a user under an active legal hold (`ACTIVE_LEGAL_HOLD`).
    #[error(
        "Incydr refused to {operation} {subject}: the user is under an active legal hold ({message})"
    )]
    LegalHold {
        operation: &'static str,
        subject: String,
        message: String,
    },

    /// Any other refusal (4xx) with Incydr's message.
    #[error("Incydr rejected {operation} (HTTP {status}): {message}")]
    Rejected {
        operation: &'static str,
        status: u16,
        message: String,
    },

    /// Incydr throttled the call longer than the client is configured to wait.
    #[error("Incydr is rate limiting this API client; retry after {} s", .retry_after.as_secs().max(1))]
    RateLimited { retry_after: Duration },

    /// Incydr failed (5xx) and retrying did not help.
    #[error("Incydr failed on {operation} (HTTP {status}): {message}")]
    Server {
        operation: &'static str,
        status: u16,
        message: String,
    },

    /// No answer: connection refused or dropped, DNS, TLS, or a timeout.
    #[error("Incydr could not be reached for {operation}: {detail}")]
    Unreachable {
        operation: &'static str,
        detail: String,
    },

    /// A 2xx whose body is not what the call expects.
    #[error("Incydr sent an unreadable reply to {operation}: {detail}")]
    Unreadable {
        operation: &'static str,
        detail: String,
    },
}

impl IncydrError {
    /// The HTTP status Incydr answered, when it answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            IncydrError::Authentication { status, .. }
            | IncydrError::Rejected { status, .. }
            | IncydrError::Server { status, .. } => Some(*status),
            IncydrError::Forbidden { .. } => Some(403),
            IncydrError::NotFound { .. } => Some(404),
            IncydrError::LegalHold { .. } => Some(400),
            IncydrError::RateLimited { .. } => Some(429),
            IncydrError::Unreachable { .. } | IncydrError::Unreadable { .. } => None,
        }
    }

    /// True when the same call may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            IncydrError::RateLimited { .. }
                | IncydrError::Server { .. }
                | IncydrError::Unreachable { .. }
                | IncydrError::Unreadable { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_names_the_client_and_what_to_check() {
        let e = IncydrError::Authentication {
            client_id: "key-123".into(),
            status: 401,
            message: "Unauthorized".into(),
        };
        let text = e.to_string();
        assert!(text.contains("'key-123'"), "{text}");
        assert!(text.contains("check the client id and secret"), "{text}");
        assert_eq!(e.status(), Some(401));
        assert!(!e.is_transient());
    }

    #[test]
    fn rate_limited_rounds_the_wait_up_to_a_second() {
        let e = IncydrError::RateLimited {
            retry_after: Duration::from_millis(300),
        };
        assert_eq!(
            e.to_string(),
            "Incydr is rate limiting this API client; retry after 1 s"
        );
        assert!(e.is_transient());
    }
}
