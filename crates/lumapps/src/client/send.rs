//! Sending one call until it succeeds or the retry policy gives up. Each attempt is counted in
//! the metrics on its own, so a retried call shows up once per attempt.
//!
//! A 429 is waited out for every call (LumApps did nothing). A 5xx or a lost reply is retried
//! only for idempotent calls; a create goes again only when its connection never opened.

use std::time::{Instant, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use secrecy::ExposeSecret;

use super::call::{Body, Call};
use super::reply::{Credentials, Received, classify, describe_transport_error};
use super::retry::{Retries, parse_retry_after};
use super::{LOG_TARGET, LUMAPPS_CALLS, LUMAPPS_THROTTLED, LumAppsClient};
use crate::error::LumAppsError;
use crate::token::AccessToken;

/// How a request proves who sends it.
pub(super) enum Auth<'a> {
    /// HTTP Basic with the client id and secret: the token endpoint only.
    Basic,
    Bearer(&'a AccessToken),
}

impl LumAppsClient {
    /// Sends `call` until it succeeds (any 2xx) or the retry policy gives up.
    pub(super) async fn send(&self, call: &Call, auth: Auth<'_>) -> Result<Received, LumAppsError> {
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
                "LumApps call"
            );
            metrics::counter!(LUMAPPS_CALLS, "operation" => call.operation, "status" => status_label)
                .increment(1);
            let received = match result {
                Ok(received) => received,
                Err(error) => {
                    let detail = describe_transport_error(&error);
                    tracing::warn!(
                        target: LOG_TARGET,
                        operation = call.operation,
                        %detail,
                        "LumApps call failed without a reply"
                    );
                    let may_repeat = call.idempotent || error.is_connect();
                    match retries.after_failure().filter(|_| may_repeat) {
                        Some(pause) => {
                            tokio::time::sleep(pause).await;
                            continue;
                        }
                        None => {
                            return Err(LumAppsError::Transport {
                                operation: call.operation,
                                detail,
                            });
                        }
                    }
                }
            };
            if received.status == StatusCode::TOO_MANY_REQUESTS {
                metrics::counter!(LUMAPPS_THROTTLED).increment(1);
                let said = parse_retry_after(
                    received
                        .headers
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok()),
                    SystemTime::now(),
                );
                let pause = match retries.after_rate_limit(said) {
                    Ok(pause) => pause,
                    Err(retry_after) => {
                        return Err(LumAppsError::RateLimited {
                            retry_after,
                            call_id: received.header_call_id(),
                        });
                    }
                };
                tracing::warn!(
                    target: LOG_TARGET,
                    operation = call.operation,
                    wait_ms = pause.as_millis() as u64,
                    retry_after_sent = said.is_some(),
                    "LumApps rate limit reached; waiting"
                );
                tokio::time::sleep(pause).await;
                continue;
            }
            if received.status.is_server_error()
                && call.idempotent
                && let Some(pause) = retries.after_failure()
            {
                tracing::warn!(
                    target: LOG_TARGET,
                    operation = call.operation,
                    status = received.status.as_u16(),
                    call_id = received.header_call_id().unwrap_or_default(),
                    "LumApps server error; retrying"
                );
                tokio::time::sleep(pause).await;
                continue;
            }
            if received.status.is_success() {
                return Ok(received);
            }
            let cfg = &self.inner.cfg;
            let mut secrets = vec![cfg.client_secret.expose_secret()];
            if let Auth::Bearer(token) = &auth {
                secrets.push(token.value.expose_secret());
            }
            let credentials = Credentials {
                client_id: &cfg.client_id,
                admin_email: &cfg.admin_email,
                secrets,
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
            .header(reqwest::header::ACCEPT, "application/json")
            // The SDK's header: keep the bridge's calls out of LumApps' usage analytics.
            .header("x-lumapps-analytics", "off");
        if !call.query.is_empty() {
            req = req.query(&call.query);
        }
        req = match auth {
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
