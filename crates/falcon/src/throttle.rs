//! One rate-limit budget shared by every caller that draws on the same Falcon window.
//!
//! Falcon's limit is per customer (CID), so all our concurrent requests draw on one sliding
//! window. After a 429 every caller waits until `X-RateLimit-RetryAfter`, not only the one that
//! was refused; and when `X-RateLimit-Remaining` runs low we slow down before Falcon refuses.
//!
//! The window is that of the API client's home CID, also when the client acts in a Flight
//! Control child through `member_cid`: a parent API client serving several children is charged
//! once, in its own CID. So the [`crate::FalconClient`]s built from one parent API client (one
//! per child, each with its own token) must share one budget
//! ([`crate::FalconClient::with_shared_budget`]); a client built alone gets its own.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Below this many remaining calls in the window, calls are delayed (as gofalcon does).
const LOW_REMAINING: u64 = 10;
const VERY_LOW_REMAINING: u64 = 5;

/// The pacing state of one Falcon rate-limit window: when callers may go again after a 429,
/// and the last limit and remaining count Falcon reported.
///
/// One budget per parent API client (more exactly, per home CID): every [`crate::FalconClient`]
/// acting for that client, in its own CID or in any child through `member_cid`, should hold the
/// same `Arc<RateBudget>`, so that a 429 seen by one makes all of them wait.
/// `RateBudget::default()` starts with nothing known and no wait.
#[derive(Debug, Default)]
pub struct RateBudget {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    blocked_until: Option<Instant>,
    remaining: Option<u64>,
    limit: Option<u64>,
}

impl RateBudget {
    /// How long a caller should wait before its next call.
    pub fn delay(&self) -> Duration {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some(until) = state.blocked_until.filter(|u| *u > now) {
            return until - now;
        }
        match state.remaining {
            Some(r) if r <= VERY_LOW_REMAINING => Duration::from_millis(500),
            Some(r) if r <= LOW_REMAINING => Duration::from_millis(200),
            _ => Duration::ZERO,
        }
    }

    /// Records the rate-limit headers of a reply.
    pub(crate) fn observe(&self, limit: Option<u64>, remaining: Option<u64>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if limit.is_some() {
            state.limit = limit;
        }
        if remaining.is_some() {
            state.remaining = remaining;
        }
    }

    /// Blocks every caller until `until` (after a 429).
    pub(crate) fn block_until(&self, until: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.blocked_until.is_none_or(|b| b < until) {
            state.blocked_until = Some(until);
        }
        state.remaining = Some(0);
    }

    /// The last `X-RateLimit-Limit` and `-Remaining` seen.
    pub fn snapshot(&self) -> (Option<u64>, Option<u64>) {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        (state.limit, state.remaining)
    }
}

/// Turns `X-RateLimit-RetryAfter` into a wait from now. The value is epoch seconds (what the
/// SDKs read); a number above 10^12 can only be epoch milliseconds (what the swagger text says).
/// A missing or past value still waits one second so a 429 is never retried in a tight loop.
pub fn retry_after(header: Option<&str>, now: SystemTime) -> Duration {
    const MIN_WAIT: Duration = Duration::from_secs(1);
    let Some(value) = header.and_then(|h| h.trim().parse::<f64>().ok()) else {
        return MIN_WAIT;
    };
    let at = if value > 1e12 { value / 1000.0 } else { value };
    let now = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    if at > now {
        Duration::from_secs_f64(at - now).max(MIN_WAIT)
    } else {
        MIN_WAIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(retry_after(Some("1700000005"), now), Duration::from_secs(5));
        assert_eq!(
            retry_after(Some("1700000007000"), now),
            Duration::from_secs(7)
        );
        assert_eq!(retry_after(Some("1699999999"), now), Duration::from_secs(1));
        assert_eq!(retry_after(Some("soon"), now), Duration::from_secs(1));
        assert_eq!(retry_after(None, now), Duration::from_secs(1));
    }

    #[test]
    fn a_429_blocks_everyone_and_low_remaining_slows_down() {
        let budget = RateBudget::default();
        assert_eq!(budget.delay(), Duration::ZERO);
        budget.observe(Some(6000), Some(8));
        assert_eq!(budget.delay(), Duration::from_millis(200));
        budget.observe(None, Some(3));
        assert_eq!(budget.delay(), Duration::from_millis(500));
        budget.block_until(Instant::now() + Duration::from_secs(3));
        assert!(budget.delay() > Duration::from_secs(2));
        assert_eq!(budget.snapshot(), (Some(6000), Some(0)));
    }
}
