//! Answers in Allthenticate's flat style: `{"success": msg}` and `{"error": msg}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header::RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use crate::model::{ErrorBody, SuccessBody};

/// A refusal with `{"error": msg}`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(ErrorBody {
            error: message.into(),
        }),
    )
        .into_response()
}

/// A 400 with `{"error": msg}`: what Allthenticate answers an unknown user or a bad parameter.
pub(crate) fn bad_request(message: impl Into<String>) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

/// A 200 with `{"success": msg}`.
pub(crate) fn success(message: impl Into<String>) -> Response {
    Json(SuccessBody {
        success: message.into(),
    })
    .into_response()
}

/// 429, with `Retry-After` in seconds only when the fault says so.
pub(crate) fn too_many_requests(retry_after_secs: Option<u64>) -> Response {
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Dates as Flask's JSON encoder writes them, the format of the documented sample.
pub(crate) fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
