//! Sending one call until it succeeds or the retry policy gives up, through the shared send loop
//! ([`client_support::send`]): what is LumApps' here is how a request is built and
//! authenticated, which calls may be repeated, what its refusals become, and the names of its
//! log lines and metrics.
//!
//! A 429 is waited out for every call (LumApps did nothing). A 5xx or a lost reply is retried
//! only for idempotent calls; a create goes again only when its connection never opened.

use client_support::{RateLimited, Received, RetryLimits, SendEvent, TargetCall};
use reqwest::header::CONTENT_TYPE;
use secrecy::ExposeSecret;

use super::call::{Body, Call};
use super::reply::{Credentials, classify, header_call_id};
use super::{LOG_TARGET, LUMAPPS_CALLS, LUMAPPS_THROTTLED, LumAppsClient};
use crate::error::LumAppsError;
use client_support::AccessToken;

/// How a request proves who sends it.
pub(super) enum Auth<'a> {
    /// HTTP Basic with the client id and secret: the token endpoint only.
    Basic,
    Bearer(&'a AccessToken),
}

impl LumAppsClient {
    /// Sends `call` until it succeeds (any 2xx) or the retry policy gives up.
    pub(super) async fn send(&self, call: &Call, auth: Auth<'_>) -> Result<Received, LumAppsError> {
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
    client: &'a LumAppsClient,
    call: &'a Call,
    auth: Auth<'a>,
}

impl TargetCall for Sending<'_> {
    type Error = LumAppsError;
    const CALLS_METRIC: &'static str = LUMAPPS_CALLS;
    const THROTTLED_METRIC: &'static str = LUMAPPS_THROTTLED;

    fn operation(&self) -> &'static str {
        self.call.operation
    }

    fn may_repeat(&self) -> bool {
        self.call.idempotent
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
            .header(reqwest::header::ACCEPT, "application/json")
            // The SDK's header: keep the bridge's calls out of LumApps' usage analytics.
            .header("x-lumapps-analytics", "off");
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        req = match self.auth {
            Auth::Basic => req.basic_auth(&cfg.client_id, Some(cfg.client_secret.expose_secret())),
            Auth::Bearer(token) => req.bearer_auth(token.value.expose_secret()),
        };
        req = match &call.body {
            Some(Body::Json(body)) => req.json(body),
            Some(Body::Form(body)) => req
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.clone()),
            None => req,
        };
        client_support::read_reply(req).await
    }

    fn unreachable(&self, detail: String) -> LumAppsError {
        LumAppsError::Transport {
            operation: self.call.operation,
            detail,
        }
    }

    fn rate_limited(&self, limited: RateLimited, received: &Received) -> LumAppsError {
        LumAppsError::RateLimited {
            retry_after: limited.retry_after,
            call_id: header_call_id(received),
        }
    }

    fn refused(&self, received: &Received) -> LumAppsError {
        let cfg = &self.client.inner.cfg;
        let mut secrets = vec![cfg.client_secret.expose_secret()];
        if let Auth::Bearer(token) = &self.auth {
            secrets.push(token.value.expose_secret());
        }
        let credentials = Credentials {
            client_id: &cfg.client_id,
            admin_email: &cfg.admin_email,
            secrets,
        };
        classify(
            self.call,
            received,
            matches!(self.auth, Auth::Basic),
            &credentials,
        )
    }

    /// The `LumApps-Call-Id` header, empty when absent (the line always has the field).
    fn logged_call_id(&self, received: &Received) -> Option<String> {
        Some(header_call_id(received).unwrap_or_default())
    }

    fn log(&self, event: SendEvent<'_>) {
        client_support::log_send_event!(event, target: LOG_TARGET, name: "LumApps");
    }
}
