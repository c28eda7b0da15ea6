//! Per-credential request rate limit: token buckets for each credential name, one for its
//! writes and one for its reads.
//!
//! Keyed by the authenticated credential (not the client address: behind a proxy or a cloud
//! IdP every request comes from a handful of addresses), so a runaway or leaked credential is
//! slowed down without affecting the others. Writes and reads cost differently: a write can
//! reach the target and draws on a budget matched to the target's rate limit; a read is
//! answered from memory and draws on its own, much larger budget (see [`RateLimit`]), so
//! look-ups never use up what writes need. A refusal is a SCIM 429 with `Retry-After`; the log
//! says so once when a credential starts being refused, not for every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::Caller;
use super::error::ScimError;
use super::limits::RateLimit;

/// Which budget a request draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// GET, HEAD, OPTIONS and `POST .search`: answered without the target.
    Read,
    /// POST, PUT, PATCH, DELETE: what can change the target.
    Write,
}

impl Kind {
    pub fn of(method: &Method, path: &str) -> Self {
        let search = *method == Method::POST && path.trim_end_matches('/').ends_with("/.search");
        if search || matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            Kind::Read
        } else {
            Kind::Write
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Write => "write",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            Kind::Read => "reads",
            Kind::Write => "writes",
        }
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
    /// Whether the last request was refused (to log the start of a refusal streak only).
    refusing: bool,
}

pub struct RateLimiter {
    default: RateLimit,
    /// Per-credential writes per minute, where configured (they also cap the reads).
    overrides: HashMap<String, u32>,
    buckets: Mutex<HashMap<(String, Kind), Bucket>>,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Refused; try again after this long.
    Refuse(Duration),
}

/// A bucket's refill rate (tokens a second) and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub per_minute: u32,
    pub burst: u32,
}

