//! What the client needs to know: where the organisation's API is, the API key and the header
//! it travels in, and the limits of the retry policy. `ClientConfig::new` fills the defaults
//! operators rarely change.

use std::time::Duration;

use client_support::RetryLimits;
use secrecy::SecretString;

/// The header the key travels in by default, as `Bearer <key>`.
pub const DEFAULT_KEY_HEADER: &str = "Authorization";

/// Everything the client needs to know; `ClientConfig::new` fills the defaults.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API base URL without trailing slash. No public base URL or region list is known, so it
    /// is always configuration.
    pub base_url: String,
    /// Generated in the admin portal (Settings → API Keys); never logged, never in an error.
    pub api_key: SecretString,
    /// The header the key travels in. `Authorization` (the default, compared
    /// case-insensitively) carries `Bearer <key>`; any other header name carries the bare key.
    /// The documentation does not say which Allthenticate expects.
    pub key_header: String,
    /// Retries of a call after a 5xx or a lost reply, for the calls that may be repeated
    /// (every call but the suspension toggle).
    pub max_retries: u32,
    /// First backoff step; it doubles per retry, with jitter, up to
    /// [`client_support::MAX_BACKOFF`].
    pub retry_base_delay: Duration,
    /// Longest total time one call may spend waiting out 429s before it fails as rate limited.
    pub max_rate_limit_wait: Duration,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>, api_key: SecretString) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key,
            key_header: DEFAULT_KEY_HEADER.to_owned(),
            max_retries: 3,
            retry_base_delay: Duration::from_millis(250),
            max_rate_limit_wait: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// The key travels in `header` instead of `Authorization: Bearer`.
    pub fn key_header(mut self, header: impl Into<String>) -> Self {
        self.key_header = header.into();
        self
    }

    pub(super) fn retry_limits(&self) -> RetryLimits {
        RetryLimits {
            base_delay: self.retry_base_delay,
            max_retries: self.max_retries,
            max_rate_limit_wait: self.max_rate_limit_wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_a_trimmed_base_url_and_a_hidden_key() {
        let cfg = ClientConfig::new("https://api.example.com/", SecretString::from("k-123"));
        assert_eq!(cfg.base_url, "https://api.example.com");
        assert_eq!(cfg.key_header, "Authorization");
        assert_eq!(cfg.max_retries, 3);
        assert_eq!(cfg.api_key.expose_secret(), "k-123");
        // The key stays out of Debug output, and so out of any log of the config.
        assert!(!format!("{cfg:?}").contains("k-123"));
        assert_eq!(cfg.key_header("X-API-Key").key_header, "X-API-Key");
    }
}
