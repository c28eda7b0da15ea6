//! Per-credential request rate limit: a token bucket for each credential name.
//!
//! Keyed by the authenticated credential (not the client address: behind a proxy or a cloud
//! IdP every request comes from a handful of addresses), so a runaway or leaked credential is
//! slowed down without affecting the others. A refusal is a SCIM 429 with `Retry-After`; the log
//! says so once when a credential starts being refused, not for every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::Caller;
use super::error::ScimError;
use super::limits::RateLimit;

struct Bucket {
    tokens: f64,
    last: Instant,
    /// Whether the last request was refused (to log the start of a refusal streak only).
    refusing: bool,
}

pub struct RateLimiter {
    default: RateLimit,
    /// Per-credential requests per minute, where configured.
    overrides: HashMap<String, u32>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Refused; try again after this long.
    Refuse(Duration),
}

impl RateLimiter {
    pub fn new(default: RateLimit, overrides: HashMap<String, u32>) -> Self {
        Self {
            default,
            overrides,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The per-minute rate and burst for `credential`; the burst never exceeds a minute's worth.
    fn limit_for(&self, credential: &str) -> Option<(f64, f64)> {
        let per_minute = self
            .overrides
            .get(credential)
            .copied()
            .unwrap_or(self.default.per_minute);
        if per_minute == 0 {
            return None;
        }
        let burst = self.default.burst.clamp(1, per_minute);
        Some((f64::from(per_minute) / 60.0, f64::from(burst)))
    }

    pub fn check(&self, credential: &str, now: Instant) -> Decision {
        let Some((per_sec, burst)) = self.limit_for(credential) else {
            return Decision::Allow;
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets
            .entry(credential.to_owned())
            .or_insert_with(|| Bucket {
                tokens: burst,
                last: now,
                refusing: false,
            });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            bucket.refusing = false;
            return Decision::Allow;
        }
        if !bucket.refusing {
            bucket.refusing = true;
            tracing::warn!(
                credential,
                per_minute = per_sec * 60.0,
                "credential over its request rate limit; answering 429 until it slows down"
            );
        }
        Decision::Refuse(Duration::from_secs_f64((1.0 - bucket.tokens) / per_sec))
    }
}

/// Refuses requests of a credential over its rate with a SCIM 429 (runs after authentication).
pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(caller) = request.extensions().get::<Caller>() else {
        return next.run(request).await;
    };
    match limiter.check(&caller.name, Instant::now()) {
        Decision::Allow => next.run(request).await,
        Decision::Refuse(wait) => {
            metrics::counter!(crate::telemetry::RATE_LIMITED, "credential" => caller.name.clone())
                .increment(1);
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            ScimError::rate_limited(
                format!(
                    "too many requests with credential '{}'; retry after {secs} s",
                    caller.name
                ),
                secs,
            )
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_refill_rate_per_credential() {
        let limiter = RateLimiter::new(
            RateLimit {
                per_minute: 60,
                burst: 3,
            },
            HashMap::from([("slow".to_owned(), 6)]),
        );
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check("okta", t0), Decision::Allow);
        }
        let Decision::Refuse(wait) = limiter.check("okta", t0) else {
            panic!("the fourth request at once is refused")
        };
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        // Another credential has its own bucket.
        assert_eq!(limiter.check("entra", t0), Decision::Allow);
        // One second later one more token has arrived.
        assert_eq!(
            limiter.check("okta", t0 + Duration::from_secs(1)),
            Decision::Allow
        );
        // The override: 6 per minute, so a burst of at most 3 (the global) and a 10 s refill.
        for _ in 0..3 {
            assert_eq!(limiter.check("slow", t0), Decision::Allow);
        }
        let Decision::Refuse(wait) = limiter.check("slow", t0) else {
            panic!("refused")
        };
        assert!(wait > Duration::from_secs(9), "{wait:?}");
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = RateLimiter::new(
            RateLimit {
                per_minute: 0,
                burst: 1,
            },
            HashMap::new(),
        );
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert_eq!(limiter.check("okta", t0), Decision::Allow);
        }
    }
}
