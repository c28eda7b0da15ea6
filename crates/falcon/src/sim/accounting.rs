//! Call accounting: how many Falcon calls the client under test made, and of which kind.
//!
//! The benchmark reports Falcon calls per SCIM operation and tests assert that the bridge never
//! touches deprecated routes, so every request is counted when it arrives, before any fault,
//! authentication or rate-limit decision: a call that failed still cost a call.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use sim_support::locks::lock;

/// A copy of the counters at one moment; also the body of `GET /_sim/calls`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct CallSnapshot {
    /// `/user-management` calls.
    pub total: u64,
    /// Create, update, delete, role-action and user-action calls.
    pub writes: u64,
    /// 429s answered, on any route.
    pub throttled: u64,
    /// `"METHOD /path"` -> calls, every route including the token endpoint and unknown routes.
    pub routes: BTreeMap<String, u64>,
    /// Access token -> authenticated `/user-management` calls made with it.
    pub tokens: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub(crate) struct CallLog {
    counts: Mutex<CallSnapshot>,
}

impl CallLog {
    pub(crate) fn record(&self, method: &str, path: &str, user_management: bool, write: bool) {
        let mut counts = lock(&self.counts);
        *counts.routes.entry(format!("{method} {path}")).or_default() += 1;
        counts.total += u64::from(user_management);
        counts.writes += u64::from(write);
    }

    pub(crate) fn record_token(&self, token: &str) {
        *lock(&self.counts)
            .tokens
            .entry(token.to_owned())
            .or_default() += 1;
    }

    pub(crate) fn record_throttled(&self) {
        lock(&self.counts).throttled += 1;
    }

    pub(crate) fn snapshot(&self) -> CallSnapshot {
        lock(&self.counts).clone()
    }

    /// Calls to `path` with any method.
    pub(crate) fn route_total(&self, path: &str) -> u64 {
        lock(&self.counts)
            .routes
            .iter()
            .filter(|(key, _)| key.split_once(' ').is_some_and(|(_, p)| p == path))
            .map(|(_, n)| n)
            .sum()
    }

    pub(crate) fn reset(&self) {
        *lock(&self.counts) = CallSnapshot::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_route_and_kind() {
        let log = CallLog::default();
        log.record("POST", "/user-management/entities/users/v1", true, true);
        log.record("PATCH", "/user-management/entities/users/v1", true, true);
        log.record("GET", "/user-management/entities/users/v1/x", true, false);
        log.record("POST", "/oauth2/token", false, false);
        log.record_throttled();
        log.record_token("t");
        let snap = log.snapshot();
        assert_eq!((snap.total, snap.writes, snap.throttled), (3, 2, 1));
        assert_eq!(snap.routes.get("POST /oauth2/token"), Some(&1));
        assert_eq!(snap.tokens.get("t"), Some(&1));
        assert_eq!(log.route_total("/user-management/entities/users/v1"), 2);
        log.reset();
        assert_eq!(log.snapshot(), CallSnapshot::default());
    }
}
