//! The LumApps user and feed API client: HTTP, token cache and refresh, retries, 429 waits and
//! cursor paging.
//!
//! Every API call goes through `LumAppsClient::execute` (in `auth.rs`), which owns the policy:
//! attach a fresh token impersonating the configured admin, and on failure either retry (401
//! once with a new token; 429 after `Retry-After` or a backoff, within `max_rate_limit_wait`;
//! 5xx and transport errors with backoff, up to `max_retries`, for calls that may be repeated)
//! or return a typed [`LumAppsError`].
//!
//! Where each part lives: this file holds the [`LumAppsClient`] type; `config.rs` the
//! [`ClientConfig`]; `call.rs` the description of one call; `auth.rs` the token endpoint and the
//! 401 refresh; `send.rs` what is LumApps' in sending one call until the policy gives up (the
//! loop and the policy's decisions are [`client_support`]'s); `reply.rs` reading a reply and
//! turning a refusal into a [`LumAppsError`]; `paging.rs` following cursors; `users.rs` and
//! `feeds.rs` the API calls.

mod auth;
mod call;
mod config;
mod feeds;
mod paging;
mod reply;
mod send;
mod users;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::error::LumAppsError;
use client_support::TokenCache;

pub use config::{ClientConfig, MAX_BACKOFF};
pub use users::{DeleteOutcome, UserDeletion};

/// Log lines name the client, not the file inside it that wrote them, so one filter covers all.
const LOG_TARGET: &str = module_path!();

/// LumApps calls, by `operation` and `status` (HTTP status or `error`).
pub const LUMAPPS_CALLS: &str = "lumapps_calls_total";
/// 429s LumApps answered.
pub const LUMAPPS_THROTTLED: &str = "lumapps_throttled_total";
/// Application tokens obtained.
pub const LUMAPPS_TOKEN_REFRESHES: &str = "lumapps_token_refreshes_total";

/// The typed LumApps client. Cheap to clone; clones share the HTTP pool and the token.
#[derive(Clone)]
pub struct LumAppsClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    cfg: ClientConfig,
    /// A LumApps application token impersonates one user (the configured admin) and lives about
    /// an hour (`expires_in`, 3600 s assumed when absent); one cache per client is therefore one
    /// cache per impersonated admin.
    tokens: TokenCache,
}

impl std::fmt::Debug for LumAppsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LumAppsClient")
            .field("base_url", &self.inner.cfg.base_url)
            .field("organization_id", &self.inner.cfg.organization_id)
            .field("client_id", &self.inner.cfg.client_id)
            .field("admin_email", &self.inner.cfg.admin_email)
            .finish_non_exhaustive()
    }
}

impl LumAppsClient {
    pub fn new(cfg: ClientConfig) -> Result<Self, LumAppsError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("falcon-scim-bridge/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| LumAppsError::Transport {
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
    pub async fn authenticate(&self) -> Result<(), LumAppsError> {
        self.token().await.map(|_| ())
    }

    /// When the token in use was obtained (LumApps last accepted the credentials); `None` when
    /// there is no valid token. Makes no call.
    pub fn token_obtained_at(&self) -> Option<SystemTime> {
        self.inner.tokens.obtained_at()
    }
}
