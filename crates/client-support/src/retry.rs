//! The retry policy's decisions: whether a failed call goes again and after how long.
//!
//! 5xx and lost replies are retried up to `max_retries` (for the calls a client may repeat; the
//! send loop asks [`Retries::after_failure`] only for those). Backoff is exponential with jitter
//! so that callers which failed together do not come back together. A 429 means the target did
//! nothing, so it is waited out for any call, never sooner than its `Retry-After` says, but only
//! within `max_rate_limit_wait`; past that the caller gets a [`RateLimited`] carrying the wait
//! instead of an answer that never comes.

use std::time::{Duration, Instant, SystemTime};

use rand::Rng;

/// The longest single backoff pause.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The bounds of the policy, from a client's configuration.
#[derive(Debug, Clone, Copy)]
pub struct RetryLimits {
    /// First backoff step; it doubles per retry, with jitter, up to [`MAX_BACKOFF`].
    pub base_delay: Duration,
    /// Retries of a call after a 5xx or a transport error.
    pub max_retries: u32,
    /// Longest total time one call may spend waiting out 429s before it fails as rate limited.
    pub max_rate_limit_wait: Duration,
}

/// A 429 whose wait would end past the call's bound: the call fails instead of waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("rate limited; retry after {retry_after:?}")]
pub struct RateLimited {
    /// What the server asked for when it said; our own backoff otherwise.
    pub retry_after: Duration,
}

/// What one call may still spend on retrying.
#[derive(Debug)]
pub struct Retries {
    base_delay: Duration,
    max_failures: u32,
    failures: u32,
    throttled: u32,
    throttle_deadline: Instant,
}

impl Retries {
    /// A fresh budget; the 429 bound counts from now.
    pub fn new(limits: RetryLimits) -> Self {
        Self {
            base_delay: limits.base_delay,
            max_failures: limits.max_retries,
            failures: 0,
            throttled: 0,
            throttle_deadline: Instant::now() + limits.max_rate_limit_wait,
        }
    }

    /// After a 5xx or a transport error: the pause before the next attempt, or `None` when the
    /// call has used up its retries.
    pub fn after_failure(&mut self) -> Option<Duration> {
        if self.failures >= self.max_failures {
            return None;
        }
        self.failures += 1;
        Some(backoff(self.base_delay, self.failures))
    }

    /// After a 429: the pause before the next attempt, or [`RateLimited`] when the pause would
    /// end past this call's bound. The pause is at least `Retry-After`; it is also at least the
    /// backoff of this many 429s, so a server that keeps saying `Retry-After: 0` cannot make the
    /// client spin, and the bound is always reached.
    pub fn after_rate_limit(
        &mut self,
        retry_after: Option<Duration>,
    ) -> Result<Duration, RateLimited> {
        self.throttled += 1;
        let backoff = backoff(self.base_delay, self.throttled);
        let wait = retry_after.map_or(backoff, |said| said.max(backoff));
        if Instant::now() + wait > self.throttle_deadline {
            // Report what the server asked for when it said; our own backoff otherwise.
            return Err(RateLimited {
                retry_after: retry_after.unwrap_or(wait),
            });
        }
        Ok(wait)
    }
}

/// The pause before retry number `attempt` (from 1): `base · 2^attempt`, capped at
/// [`MAX_BACKOFF`], times a jitter in [0.5, 1).
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF);
    exp.mul_f64(rand::rng().random_range(0.5..1.0))
}

/// Reads `Retry-After`: delay seconds (what the reference expects; fractions tolerated) or an
/// HTTP date. `None` when absent or unreadable, which the caller treats as "back off".
pub fn parse_retry_after(value: Option<&str>, now: SystemTime) -> Option<Duration> {
    let value = value?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::from(at.with_timezone(&chrono::Utc));
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_wait: Duration) -> RetryLimits {
        RetryLimits {
            base_delay: Duration::from_millis(100),
            max_rate_limit_wait: max_wait,
            max_retries: 2,
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stays_bounded() {
        let base = Duration::from_millis(250);
        for _ in 0..50 {
            let first = backoff(base, 1);
            assert!(first >= Duration::from_millis(250) && first < Duration::from_millis(500));
            let third = backoff(base, 3);
            assert!(third >= Duration::from_millis(1000) && third < Duration::from_millis(2000));
            assert!(backoff(base, 40) < MAX_BACKOFF);
            assert!(backoff(base, 40) >= MAX_BACKOFF / 2);
        }
    }

    #[test]
    fn failures_are_retried_up_to_the_limit() {
        let mut retries = Retries::new(limits(Duration::from_secs(30)));
        assert!(retries.after_failure().is_some());
        assert!(retries.after_failure().is_some());
        assert_eq!(retries.after_failure(), None);
    }

    #[test]
    fn a_429_waits_at_least_what_retry_after_says_within_the_bound() {
        let mut retries = Retries::new(limits(Duration::from_secs(30)));
        assert_eq!(
            retries
                .after_rate_limit(Some(Duration::from_secs(2)))
                .unwrap(),
            Duration::from_secs(2)
        );
        // Without Retry-After: the backoff of the second 429 (100 ms · 4, jittered).
        let wait = retries.after_rate_limit(None).unwrap();
        assert!(wait >= Duration::from_millis(200) && wait < Duration::from_millis(400));
        // `Retry-After: 0` still backs off.
        assert!(
            retries.after_rate_limit(Some(Duration::ZERO)).unwrap() >= Duration::from_millis(400)
        );
        match retries.after_rate_limit(Some(Duration::from_secs(31))) {
            Err(RateLimited { retry_after }) => {
                assert_eq!(retry_after, Duration::from_secs(31));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
        assert_eq!(
            parse_retry_after(Some(" 7 "), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after(Some("1.5"), now),
            Some(Duration::from_millis(1500))
        );
        // 2015-10-21T07:28:00Z is 10 s after `now`.
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT"), now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after(Some("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(Some("-3"), now), None);
        assert_eq!(parse_retry_after(Some("soon"), now), None);
        assert_eq!(parse_retry_after(None, now), None);
    }
}
