//! Reading what came back: a success body, or the typed [`AllthenticateError`] a refusal
//! becomes.
//!
//! Allthenticate answers every refusal with `{"error": msg}` and a status: 401 for a bad key
//! (403 is read the same way), 400 for an unknown user and for any other refusal, 500 for its
//! own failures. A 400 is therefore told apart by its words: a message that says the user (or
//! invite, or group) is not there is [`AllthenticateError::NotFound`], anything else
//! [`AllthenticateError::Rejected`].

use client_support::Received;
use serde::de::DeserializeOwned;

use super::call::Call;
use crate::error::AllthenticateError;

/// The longest message kept from an error body; bodies can be HTML error pages.
const MAX_MESSAGE_CHARS: usize = 300;

/// Words of a 400 that mean "not there" (compared in lower case).
const NOT_FOUND_WORDS: [&str; 7] = [
    "not found",
    "no user",
    "does not exist",
    "doesn't exist",
    "unknown user",
    "no such",
    "no pending invite",
];

/// What a refusal is read with: the key to redact and the header to name.
pub(super) struct Redaction<'a> {
    pub(super) key: &'a str,
    pub(super) header: &'a str,
}

/// Decodes a 2xx body.
pub(super) fn decode<T: DeserializeOwned>(
    call: &Call,
    received: &Received,
) -> Result<T, AllthenticateError> {
    serde_json::from_slice(&received.body).map_err(|e| AllthenticateError::Unreadable {
        operation: call.operation,
        detail: format!("HTTP {}: {e}", received.status.as_u16()),
    })
}

/// Turns a refusal (any non-2xx the retry policy is done with) into the error callers act on.
pub(super) fn classify(
    call: &Call,
    received: &Received,
    redaction: &Redaction<'_>,
) -> AllthenticateError {
    let status = received.status.as_u16();
    let text = String::from_utf8_lossy(&received.body);
    let message = redact(&message_of(&text, status), redaction.key);
    let operation = call.operation;
    let lower = message.to_lowercase();
    match status {
        401 | 403 => AllthenticateError::Unauthorized {
            operation,
            status,
            header: redaction.header.to_owned(),
            message,
        },
        404 => AllthenticateError::NotFound {
            operation,
            subject: call.subject.clone(),
            message,
        },
        400 if NOT_FOUND_WORDS.iter().any(|w| lower.contains(w)) => AllthenticateError::NotFound {
            operation,
            subject: call.subject.clone(),
            message,
        },
        500..=599 => AllthenticateError::Server {
            operation,
            status,
            message,
        },
        _ => AllthenticateError::Rejected {
            operation,
            subject: call.subject.clone(),
            status,
            message,
        },
    }
}

/// Allthenticate's words for a refusal: a JSON body's `error` (its documented shape), else its
/// `message`, else the body text; truncated.
pub(super) fn message_of(body: &str, status: u16) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            ["error", "message"]
                .iter()
                .find_map(|key| v.get(key)?.as_str().map(str::trim).map(str::to_owned))
                .filter(|m| !m.is_empty())
        });
    let message = from_json.unwrap_or_else(|| body.trim().to_owned());
    if message.is_empty() {
        return format!("HTTP {status} without a message");
    }
    truncate(&message, MAX_MESSAGE_CHARS)
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// An error body should never echo the key, but if one did it must not reach a log.
fn redact(message: &str, key: &str) -> String {
    if key.is_empty() {
        message.to_owned()
    } else {
        message.replace(key, "[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use reqwest::header::HeaderMap;
    use reqwest::{Method, StatusCode};

    const REDACTION: Redaction<'static> = Redaction {
        key: "k-secret-1",
        header: "Authorization",
    };

    fn received(status: u16, body: &str) -> Received {
        Received {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    fn toggle() -> Call {
        Call::new("toggleSuspension", Method::POST, "/togglesuspension").about("email_id 5")
    }

    #[test]
    fn the_message_comes_from_the_error_field_or_the_text() {
        assert_eq!(
            message_of(r#"{"error":"User not found"}"#, 400),
            "User not found"
        );
        assert_eq!(message_of(r#"{"message":"bad"}"#, 400), "bad");
        assert_eq!(message_of("  plain words ", 400), "plain words");
        assert_eq!(message_of("", 502), "HTTP 502 without a message");
        let cut = message_of(&"é".repeat(400), 500);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn refusals_are_classified_by_status_and_words() {
        let call = toggle();
        match classify(
            &call,
            &received(
                400,
                r#"{"error":"User not found: no user with email_id 5"}"#,
            ),
            &REDACTION,
        ) {
            AllthenticateError::NotFound { subject, .. } => assert_eq!(subject, "email_id 5"),
            other => panic!("{other:?}"),
        }
        match classify(
            &call,
            &received(400, r#"{"error":"Invalid rank X"}"#),
            &REDACTION,
        ) {
            AllthenticateError::Rejected {
                status, message, ..
            } => {
                assert_eq!((status, message.as_str()), (400, "Invalid rank X"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(&call, &received(403, "{}"), &REDACTION),
            AllthenticateError::Unauthorized { status: 403, .. }
        ));
        assert!(matches!(
            classify(&call, &received(502, "<html>"), &REDACTION),
            AllthenticateError::Server { status: 502, .. }
        ));
    }

    #[test]
    fn an_echoed_key_is_redacted() {
        let e = classify(
            &toggle(),
            &received(401, r#"{"error":"key k-secret-1 expired"}"#),
            &REDACTION,
        );
        let text = format!("{e} {e:?}");
        assert!(!text.contains("k-secret-1"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}
