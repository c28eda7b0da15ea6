//! Sending one call until it succeeds or the retry policy gives up. Each attempt waits for the
//! shared rate budget first, holds a concurrency permit only while the request and its reply are
//! in transit (a call waiting to retry must not keep others off the wire), and is counted in the
//! metrics on its own, so a retried call shows up once per attempt.

use std::time::{Duration, Instant};

use client_support::AccessToken;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;

use super::call::{Body, Call};
use super::reply::{HasEnvelopeErrors, Received, header, header_u64, read_reply};
use super::retry::Retries;
use super::{FalconClient, LOG_TARGET};
use crate::error::FalconError;
use crate::model::headers;
use crate::telemetry as names;

/// One trip to Falcon: when it started (after the permit), how long it took, and what came back.
struct Attempt {
    started: Instant,
    elapsed: Duration,
    result: Result<Received, reqwest::Error>,
}

impl FalconClient {
    /// Sends `call` until it succeeds or the retry policy gives up.
    pub(super) async fn send<B: DeserializeOwned + HasEnvelopeErrors>(
        &self,
        call: &Call,
        token: Option<&AccessToken>,
    ) -> Result<(B::Out, HeaderMap), FalconError> {
        let mut retries = Retries::new(call, &self.inner.cfg);
        loop {
            self.wait_for_rate_budget(&retries).await?;
            let attempt = self.attempt(call, token).await?;
            record_metrics(call, &attempt);
            let received = match attempt.result {
                Ok(received) => received,
                Err(error) => {
                    let pause = self.after_transport_error(call, &error, &mut retries)?;
                    tokio::time::sleep(pause).await;
                    continue;
                }
            };
            let trace_id = self.observe(call, &received, attempt.started);
            if received.status == StatusCode::TOO_MANY_REQUESTS {
                if let Some(alone) =
                    self.after_rate_limit(call, &received.headers, trace_id, &retries)?
                {
                    tokio::time::sleep(alone).await;
                }
                continue;
            }
            if received.status.is_server_error()
                && let Some(pause) = self.after_server_error(call, received.status, &mut retries)
            {
                tokio::time::sleep(pause).await;
                continue;
            }
            return read_reply::<B>(call, received, trace_id);
        }
    }

    /// Sends the request once and reads the whole reply while holding a permit. Fails only when
    /// the client is shutting down; a transport error is part of the attempt.
    async fn attempt(
        &self,
        call: &Call,
        token: Option<&AccessToken>,
    ) -> Result<Attempt, FalconError> {
        let permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| FalconError::Unreachable {
                operation: call.operation,
                detail: "client is shutting down".into(),
            })?;
        let started = Instant::now();
        let result = match self.request(call, token).send().await {
            Ok(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                resp.bytes().await.map(|body| Received {
                    status,
                    headers,
                    body,
                })
            }
            Err(e) => Err(e),
        };
        drop(permit);
        Ok(Attempt {
            started,
            elapsed: started.elapsed(),
            result,
        })
    }

    fn request(&self, call: &Call, token: Option<&AccessToken>) -> reqwest::RequestBuilder {
        let inner = &self.inner;
        let url = format!("{}{}", inner.cfg.base_url, call.path);
        let mut req = inner
            .http
            .request(call.method.clone(), url)
            .timeout(inner.cfg.request_timeout)
            .query(&call.query);
        if let Some(token) = token {
            req = req.bearer_auth(token.value.expose_secret());
        }
        match &call.body {
            Body::Json(value) => req.json(value),
            Body::Form(fields) => req.form(fields),
            // Falcon wants a JSON content type even on empty bodies (gofalcon adds it too).
            Body::Empty => req.header(CONTENT_TYPE, "application/json"),
        }
    }

    /// Takes from a reply what outlives it: the rate-limit headers into the shared budget, and
    /// the trace id for whoever is capturing them. Returns the trace id.
    fn observe(&self, call: &Call, received: &Received, started: Instant) -> Option<String> {
        let headers = &received.headers;
        if call.draws_on_cid_budget() {
            self.inner.budget.observe(
                header_u64(headers, headers::RATE_LIMIT),
                header_u64(headers, headers::RATE_REMAINING),
            );
        }
        let trace_id = header(headers, headers::TRACE_ID).map(str::to_owned);
        if let Some(trace) = &trace_id {
            target_api::trace::report(trace);
        }
        tracing::debug!(
            target: LOG_TARGET,
            operation = call.operation,
            status = received.status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            trace_id = trace_id.as_deref().unwrap_or(""),
            "Falcon call"
        );
        trace_id
    }
}

fn record_metrics(call: &Call, attempt: &Attempt) {
    let status_label = match &attempt.result {
        Ok(received) => received.status.as_u16().to_string(),
        Err(_) => "error".to_owned(),
    };
    metrics::counter!(names::FALCON_CALLS, "operation" => call.operation, "status" => status_label.clone())
        .increment(1);
    metrics::histogram!(names::FALCON_CALL_SECONDS, "operation" => call.operation, "status" => status_label)
        .record(attempt.elapsed.as_secs_f64());
}
