//! Sending one call until it succeeds or the retry policy gives up. Each attempt is counted in
//! the metrics on its own, so a retried call shows up once per attempt.

use std::time::{Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use secrecy::ExposeSecret;

use super::call::Call;
use super::reply::{Credentials, Received, classify, describe_transport_error};
use super::retry::{Retries, parse_retry_after};
use super::{INCYDR_CALLS, INCYDR_THROTTLED, IncydrClient, LOG_TARGET};
use crate::error::IncydrError;
use crate::token::AccessToken;

/// How a request proves who sends it.
pub(super) enum Auth<'a> {
    /// HTTP Basic with the client id and secret: the token endpoint only.
    Basic,
    Bearer(&'a AccessToken),
}

impl IncydrClient {
    /// Sends `call` until it succeeds (any 2xx) or the retry policy gives up.
    pub(super) async fn send(&self, call: &Call, auth: Auth<'_>) -> Result<Received, IncydrError> {
        let mut retries = Retries::new(&self.inner.cfg);
        loop {
            let started = Instant::now();
            let result = self.attempt(call, &auth).await;
            let status_label = match &result {
                Ok(r) => r.status.as_u16().to_string(),
                Err(_) => "error".to_owned(),
            };
            tracing::debug!(
                target: LOG_TARGET,
                operation = call.operation,
                status = %status_label,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "Incydr call"
            );
            metrics::counter!(INCYDR_CALLS, "operation" => call.operation, "status" => status_label)
                .increment(1);
            let received = match result {
                Ok(received) => received,
                Err(error) => {
                    let detail = describe_transport_error(&error);
                    tracing::warn!(
                        target: LOG_TARGET,
                        operation = call.operation,
                        %detail,
                        "Incydr call failed without a reply"
                    );
                    match retries.after_failure() {
                        Some(pause) => {
                            tokio::time::sleep(pause).await;
                            continue;
                        }
                        None => {
                            return Err(IncydrError::Unreachable {
                                operation: call.operation,
                                detail,
                            });
                        }
                    }
                }
            };
            if received.status == StatusCode::TOO_MANY_REQUESTS {
                metrics::counter!(INCYDR_THROTTLED).increment(1);
                let said = parse_retry_after(
                    received
                        .headers
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok()),
                    SystemTime::now(),
                );
                let pause = retries.after_rate_limit(said)?;
                tracing::warn!(
                    target: LOG_TARGET,
                    operation = call.operation,
                    wait_ms = pause.as_millis() as u64,
                    retry_after_sent = said.is_some(),
                    "Incydr rate limit reached; waiting"
                );
                tokio::time::sleep(pause).await;
                continue;
            }
            if received.status.is_server_error()
                && let Some(pause) = retries.after_failure()
            {
                tracing::warn!(
                    target: LOG_TARGET,
                    operation = call.operation,
                    status = received.status.as_u16(),
                    "Incydr server error; retrying"
                );
                tokio::time::sleep(pause).await;
                continue;
            }
            if received.status.is_success() {
                return Ok(received);
            }
            let cfg = &self.inner.cfg;
            let credentials = Credentials {
                client_id: &cfg.client_id,
                secret: cfg.client_secret.expose_secret(),
            };
            return Err(classify(
                call,
                &received,
                matches!(auth, Auth::Basic),
                &credentials,
            ));
        }
    }

    /// Sends the request once and reads the whole reply.
    async fn attempt(&self, call: &Call, auth: &Auth<'_>) -> Result<Received, reqwest::Error> {
        let cfg = &self.inner.cfg;
        let mut req = self
            .inner
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
        req = match auth {
            Auth::Basic => req.basic_auth(&cfg.client_id, Some(cfg.client_secret.expose_secret())),
            Auth::Bearer(token) => req.bearer_auth(token.value.expose_secret()),
        };
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?;
        Ok(Received {
            status,
            headers,
            body,
        })
    }
}
