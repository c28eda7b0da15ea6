//! What happens to every API request before it reaches a handler, and to every answer after.
//!
//! In order: give the call an id, count it (by path template), apply any armed fault, and for
//! v1 paths check the bearer token, that the impersonated user still exists and is enabled, and
//! for writes that it is a global administrator (`isSuperAdmin`). Faults come before
//! authentication because a throttling or failing gateway answers without looking at the
//! token. Whatever the outcome, the answer leaves with the `LumApps-Call-Id` header.

use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::Simulator;
use super::auth::bearer_token;
use super::faults::Fault;
use super::reply::{CALL_ID_HEADER, CallId, error_for, too_many_requests, v1_error};
use super::templates::{V1, WRITES, template};
use sim_support::Peer;
use sim_support::locks::{lock, read};

/// The user a v1 call's token impersonates, as a request extension.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub user_id: String,
}

pub(crate) async fn gateway(
    State(sim): State<Simulator>,
    mut request: Request,
    next: Next,
) -> Response {
    let call_id = CallId::new();
    request.extensions_mut().insert(call_id.clone());
    let mut response = pass(&sim, request, next).await;
    if let Ok(value) = HeaderValue::from_str(&call_id.0) {
        response.headers_mut().insert(CALL_ID_HEADER, value);
    }
    response
}

async fn pass(sim: &Simulator, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().as_str().to_owned();
    let template = template(&path);
    sim.inner.calls.record(&method, &template);
    match sim.inner.faults.take(&method, &path, &template) {
        None => {}
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error_for(&path, status, "Injected fault");
        }
        Some(Fault::RateLimit { retry_after_secs }) => {
            return too_many_requests(&path, retry_after_secs);
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Drop) => {
            match request.extensions().get::<ConnectInfo<Peer>>() {
                // The response below is never written: the tripped stream fails all I/O.
                Some(ConnectInfo(peer)) => peer.switch.trip(),
                None => tracing::warn!("drop fault outside a spawned server: answering 503"),
            }
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    if path.starts_with(V1) {
        let token = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(bearer_token);
        let checked = lock(&sim.inner.tokens).check(token, Instant::now());
        let user_id = match checked {
            Ok(user_id) => user_id,
            Err(refusal) => return v1_error(StatusCode::UNAUTHORIZED, refusal.message()),
        };
        let admin = {
            let directory = read(&sim.inner.directory);
            match directory.user(&user_id) {
                Some(user) if user.get("status") == Some(&Value::from("enabled")) => {
                    user.get("isSuperAdmin") == Some(&Value::Bool(true))
                }
                _ => {
                    return v1_error(
                        StatusCode::UNAUTHORIZED,
                        format!("Invalid Credentials: user '{user_id}' is gone or disabled"),
                    );
                }
            }
        };
        if !admin && WRITES.contains(&template.as_str()) {
            return v1_error(
                StatusCode::FORBIDDEN,
                format!("User '{user_id}' is not allowed to do this: global administrators only"),
            );
        }
        request.extensions_mut().insert(Caller { user_id });
    }
    next.run(request).await
}