impl RateLimiter {
    pub fn new(default: RateLimit, overrides: HashMap<String, u32>) -> Self {
        Self {
            default,
            overrides,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The budget of `credential` for `kind`, or `None` when that kind is not limited.
    ///
    /// Writes: the credential's own `rate_limit_per_minute`, else the global rate, with the
    /// global burst (never more than a minute's worth). Reads: the global read rate with a
    /// minute's worth at once; a credential's own rate also caps its reads, so that a
    /// read-only credential given 60 a minute reads 60 a minute.
    pub fn budget(&self, credential: &str, kind: Kind) -> Option<Budget> {
        let own = self.overrides.get(credential).copied();
        let (per_minute, burst) = match kind {
            Kind::Write => {
                let per_minute = own.unwrap_or(self.default.per_minute);
                (per_minute, self.default.burst)
            }
            Kind::Read => {
                let per_minute = match (own, self.default.reads_per_minute) {
                    (Some(own), 0) => own,
                    (Some(own), global) => own.min(global),
                    (None, global) => global,
                };
                (per_minute, per_minute)
            }
        };
        (per_minute > 0).then(|| Budget {
            per_minute,
            burst: burst.clamp(1, per_minute),
        })
    }

    pub fn check(&self, credential: &str, kind: Kind, now: Instant) -> Decision {
        let Some(budget) = self.budget(credential, kind) else {
            return Decision::Allow;
        };
        let per_sec = f64::from(budget.per_minute) / 60.0;
        let burst = f64::from(budget.burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets
            .entry((credential.to_owned(), kind))
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
                kind = kind.as_str(),
                per_minute = budget.per_minute,
                "credential over its {} rate limit; answering 429 until it slows down",
                kind.as_str()
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
    let kind = Kind::of(request.method(), request.uri().path());
    match limiter.check(&caller.name, kind, Instant::now()) {
        Decision::Allow => next.run(request).await,
        Decision::Refuse(wait) => {
            metrics::counter!(
                crate::telemetry::RATE_LIMITED,
                "credential" => caller.name.clone(),
                "kind" => kind.as_str()
            )
            .increment(1);
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            ScimError::rate_limited(
                format!(
                    "too many {} with credential '{}'; retry after {secs} s",
                    kind.plural(),
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
    use crate::limits::DEFAULT_RATE_LIMIT;

    fn limiter(per_minute: u32, burst: u32, reads_per_minute: u32) -> RateLimiter {
        RateLimiter::new(
            RateLimit {
                per_minute,
                burst,
                reads_per_minute,
            },
            HashMap::new(),
        )
    }

    /// Requests of `kind` allowed at the instant `at`, stopping at the first refusal.
    fn allowed_at_once(limiter: &RateLimiter, who: &str, kind: Kind, at: Instant) -> usize {
        (0..)
            .take_while(|_| limiter.check(who, kind, at) == Decision::Allow)
            .count()
    }

    #[test]
    fn requests_are_reads_or_writes() {
        for (method, path, kind) in [
            (Method::GET, "/scim/v2/Users", Kind::Read),
            (Method::HEAD, "/scim/v2/Users/1", Kind::Read),
            (Method::OPTIONS, "/scim/v2/Users", Kind::Read),
            (Method::POST, "/scim/v2/.search", Kind::Read),
            (Method::POST, "/scim/v2/Users/.search", Kind::Read),
            (Method::POST, "/scim/v2/Users", Kind::Write),
            (Method::PUT, "/scim/v2/Users/1", Kind::Write),
            (Method::PATCH, "/scim/v2/Groups/1", Kind::Write),
            (Method::DELETE, "/scim/v2/Users/1", Kind::Write),
        ] {
            assert_eq!(Kind::of(&method, path), kind, "{method} {path}");
        }
    }

    #[test]
    fn the_defaults_take_a_conformance_run_and_a_lookup_storm_but_stop_a_runaway_writer() {
        let limiter = RateLimiter::new(DEFAULT_RATE_LIMIT, HashMap::new());
        let t0 = Instant::now();
        // An Okta initial push of 2,000 users in ten seconds: a look-up and a create each.
        for i in 0..2000u32 {
            let at = t0 + Duration::from_millis(u64::from(i) * 5);
            assert_eq!(limiter.check("okta", Kind::Read, at), Decision::Allow);
            assert_eq!(limiter.check("okta", Kind::Write, at), Decision::Allow);
        }
        // 200,000 look-ups in the same ten seconds (20,000 a second) are still not refused.
        for i in 0..200_000u32 {
            let at = t0 + Duration::from_micros(u64::from(i) * 50);
            assert_eq!(limiter.check("okta", Kind::Read, at), Decision::Allow);
        }
        // A runaway writer gets a minute of the target's rate at once, then its pace.
        let t1 = t0 + Duration::from_secs(3600);
        assert_eq!(allowed_at_once(&limiter, "leaked", Kind::Write, t1), 6000);
        let Decision::Refuse(wait) = limiter.check("leaked", Kind::Write, t1) else {
            panic!("the 6,001st write at once is refused");
        };
        assert!(wait <= Duration::from_millis(10), "{wait:?}");
        let later = t1 + Duration::from_secs(1);
        assert_eq!(allowed_at_once(&limiter, "leaked", Kind::Write, later), 100);
        // Its reads have their own budget, and other credentials their own buckets.
        assert_eq!(limiter.check("leaked", Kind::Read, later), Decision::Allow);
        assert_eq!(limiter.check("entra", Kind::Write, later), Decision::Allow);
    }

    #[test]
    fn reads_and_writes_never_spend_each_other() {
        let limiter = limiter(60, 3, 600);
        let t0 = Instant::now();
        assert_eq!(allowed_at_once(&limiter, "okta", Kind::Read, t0), 600);
        assert_eq!(allowed_at_once(&limiter, "okta", Kind::Write, t0), 3);
        let Decision::Refuse(wait) = limiter.check("okta", Kind::Write, t0) else {
            panic!("refused");
        };
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1));
        let Decision::Refuse(wait) = limiter.check("okta", Kind::Read, t0) else {
            panic!("refused");
        };
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        // One second later: one more write, ten more reads.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(allowed_at_once(&limiter, "okta", Kind::Write, t1), 1);
        assert_eq!(allowed_at_once(&limiter, "okta", Kind::Read, t1), 10);
    }

    #[test]
    fn a_credential_of_its_own_rate_gets_it_for_writes_and_at_most_it_for_reads() {
        let limiter = RateLimiter::new(
            DEFAULT_RATE_LIMIT,
            HashMap::from([("auditor".to_owned(), 6), ("bulk".to_owned(), 12_000)]),
        );
        let budget = |who: &str, kind| limiter.budget(who, kind).unwrap();
        // A read-only auditor given 6 a minute reads 6 a minute, as it always did.
        assert_eq!(
            budget("auditor", Kind::Read),
            Budget {
                per_minute: 6,
                burst: 6
            }
        );
        assert_eq!(
            budget("auditor", Kind::Write),
            Budget {
                per_minute: 6,
                burst: 6
            }
        );
        // A credential given more writes gets them, the global burst, and as many reads.
        assert_eq!(
            budget("bulk", Kind::Write),
            Budget {
                per_minute: 12_000,
                burst: 6000
            }
        );
        assert_eq!(
            budget("bulk", Kind::Read),
            Budget {
                per_minute: 12_000,
                burst: 12_000
            }
        );
        // Without one of its own, a credential has the global budgets.
        assert_eq!(budget("okta", Kind::Read).per_minute, 600_000);
        let t0 = Instant::now();
        assert_eq!(allowed_at_once(&limiter, "auditor", Kind::Read, t0), 6);
        let Decision::Refuse(wait) = limiter.check("auditor", Kind::Read, t0) else {
            panic!("refused");
        };
        assert!(wait > Duration::from_secs(9), "{wait:?}");
    }

    #[test]
    fn zero_turns_a_budget_off() {
        let t0 = Instant::now();
        // Writes off, reads limited.
        let writes_off = limiter(0, 1, 60);
        assert!(writes_off.budget("okta", Kind::Write).is_none());
        for _ in 0..1000 {
            assert_eq!(writes_off.check("okta", Kind::Write, t0), Decision::Allow);
        }
        assert_eq!(allowed_at_once(&writes_off, "okta", Kind::Read, t0), 60);
        // Reads off, writes limited.
        let reads_off = limiter(60, 5, 0);
        for _ in 0..1000 {
            assert_eq!(reads_off.check("okta", Kind::Read, t0), Decision::Allow);
        }
        assert_eq!(allowed_at_once(&reads_off, "okta", Kind::Write, t0), 5);
        // Both off; a credential's own rate still applies to it.
        let off = RateLimiter::new(
            RateLimit {
                per_minute: 0,
                burst: 1,
                reads_per_minute: 0,
            },
            HashMap::from([("slow".to_owned(), 2)]),
        );
        for _ in 0..1000 {
            assert_eq!(off.check("okta", Kind::Read, t0), Decision::Allow);
            assert_eq!(off.check("okta", Kind::Write, t0), Decision::Allow);
        }
        assert_eq!(allowed_at_once(&off, "slow", Kind::Read, t0), 2);
        assert_eq!(allowed_at_once(&off, "slow", Kind::Write, t0), 1);
    }
}
