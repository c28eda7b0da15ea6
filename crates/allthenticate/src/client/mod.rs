//! The Allthenticate users API client: the API key in its header, retries, 429 waits, and
//! the calls the bridge needs, typed.
//!
//! Every call goes through the shared send loop of `client_support`, which owns the policy: on
//! failure either retry (429 after `Retry-After` or a backoff, within `max_rate_limit_wait`; 5xx
//! and lost replies with backoff, up to `max_retries`, except for the suspension toggle, which a
//! repeat would undo) or return a typed [`AllthenticateError`].
//!
//! Where each part lives: this file holds the [`AllthenticateClient`] type; `config.rs` the
//! [`ClientConfig`]; `call.rs` the description of one call; `send.rs` what the shared send loop
//! needs from this client; `reply.rs` reading a reply and turning a refusal into an
//! [`AllthenticateError`]; `users.rs` and `invites.rs` the API calls themselves.

mod call;
mod config;
mod invites;
mod reply;
mod send;
mod users;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use crate::error::AllthenticateError;
use crate::model::EmailId;

pub use config::{ClientConfig, DEFAULT_KEY_HEADER};
pub use invites::InviteOutcome;
pub use users::SuspensionChange;

/// Log lines name the client, not the file inside it that wrote them, so one filter covers all.
const LOG_TARGET: &str = module_path!();

/// Allthenticate calls, by `operation` and `status` (HTTP status or `error`).
pub const ALLTHENTICATE_CALLS: &str = "allthenticate_calls_total";
/// 429s Allthenticate answered.
pub const ALLTHENTICATE_THROTTLED: &str = "allthenticate_throttled_total";

/// The typed Allthenticate client. Cheap to clone; clones share the HTTP pool and the per-user
/// locks that serialise suspension changes.
#[derive(Clone)]
pub struct AllthenticateClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    cfg: ClientConfig,
    key_header: HeaderName,
    /// `Bearer <key>` or the bare key, marked sensitive.
    key_value: HeaderValue,
    /// One lock per user whose suspension is being changed: the toggle is not idempotent, so
    /// two changes of one user must not read the same state and both toggle.
    suspension_locks: Mutex<HashMap<EmailId, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for AllthenticateClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AllthenticateClient")
            .field("base_url", &self.inner.cfg.base_url)
            .field("key_header", &self.inner.key_header)
            .finish_non_exhaustive()
    }
}

impl AllthenticateClient {
    /// Fails only on a configuration that cannot make requests: a key header that is no header
    /// name, or a key with characters a header cannot carry (the error never shows the key).
    pub fn new(cfg: ClientConfig) -> Result<Self, AllthenticateError> {
        let key_header =
            HeaderName::from_bytes(cfg.key_header.trim().as_bytes()).map_err(|_| {
                AllthenticateError::Config(format!(
                    "'{}' is not a valid HTTP header name for the API key",
                    cfg.key_header
                ))
            })?;
        let key = cfg.api_key.expose_secret().trim();
        if key.is_empty() {
            return Err(AllthenticateError::Config(
                "the API key is empty".to_owned(),
            ));
        }
        let value = if key_header == reqwest::header::AUTHORIZATION {
            format!("Bearer {key}")
        } else {
            key.to_owned()
        };
        let mut key_value = HeaderValue::from_str(&value).map_err(|_| {
            AllthenticateError::Config(
                "the API key contains characters an HTTP header cannot carry".to_owned(),
            )
        })?;
        key_value.set_sensitive(true);
        let http = reqwest::Client::builder()
            .user_agent(concat!("falcon-scim-bridge/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(cfg.connect_timeout)
            .build()
            .map_err(|e| AllthenticateError::Unreachable {
                operation: "client setup",
                detail: e.to_string(),
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                cfg,
                key_header,
                key_value,
                suspension_locks: Mutex::new(HashMap::new()),
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.cfg
    }

    /// The lock that serialises suspension changes of one user.
    fn suspension_lock(&self, id: EmailId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = sim_support::locks::lock(&self.inner.suspension_locks);
        // Forget locks nobody holds, so the table does not grow with every user ever touched.
        locks.retain(|_, l| Arc::strong_count(l) > 1);
        locks.entry(id).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn the_key_header_is_validated_and_the_key_stays_hidden() {
        let cfg = ClientConfig::new("http://127.0.0.1:9", SecretString::from("k-hidden-1"));
        let client = AllthenticateClient::new(cfg.clone()).unwrap();
        assert_eq!(
            client.inner.key_value.to_str().unwrap(),
            "Bearer k-hidden-1"
        );
        assert!(client.inner.key_value.is_sensitive());
        let debug = format!("{client:?} {:?}", client.inner.key_value);
        assert!(!debug.contains("k-hidden-1"), "{debug}");

        let bare = AllthenticateClient::new(cfg.clone().key_header("X-API-Key")).unwrap();
        assert_eq!(bare.inner.key_value.to_str().unwrap(), "k-hidden-1");

        let bad = AllthenticateClient::new(cfg.key_header("not a header")).unwrap_err();
        assert!(matches!(bad, AllthenticateError::Config(_)));
        let newline = ClientConfig::new("http://x", SecretString::from("k-1\nx"));
        let e = AllthenticateClient::new(newline).unwrap_err().to_string();
        assert!(!e.contains("k-1"), "{e}");
    }
}
