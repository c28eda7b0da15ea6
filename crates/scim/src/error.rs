//! The one place a failure becomes a SCIM error response (RFC 7644 §3.12).
//!
//! Everything below the HTTP layer returns a [`ScimError`]; its `IntoResponse` writes the SCIM
//! error body (`status` as a string, as the RFC's examples and Okta's validator expect), the
//! `application/scim+json` content type and, for 429 and 503, a `Retry-After` header. The
//! `scimType` values and the body are `scim_v2`'s RFC 7644 models ([`ScimType`], `ScimHttpError`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use scim_v2::models::errors::ScimHttpError;
pub use scim_v2::models::errors::ScimType;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {}: {detail}", scim_type.as_ref().map_or("-", ScimType::as_str))]
pub struct ScimError {
    pub status: StatusCode,
    /// RFC 7644 Table 9 `scimType`, when one applies.
    pub scim_type: Option<ScimType>,
    pub detail: String,
    pub retry_after_secs: Option<u64>,
}

impl ScimError {
    fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
            retry_after_secs: None,
        }
    }

    /// A 400 with its RFC 7644 Table 9 `scimType`.
    fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(resource: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            None,
            format!("{resource} {id} not found"),
        )
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidFilter, detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidPath, detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }

    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::NoTarget, detail)
    }

    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, Some(ScimType::Uniqueness), detail)
    }

    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Mutability, detail)
    }

    /// 412: the request's `If-Match` names a version the resource no longer has (RFC 7644
    /// §3.14; Table 9 has no `scimType` for it).
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, None, detail)
    }

    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::TooMany, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, None, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, None, detail)
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("the request body is larger than {limit_bytes} bytes"),
        )
    }

    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, None, detail)
    }

    pub fn not_implemented(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, None, detail)
    }

    pub fn rate_limited(detail: impl Into<String>, retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, None, detail)
        }
    }

    pub fn unavailable(detail: impl Into<String>, retry_after_secs: Option<u64>) -> Self {
        Self {
            retry_after_secs,
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, None, detail)
        }
    }

    /// The request took longer than the configured timeout (504).
    pub fn timeout(limit: std::time::Duration) -> Self {
        Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            None,
            format!(
                "the request took longer than {} s and was abandoned; a Falcon change it started \
                 may still complete, and retrying is safe",
                limit.as_secs_f64()
            ),
        )
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, detail)
    }

    /// The SCIM error body: `schemas`, `status` (a string), `detail`, and `scimType` if any.
    pub fn body(&self) -> serde_json::Value {
        let body = ScimHttpError {
            schemas: vec![ERROR_SCHEMA.to_owned()],
            scim_type: self.scim_type.clone(),
            detail: Some(self.detail.clone()),
            status: self.status.as_u16().to_string(),
        };
        serde_json::to_value(body).expect("an error body is plain strings")
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, detail = %self.detail, "SCIM request failed");
        } else {
            tracing::debug!(status = %self.status, detail = %self.detail, "SCIM request refused");
        }
        let mut response = (self.status, self.body().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCIM_CONTENT_TYPE),
        );
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"falcon-scim-bridge\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_string_status_and_scim_type() {
        let body = ScimError::uniqueness("taken").body();
        assert_eq!(body["status"], "409");
        assert_eq!(body["scimType"], "uniqueness");
        assert_eq!(body["schemas"][0], ERROR_SCHEMA);
        assert!(
            ScimError::not_found("User", "x")
                .body()
                .get("scimType")
                .is_none()
        );
    }

    #[test]
    fn body_bytes_and_scim_type_strings() {
        assert_eq!(
            ScimError::too_many("a \"b\"").body().to_string(),
            r#"{"detail":"a \"b\"","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"scimType":"tooMany","status":"400"}"#
        );
        assert_eq!(
            ScimError::forbidden("no").body().to_string(),
            r#"{"detail":"no","schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"403"}"#
        );
        for (error, wire) in [
            (ScimError::invalid_value("d"), "invalidValue"),
            (ScimError::invalid_filter("d"), "invalidFilter"),
            (ScimError::invalid_path("d"), "invalidPath"),
            (ScimError::invalid_syntax("d"), "invalidSyntax"),
            (ScimError::no_target("d"), "noTarget"),
            (ScimError::uniqueness("d"), "uniqueness"),
            (ScimError::mutability("d"), "mutability"),
            (ScimError::too_many("d"), "tooMany"),
        ] {
            assert_eq!(error.body()["scimType"], wire);
            assert_eq!(error.to_string(), format!("{} {wire}: d", error.status));
        }
        assert_eq!(
            ScimError::internal("d").to_string(),
            "500 Internal Server Error -: d"
        );
    }

    #[test]
    fn retry_after_reaches_the_header() {
        let response = ScimError::rate_limited("slow down", 7).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        assert_eq!(response.headers()[header::CONTENT_TYPE], SCIM_CONTENT_TYPE);
    }
}
