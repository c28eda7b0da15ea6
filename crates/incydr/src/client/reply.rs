//! Reading what came back: a success body, or the typed [`IncydrError`] a refusal becomes.
//!
//! Incydr's error body format is not published. The client therefore classifies by HTTP status,
//! matches text codes such as `ACTIVE_LEGAL_HOLD` anywhere in the body, and takes the message
//! from a JSON `message` field when there is one, else from the body text.

pub(super) use client_support::Received;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::call::Call;
use crate::error::IncydrError;
use crate::model::ACTIVE_LEGAL_HOLD;

/// The longest message kept from an error body; bodies can be HTML error pages.
const MAX_MESSAGE_CHARS: usize = 300;

/// Who the call authenticated as, for an authentication error and for redaction.
pub(super) struct Credentials<'a> {
    pub(super) client_id: &'a str,
    pub(super) secret: &'a str,
}

/// Decodes a 2xx body.
pub(super) fn decode<T: DeserializeOwned>(
    call: &Call,
    received: &Received,
) -> Result<T, IncydrError> {
    serde_json::from_slice(&received.body).map_err(|e| IncydrError::Unreadable {
        operation: call.operation,
        detail: format!("HTTP {}: {e}", received.status.as_u16()),
    })
}

/// Turns a refusal (any non-2xx the retry policy is done with) into the error callers act on.
pub(super) fn classify(
    call: &Call,
    received: &Received,
    is_token_call: bool,
    credentials: &Credentials<'_>,
) -> IncydrError {
    let status = received.status.as_u16();
    let text = String::from_utf8_lossy(&received.body);
    let message = redact(&message_of(&text, received.status), credentials.secret);
    let operation = call.operation;
    match status {
        // The token endpoint answers a bad id or secret with 401 [assumed]; a 400 or 403 there
        // can only be about the credentials too.
        400 | 401 | 403 if is_token_call => authentication(credentials, status, message),
        401 => authentication(credentials, status, message),
        403 => IncydrError::Forbidden { operation, message },
        404 => IncydrError::NotFound {
            operation,
            subject: call.subject.clone(),
            message,
        },
        // The legacy API sent 400; match the code in any 4xx in case v1 chose another status.
        400..=499 if text.contains(ACTIVE_LEGAL_HOLD) => IncydrError::LegalHold {
            operation,
            subject: call.subject.clone(),
            message,
        },
        500..=599 => IncydrError::Server {
            operation,
            status,
            message,
        },
        _ => IncydrError::Rejected {
            operation,
            status,
            message,
        },
    }
}

fn authentication(credentials: &Credentials<'_>, status: u16, message: String) -> IncydrError {
    IncydrError::Authentication {
        client_id: credentials.client_id.to_owned(),
        status,
        message,
    }
}

/// Incydr's words for a refusal: a JSON body's `message` (Spring style, what the simulator
/// sends), else its `error` or `error_description`, else the body text; truncated.
pub(super) fn message_of(body: &str, status: StatusCode) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            ["message", "error_description", "error"]
                .iter()
                .find_map(|key| v.get(key)?.as_str().map(str::trim).map(str::to_owned))
                .filter(|m| !m.is_empty())
        });
    let message = from_json.unwrap_or_else(|| body.trim().to_owned());
    if message.is_empty() {
        return format!("HTTP {} without a message", status.as_u16());
    }
    truncate(&message, MAX_MESSAGE_CHARS)
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// An error body should never echo the secret, but if one did it must not reach a log.
fn redact(message: &str, secret: &str) -> String {
    if secret.is_empty() {
        message.to_owned()
    } else {
        message.replace(secret, "[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;
    use reqwest::header::HeaderMap;

    const CREDENTIALS: Credentials<'static> = Credentials {
        client_id: "key-1",
        secret: "hunter2",
    };

    fn received(status: u16, body: &str) -> Received {
        Received {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: axum::body::Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    fn deactivate() -> Call {
        Call::new("deactivateUser", Method::POST, "/v1/users/u1/deactivate").about("user u1")
    }

    #[test]
    fn the_message_comes_from_json_or_the_text() {
        let ok = StatusCode::BAD_REQUEST;
        assert_eq!(
            message_of(
                r#"{"status":400,"error":"Bad Request","message":"no such org"}"#,
                ok
            ),
            "no such org"
        );
        assert_eq!(
            message_of(r#"{"error":"invalid_client"}"#, ok),
            "invalid_client"
        );
        assert_eq!(message_of("  plain words ", ok), "plain words");
        assert_eq!(message_of("", ok), "HTTP 400 without a message");
        let long = "é".repeat(400);
        let cut = message_of(&long, ok);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn refusals_are_classified_by_status_and_code() {
        let call = deactivate();
        let held = classify(
            &call,
            &received(400, r#"{"message":"ACTIVE_LEGAL_HOLD: user is held"}"#),
            false,
            &CREDENTIALS,
        );
        match held {
            IncydrError::LegalHold {
                subject, message, ..
            } => {
                assert_eq!(subject, "user u1");
                assert!(message.contains(ACTIVE_LEGAL_HOLD));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(&call, &received(404, ""), false, &CREDENTIALS),
            IncydrError::NotFound { .. }
        ));
        assert!(matches!(
            classify(&call, &received(403, "{}"), false, &CREDENTIALS),
            IncydrError::Forbidden { .. }
        ));
        assert!(matches!(
            classify(&call, &received(502, "<html>"), false, &CREDENTIALS),
            IncydrError::Server { status: 502, .. }
        ));
        match classify(
            &call,
            &received(409, r#"{"message":"busy"}"#),
            false,
            &CREDENTIALS,
        ) {
            IncydrError::Rejected {
                status, message, ..
            } => {
                assert_eq!((status, message.as_str()), (409, "busy"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_token_endpoint_refusal_names_the_client_but_never_the_secret() {
        let call = Call::new("getToken", Method::POST, crate::model::routes::TOKEN);
        let e = classify(
            &call,
            &received(400, "bad credentials key-1:hunter2"),
            true,
            &CREDENTIALS,
        );
        let text = e.to_string();
        assert!(matches!(e, IncydrError::Authentication { status: 400, .. }));
        assert!(text.contains("key-1"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
