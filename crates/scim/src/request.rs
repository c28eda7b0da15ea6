//! What every handler needs from a request: its JSON body (whatever the Content-Type), who sent
//! it, and the base URL resources are located under; and how a resource is sent back.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::ScimSettings;
use super::auth::Caller;
use super::backend::RequestContext;
use super::error::{SCIM_CONTENT_TYPE, ScimError};
use super::etag::Preconditions;

/// A JSON request body. IdPs send `application/scim+json`, `application/json` or nothing as
/// Content-Type, so the body is read as JSON whatever the header says.
pub(crate) struct ScimBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for ScimBody {
    type Rejection = ScimError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = req.extensions().get::<BodyLimit>().map(|l| l.0);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ScimError::payload_too_large(limit.unwrap_or(super::limits::DEFAULT_MAX_BODY_BYTES))
            } else {
                ScimError::invalid_syntax(format!("cannot read the request body: {rejection}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ScimError::invalid_syntax("a JSON body is required"));
        }
        serde_json::from_slice(&bytes)
            .map(ScimBody)
            .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
    }
}

/// The configured body limit, for the 413 message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit(pub usize);

/// The caller and request, for the backend's logs and audit trail.
pub(crate) struct Ctx(pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let credential = parts
            .extensions
            .get::<Caller>()
            .map(|c| c.name.clone())
            .ok_or_else(|| ScimError::unauthorized("an Authorization: Bearer token is required"))?;
        Ok(Ctx(RequestContext {
            credential,
            method: parts.method.to_string(),
            // Inside the nested SCIM router the URI lacks the prefix; the audit log wants the
            // path the IdP called.
            path: parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| parts.uri.path(), |o| o.0.path())
                .to_owned(),
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            preconditions: Preconditions::from_headers(&parts.headers),
        }))
    }
}

/// The base URL resources are located under: the configured public URL, else the `Host` the
/// client used (which is what it can reach).
pub(crate) fn base_url(settings: &ScimSettings, headers: &HeaderMap) -> String {
    if let Some(url) = &settings.public_base_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}{}", settings.prefix)
}

/// A SCIM JSON response.
pub(crate) fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SCIM_CONTENT_TYPE),
    );
    response
}

/// One resource, with its version in the `ETag` header (RFC 7644 §3.14).
pub(crate) fn resource(status: StatusCode, body: &Value, version: &str) -> Response {
    let mut response = scim_json(status, body);
    if let Ok(tag) = HeaderValue::from_str(version) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// `304 Not Modified` for a read whose `If-None-Match` names the current version.
pub(crate) fn not_modified(version: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(tag) = HeaderValue::from_str(version) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
}

/// `201 Created` with `Location` (RFC 7644 §3.3) and `ETag`.
pub(crate) fn created(body: &Value, version: &str) -> Response {
    let mut response = resource(StatusCode::CREATED, body, version);
    if let Some(location) = body["meta"]["location"]
        .as_str()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

pub(crate) const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A ListResponse (RFC 7644 §3.4.2), with `startIndex`, `itemsPerPage` and `Resources` always set.
/// Not `scim_v2`'s `ListResponse`: it holds only its sealed resource types, not our projected JSON.
/// (Its `User` always has a `userName`, which `?attributes=id` removes; it has no type for an
/// arbitrary JSON resource.)
pub(crate) fn list_response(total: usize, start_index: usize, resources: Vec<Value>) -> Response {
    let body = serde_json::json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    scim_json(StatusCode::OK, &body)
}
