//! Reading what came back: a success body, or the typed [`LumAppsError`] a refusal becomes.
//!
//! Errors come in two shapes (v2 `{"errors":[…]}`, v1 `{"error":{…}}`), read by
//! [`ErrorReport::parse`]; anything else (an HTML page from a proxy) keeps its text, truncated.
//! The call id comes from the `LumApps-Call-Id` header, else the body's `callId`. Before any of
//! it is kept, every credential the call used (the client secret, the Basic header's value, the
//! bearer token) is cut out, in case a body echoes one.

use base64::Engine;
pub(super) use client_support::Received;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use super::call::Call;
use crate::error::LumAppsError;
use crate::model::{CALL_ID_HEADER, ErrorReport};

/// The longest message kept from an error body; bodies can be HTML error pages.
const MAX_MESSAGE_CHARS: usize = 300;

/// What replaces a credential in a message.
const REDACTED: &str = "[redacted]";

/// Words of a refusal to create something that exists (an e-mail or a feed name); LumApps'
/// exact wording is unknown, so a create's 400 is matched against these.
const DUPLICATE_WORDS: [&str; 5] = ["exist", "duplicate", "already", "conflict", "taken"];

/// The call id LumApps sent in the header of `received`, if any.
pub(super) fn header_call_id(received: &Received) -> Option<String> {
    received
        .headers
        .get(CALL_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Who the call authenticated as, and every credential a message must never show.
pub(super) struct Credentials<'a> {
    pub(super) client_id: &'a str,
    pub(super) admin_email: &'a str,
    /// The client secret, and the bearer token when the call carried one.
    pub(super) secrets: Vec<&'a str>,
}

impl Credentials<'_> {
    /// `message` with every secret, and the Basic header value built from it, cut out.
    pub(super) fn redact(&self, message: &str) -> String {
        let mut out = message.to_owned();
        for secret in self.secrets.iter().filter(|s| !s.is_empty()) {
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{secret}", self.client_id));
            out = out.replace(&basic, REDACTED).replace(secret, REDACTED);
        }
        out
    }
}

/// Decodes a 2xx body. An empty body reads as `{}`: LumApps answers some writes with nothing.
pub(super) fn decode<T: DeserializeOwned>(
    call: &Call,
    received: &Received,
) -> Result<T, LumAppsError> {
    let body: &[u8] = if received.body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &received.body
    };
    serde_json::from_slice(body).map_err(|e| LumAppsError::Decode {
        operation: call.operation,
        // Only where and what kind: serde's text can quote values, and a value may be a token.
        detail: format!(
            "HTTP {}: {:?} error at line {} column {}",
            received.status.as_u16(),
            e.classify(),
            e.line(),
            e.column()
        ),
        call_id: header_call_id(received),
    })
}

/// Turns a refusal (any non-2xx the retry policy is done with) into the error callers act on.
pub(super) fn classify(
    call: &Call,
    received: &Received,
    is_token_call: bool,
    credentials: &Credentials<'_>,
) -> LumAppsError {
    let status = received.status.as_u16();
    let text = credentials.redact(&String::from_utf8_lossy(&received.body));
    let report = ErrorReport::parse(text.as_bytes());
    let call_id =
        header_call_id(received).or_else(|| report.as_ref().and_then(|r| r.call_id.clone()));
    let message = message_of(report.as_ref(), &text, received.status);
    let operation = call.operation;
    let looks_duplicate = || {
        let said = format!(
            "{} {}",
            report
                .as_ref()
                .and_then(|r| r.code.as_deref())
                .unwrap_or(""),
            message
        )
        .to_lowercase();
        DUPLICATE_WORDS.iter().any(|w| said.contains(w))
    };
    match status {
        // The token endpoint answers a bad id or secret with 400 or 401 (OAuth style).
        400 | 401 if is_token_call => unauthorized(credentials, status, message, call_id),
        401 => unauthorized(credentials, status, message, call_id),
        403 => LumAppsError::Forbidden {
            operation,
            admin_email: credentials.admin_email.to_owned(),
            message,
            call_id,
        },
        404 => LumAppsError::NotFound {
            operation,
            subject: call.subject.clone(),
            message,
            call_id,
        },
        409 => conflict(call, status, message, call_id),
        400 if !call.idempotent && looks_duplicate() => conflict(call, status, message, call_id),
        500..=599 => LumAppsError::Server {
            operation,
            status,
            message,
            call_id,
        },
        _ => LumAppsError::Rejected {
            operation,
            status,
            message,
            call_id,
        },
    }
}

fn unauthorized(
    credentials: &Credentials<'_>,
    status: u16,
    message: String,
    call_id: Option<String>,
) -> LumAppsError {
    LumAppsError::Unauthorized {
        client_id: credentials.client_id.to_owned(),
        admin_email: credentials.admin_email.to_owned(),
        status,
        message,
        call_id,
    }
}

fn conflict(call: &Call, status: u16, message: String, call_id: Option<String>) -> LumAppsError {
    LumAppsError::Conflict {
        operation: call.operation,
        subject: call.subject.clone(),
        status,
        message,
        call_id,
    }
}

