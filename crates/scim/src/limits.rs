//! Hard limits on what one SCIM request may ask for, and the request timeout.
//!
//! Each limit bounds the memory or time one request can take, so that no caller (a
//! misconfigured IdP, a leaked token) can exhaust the bridge or, through it, Falcon's rate limit.
//! Every refusal is a SCIM error from [`ScimError`], never a crash. The defaults are well above
//! what Okta and Entra send (their largest requests are membership PATCHes of a few hundred
//! members and filters of a few dozen characters).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ScimError;

/// The parser's own bound on filter nesting (`scim_v2::filter::MAX_FILTER_DEPTH`).
pub const PARSER_MAX_FILTER_DEPTH: usize = scim_v2::filter::MAX_FILTER_DEPTH;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body (413 beyond).
    pub max_body_bytes: usize,
    /// Most operations in one PATCH (400 `tooMany`).
    pub max_patch_operations: usize,
    /// Longest `filter` (400 `invalidFilter`).
    pub max_filter_len: usize,
    /// Deepest nesting of a filter's `and`/`or`/`not`/`[...]` (400 `tooMany`).
    pub max_filter_depth: usize,
    /// Largest page a list returns, whatever `count` asks (clamped; advertised in the SPC).
    pub max_results: usize,
    /// Most group members one request may name (400 `tooMany`).
    pub max_members: usize,
    /// Longest a request may take before it is answered 504.
    pub request_timeout: Duration,
    /// Each credential's budgets of writes and of reads.
    pub rate_limit: RateLimit,
}

/// Two token buckets per credential, one for writes and one for reads (see `rate_limit.rs`).
///
/// A write (POST, PUT, PATCH, DELETE) is what can reach the target, so its budget follows the
/// target's own rate limit. A read (GET, HEAD, `POST .search`) is answered from memory and
/// costs the target nothing, so it draws on a separate, much larger budget: a look-up never
/// takes a write's turn, and a burst of look-ups is not throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Writes per minute; 0 turns the write budget off.
    pub per_minute: u32,
    /// Writes a credential may make at once before `per_minute` applies (at most a minute's
    /// worth).
    pub burst: u32,
    /// Reads per minute, a minute's worth of which may come at once; 0 leaves reads unlimited.
    pub reads_per_minute: u32,
}

pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
pub const DEFAULT_MAX_PATCH_OPERATIONS: usize = 10_000;
pub const DEFAULT_MAX_FILTER_LEN: usize = 4096;
pub const DEFAULT_MAX_FILTER_DEPTH: usize = 16;
pub const DEFAULT_MAX_RESULTS: usize = 1000;
pub const DEFAULT_MAX_MEMBERS: usize = 10_000;
/// Below Okta's 60 s socket timeout, so the IdP reads a SCIM error rather than timing out.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(50);
/// Writes: the target's own limit (Falcon: 6,000 calls a minute per customer, over a sliding
/// minute). A write that changes anything costs the target at least one call, so an IdP cannot
/// push faster than that window anyway; a bucket of 6,000 a minute holding a whole minute's
/// worth admits, over any stretch of time, at least what the window admits. An IdP pushing as
/// fast as the target takes it is never refused here, while a runaway credential is held to
/// the target's pace and told `Retry-After` at once instead of queueing on its throttle.
/// Reads: 100 times that, 10,000 a second sustained (Entra asks for 25, Okta pages one request
/// at a time), with a minute's worth (600,000) at once, so that conformance tools and look-up
/// load tests run untouched while a runaway reader cannot hold the bridge's CPUs for ever.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    per_minute: 6000,
    burst: 6000,
    reads_per_minute: 600_000,
};

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            // Entra sends one operation per changed member; 10,000 covers its largest batches.
            max_patch_operations: DEFAULT_MAX_PATCH_OPERATIONS,
            max_filter_len: DEFAULT_MAX_FILTER_LEN,
            max_filter_depth: DEFAULT_MAX_FILTER_DEPTH,
            max_results: DEFAULT_MAX_RESULTS,
            max_members: DEFAULT_MAX_MEMBERS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            rate_limit: DEFAULT_RATE_LIMIT,
        }
    }
}

impl Limits {
    /// 400 `tooMany` when a request names more than `max_members` members.
    pub fn check_members(&self, count: usize) -> Result<(), ScimError> {
        if count > self.max_members {
            return Err(ScimError::too_many(format!(
                "a request may name at most {} group members, this one names {count}; split it \
                 into several requests",
                self.max_members
            )));
        }
        Ok(())
    }
}

/// Answers 504 with a SCIM error when the inner service takes longer than the timeout.
///
/// The handler's future is dropped at that point. A Falcon write it had started may still
/// complete; the audit log records it, and the IdP's retry finds the result (creates adopt,
/// grants are idempotent).
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, %path, timeout_secs = limit.as_secs_f64(), "SCIM request timed out");
            ScimError::timeout(limit).into_response()
        }
    }
}
