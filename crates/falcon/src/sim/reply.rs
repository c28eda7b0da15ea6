//! Falcon reply bodies: the `{meta, errors, resources}` envelope every Falcon API reply uses.
//!
//! Handlers return a [`Reply`] describing *what* to answer; the gateway, which knows the trace
//! id, the start time and the rate-limit state, renders it. A `Reply` therefore travels from a
//! handler to the gateway inside the response extensions. This keeps every body on the wire
//! built in exactly one place, with the shared model types.

use std::time::Instant;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::model::{ApiError, Envelope, Meta, Pagination, Writes, headers};

use super::auth::TokenError;
use super::config::ErrorsStyle;
use super::fql::FqlError;
use super::paging::PagingError;
use super::params::RequestError;
use super::state::{DirectoryError, invalid_role_message};

/// `meta.powered_by` of the user-management service.
pub(crate) const FLIGHT_CONTROL: &str = "cs.flightcontrolapi";
/// `meta.powered_by` of the token service.
pub(crate) const CSAM: &str = "csam";
/// `meta.powered_by` of answers produced by the API gateway itself (401, 403, 404, 429).
pub(crate) const GATEWAY: &str = "crowdstrike-api-gateway";

#[derive(Debug, Clone)]
enum Content {
    Resources(Vec<Value>),
    MetaOnly,
    Errors(Vec<ApiError>),
    /// A body that is not an envelope (the token reply).
    Raw(Value),
}

/// What to answer, before trace id, timing and rate-limit headers are known.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    status: StatusCode,
    content: Content,
    powered_by: &'static str,
    pagination: Option<Pagination>,
    writes: Option<u64>,
    headers: Vec<(HeaderName, String)>,
}

/// What a handler's `Result` looks like: both arms are replies.
pub(crate) type Outcome = Result<Reply, Reply>;

impl Reply {
    fn new(status: StatusCode, content: Content) -> Self {
        Self {
            status,
            content,
            powered_by: FLIGHT_CONTROL,
            pagination: None,
            writes: None,
            headers: Vec::new(),
        }
    }

    /// `status` with `resources` = `items`.
    pub(crate) fn resources<T: Serialize>(
        status: StatusCode,
        items: impl IntoIterator<Item = T>,
    ) -> Self {
        let values = items
            .into_iter()
            .map(|item| serde_json::to_value(item).unwrap_or_default())
            .collect();
        Self::new(status, Content::Resources(values))
    }

    /// 200 with `resources` = `items`.
    pub(crate) fn ok<T: Serialize>(items: impl IntoIterator<Item = T>) -> Self {
        Self::resources(StatusCode::OK, items)
    }

    /// 200 with a meta-only body (no `resources` key).
    pub(crate) fn meta_only() -> Self {
        Self::new(StatusCode::OK, Content::MetaOnly)
    }

    /// A non-envelope body.
    pub(crate) fn raw<T: Serialize>(status: StatusCode, body: &T) -> Self {
        Self::new(
            status,
            Content::Raw(serde_json::to_value(body).unwrap_or_default()),
        )
    }

    /// `status` with one errors entry.
    pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Self {
        Self::errors(status, vec![message.into()])
    }

