//! What happens to every API request before it reaches a handler.
//!
//! In order: count the call (by path), add the configured latency, apply any armed fault, and
//! check the API key. Faults come before authentication because a throttling or failing
//! gateway answers without looking at the key.

use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Simulator;
use super::auth::key_from;
use super::faults::Fault;
use super::reply::{error, too_many_requests};
use sim_support::Peer;
use sim_support::locks::lock;

pub(crate) async fn gateway(
    State(sim): State<Simulator>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_sim/") {
        // Controls are disabled (when enabled their routes are matched before this layer).
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    let method = request.method().as_str().to_owned();
    sim.inner.calls.record(&method, &path);
    let latency = *lock(&sim.inner.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match sim.inner.faults.take(&method, &path) {
        None => {}
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return error(status, "Injected fault");
        }
        Some(Fault::RateLimit { retry_after_secs }) => {
            return too_many_requests(retry_after_secs);
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
    let header = &sim.inner.config.key_header;
    let key = request
        .headers()
        .get(header.as_str())
        .and_then(|h| h.to_str().ok())
        .and_then(|value| key_from(header, value));
    let checked = lock(&sim.inner.keys).check(key.as_deref(), Instant::now());
    if let Err(refusal) = checked {
        return error(StatusCode::UNAUTHORIZED, refusal.message());
    }
    next.run(request).await
}
