//! Call accounting: how many calls the client under test made to a simulator, and to which
//! route, so tests and the benchmark can assert how the bridge talks to a target.
//!
//! Calls are keyed by `"METHOD route"`, the route being whatever the simulator counts by (a path
//! template, so a test counts calls per operation whatever the ids, or the path itself where a
//! target's paths carry no ids). Simulators count each request when it arrives, before faults
//! or authentication: a call that failed still cost a call, and a call to a route the target
//! does not have still shows up. Falcon counts more (writes, 429s, tokens) and keeps its own log.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use crate::locks::lock;

/// A copy of the counters at one moment; also the body of `GET /_sim/calls`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    /// Every API call (unknown routes included, `/_sim/` excluded).
    pub total: u64,
    /// `"METHOD route"` → calls.
    pub routes: BTreeMap<String, u64>,
}

/// The live counters of one simulator.
#[derive(Debug, Default)]
pub struct CallLog {
    counts: Mutex<CallCounts>,
}

impl CallLog {
    pub fn record(&self, method: &str, route: &str) {
        let mut counts = lock(&self.counts);
        *counts
            .routes
            .entry(format!("{method} {route}"))
            .or_default() += 1;
        counts.total += 1;
    }

    /// Calls recorded as `"METHOD route"`.
    pub fn count(&self, method: &str, route: &str) -> u64 {
        lock(&self.counts)
            .routes
            .get(&format!("{method} {route}"))
            .copied()
            .unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        lock(&self.counts).total
    }

    pub fn snapshot(&self) -> CallCounts {
        lock(&self.counts).clone()
    }

    pub fn reset(&self) {
        *lock(&self.counts) = CallCounts::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_route_and_in_total() {
        let log = CallLog::default();
        log.record("GET", "/v1/users/{userId}");
        log.record("GET", "/v1/users/{userId}");
        log.record("POST", "/v1/oauth");
        let snap = log.snapshot();
        assert_eq!(snap.total, 3);
        assert_eq!(snap.routes.get("GET /v1/users/{userId}"), Some(&2));
        assert_eq!(log.count("GET", "/v1/users/{userId}"), 2);
        assert_eq!(log.count("PUT", "/v1/users/{userId}"), 0);
        assert_eq!(log.total(), 3);
        log.reset();
        assert_eq!(log.snapshot(), CallCounts::default());
    }
}