    /// `status` with one errors entry per message.
    pub(crate) fn errors(status: StatusCode, messages: Vec<String>) -> Self {
        let code = i64::from(status.as_u16());
        let errors = messages
            .into_iter()
            .map(|message| ApiError {
                code,
                message,
                id: None,
            })
            .collect();
        Self::new(status, Content::Errors(errors))
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::error(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn powered_by(mut self, powered_by: &'static str) -> Self {
        self.powered_by = powered_by;
        self
    }

    pub(crate) fn with_pagination(mut self, pagination: Pagination) -> Self {
        self.pagination = Some(pagination);
        self
    }

    pub(crate) fn with_writes(mut self, resources_affected: u64) -> Self {
        self.writes = Some(resources_affected);
        self
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: impl ToString) -> Self {
        self.headers
            .push((HeaderName::from_static(name), value.to_string()));
        self
    }

    #[cfg(test)]
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// Builds the HTTP response.
    pub(crate) fn render(
        self,
        trace_id: &str,
        started: Instant,
        errors_style: ErrorsStyle,
    ) -> Response {
        let success = self.status.is_success();
        let meta = Meta {
            query_time: started.elapsed().as_secs_f64(),
            trace_id: trace_id.to_owned(),
            powered_by: Some(self.powered_by.to_owned()),
            pagination: self.pagination,
            writes: self
                .writes
                .map(|resources_affected| Writes { resources_affected }),
        };
        let success_errors = match errors_style {
            ErrorsStyle::Empty => Some(Vec::new()),
            ErrorsStyle::Absent | ErrorsStyle::Null => None,
        };
        let body = match self.content {
            Content::Raw(value) => value,
            Content::Resources(items) => envelope(meta, success_errors, Some(items)),
            Content::MetaOnly => envelope(meta, success_errors, None),
            Content::Errors(errors) => envelope(meta, Some(errors), None),
        };
        let body = match body {
            // The shared Envelope type cannot express an explicit null, so add it afterwards.
            Value::Object(mut map) if success && errors_style == ErrorsStyle::Null => {
                map.insert("errors".to_owned(), Value::Null);
                Value::Object(map)
            }
            other => other,
        };
        let mut response = Response::new(Body::from(body.to_string()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(value) = HeaderValue::from_str(trace_id) {
            headers.insert(headers::TRACE_ID, value);
        }
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        response
    }
}

fn envelope(meta: Meta, errors: Option<Vec<ApiError>>, resources: Option<Vec<Value>>) -> Value {
    serde_json::to_value(Envelope {
        meta,
        errors,
        resources,
    })
    .unwrap_or_default()
}

/// A handler's reply in transit to the gateway.
#[derive(Debug, Clone)]
struct Pending(Reply);

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self.status;
        response.extensions_mut().insert(Pending(self));
        response
    }
}

/// Takes the reply a handler left in `response`, if any.
pub(crate) fn take_pending(response: &mut Response) -> Option<Reply> {
    response
        .extensions_mut()
        .remove::<Pending>()
        .map(|Pending(reply)| reply)
}

impl From<DirectoryError> for Reply {
    fn from(err: DirectoryError) -> Self {
        match err {
            DirectoryError::InvalidRoles(ids) => Self::errors(
                StatusCode::BAD_REQUEST,
                ids.iter().map(|id| invalid_role_message(id)).collect(),
            ),
            other => Self::bad_request(other.to_string()),
        }
    }
}

impl From<TokenError> for Reply {
    fn from(err: TokenError) -> Self {
        Self::error(err.status(), err.to_string()).powered_by(CSAM)
    }
}

impl From<PagingError> for Reply {
    fn from(err: PagingError) -> Self {
        Self::bad_request(err.to_string())
    }
}

impl From<FqlError> for Reply {
    fn from(err: FqlError) -> Self {
        Self::bad_request(err.to_string())
    }
}

impl From<RequestError> for Reply {
    fn from(err: RequestError) -> Self {
        Self::bad_request(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or_default()
    }

    #[tokio::test]
    async fn success_envelope_follows_errors_style() {
        let render = |style| Reply::ok(["a"]).render("t-1", Instant::now(), style);
        let absent = body_of(render(ErrorsStyle::Absent)).await;
        assert!(absent.get("errors").is_none());
        assert_eq!(absent["resources"], serde_json::json!(["a"]));
        assert_eq!(absent["meta"]["powered_by"], FLIGHT_CONTROL);
        assert_eq!(absent["meta"]["trace_id"], "t-1");
        assert!(absent["meta"]["query_time"].is_f64());
        assert!(absent["meta"].get("pagination").is_none());
        assert_eq!(
            body_of(render(ErrorsStyle::Empty)).await["errors"],
            serde_json::json!([])
        );
        let null = body_of(render(ErrorsStyle::Null)).await;
        assert!(null.get("errors").is_some_and(Value::is_null));
    }

    #[tokio::test]
    async fn errors_and_meta_only_have_no_resources() {
        let response = Reply::bad_request("nope").render("t", Instant::now(), ErrorsStyle::Null);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response
                .headers()
                .get(headers::TRACE_ID)
                .map(|v| v.as_bytes()),
            Some(&b"t"[..])
        );
        let body = body_of(response).await;
        assert_eq!(
            body["errors"],
            serde_json::json!([{"code":400,"message":"nope"}])
        );
        assert!(body.get("resources").is_none());
        let body =
            body_of(Reply::meta_only().render("t", Instant::now(), ErrorsStyle::Absent)).await;
        assert!(body.get("resources").is_none() && body.get("errors").is_none());
    }

    #[test]
    fn replies_survive_the_trip_through_extensions() {
        let mut response = Reply::meta_only().with_writes(1).into_response();
        let reply = take_pending(&mut response);
        assert_eq!(
            reply.map(|r| (r.status(), r.writes)),
            Some((StatusCode::OK, Some(1)))
        );
        assert!(take_pending(&mut response).is_none());
    }
}
