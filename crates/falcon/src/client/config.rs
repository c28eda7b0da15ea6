//! What the client needs to know: where Falcon is, the API client's credentials, and the limits
//! of the retry and pacing policy. `ClientConfig::new` fills the defaults operators rarely change.

use std::time::Duration;

use secrecy::SecretString;

use crate::region::Region;

/// Everything the client needs to know; `ClientConfig::new` fills sane defaults.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL without trailing slash, e.g. `https://api.crowdstrike.com`.
    pub base_url: String,
    /// The region the operator configured; a token reply naming another one is an error.
    /// `None` when a custom base URL is used without a region (the simulator, a proxy).
    pub expected_region: Option<Region>,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Act inside this child CID (Flight Control).
    pub member_cid: Option<String>,
    /// Longest total time one call may spend waiting out 429s before giving up.
    pub max_rate_limit_wait: Duration,
    /// Retries of an idempotent call after a 5xx or a transport error.
    pub max_retries: u32,
    pub retry_base_delay: Duration,
    /// Most Falcon calls in flight at once, across all callers. Falcon limits calls per minute,
    /// not concurrency; this only keeps a burst (a large group push) from opening sockets
    /// without end.
    pub max_concurrency: usize,
    pub request_timeout: Duration,
    /// Refresh the token this long before it expires.
    pub token_refresh_margin: Duration,
}

impl ClientConfig {
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            expected_region: None,
            client_id: client_id.into(),
            client_secret: secret,
            member_cid: None,
            max_rate_limit_wait: Duration::from_secs(30),
            max_retries: 3,
            retry_base_delay: Duration::from_millis(250),
            max_concurrency: 256,
            request_timeout: Duration::from_secs(30),
            token_refresh_margin: Duration::from_secs(120),
        }
    }

    /// A client for one of Falcon's clouds.
    pub fn for_region(region: Region, client_id: impl Into<String>, secret: SecretString) -> Self {
        let mut cfg = Self::new(region.base_url(), client_id, secret);
        cfg.expected_region = Some(region);
        cfg
    }
}
