//! What the client needs to know: the customer's cell, the organisation, the OAuth application's
//! credentials, the administrator the token impersonates, and the limits of the retry policy.
//! `ClientConfig::new` fills the defaults operators rarely change; the limits LumApps does not
//! document (page size, deletion batch size) are settings rather than constants.

use std::time::Duration;

use secrecy::SecretString;

use crate::model::DEFAULT_PAGE_SIZE;

/// Everything the client needs to know; `ClientConfig::new` fills the defaults.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The customer's cell without trailing slash, e.g. `https://go-cell-001.api.lumapps.com`.
    pub base_url: String,
    /// The organisation (customer) id.
    pub organization_id: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The user every token impersonates; must be a global administrator for user management.
    pub admin_email: String,
    /// `maxResults` of list calls (default 100; the server may send fewer).
    pub page_size: u32,
    /// Uids per `user/deleteMulti` call (default 100; LumApps states no limit).
    pub delete_batch_size: usize,
    /// Retries of a call after a 5xx or a transport error. Creates are not retried after a
    /// reply that may have come after the write (see `call.rs`).
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
        organization_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
        admin_email: impl Into<String>,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            organization_id: organization_id.into(),
            client_id: client_id.into(),
            client_secret,
            admin_email: admin_email.into(),
            page_size: DEFAULT_PAGE_SIZE,
            delete_batch_size: 100,
            max_retries: 3,
            retry_base_delay: Duration::from_millis(250),
            max_rate_limit_wait: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            token_refresh_margin: Duration::from_secs(300),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn defaults_and_a_trimmed_base_url() {
        let cfg = ClientConfig::new(
            "https://go-cell-001.api.lumapps.com/",
            "org",
            "app",
            SecretString::from("sEcReT-value"),
            "admin@x.io",
        );
        assert_eq!(cfg.base_url, "https://go-cell-001.api.lumapps.com");
        assert_eq!((cfg.page_size, cfg.delete_batch_size), (100, 100));
        assert_eq!(cfg.token_refresh_margin, Duration::from_secs(300));
        assert_eq!(cfg.client_secret.expose_secret(), "sEcReT-value");
        // The secret stays out of Debug output, and so out of any log of the config.
        assert!(!format!("{cfg:?}").contains("sEcReT-value"));
    }
}
