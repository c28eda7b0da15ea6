//! One user's role grants with their recent history, so reads can lag behind writes.
//!
//! Falcon's CombinedUserRolesV2 is eventually consistent: after a grant or revoke, reads keep
//! showing the old state for a while. The ledger keeps every change newer than the configured
//! lag as a timestamped event on top of a settled snapshot; a lagged read replays the events up
//! to `now - lag`. Events older than the lag can never be "unseen" again, so they are folded into
//! the snapshot and the history stays small.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// A role the user holds; `expires_at` is set for temporary grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Held {
    pub expires_at: Option<DateTime<Utc>>,
}

impl Held {
    fn is_live(&self, wall_now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at > wall_now)
    }
}

#[derive(Debug, Clone)]
struct Change {
    at: Instant,
    role_id: String,
    /// `None` = revoked.
    to: Option<Held>,
}

/// Grants of one user: role id -> how it is held.
#[derive(Debug, Clone, Default)]
pub(crate) struct GrantLedger {
    settled: BTreeMap<String, Held>,
    recent: VecDeque<Change>,
}

impl GrantLedger {
    /// Records a grant (`Some`) or revoke (`None`) made at `at`, and folds history older than
    /// `lag` into the snapshot. Returns whether the current state changed.
    pub(crate) fn record(
        &mut self,
        at: Instant,
        role_id: &str,
        to: Option<Held>,
        lag: Duration,
    ) -> bool {
        let changed = self.current().get(role_id) != to.as_ref();
        if changed {
            self.recent.push_back(Change {
                at,
                role_id: role_id.to_owned(),
                to,
            });
        }
        if let Some(horizon) = at.checked_sub(lag) {
            self.settle(horizon);
        }
        changed
    }

    fn settle(&mut self, horizon: Instant) {
        while self.recent.front().is_some_and(|c| c.at <= horizon) {
            if let Some(change) = self.recent.pop_front() {
                apply(&mut self.settled, change);
            }
        }
    }

    /// The grants as they were at `at` (expired temporary grants included).
    pub(crate) fn as_of(&self, at: Instant) -> BTreeMap<String, Held> {
        let mut state = self.settled.clone();
        for change in self.recent.iter().take_while(|c| c.at <= at) {
            apply(&mut state, change.clone());
        }
        state
    }

    /// The grants right now (expired temporary grants included).
    pub(crate) fn current(&self) -> BTreeMap<String, Held> {
        let mut state = self.settled.clone();
        for change in &self.recent {
            apply(&mut state, change.clone());
        }
        state
    }

    /// The grants as seen by a reader lagging `lag` behind `now`, without temporary grants that
    /// have expired by `wall_now`.
    pub(crate) fn visible(
        &self,
        now: Instant,
        lag: Duration,
        wall_now: DateTime<Utc>,
    ) -> BTreeMap<String, Held> {
        let state = match now.checked_sub(lag) {
            Some(at) => self.as_of(at),
            // The process is younger than the lag: the reader sees the oldest known state.
            None => self.settled.clone(),
        };
        state
            .into_iter()
            .filter(|(_, held)| held.is_live(wall_now))
            .collect()
    }
}

fn apply(state: &mut BTreeMap<String, Held>, change: Change) {
    match change.to {
        Some(held) => {
            state.insert(change.role_id, held);
        }
        None => {
            state.remove(&change.role_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAG: Duration = Duration::from_secs(5);
    const PERMANENT: Option<Held> = Some(Held { expires_at: None });

    fn ids(map: &BTreeMap<String, Held>) -> Vec<&str> {
        map.keys().map(String::as_str).collect()
    }

    #[test]
    fn lagged_reads_see_the_past() {
        let t0 = Instant::now() + Duration::from_secs(100);
        let mut ledger = GrantLedger::default();
        assert!(ledger.record(t0, "falcon_analyst", PERMANENT, LAG));
        assert!(ledger.record(t0 + Duration::from_secs(2), "event_viewer", PERMANENT, LAG));
        assert!(ledger.record(t0 + Duration::from_secs(3), "falcon_analyst", None, LAG));

        assert_eq!(ids(&ledger.current()), vec!["event_viewer"]);
        let wall = Utc::now();
        assert!(ids(&ledger.visible(t0 + Duration::from_secs(4), LAG, wall)).is_empty());
        assert_eq!(
            ids(&ledger.visible(t0 + Duration::from_secs(6), LAG, wall)),
            vec!["falcon_analyst"]
        );
        assert_eq!(
            ids(&ledger.visible(t0 + Duration::from_secs(7), LAG, wall)),
            vec!["event_viewer", "falcon_analyst"]
        );
        assert_eq!(
            ids(&ledger.visible(t0 + Duration::from_secs(8), LAG, wall)),
            vec!["event_viewer"]
        );
    }

    #[test]
    fn old_history_is_folded_but_reads_are_unchanged() {
        let t0 = Instant::now() + Duration::from_secs(100);
        let mut ledger = GrantLedger::default();
        ledger.record(t0, "a", PERMANENT, LAG);
        ledger.record(t0 + Duration::from_secs(20), "b", PERMANENT, LAG);
        assert_eq!(
            ledger.recent.len(),
            1,
            "the grant of 'a' is older than the lag"
        );
        assert_eq!(ids(&ledger.as_of(t0 + Duration::from_secs(19))), vec!["a"]);
        assert_eq!(ids(&ledger.current()), vec!["a", "b"]);
    }

    #[test]
    fn zero_lag_reads_are_immediate_and_noops_are_reported() {
        let now = Instant::now();
        let mut ledger = GrantLedger::default();
        assert!(
            !ledger.record(now, "a", None, Duration::ZERO),
            "revoking what is not held"
        );
        assert!(ledger.record(now, "a", PERMANENT, Duration::ZERO));
        assert!(
            !ledger.record(now, "a", PERMANENT, Duration::ZERO),
            "granting twice"
        );
        assert_eq!(
            ids(&ledger.visible(now, Duration::ZERO, Utc::now())),
            vec!["a"]
        );
    }

    #[test]
    fn expired_temporary_grants_disappear() {
        let now = Instant::now();
        let wall = Utc::now();
        let mut ledger = GrantLedger::default();
        let temp = Some(Held {
            expires_at: Some(wall + chrono::Duration::seconds(60)),
        });
        ledger.record(now, "temp", temp, Duration::ZERO);
        assert_eq!(
            ids(&ledger.visible(now, Duration::ZERO, wall)),
            vec!["temp"]
        );
        let later = wall + chrono::Duration::seconds(61);
        assert!(ledger.visible(now, Duration::ZERO, later).is_empty());
    }
}
