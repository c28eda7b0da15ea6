//! The Falcon user-management client: HTTP, token cache and refresh, retries, 429 pacing,
//! batching and pagination.
//!
//! Every call goes through [`FalconClient::execute`], which owns the policy: wait for the shared
//! rate budget, take a concurrency permit, attach a fresh token, and on failure either retry
//! (401 once with a new token; 429 after `X-RateLimit-RetryAfter` within a bound; 5xx and
//! transport errors with backoff, for idempotent calls only) or return a typed [`FalconError`].
//!
//! Where each part lives: this file holds the [`FalconClient`] type and its accessors;
//! `config.rs` the [`ClientConfig`]; `call.rs` the description of one API call (route, query,
//! body, whether it may be retried); `auth.rs` the token endpoint and the 401 refresh;
//! `send.rs` sending one call until the policy gives up; `retry.rs` the policy's decisions
//! (backoff, the 429 wait bound); `reply.rs` reading a reply and turning a refusal into a
//! [`FalconError`]; `users.rs` and `roles.rs` the API calls themselves.

mod auth;
mod call;
mod config;
mod reply;
mod retry;
mod roles;
mod send;
mod users;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use client_support::TokenCache;
use tokio::sync::Semaphore;

use super::error::FalconError;
use super::throttle::RateBudget;

pub use config::ClientConfig;

/// Log lines name the client, not the file inside it that wrote them, so one filter or log
/// query covers every line the client writes.
const LOG_TARGET: &str = module_path!();

/// The typed Falcon client. Cheap to clone; clones share the token, budget and permits.
#[derive(Clone)]
pub struct FalconClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    cfg: ClientConfig,
    /// Falcon tokens live 30 minutes; a burst of calls at expiry must not become a burst of
    /// token requests (the token endpoint has its own, much smaller, rate limit).
    tokens: TokenCache,
    budget: RateBudget,
    permits: Semaphore,
}

impl std::fmt::Debug for FalconClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FalconClient")
            .field("base_url", &self.inner.cfg.base_url)
            .finish_non_exhaustive()
    }
}

impl FalconClient {
    pub fn new(cfg: ClientConfig) -> Result<Self, FalconError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("falcon-scim-bridge/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| FalconError::Unreachable {
                operation: "client setup",
                detail: e.to_string(),
            })?;
        let permits = Semaphore::new(cfg.max_concurrency.max(1));
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                cfg,
                tokens: TokenCache::default(),
                budget: RateBudget::default(),
                permits,
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    /// Obtains a token now if there is no valid one (start-up, `check`, readiness).
    pub async fn authenticate(&self) -> Result<(), FalconError> {
        self.token().await.map(|_| ())
    }

    /// When the token in use was obtained; `None` when there is no valid token.
    pub fn token_obtained_at(&self) -> Option<SystemTime> {
        self.inner.tokens.obtained_at()
    }

    /// The last `X-RateLimit-Limit` / `-Remaining` Falcon sent.
    pub fn rate_limit_snapshot(&self) -> (Option<u64>, Option<u64>) {
        self.inner.budget.snapshot()
    }
}