/// LumApps' words for a refusal: the parsed message, else the body text; truncated.
fn message_of(report: Option<&ErrorReport>, body: &str, status: StatusCode) -> String {
    let from_report = report
        .map(|r| r.message.trim())
        .filter(|m| !m.is_empty())
        .or_else(|| report.and_then(|r| r.code.as_deref()));
    let message = match from_report {
        Some(m) => m.to_owned(),
        None if report.is_some() => String::new(),
        None => body.trim().to_owned(),
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn credentials() -> Credentials<'static> {
        Credentials {
            client_id: "app-1",
            admin_email: "admin@x.io",
            secrets: vec!["hunter2", "tok-XYZ"],
        }
    }

    fn received(status: u16, body: &str) -> Received {
        Received {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: axum::body::Bytes::copy_from_slice(body.as_bytes()),
        }
    }

    fn create() -> Call {
        Call::new("user/save", Method::POST, "/x")
            .about("user ann@x.io")
            .not_idempotent()
    }

    #[test]
    fn refusals_are_classified_by_status_with_the_call_id() {
        let get = Call::new("user/get", Method::GET, "/x").about("user 1");
        let mut r = received(
            404,
            r#"{"errors":[{"code":"NOT_FOUND","detail":"Can't find user","status":"404"}]}"#,
        );
        r.headers
            .insert("LumApps-Call-Id", HeaderValue::from_static("call-7"));
        match classify(&get, &r, false, &credentials()) {
            LumAppsError::NotFound {
                subject,
                message,
                call_id,
                ..
            } => {
                assert_eq!(subject, "user 1");
                assert_eq!(message, "Can't find user");
                assert_eq!(call_id.as_deref(), Some("call-7"));
            }
            other => panic!("{other:?}"),
        }
        let forbidden = classify(
            &get,
            &received(
                403,
                r#"{"error":{"code":403,"message":"not admin"},"callId":"c2"}"#,
            ),
            false,
            &credentials(),
        );
        assert!(
            matches!(&forbidden, LumAppsError::Forbidden { admin_email, message, .. }
                if admin_email == "admin@x.io" && message == "not admin"),
            "{forbidden:?}"
        );
        assert_eq!(forbidden.call_id(), Some("c2"));
        assert!(matches!(
            classify(&get, &received(502, "<html>bad gateway</html>"), false, &credentials()),
            LumAppsError::Server { status: 502, ref message, .. } if message == "<html>bad gateway</html>"
        ));
        assert!(matches!(
            classify(&get, &received(400, ""), false, &credentials()),
            LumAppsError::Rejected { status: 400, ref message, .. } if message == "HTTP 400 without a message"
        ));
    }

    #[test]
    fn a_create_refused_for_a_taken_email_is_a_conflict() {
        let body = r#"{"error":{"code":400,"message":"A user with this email already exists"}}"#;
        assert!(matches!(
            classify(&create(), &received(400, body), false, &credentials()),
            LumAppsError::Conflict { status: 400, .. }
        ));
        // The same words on an update are not about a duplicate.
        let update = Call::new("user/save", Method::POST, "/x");
        assert!(matches!(
            classify(&update, &received(400, body), false, &credentials()),
            LumAppsError::Rejected { .. }
        ));
        assert!(matches!(
            classify(
                &create(),
                &received(400, r#"{"error":{"message":"bad lang"}}"#),
                false,
                &credentials()
            ),
            LumAppsError::Rejected { .. }
        ));
        assert!(matches!(
            classify(&update, &received(409, "{}"), false, &credentials()),
            LumAppsError::Conflict { status: 409, .. }
        ));
    }

    #[test]
    fn credentials_echoed_by_a_body_are_cut_out() {
        let token = Call::new("application-token", Method::POST, "/t");
        let e = classify(
            &token,
            &received(
                401,
                r#"{"error":"invalid_client","error_description":"bad secret hunter2 in Basic YXBwLTE6aHVudGVyMg== / tok-XYZ"}"#,
            ),
            true,
            &credentials(),
        );
        let (text, debug) = (e.to_string(), format!("{e:?}"));
        assert!(matches!(e, LumAppsError::Unauthorized { status: 401, .. }));
        assert!(text.contains("app-1"), "{text}");
        for shown in [&text, &debug] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("YXBwLTE6aHVudGVyMg=="), "{shown}");
            assert!(!shown.contains("tok-XYZ"), "{shown}");
        }
    }

    #[test]
    fn an_unreadable_success_names_no_value() {
        let call = Call::new("application-token", Method::POST, "/t");
        let e = decode::<crate::model::TokenResponse>(
            &call,
            &received(200, r#"{"access_token": 12, "x": "tok-XYZ"}"#),
        )
        .unwrap_err();
        assert!(matches!(e, LumAppsError::Decode { .. }));
        assert!(!format!("{e} {e:?}").contains("tok-XYZ"));
        // An empty 200 is an empty object.
        let empty: serde_json::Value = decode(&call, &received(200, "")).unwrap();
        assert_eq!(empty, serde_json::json!({}));
    }

    #[test]
    fn long_messages_are_truncated() {
        let long = "é".repeat(400);
        let cut = message_of(None, &long, StatusCode::BAD_REQUEST);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
