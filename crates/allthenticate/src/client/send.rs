//! Sending one call until it succeeds or the retry policy gives up, through the shared send loop
//! ([`client_support::send`]): what is Allthenticate's here is how a request is built and
//! carries the key, which calls may go again, what its refusals become, and the names of its
//! log lines and metrics.

use std::future::Future;

use client_support::{RateLimited, Received, RetryLimits, SendEvent, TargetCall};
use secrecy::ExposeSecret;

use super::call::Call;
use super::reply::{Redaction, classify};
use super::{ALLTHENTICATE_CALLS, ALLTHENTICATE_THROTTLED, AllthenticateClient, LOG_TARGET};
use crate::error::AllthenticateError;

impl AllthenticateClient {
    /// Sends `call` until it succeeds (any 2xx) or the retry policy gives up.
    pub(super) fn send<'a>(
        &'a self,
        call: &'a Call,
    ) -> impl Future<Output = Result<Received, AllthenticateError>> + Send + 'a {
        client_support::send(Sending { client: self, call })
    }
}

/// One call on its way, as the shared send loop sees it.
struct Sending<'a> {
    client: &'a AllthenticateClient,
    call: &'a Call,
}

impl TargetCall for Sending<'_> {
    type Error = AllthenticateError;
    const CALLS_METRIC: &'static str = ALLTHENTICATE_CALLS;
    const THROTTLED_METRIC: &'static str = ALLTHENTICATE_THROTTLED;

    fn operation(&self) -> &'static str {
        self.call.operation
    }

    fn may_repeat(&self) -> bool {
        self.call.may_repeat
    }

    fn retry_limits(&self) -> RetryLimits {
        self.client.inner.cfg.retry_limits()
    }

    /// The request of one attempt. The key header's value is marked sensitive, so reqwest and
    /// hyper leave it out of their own Debug output.
    fn request(&self) -> reqwest::RequestBuilder {
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
            .header(inner.key_header.clone(), inner.key_value.clone());
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        req
    }

    fn unreachable(&self, detail: String) -> AllthenticateError {
        AllthenticateError::Unreachable {
            operation: self.call.operation,
            detail,
        }
    }

    fn rate_limited(&self, limited: RateLimited, _received: &Received) -> AllthenticateError {
        AllthenticateError::RateLimited {
            retry_after: limited.retry_after,
        }
    }

    fn refused(&self, received: &Received) -> AllthenticateError {
        let inner = &self.client.inner;
        classify(
            self.call,
            received,
            &Redaction {
                key: inner.cfg.api_key.expose_secret(),
                header: inner.key_header.as_str(),
            },
        )
    }

    fn log(&self, event: SendEvent<'_>) {
        client_support::log_send_event!(event, target: LOG_TARGET, name: "Allthenticate");
    }
}
