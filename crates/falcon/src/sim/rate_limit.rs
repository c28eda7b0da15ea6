//! Sliding one-minute request windows, as Falcon's gateway keeps them.
//!
//! One window per bucket: each CID shares one across all its API clients and endpoints, and
//! per source IP there is one for unauthenticated requests and one for the token endpoint.
//! An API client's calls are charged to its own (home) CID even when its token acts in a
//! Flight Control child through `member_cid`: a parent client working in several children
//! spends one budget, and the children's windows are left to their own API clients.
//! A window remembers the instant of every admitted request, so "remaining" and "retry after"
//! are exact rather than approximated by fixed one-minute buckets.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sim_support::locks::lock;

/// Length of every window.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);
/// Requests per minute per IP with a missing or bad bearer token.
pub(crate) const UNAUTHENTICATED_PER_MINUTE: u32 = 15;
/// Requests per minute per IP to `/oauth2/token` and `/oauth2/revoke`.
pub(crate) const TOKEN_ENDPOINT_PER_MINUTE: u32 = 300;

/// Outcome of asking a window for room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Admitted; this many requests are left in the window.
    Allowed { limit: u32, remaining: u32 },
    /// Refused until `retry_at`, when the oldest request leaves the window.
    Throttled { limit: u32, retry_at: Instant },
}

/// The instants of the requests admitted within the last [`WINDOW`].
#[derive(Debug, Default)]
pub(crate) struct SlidingWindow {
    hits: VecDeque<Instant>,
}

impl SlidingWindow {
    pub(crate) fn admit(&mut self, limit: u32, now: Instant) -> Admission {
        while let Some(&oldest) = self.hits.front() {
            if now.saturating_duration_since(oldest) >= WINDOW {
                self.hits.pop_front();
            } else {
                break;
            }
        }
        // The limit may have been lowered since older hits were recorded; never underflow.
        let used = u32::try_from(self.hits.len()).unwrap_or(u32::MAX);
        if used < limit {
            self.hits.push_back(now);
            Admission::Allowed {
                limit,
                remaining: limit - used - 1,
            }
        } else {
            // Only refused requests can reach here, and they are not recorded, so the window
            // frees up exactly when its oldest admitted request expires.
            let retry_at = self
                .hits
                .front()
                .map_or(now + WINDOW, |&oldest| oldest + WINDOW);
            Admission::Throttled { limit, retry_at }
        }
    }
}

/// Which window a request is charged to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Bucket {
    /// Authenticated calls, by the home CID of the API client that minted the token.
    Cid(String),
    Unauthenticated(Option<IpAddr>),
    TokenEndpoint(Option<IpAddr>),
}

impl Bucket {
    /// The per-minute limit of a per-IP bucket; CID buckets use the configured limit.
    pub(crate) fn fixed_limit(&self) -> Option<u32> {
        match self {
            Self::Cid(_) => None,
            Self::Unauthenticated(_) => Some(UNAUTHENTICATED_PER_MINUTE),
            Self::TokenEndpoint(_) => Some(TOKEN_ENDPOINT_PER_MINUTE),
        }
    }
}

/// All windows of one simulator.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: Mutex<HashMap<Bucket, SlidingWindow>>,
}

impl RateLimiter {
    pub(crate) fn admit(&self, bucket: Bucket, cid_limit: u32, now: Instant) -> Admission {
        let limit = bucket.fixed_limit().unwrap_or(cid_limit);
        lock(&self.windows)
            .entry(bucket)
            .or_default()
            .admit(limit, now)
    }
}

/// `X-RateLimit-RetryAfter` value for `retry_at`: Unix epoch seconds, rounded up so that a
/// client sleeping until then is never early.
pub(crate) fn epoch_seconds(retry_at: Instant, now: Instant) -> u64 {
    let wall = SystemTime::now() + retry_at.saturating_duration_since(now);
    let since_epoch = wall.duration_since(UNIX_EPOCH).unwrap_or_default();
    since_epoch.as_secs() + u64::from(since_epoch.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_down_and_throttles_at_the_limit() {
        let mut window = SlidingWindow::default();
        let t0 = Instant::now();
        assert_eq!(
            window.admit(3, t0),
            Admission::Allowed {
                limit: 3,
                remaining: 2
            }
        );
        assert_eq!(
            window.admit(3, t0 + Duration::from_secs(10)),
            Admission::Allowed {
                limit: 3,
                remaining: 1
            }
        );
        assert_eq!(
            window.admit(3, t0 + Duration::from_secs(20)),
            Admission::Allowed {
                limit: 3,
                remaining: 0
            }
        );
        assert_eq!(
            window.admit(3, t0 + Duration::from_secs(30)),
            Admission::Throttled {
                limit: 3,
                retry_at: t0 + WINDOW
            }
        );
    }

    #[test]
    fn window_slides_one_request_at_a_time() {
        let mut window = SlidingWindow::default();
        let t0 = Instant::now();
        window.admit(2, t0);
        window.admit(2, t0 + Duration::from_secs(30));
        // At 60 s only the first request has left the window.
        assert_eq!(
            window.admit(2, t0 + WINDOW),
            Admission::Allowed {
                limit: 2,
                remaining: 0
            }
        );
        assert_eq!(
            window.admit(2, t0 + Duration::from_secs(61)),
            Admission::Throttled {
                limit: 2,
                retry_at: t0 + Duration::from_secs(90)
            }
        );
    }

    #[test]
    fn refused_requests_do_not_extend_the_wait() {
        let mut window = SlidingWindow::default();
        let t0 = Instant::now();
        window.admit(1, t0);
        for s in 1..50 {
            assert!(matches!(
                window.admit(1, t0 + Duration::from_secs(s)),
                Admission::Throttled { .. }
            ));
        }
        assert!(matches!(
            window.admit(1, t0 + WINDOW),
            Admission::Allowed { .. }
        ));
    }

    #[test]
    fn zero_limit_always_throttles() {
        let mut window = SlidingWindow::default();
        let t0 = Instant::now();
        assert_eq!(
            window.admit(0, t0),
            Admission::Throttled {
                limit: 0,
                retry_at: t0 + WINDOW
            }
        );
    }

    #[test]
    fn buckets_are_independent_and_per_ip_limits_are_fixed() {
        let limiter = RateLimiter::default();
        let now = Instant::now();
        let ip = Some(IpAddr::from([127, 0, 0, 1]));
        assert!(matches!(
            limiter.admit(Bucket::Cid("a".into()), 1, now),
            Admission::Allowed { .. }
        ));
        assert!(matches!(
            limiter.admit(Bucket::Cid("a".into()), 1, now),
            Admission::Throttled { .. }
        ));
        assert!(matches!(
            limiter.admit(Bucket::Cid("b".into()), 1, now),
            Admission::Allowed { .. }
        ));
        assert_eq!(
            limiter.admit(Bucket::Unauthenticated(ip), 1, now),
            Admission::Allowed {
                limit: 15,
                remaining: 14
            }
        );
        assert_eq!(
            limiter.admit(Bucket::TokenEndpoint(ip), 1, now),
            Admission::Allowed {
                limit: 300,
                remaining: 299
            }
        );
    }

    #[test]
    fn retry_after_is_epoch_seconds_in_the_future() {
        let now = Instant::now();
        let wall_now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let at = epoch_seconds(now + Duration::from_secs(30), now);
        assert!(
            (wall_now + 30..=wall_now + 32).contains(&at),
            "{at} vs {wall_now}"
        );
    }
}
