//! The SCIM 2.0 service provider (RFC 7643/7644): routes, request decoding, responses.
//!
//! This module speaks SCIM and nothing else. Handlers decode and validate what the IdP sent,
//! call a [`backend::UserBackend`] / [`backend::GroupBackend`], and render what comes back;
//! every failure leaves through [`error::ScimError`]. Where a request goes:
//! `users.rs` (`/Users`), `groups.rs` (`/Groups`), `roles.rs` (`/Roles`), `discovery.rs`
//! (`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`), all behind `limits.rs` (timeout),
//! `auth/` (who, and may they) and `rate_limit.rs` (how often), in that order. Bodies are read
//! leniently (`user.rs`, `group.rs`, `direct_roles.rs`), but a filter or PATCH path must name an
//! attribute RFC 7643 defines (`schema.rs`) and a name people read must hold no invisible or
//! control character (`text.rs`).

pub mod auth;
pub mod backend;
pub mod direct_roles;
mod discovery;
pub mod error;
pub mod etag;
pub mod group;
mod groups;
mod lenient;
pub mod limits;
pub mod patch;
pub mod query;
pub mod rate_limit;
mod request;
pub mod role;
mod roles;
pub mod schema;
pub mod telemetry;
pub mod text;
pub mod user;
mod users;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Extension, Router};

use auth::Credentials;
use backend::{GroupBackend, RoleBackend, UserBackend};
use error::ScimError;

/// Limits and addresses of the SCIM endpoint.
#[derive(Debug, Clone)]
pub struct ScimSettings {
    pub limits: limits::Limits,
    /// `https://bridge.example.com/scim/v2`, for `meta.location`; derived from `Host` if unset.
    pub public_base_url: Option<String>,
    /// Where the router is mounted (for locations derived from `Host`).
    pub prefix: String,
}

impl Default for ScimSettings {
    fn default() -> Self {
        Self {
            limits: limits::Limits::default(),
            public_base_url: None,
            prefix: "/scim/v2".to_owned(),
        }
    }
}

/// Shared by every handler.
pub(crate) struct ScimState<B> {
    pub backend: Arc<B>,
    pub settings: ScimSettings,
}

/// The SCIM routes, to be nested under `settings.prefix`.
pub fn router<B>(backend: Arc<B>, credentials: Arc<Credentials>, settings: ScimSettings) -> Router
where
    B: UserBackend + GroupBackend + RoleBackend,
{
    let max_body = settings.limits.max_body_bytes;
    let timeout = settings.limits.request_timeout;
    let overrides: HashMap<String, u32> = credentials
        .specs()
        .iter()
        .filter_map(|c| c.rate_limit_per_minute.map(|r| (c.name.clone(), r)))
        .collect();
    let limiter = Arc::new(rate_limit::RateLimiter::new(
        settings.limits.rate_limit,
        overrides,
    ));
    let state = Arc::new(ScimState { backend, settings });
    Router::new()
        .merge(users::routes::<B>())
        .merge(groups::routes::<B>())
        .merge(roles::routes::<B>())
        .merge(discovery::routes::<B>())
        .route("/.search", post(search_not_supported))
        .route("/Users/.search", post(search_not_supported))
        .route("/Groups/.search", post(search_not_supported))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(Extension(request::BodyLimit(max_body)))
        // Layers run outermost last-added: timeout, then authentication, then the rate limit.
        .layer(middleware::from_fn_with_state(limiter, rate_limit::limit))
        .layer(middleware::from_fn_with_state(
            credentials,
            auth::require_bearer,
        ))
        .layer(middleware::from_fn_with_state(timeout, limits::timeout))
}

/// A SCIM endpoint with nothing behind it: requests are authenticated as [`router`]'s are,
/// then answered 503 with `detail`. With no credentials every request is a 401 exactly like a
/// wrong token's, which is what a path of no tenant answers: a caller learns nothing of which
/// tenants exist.
pub fn unavailable(credentials: Arc<Credentials>, detail: String) -> Router {
    let answer = move || {
        let detail = detail.clone();
        async move { ScimError::unavailable(detail, Some(30)) }
    };
    Router::new()
        .fallback(answer.clone())
        .route("/", axum::routing::any(answer))
        .layer(middleware::from_fn_with_state(
            credentials,
            auth::require_bearer,
        ))
}

/// Searching by POST is optional (RFC 7644 §3.4.3); GET with `filter` does the same.
async fn search_not_supported() -> impl IntoResponse {
    ScimError::not_implemented("POST .search is not supported; use GET with ?filter=")
}

async fn not_found(uri: axum::http::Uri) -> impl IntoResponse {
    ScimError::not_found("resource", uri.path())
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> impl IntoResponse {
    ScimError::method_not_allowed(format!("{method} is not supported on {}", uri.path()))
}
