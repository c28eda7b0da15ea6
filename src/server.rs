//! The HTTP application: each tenant's SCIM router under its path, health endpoints at the
//! root, the tower layers every request passes (request id, tracing, the tenant's label), and
//! graceful shutdown.

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

use crate::config::TenantName;
use crate::target::ConfiguredTarget;
use crate::telemetry::metrics as names;
use crate::telemetry::tenant_label;
use bridge::store::Store;
use scim::auth::Credentials;
use target_api::{Auth, Target};
use tracing::Instrument;

pub const SCIM_PREFIX: &str = "/scim/v2";
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What `/readyz` looks at for one tenant. Probes cost no call to the target: they read its
/// token cache ([`Target::credentials_accepted_at`]).
#[derive(Clone)]
pub struct Readiness {
    /// `None`: the one tenant of a bridge without tenants.
    pub tenant: Option<TenantName>,
    pub store: Store,
    pub target: ConfiguredTarget,
    /// A token older than this (or none) means access to the target is not proven.
    pub max_token_age: Duration,
}

/// A tenant as `/readyz` and `/metrics` see it.
#[derive(Clone)]
pub enum TenantState {
    Started(Readiness),
    /// It did not start (its configuration contradicts its target); its endpoint answers 503.
    Failed {
        tenant: TenantName,
        problem: String,
    },
}

/// One tenant's SCIM routes and where they are mounted.
pub struct Mount {
    pub path: String,
    pub routes: Router,
    /// The `tenant` label of what its requests record; `None` without tenants.
    pub tenant: Option<Arc<str>>,
}

/// How often the `bridge_tenant_ready` gauge is brought up to date.
const TENANT_READINESS_EVERY: Duration = Duration::from_secs(15);

/// The whole HTTP application: each tenant's SCIM routes at its path, the probes and
/// `/metrics` at the root. With `several` tenants, a path under `/t/` of no tenant answers the
/// 401 a wrong token gets, so that paths reveal no tenant, and `/readyz` stays ready while any
/// tenant is not (each tenant's readiness is in its body and, through
/// [`watch_tenant_readiness`], in `/metrics`).
pub fn app(mounts: Vec<Mount>, several: bool, tenants: Vec<TenantState>) -> Router {
    names::install();
    let mut app = Router::new();
    for mount in mounts {
        let mut routes = mount.routes.layer(middleware::from_fn(measure));
        if let Some(tenant) = mount.tenant {
            routes = routes.layer(middleware::from_fn(
                move |request: Request<Body>, next: Next| {
                    let tenant = tenant.clone();
                    let span = tracing::info_span!("tenant", tenant = %tenant);
                    tenant_label::scoped(Some(tenant), next.run(request)).instrument(span)
                },
            ));
        }
        app = app.nest(&mount.path, routes);
    }
    if several {
        let nobody = Arc::new(Credentials::new(Vec::new()));
        app = app.nest(
            "/t/{tenant}",
            scim::unavailable(nobody, "no such tenant".to_owned()),
        );
    }
    let readiness = Arc::new(Probes { several, tenants });
    app.route("/healthz", get(healthz))
        .route("/readyz", get(readyz).with_state(readiness))
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
    // A tenant's routes are named as a single bridge's: its `tenant` label tells them apart.
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || "unmatched".to_owned(),
        |p| match p.as_str().strip_prefix("/t/") {
            Some(rest) => rest.find('/').map_or(rest, |i| &rest[i..]).to_owned(),
            None => p.as_str().to_owned(),
        },
    );
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

struct Probes {
    several: bool,
    tenants: Vec<TenantState>,
}

async fn readyz(State(probes): State<Arc<Probes>>) -> impl IntoResponse {
    if !probes.several {
        let problems = match probes.tenants.first() {
            Some(TenantState::Started(r)) => problems_of(r).await,
            _ => Vec::new(),
        };
        return if problems.is_empty() {
            (StatusCode::OK, Json(json!({"status": "ready"})))
        } else {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "not ready", "problems": problems})),
            )
        };
    }
    // The configuration is valid (the process started): one tenant's target or store must not
    // take the others out of the load balancer.
    let mut tenants = serde_json::Map::new();
    for (name, problems) in tenant_problems(&probes.tenants).await {
        let state = if problems.is_empty() {
            json!({"status": "ready"})
        } else {
            json!({"status": "not ready", "problems": problems})
        };
        tenants.insert(name, state);
    }
    (
        StatusCode::OK,
        Json(json!({"status": "ready", "tenants": tenants})),
    )
}

/// Each tenant's name and what keeps it from being ready.
async fn tenant_problems(tenants: &[TenantState]) -> Vec<(String, Vec<serde_json::Value>)> {
    let mut all = Vec::new();
    for state in tenants {
        match state {
            TenantState::Started(r) => {
                let name = r
                    .tenant
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                all.push((name, problems_of(r).await));
            }
            TenantState::Failed { tenant, problem } => all.push((
                tenant.to_string(),
                vec![json!({"component": "configuration", "problem": problem})],
            )),
        }
    }
    all
}

/// Sets `bridge_tenant_ready{tenant}` to 1 or 0 every few seconds, until dropped.
pub async fn watch_tenant_readiness(tenants: Vec<TenantState>) {
    loop {
        for (name, problems) in tenant_problems(&tenants).await {
            let ready = if problems.is_empty() { 1.0 } else { 0.0 };
            metrics::gauge!(names::TENANT_READY, "tenant" => name).set(ready);
        }
        tokio::time::sleep(TENANT_READINESS_EVERY).await;
    }
}

async fn problems_of(r: &Readiness) -> Vec<serde_json::Value> {
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
    problems
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
