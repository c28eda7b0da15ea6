//! What the client needs to know: where the tenant's API is, the API client's credentials, and
//! the limits of the retry policy. `ClientConfig::new` fills the defaults operators rarely change.

use std::time::Duration;

use secrecy::SecretString;

use crate::model::DEFAULT_PAGE_SIZE;

/// Everything the client needs to know; `ClientConfig::new` fills the defaults.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL without trailing slash, e.g. `https://api.us.code42.com`. It follows the
    /// tenant's console domain, so it is configuration, not a list of regions.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Users per page when listing (default 100, the SDK's).
    pub page_size: u32,
    /// Retries of a call after a 5xx or a transport error (every call the client makes is
    /// idempotent, so every call may be retried).
    pub max_retries: u32,
    /// First backoff step; it doubles per retry, with jitter, up to [`MAX_BACKOFF`].
    pub retry_base_delay: Duration,
    /// Longest total time one call may spend waiting out 429s before it fails as rate limited.
    pub max_rate_limit_wait: Duration,
    pub request_timeout: Duration,
    /// Refresh the token this long before it expires (capped at a fifth of its lifetime).
    pub token_refresh_margin: Duration,
}

pub use client_support::MAX_BACKOFF;

impl ClientConfig {
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            client_secret,
            page_size: DEFAULT_PAGE_SIZE,
            max_retries: 3,
            retry_base_delay: Duration::from_millis(250),
            max_rate_limit_wait: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            token_refresh_margin: Duration::from_secs(60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_and_a_trimmed_base_url() {
        let cfg = ClientConfig::new("https://api.us.code42.com/", "id", SecretString::from("s"));
        assert_eq!(cfg.base_url, "https://api.us.code42.com");
        assert_eq!(cfg.page_size, 100);
        assert_eq!(cfg.max_rate_limit_wait, Duration::from_secs(30));
        assert_eq!(cfg.token_refresh_margin, Duration::from_secs(60));
        assert_eq!(cfg.client_secret.expose_secret(), "s");
        // The secret stays out of Debug output, and so out of any log of the config.
        assert!(!format!("{cfg:?}").contains("\"s\""));
    }
}
