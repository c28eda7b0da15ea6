//! The two error shapes and the call id every answer carries.
//!
//! v1 ("lumsites", Google Cloud Endpoints) errors are
//! `{"error":{"code":400,"message":"…","errors":[{"domain":"global","reason":"…","message":"…"}]}}`;
//! v2 errors are JSON:API-like `{"errors":[{"code":"NOT_FOUND","detail":"…","title":"Not found",
//! "status":"404"}]}`. Every answer, error or not, carries a fresh `LumApps-Call-Id` header
//! (set by the gateway); v1 listings also repeat it as `callId` in the body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header::RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The header naming one call, on every answer.
pub const CALL_ID_HEADER: &str = "LumApps-Call-Id";

/// The id of the call being answered, as a request extension set by the gateway.
#[derive(Debug, Clone)]
pub(crate) struct CallId(pub String);

impl CallId {
    pub(crate) fn new() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }
}

/// The `reason` Cloud Endpoints gives for a status.
fn reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "required",
        403 => "forbidden",
        404 => "notFound",
        405 => "methodNotAllowed",
        409 => "conflict",
        429 => "rateLimitExceeded",
        503 => "backendError",
        _ => "backendError",
    }
}

/// A v1 error answer.
pub(crate) fn v1_error(status: StatusCode, message: impl Into<String>) -> Response {
    let message = message.into();
    let body = json!({
        "error": {
            "code": status.as_u16(),
            "message": message,
            "errors": [{ "domain": "global", "reason": reason(status), "message": message }],
        }
    });
    (status, Json(body)).into_response()
}

/// A v2 error answer; `code` is the upper-case error code (`UNAUTHORIZED`, `NOT_FOUND`, …).
pub(crate) fn v2_error(status: StatusCode, code: &str, detail: impl Into<String>) -> Response {
    let body = json!({
        "errors": [{
            "code": code,
            "detail": detail.into(),
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16().to_string(),
        }]
    });
    (status, Json(body)).into_response()
}

/// An error in the shape of the API `path` belongs to (v2 for `/v2/…`, v1 otherwise).
pub(crate) fn error_for(path: &str, status: StatusCode, message: impl Into<String>) -> Response {
    if path.starts_with("/v2/") {
        let code = status
            .canonical_reason()
            .unwrap_or("ERROR")
            .to_uppercase()
            .replace(' ', "_");
        v2_error(status, &code, message)
    } else {
        v1_error(status, message)
    }
}

/// 429, with `Retry-After` in seconds only when the fault says so.
pub(crate) fn too_many_requests(path: &str, retry_after_secs: Option<u64>) -> Response {
    let mut response = error_for(path, StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// 200 with a JSON body.
pub(crate) fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn both_error_shapes() {
        let v1 = body(v1_error(StatusCode::NOT_FOUND, "no such user")).await;
        assert_eq!(v1["error"]["code"], 404);
        assert_eq!(v1["error"]["errors"][0]["reason"], "notFound");
        assert_eq!(v1["error"]["errors"][0]["message"], "no such user");
        let v2 = body(error_for("/v2/x", StatusCode::NOT_FOUND, "gone")).await;
        assert_eq!(v2["errors"][0]["code"], "NOT_FOUND");
        assert_eq!(v2["errors"][0]["status"], "404");
        assert_eq!(v2["errors"][0]["title"], "Not Found");
        let limited = too_many_requests("/_ah/api/lumsites/v1/user/list", Some(3));
        assert_eq!(limited.headers()[RETRY_AFTER], "3");
    }
}
