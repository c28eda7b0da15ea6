//! Call accounting: how many Allthenticate calls the client under test made, and to which route.
//!
//! Calls are keyed by `"METHOD /path"` (for example `POST /togglesuspension`); Allthenticate's
//! routes carry no ids in the path, so the path is the template (a trailing slash or an
//! unknown path is counted as sent, and answered 404). Every request is counted when
//! it arrives, before latency, faults or authentication: a call that failed still cost a call,
//! and a call to a route Allthenticate does not have still shows up.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use sim_support::locks::lock;

/// A copy of the counters at one moment; also the body of `GET /_sim/calls`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    /// Every API call (unknown routes included, `/_sim/` excluded).
    pub total: u64,
    /// `"METHOD /path"` → calls.
    pub routes: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub(crate) struct CallLog {
    counts: Mutex<CallCounts>,
}

impl CallLog {
    pub(crate) fn record(&self, method: &str, route: &str) {
        let mut counts = lock(&self.counts);
        *counts
            .routes
            .entry(format!("{method} {route}"))
            .or_default() += 1;
        counts.total += 1;
    }

    pub(crate) fn snapshot(&self) -> CallCounts {
        lock(&self.counts).clone()
    }

    pub(crate) fn reset(&self) {
        *lock(&self.counts) = CallCounts::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_route_and_in_total() {
        let log = CallLog::default();
        log.record("POST", "/togglesuspension");
        log.record("POST", "/togglesuspension");
        log.record("GET", "/multipleusers");
        let snap = log.snapshot();
        assert_eq!(snap.total, 3);
        assert_eq!(snap.routes.get("POST /togglesuspension"), Some(&2));
        log.reset();
        assert_eq!(log.snapshot(), CallCounts::default());
    }
}
