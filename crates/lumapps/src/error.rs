//! Typed failures of LumApps calls.
//!
//! Each variant is a kind an upper layer can act on (not found, duplicate, forbidden, bad
//! credentials, throttled, LumApps failing, unreachable, unreadable) and keeps what an operator
//! needs to follow up: the operation, LumApps' own message and the call id LumApps support asks
//! for (from the `LumApps-Call-Id` header or the body's `callId`). No variant ever holds the
//! client secret, a token or an Authorization header: they are redacted from any message before
//! it gets here.

use std::time::Duration;

/// " [call id …]" when there is one, for the messages below.
fn call_ref(call_id: &Option<String>) -> String {
    call_id
        .as_deref()
        .map(|id| format!(" [LumApps call id {id}]"))
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LumAppsError {
    /// The token endpoint refused the OAuth application or the user to impersonate, or
    /// LumApps refused a freshly obtained token. Names the client id and the impersonated
    /// admin so an operator knows what to check; never the secret.
    #[error(
        "LumApps refused OAuth application '{client_id}' acting as '{admin_email}' (HTTP {status}: {message}); check the client id and secret, and that this user exists, is enabled and may be impersonated{}",
        call_ref(.call_id)
    )]
    Unauthorized {
        client_id: String,
        admin_email: String,
        status: u16,
        message: String,
        call_id: Option<String>,
    },

    /// HTTP 403: typically the impersonated user is not a global administrator, or the
    /// application may not impersonate that user.
    #[error(
        "LumApps does not allow {operation} as '{admin_email}' (HTTP 403: {message}); the impersonated user must be a global administrator the application may impersonate{}",
        call_ref(.call_id)
    )]
    Forbidden {
        operation: &'static str,
        admin_email: String,
        message: String,
        call_id: Option<String>,
    },

    /// The user or feed does not exist (HTTP 404).
    #[error("LumApps does not know {subject} ({operation}: {message}){}", call_ref(.call_id))]
    NotFound {
        operation: &'static str,
        subject: String,
        message: String,
        call_id: Option<String>,
    },

    /// A create refused because the e-mail (or feed name) is taken (HTTP 400 or 409).
    #[error("LumApps already has {subject} ({operation}, HTTP {status}: {message}){}", call_ref(.call_id))]
    Conflict {
        operation: &'static str,
        subject: String,
        status: u16,
        message: String,
        call_id: Option<String>,
    },

    /// Any other refusal (4xx) with LumApps' message.
    #[error("LumApps rejected {operation} (HTTP {status}): {message}{}", call_ref(.call_id))]
    Rejected {
        operation: &'static str,
        status: u16,
        message: String,
        call_id: Option<String>,
    },

    /// LumApps throttled the call longer than the client is configured to wait.
    #[error(
        "LumApps is rate limiting this application; retry after {} s{}",
        .retry_after.as_secs_f64().ceil().max(1.0),
        call_ref(.call_id)
    )]
    RateLimited {
        retry_after: Duration,
        call_id: Option<String>,
    },

    /// LumApps failed (5xx) and retrying did not help.
    #[error("LumApps failed on {operation} (HTTP {status}): {message}{}", call_ref(.call_id))]
    Server {
        operation: &'static str,
        status: u16,
        message: String,
        call_id: Option<String>,
    },

    /// No answer: connection refused or dropped, DNS, TLS, or a timeout.
    #[error("LumApps could not be reached for {operation}: {detail}")]
    Transport {
        operation: &'static str,
        detail: String,
    },

    /// A 2xx whose body is not what the call expects.
    #[error("LumApps sent an unreadable reply to {operation}: {detail}{}", call_ref(.call_id))]
    Decode {
        operation: &'static str,
        detail: String,
        call_id: Option<String>,
    },
}

impl LumAppsError {
    /// The HTTP status LumApps answered, when it answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            LumAppsError::Unauthorized { status, .. }
            | LumAppsError::Conflict { status, .. }
            | LumAppsError::Rejected { status, .. }
            | LumAppsError::Server { status, .. } => Some(*status),
            LumAppsError::Forbidden { .. } => Some(403),
            LumAppsError::NotFound { .. } => Some(404),
            LumAppsError::RateLimited { .. } => Some(429),
            LumAppsError::Transport { .. } | LumAppsError::Decode { .. } => None,
        }
    }

    /// The id LumApps gave the call, for its support; `None` without a reply or when LumApps
    /// sent none.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            LumAppsError::Unauthorized { call_id, .. }
            | LumAppsError::Forbidden { call_id, .. }
            | LumAppsError::NotFound { call_id, .. }
            | LumAppsError::Conflict { call_id, .. }
            | LumAppsError::Rejected { call_id, .. }
            | LumAppsError::RateLimited { call_id, .. }
            | LumAppsError::Server { call_id, .. }
            | LumAppsError::Decode { call_id, .. } => call_id.as_deref(),
            LumAppsError::Transport { .. } => None,
        }
    }

    /// True when the same call may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            LumAppsError::RateLimited { .. }
                | LumAppsError::Server { .. }
                | LumAppsError::Transport { .. }
                | LumAppsError::Decode { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_to_check_and_the_call_id() {
        let e = LumAppsError::Forbidden {
            operation: "user/save",
            admin_email: "admin@x.io".into(),
            message: "not an admin".into(),
            call_id: Some("abc".into()),
        };
        let text = e.to_string();
        assert!(text.contains("'admin@x.io'"), "{text}");
        assert!(text.ends_with("[LumApps call id abc]"), "{text}");
        assert_eq!((e.status(), e.call_id()), (Some(403), Some("abc")));
        assert!(!e.is_transient());

        let e = LumAppsError::NotFound {
            operation: "user/get",
            subject: "user 1".into(),
            message: "gone".into(),
            call_id: None,
        };
        assert_eq!(
            e.to_string(),
            "LumApps does not know user 1 (user/get: gone)"
        );
    }

    #[test]
    fn rate_limited_rounds_the_wait_up_to_a_second() {
        let e = LumAppsError::RateLimited {
            retry_after: Duration::from_millis(1300),
            call_id: None,
        };
        assert_eq!(
            e.to_string(),
            "LumApps is rate limiting this application; retry after 2 s"
        );
        assert!(e.is_transient());
    }
}
