//! Typed failures of Falcon calls.
//!
//! Every variant keeps what the SCIM layer needs to say something useful to an IdP admin: the
//! HTTP status, Falcon's error code and message, and the trace id Falcon support asks for. No
//! variant ever holds a secret, a token or an Authorization header.

use std::fmt;
use std::time::Duration;

/// What Falcon said when a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Our name of the operation, e.g. `createUserV1`.
    pub operation: &'static str,
    pub status: u16,
    /// `errors[0].code`, when Falcon sent one.
    pub code: Option<i64>,
    /// `errors[*].message` joined, or a short description when the body had none.
    pub message: String,
    pub trace_id: Option<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered HTTP {}: {}",
            self.operation, self.status, self.message
        )?;
        if let Some(trace) = &self.trace_id {
            write!(f, " (trace id {trace})")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FalconError {
    /// The token endpoint refused the API client (wrong id or secret, IP allow-list).
    #[error(
        "Falcon refused the API credentials: {0}; check FALCON_CLIENT_ID and FALCON_CLIENT_SECRET"
    )]
    Authentication(Failure),

    /// The credentials are valid, but for another cloud than the one configured.
    #[error(
        "these credentials belong to {actual}; set FALCON_CLOUD={actual} (configured: {configured})"
    )]
    WrongRegion { configured: String, actual: String },

    /// The API client lacks the User management scope the call needs (HTTP 403).
    #[error("the Falcon API client is not allowed to call {op}: it needs the 'User management' {scope} scope ({0})", op = .0.operation, scope = scope_for(.0.operation))]
    MissingScope(Failure),

    /// A grant or revoke named a role Falcon does not know (or a custom role of another CID).
    #[error("Falcon does not accept role '{role_id}': {failure}")]
    InvalidRole { role_id: String, failure: Failure },

    /// The user uuid is unknown to Falcon (deleted, or never existed).
    #[error("Falcon does not know user {uuid}: {failure}")]
    UnknownUser { uuid: String, failure: Failure },

    /// Any other refusal of the request (4xx), e.g. an e-mail domain Falcon does not allow.
    #[error("Falcon rejected the request: {0}")]
    Rejected(Failure),

    /// Falcon failed (5xx) and retrying did not help, or the call was not safe to retry.
    #[error("Falcon failed: {0}")]
    Server(Failure),

    /// Falcon throttled us longer than we are configured to wait.
    #[error("Falcon is rate limiting this API client; retry after {} s", .retry_after.as_secs().max(1))]
    RateLimited {
        retry_after: Duration,
        trace_id: Option<String>,
    },

    /// No answer: connection refused or dropped, DNS, TLS, or the request timed out.
    #[error("Falcon could not be reached for {operation}: {detail}")]
    Unreachable {
        operation: &'static str,
        detail: String,
    },

    /// Falcon answered something that is not the documented envelope.
    #[error("Falcon sent an unreadable reply to {operation}: {detail}")]
    Decode {
        operation: &'static str,
        detail: String,
    },
}

fn scope_for(operation: &str) -> &'static str {
    match operation {
        "createUserV1" | "updateUserV1" | "deleteUserV1" | "userRolesActionV1" => "Write",
        _ => "Read",
    }
}

impl FalconError {
    /// HTTP status Falcon answered, when it answered.
    pub fn status(&self) -> Option<u16> {
        self.failure().map(|f| f.status).or(match self {
            FalconError::RateLimited { .. } => Some(429),
            _ => None,
        })
    }

    pub fn trace_id(&self) -> Option<&str> {
        match self {
            FalconError::RateLimited { trace_id, .. } => trace_id.as_deref(),
            _ => self.failure().and_then(|f| f.trace_id.as_deref()),
        }
    }

    pub fn failure(&self) -> Option<&Failure> {
        match self {
            FalconError::Authentication(f)
            | FalconError::MissingScope(f)
            | FalconError::Rejected(f)
            | FalconError::Server(f)
            | FalconError::InvalidRole { failure: f, .. }
            | FalconError::UnknownUser { failure: f, .. } => Some(f),
            _ => None,
        }
    }

    /// True when the same call may succeed later without anything changing on our side.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            FalconError::Server(_)
                | FalconError::RateLimited { .. }
                | FalconError::Unreachable { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(op: &'static str, status: u16) -> Failure {
        Failure {
            operation: op,
            status,
            code: Some(i64::from(status)),
            message: "access denied, authorization failed".into(),
            trace_id: Some("t-1".into()),
        }
    }

    #[test]
    fn wrong_region_says_what_to_set() {
        let e = FalconError::WrongRegion {
            configured: "us-1".into(),
            actual: "eu-1".into(),
        };
        assert!(
            e.to_string()
                .contains("these credentials belong to eu-1; set FALCON_CLOUD=eu-1")
        );
    }

    #[test]
    fn missing_scope_names_the_scope() {
        let e = FalconError::MissingScope(failure("createUserV1", 403));
        assert!(
            e.to_string().contains("'User management' Write scope"),
            "{e}"
        );
        assert_eq!(e.status(), Some(403));
        assert_eq!(e.trace_id(), Some("t-1"));
    }
}
