//! The retry policy's decisions: whether a failed call may go again and after how long. Only
//! idempotent calls are retried after a 5xx or a lost reply, since a create or delete whose reply
//! was lost may have happened; backoff is exponential with jitter so that callers which failed
//! together do not come back together. 429s are waited out for any call (Falcon refused it, so
//! nothing happened), but only within `max_rate_limit_wait`; past that the caller gets a typed
//! "rate limited" error instead of an answer that never comes.

use std::time::{Duration, Instant, SystemTime};

use client_support::describe_transport_error;
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::call::{Call, Retry};
use super::config::ClientConfig;
use super::reply::header;
use super::{FalconClient, LOG_TARGET};
use crate::error::FalconError;
use crate::model::headers;
use crate::telemetry as names;
use crate::throttle;

/// What one call may still spend on retrying: its failures so far against `max_retries`, and
/// the moment after which it stops waiting out Falcon's rate limit.
pub(super) struct Retries {
    retry: Retry,
    max_failures: u32,
    failures: u32,
    throttle_deadline: Instant,
}

impl Retries {
    pub(super) fn new(call: &Call, cfg: &ClientConfig) -> Self {
        Self {
            retry: call.retry,
            max_failures: cfg.max_retries,
            failures: 0,
            throttle_deadline: Instant::now() + cfg.max_rate_limit_wait,
        }
    }

    /// Counts one more failure if the call may be sent again, and says which retry this is.
    fn another(&mut self) -> Option<u32> {
        if self.retry == Retry::Idempotent && self.failures < self.max_failures {
            self.failures += 1;
            Some(self.failures)
        } else {
            None
        }
    }

    fn outlasts_throttle_bound(&self, wait: Duration) -> bool {
        Instant::now() + wait > self.throttle_deadline
    }
}

impl FalconClient {
    /// Waits until the shared rate budget allows another call.
    pub(super) async fn wait_for_rate_budget(&self, retries: &Retries) -> Result<(), FalconError> {
        let wait = self.inner.budget.delay();
        if wait.is_zero() {
            return Ok(());
        }
        // Only a throttle wait can exceed the bound; slow retries of other failures cannot.
        if retries.outlasts_throttle_bound(wait) {
            return Err(FalconError::RateLimited {
                retry_after: wait,
                trace_id: None,
            });
        }
        metrics::counter!(names::FALCON_THROTTLE_WAIT_MS).increment(wait.as_millis() as u64);
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// After a call got no reply: the pause before sending it again, or the error to return.
    pub(super) fn after_transport_error(
        &self,
        call: &Call,
        error: &reqwest::Error,
        retries: &mut Retries,
    ) -> Result<Duration, FalconError> {
        let detail = describe_transport_error(error);
        tracing::warn!(
            target: LOG_TARGET,
            operation = call.operation,
            %detail,
            "Falcon call failed without a reply"
        );
        match retries.another() {
            Some(attempt) => Ok(self.backoff(attempt)),
            None => Err(FalconError::Unreachable {
                operation: call.operation,
                detail,
            }),
        }
    }

    /// After a 429: every caller waits until Falcon's retry time (the limit is per CID, not per
    /// caller), including the callers of every other client sharing this budget; this call gives
    /// up if that time is past its bound. The wait itself happens in
    /// [`Self::wait_for_rate_budget`] before the next attempt. A token endpoint's 429 (its
    /// per-IP limit) pauses only this call: the wait is returned for it to sleep alone.
    pub(super) fn after_rate_limit(
        &self,
        call: &Call,
        headers: &HeaderMap,
        trace_id: Option<String>,
        retries: &Retries,
    ) -> Result<Option<Duration>, FalconError> {
        let wait = throttle::retry_after(
            header(headers, headers::RATE_RETRY_AFTER),
            SystemTime::now(),
        );
        if call.draws_on_cid_budget() {
            self.inner.budget.block_until(Instant::now() + wait);
        }
        tracing::warn!(
            target: LOG_TARGET,
            operation = call.operation,
            wait_ms = wait.as_millis() as u64,
            "Falcon rate limit reached; waiting"
        );
        metrics::counter!(names::FALCON_THROTTLED).increment(1);
        if retries.outlasts_throttle_bound(wait) {
            return Err(FalconError::RateLimited {
                retry_after: wait,
                trace_id,
            });
        }
        Ok((!call.draws_on_cid_budget()).then_some(wait))
    }

    /// After a 5xx: the pause before sending the call again, or `None` when it may not go again
    /// (the reply then stands as the call's error).
    pub(super) fn after_server_error(
        &self,
        call: &Call,
        status: StatusCode,
        retries: &mut Retries,
    ) -> Option<Duration> {
        let attempt = retries.another()?;
        tracing::warn!(
            target: LOG_TARGET,
            operation = call.operation,
            status = status.as_u16(),
            attempt,
            "Falcon server error; retrying"
        );
        Some(self.backoff(attempt))
    }

    pub(super) fn backoff(&self, attempt: u32) -> Duration {
        let base = self.inner.cfg.retry_base_delay;
        let exp = base
            .saturating_mul(1u32 << attempt.min(6))
            .min(Duration::from_secs(10));
        let jitter = rand::rng().random_range(0.5..1.0);
        exp.mul_f64(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let client = FalconClient::new(ClientConfig::new(
            "http://127.0.0.1:9",
            "id",
            SecretString::from("s"),
        ))
        .unwrap();
        let first = client.backoff(1);
        assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
        assert!(client.backoff(30) <= Duration::from_secs(10));
    }
}
