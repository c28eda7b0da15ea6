//! Error answers in the Spring style the simulator assumes for Incydr.
//!
//! The real error body is unpublished; the simulator sends `{timestamp, status, error, message,
//! path}` (see [`ErrorBody`]) and puts text codes such as `ACTIVE_LEGAL_HOLD` in `message`, so a
//! client that classifies by status and matches codes as substrings of the body works with both.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header::RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::model::ErrorBody;

/// An error answer with a Spring-style body.
pub(crate) fn error(status: StatusCode, message: impl Into<String>, path: &str) -> Response {
    let body = ErrorBody {
        timestamp: Utc::now(),
        status: status.as_u16(),
        error: status.canonical_reason().unwrap_or("Error").to_owned(),
        message: message.into(),
        path: path.to_owned(),
    };
    (status, Json(body)).into_response()
}

/// 429, with `Retry-After` in seconds only when the fault says so.
pub(crate) fn too_many_requests(retry_after_secs: Option<u64>, path: &str) -> Response {
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests", path);
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// An empty 200, what activate, deactivate and move answer.
pub(crate) fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}
