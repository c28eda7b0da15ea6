//! The HTTP application: the SCIM router under its prefix, health endpoints at the root, the
//! tower layers every request passes (request id, tracing), and graceful shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderName, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::target::ConfiguredTarget;
use crate::telemetry::metrics as names;
use bridge::store::Store;
use target_api::{Auth, Target};

pub const SCIM_PREFIX: &str = "/scim/v2";
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What `/readyz` looks at. Probes cost no call to the target: they read its token cache
/// ([`Target::credentials_accepted_at`]).
#[derive(Clone)]
pub struct Readiness {
    pub store: Store,
    pub target: ConfiguredTarget,
    /// A token older than this (or none) means access to the target is not proven.
    pub max_token_age: Duration,
}

pub fn app(scim: Router, readiness: Readiness) -> Router {
    names::install();
    Router::new()
        .nest(SCIM_PREFIX, scim.layer(middleware::from_fn(measure)))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz).with_state(Arc::new(readiness)))
        .route("/metrics", get(render_metrics))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                // The path only: query strings can carry filters with e-mail addresses.
                tracing::info_span!(
                    "request",
                    method = %req.method(),
                    path = %req.uri().path(),
                    request_id = %id,
                    credential = tracing::field::Empty,
                )
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Counts and times every SCIM request by route pattern (never the id: bounded cardinality).
async fn measure(request: Request<Body>, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!(names::SCIM_REQUESTS, &labels).increment(1);
    metrics::histogram!(names::SCIM_REQUEST_SECONDS, &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn render_metrics() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        names::handle().render(),
    )
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(r): State<Arc<Readiness>>) -> impl IntoResponse {
    let mut problems = Vec::new();
    if let Err(e) = r.store.ping().await {
        problems.push(json!({"component": "store", "problem": e.to_string()}));
    }
    let token_age = r
        .target
        .credentials_accepted_at()
        .and_then(|t| SystemTime::now().duration_since(t).ok());
    // The component is the target's key ("falcon", "incydr"), as in the metric labels.
    let naming = r.target.capabilities().naming;
    // A static key is proven by the last call that it carried, a token by obtaining it.
    let product = naming.product;
    let key = matches!(r.target.capabilities().auth, Auth::StaticApiKey);
    match token_age {
        Some(age) if age <= r.max_token_age => {}
        Some(_) => problems.push(json!({
            "component": naming.key,
            "problem": if key {
                format!("{product} has not accepted the API key recently")
            } else {
                format!("no {product} token obtained recently")
            },
        })),
        None => problems.push(json!({
            "component": naming.key,
            "problem": if key {
                format!("{product} has not accepted the API key; see the log for why")
            } else {
                format!("no valid {product} token; see the log for why")
            },
        })),
    }
    if problems.is_empty() {
        (StatusCode::OK, Json(json!({"status": "ready"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not ready", "problems": problems})),
        )
    }
}

/// Resolves on Ctrl-C or SIGTERM (what orchestrators send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested; finishing requests in flight");
}
