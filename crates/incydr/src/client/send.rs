//! Sending one call until it succeeds or the retry policy gives up, through the shared send loop
//! ([`client_support::send`]): what is Incydr's here is how a request is built and
//! authenticated, what its refusals become, and the names of its log lines and metrics.

use client_support::{RateLimited, Received, RetryLimits, SendEvent, TargetCall};
use secrecy::ExposeSecret;

use super::call::Call;
use super::reply::{Credentials, classify};
use super::{INCYDR_CALLS, INCYDR_THROTTLED, IncydrClient, LOG_TARGET};
use crate::error::IncydrError;
use client_support::AccessToken;

/// How a request proves who sends it.
pub(super) enum Auth<'a> {
    /// HTTP Basic with the client id and secret: the token endpoint only.
    Basic,
    Bearer(&'a AccessToken),
}

impl IncydrClient {
    /// Sends `call` until it succeeds (any 2xx) or the retry policy gives up.
    pub(super) async fn send(&self, call: &Call, auth: Auth<'_>) -> Result<Received, IncydrError> {
        let cfg = &self.inner.cfg;
        let limits = RetryLimits {
            base_delay: cfg.retry_base_delay,
            max_retries: cfg.max_retries,
            max_rate_limit_wait: cfg.max_rate_limit_wait,
        };
        let sending = Sending {
            client: self,
            call,
            auth,
        };
        client_support::send(&sending, limits).await
    }
}

/// One call on its way, as the shared send loop sees it.
struct Sending<'a> {
    client: &'a IncydrClient,
    call: &'a Call,
    auth: Auth<'a>,
}

impl TargetCall for Sending<'_> {
    type Error = IncydrError;
    const CALLS_METRIC: &'static str = INCYDR_CALLS;
    const THROTTLED_METRIC: &'static str = INCYDR_THROTTLED;

    fn operation(&self) -> &'static str {
        self.call.operation
    }

    /// Sends the request once and reads the whole reply.
    async fn attempt(&self) -> Result<Received, reqwest::Error> {
        let (inner, call) = (&self.client.inner, self.call);
        let cfg = &inner.cfg;
        let mut req = inner
            .http
            .request(
                call.method.clone(),
                format!("{}{}", cfg.base_url, call.path),
            )
            .timeout(cfg.request_timeout)
            .header(reqwest::header::ACCEPT, "application/json");
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        req = match self.auth {
            Auth::Basic => req.basic_auth(&cfg.client_id, Some(cfg.client_secret.expose_secret())),
            Auth::Bearer(token) => req.bearer_auth(token.value.expose_secret()),
        };
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        client_support::read_reply(req).await
    }

    fn unreachable(&self, detail: String) -> IncydrError {
        IncydrError::Unreachable {
            operation: self.call.operation,
            detail,
        }
    }

    fn rate_limited(&self, limited: RateLimited, _received: &Received) -> IncydrError {
        IncydrError::RateLimited {
            retry_after: limited.retry_after,
        }
    }

    fn refused(&self, received: &Received) -> IncydrError {
        let cfg = &self.client.inner.cfg;
        let credentials = Credentials {
            client_id: &cfg.client_id,
            secret: cfg.client_secret.expose_secret(),
        };
        classify(
            self.call,
            received,
            matches!(self.auth, Auth::Basic),
            &credentials,
        )
    }

    fn log(&self, event: SendEvent<'_>) {
        client_support::log_send_event!(event, target: LOG_TARGET, name: "Incydr");
    }
}
