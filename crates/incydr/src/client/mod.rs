//! The Incydr users API v1 client: HTTP, token cache and refresh, retries, 429 waits and paging.
//!
//! Every API call goes through [`IncydrClient::execute`], which owns the policy: attach a fresh
//! token, and on failure either retry (401 once with a new token; 429 after `Retry-After` or a
//! backoff, within `max_rate_limit_wait`; 5xx and transport errors with backoff, up to
//! `max_retries`) or return a typed [`IncydrError`].
//!
//! Where each part lives: this file holds the [`IncydrClient`] type; `config.rs` the
//! [`ClientConfig`]; `call.rs` the description of one call; `auth.rs` the token endpoint and the
//! 401 refresh; `send.rs` what is Incydr's in sending one call until the policy gives up (the
//! loop and the policy's decisions are [`client_support`]'s); `reply.rs` reading a reply and
//! turning a refusal into an [`IncydrError`]; `users.rs` and `roles.rs` the API calls themselves.

mod auth;
mod call;
mod config;
mod reply;
mod roles;
mod send;
mod users;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::error::IncydrError;
use client_support::TokenCache;

pub use config::{ClientConfig, MAX_BACKOFF};

/// Log lines name the client, not the file inside it that wrote them, so one filter covers all.
const LOG_TARGET: &str = module_path!();

/// Incydr calls, by `operation` and `status` (HTTP status or `error`).
pub const INCYDR_CALLS: &str = "incydr_calls_total";
/// 429s Incydr answered.
pub const INCYDR_THROTTLED: &str = "incydr_throttled_total";
/// Access tokens obtained.
pub const INCYDR_TOKEN_REFRESHES: &str = "incydr_token_refreshes_total";

/// The typed Incydr client. Cheap to clone; clones share the HTTP pool and the token.
#[derive(Clone)]
pub struct IncydrClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    cfg: ClientConfig,
    /// Incydr tokens live 15 minutes.
    tokens: TokenCache,
}

impl std::fmt::Debug for IncydrClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncydrClient")
            .field("base_url", &self.inner.cfg.base_url)
            .field("client_id", &self.inner.cfg.client_id)
            .finish_non_exhaustive()
    }
}

impl IncydrClient {
    pub fn new(cfg: ClientConfig) -> Result<Self, IncydrError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("falcon-scim-bridge/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| IncydrError::Unreachable {
                operation: "client setup",
                detail: e.to_string(),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                cfg,
                tokens: TokenCache::default(),
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    /// Obtains a token now if there is no valid one (start-up, `check`, readiness).
    pub async fn authenticate(&self) -> Result<(), IncydrError> {
        self.token().await.map(|_| ())
    }

    /// When the token in use was obtained; `None` when there is no valid token. Makes no call.
    pub fn token_obtained_at(&self) -> Option<SystemTime> {
        self.inner.tokens.obtained_at()
    }
}
