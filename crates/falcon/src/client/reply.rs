//! Reading what came back: the reply's headers, Falcon's error messages in a body, and the typed
//! [`FalconError`] a refusal becomes. The SCIM layer acts on the error's variant (a missing scope,
//! an unknown role or user), so the classification lives in one place with its tests.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::call::{Call, Reply};
use crate::error::{Failure, FalconError};
use crate::model::{self, Envelope, TokenResponse, routes};

/// A reply as it came off the wire, before anyone looked at its body.
pub(super) struct Received {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    // reqwest does not re-export `bytes`; axum (a dependency already, for the simulator) does.
    pub(super) body: axum::body::Bytes,
}

/// Bodies the retry loop can read `errors` from: the envelope, and the token reply.
pub(super) trait HasEnvelopeErrors: Sized {
    type Out;
    fn error_summary(&self) -> Option<(String, Option<i64>)>;
    fn into_out(self, status: StatusCode) -> Self::Out;
}

impl<T> HasEnvelopeErrors for Envelope<T> {
    type Out = Reply<T>;

    fn error_summary(&self) -> Option<(String, Option<i64>)> {
        summarise(self.errors())
    }

    fn into_out(self, status: StatusCode) -> Reply<T> {
        Reply {
            envelope: self,
            status,
        }
    }
}

impl HasEnvelopeErrors for TokenResponse {
    type Out = TokenResponse;

    fn error_summary(&self) -> Option<(String, Option<i64>)> {
        None
    }

    fn into_out(self, _: StatusCode) -> TokenResponse {
        self
    }
}

/// The outcome of a reply the retry policy is done with: the decoded body, or the refusal.
pub(super) fn read_reply<B: DeserializeOwned + HasEnvelopeErrors>(
    call: &Call,
    received: Received,
    trace_id: Option<String>,
) -> Result<(B::Out, HeaderMap), FalconError> {
    let Received {
        status,
        headers,
        body: bytes,
    } = received;
    let failure = |(message, code): (String, Option<i64>)| Failure {
        operation: call.operation,
        status: status.as_u16(),
        code,
        message,
        trace_id: trace_id.clone(),
    };
    if !status.is_success() {
        let summary = refusal_summary::<B>(status, &bytes);
        return Err(classify(call, failure(summary)));
    }
    let body = serde_json::from_slice::<B>(&bytes).map_err(|e| FalconError::Decode {
        operation: call.operation,
        detail: format!("HTTP {status}: {e}"),
    })?;
    // Like gofalcon, a non-empty `errors` fails the call even on 2xx.
    if let Some(summary) = body.error_summary() {
        return Err(classify(call, failure(summary)));
    }
    Ok((body.into_out(status), headers))
}

/// Falcon's message and code for a refusal. Error replies do not always have the shape of the
/// success body, so any envelope will do, and a body without one still says something.
fn refusal_summary<B: DeserializeOwned + HasEnvelopeErrors>(
    status: StatusCode,
    bytes: &[u8],
) -> (String, Option<i64>) {
    serde_json::from_slice::<B>(bytes)
        .ok()
        .and_then(|b| b.error_summary())
        .or_else(|| error_summary_of_any_body(bytes))
        .unwrap_or_else(|| (format!("HTTP {status} without an error message"), None))
}

fn summarise(errors: &[model::ApiError]) -> Option<(String, Option<i64>)> {
    let first = errors.first()?;
    let message = errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Some((message, Some(first.code)))
}

fn error_summary_of_any_body(bytes: &[u8]) -> Option<(String, Option<i64>)> {
    let env: Envelope<serde_json::Value> = serde_json::from_slice(bytes).ok()?;
    summarise(env.errors())
}

/// Turns a refusal into the error the SCIM layer can act on.
fn classify(call: &Call, failure: Failure) -> FalconError {
    let is_token_call = call.path == routes::TOKEN;
    match failure.status {
        400 | 401 | 403 if is_token_call => FalconError::Authentication(failure),
        401 => FalconError::Authentication(failure),
        403 => FalconError::MissingScope(failure),
        _ if failure.message.contains("invalid roleID") => FalconError::InvalidRole {
            role_id: quoted_after(&failure.message, "roleID=").unwrap_or_default(),
            failure,
        },
        _ if failure.message.contains("invalid user uuid") => FalconError::UnknownUser {
            uuid: quoted_after(&failure.message, "uuid=").unwrap_or_default(),
            failure,
        },
        s if s >= 500 => FalconError::Server(failure),
        _ => FalconError::Rejected(failure),
    }
}

/// Fills in the uuid of the user a call was about when Falcon's message named none.
pub(super) fn with_user(err: FalconError, uuid: &str) -> FalconError {
    match err {
        FalconError::UnknownUser {
            uuid: found,
            failure,
        } if found.is_empty() => FalconError::UnknownUser {
            uuid: uuid.to_owned(),
            failure,
        },
        other => other,
    }
}

/// `x` from `... key='x' ...`.
fn quoted_after(message: &str, key: &str) -> Option<String> {
    let rest = &message[message.find(key)? + key.len()..];
    let rest = rest.strip_prefix('\'')?;
    Some(rest[..rest.find('\'')?].to_owned())
}

pub(super) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(super) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    header(headers, name).and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    fn failure(status: u16, message: &str) -> Failure {
        Failure {
            operation: "userRolesActionV1",
            status,
            code: Some(i64::from(status)),
            message: message.into(),
            trace_id: None,
        }
    }

    #[test]
    fn classifies_falcon_refusals() {
        let call = Call::new("userRolesActionV1", Method::POST, routes::USER_ROLE_ACTIONS);
        match classify(
            &call,
            failure(400, "invalid roleID='Falcon_Analyst' specified"),
        ) {
            FalconError::InvalidRole { role_id, .. } => assert_eq!(role_id, "Falcon_Analyst"),
            other => panic!("{other:?}"),
        }
        match classify(&call, failure(400, "invalid user uuid='abc' specified")) {
            FalconError::UnknownUser { uuid, .. } => assert_eq!(uuid, "abc"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(&call, failure(403, "access denied, authorization failed")),
            FalconError::MissingScope(_)
        ));
        assert!(matches!(
            classify(&call, failure(503, "x")),
            FalconError::Server(_)
        ));
        assert!(matches!(
            classify(&call, failure(400, "domain not allowed")),
            FalconError::Rejected(_)
        ));
        let token_call = Call::new("oauth2AccessToken", Method::POST, routes::TOKEN);
        assert!(matches!(
            classify(&token_call, failure(403, "Failed to issue access token")),
            FalconError::Authentication(_)
        ));
    }
}
