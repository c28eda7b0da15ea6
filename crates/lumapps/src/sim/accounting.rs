//! Call accounting: how many LumApps calls the client under test made, and to which route.
//!
//! Calls are keyed by `"METHOD /path-template"` (for example `POST /_ah/api/lumsites/v1/user/save`)
//! so a test can count calls per operation whatever the ids. Every request is counted when it
//! arrives, before faults or authentication: a call that failed still cost a call, and
//! a call to a route LumApps does not have still shows up.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use sim_support::locks::lock;

/// A copy of the counters at one moment; also the body of `GET /_sim/calls`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    /// Every API call (token endpoint and unknown routes included, `/_sim/` excluded).
    pub total: u64,
    /// `"METHOD /path-template"` → calls.
    pub routes: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub(crate) struct CallLog {
    counts: Mutex<CallCounts>,
}

impl CallLog {
    pub(crate) fn record(&self, method: &str, template: &str) {
        let mut counts = lock(&self.counts);
        *counts
            .routes
            .entry(format!("{method} {template}"))
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
        log.record("GET", "/_ah/api/lumsites/v1/user/get");
        log.record("GET", "/_ah/api/lumsites/v1/user/get");
        log.record("POST", "/v2/organizations/{org}/application-token");
        let snap = log.snapshot();
        assert_eq!(snap.total, 3);
        assert_eq!(
            snap.routes.get("GET /_ah/api/lumsites/v1/user/get"),
            Some(&2)
        );
        log.reset();
        assert_eq!(log.snapshot(), CallCounts::default());
    }
}
