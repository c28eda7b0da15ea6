//! The deletion guard: at most N account deletions (or deactivations) per rolling hour.
//!
//! An IdP misconfiguration (a wrong assignment rule, a deleted group) can deprovision a whole
//! tenant in one cycle, and a deleted account cannot be brought back. Past the limit the
//! bridge refuses with a SCIM 503 and `Retry-After`, which both IdPs retry later, so nothing is
//! lost while an admin looks. The ledger is in the store: a restart does not reset the count.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::store::{Admission, Store, StoreError};
use crate::telemetry as names;

const WINDOW: Duration = Duration::from_secs(3600);

/// What the guard counts, which depends on how the target deprovisions; messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Account deletions (Falcon, whose deactivation is a deletion).
    Deletions,
    /// Native deactivations (Incydr, which cannot delete).
    Deactivations,
    /// Both, where the target deactivates and deletes (LumApps, Allthenticate).
    Deprovisionings,
}

impl Counted {
    /// What the target's deprovisioning capabilities make the guard count.
    pub fn of(caps: &target_api::Capabilities) -> Self {
        match (caps.deactivate.is_native(), caps.delete) {
            (false, _) => Counted::Deletions,
            (true, target_api::DeleteMode::None) => Counted::Deactivations,
            (true, _) => Counted::Deprovisionings,
        }
    }

    /// "deleted", "deactivated", "deprovisioned".
    pub fn past(self) -> &'static str {
        match self {
            Counted::Deletions => "deleted",
            Counted::Deactivations => "deactivated",
            Counted::Deprovisionings => "deprovisioned",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Counted::Deletions => "delete",
            Counted::Deactivations => "deactivate",
            Counted::Deprovisionings => "deprovision",
        }
    }
}

#[derive(Debug)]
pub struct DeletionGuard {
    limit: u32,
    /// The target's product name, for the admin: "Falcon".
    product: &'static str,
    counted: Counted,
}

/// A deletion the guard allowed; give it back with [`DeletionGuard::cancel`] if it did not
/// happen.
#[derive(Debug)]
pub struct Permit(i64);

#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(
        "the deletion guard refused: {limit} {product} users were already {} in the last hour \
         (BRIDGE_MAX_DELETIONS_PER_HOUR={limit}); retry in {retry_after} s", counted.past()
    )]
    Refused {
        product: &'static str,
        counted: Counted,
        limit: u32,
        retry_after: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

impl DeletionGuard {
    pub fn new(limit: u32, product: &'static str, counted: Counted) -> Self {
        Self {
            limit,
            product,
            counted,
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Records a deletion about to happen, or refuses it. The store makes the count and the
    /// record one step, so that 50 concurrent deactivations, on one replica or several, cannot
    /// all see room.
    pub async fn admit(&self, store: &Store, user: &str) -> Result<Permit, GuardError> {
        let now = now_secs();
        let window = WINDOW.as_secs() as i64;
        let (count, oldest) = match store.admit_deletion(now, now - window, self.limit).await? {
            Admission::Admitted(id) => return Ok(Permit(id)),
            Admission::Refused { count, oldest } => (count, oldest),
        };
        let retry_after = oldest.map_or(window, |t| t + window - now).max(1) as u64;
        metrics::counter!(names::GUARD_REFUSALS).increment(1);
        tracing::error!(
            user,
            limit = self.limit,
            retry_after,
            "deletion guard: refusing to {} a {} user; {count} were {} in the last hour. \
             If this is intended, raise BRIDGE_MAX_DELETIONS_PER_HOUR and restart; \
             otherwise check the IdP's assignments before it retries",
            self.counted.verb(),
            self.product,
            self.counted.past(),
        );
        Err(GuardError::Refused {
            product: self.product,
            counted: self.counted,
            limit: self.limit,
            retry_after,
        })
    }

    /// The deletion did not happen: it does not count.
    pub async fn cancel(&self, store: &Store, permit: Permit) -> Result<(), StoreError> {
        store.cancel_deletion(permit.0).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn admits_up_to_the_limit_then_refuses_until_a_permit_is_cancelled() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let guard = DeletionGuard::new(2, "Falcon", Counted::Deletions);
        let first = guard.admit(&store, "a").await.unwrap();
        guard.admit(&store, "b").await.unwrap();
        match guard.admit(&store, "c").await {
            Err(GuardError::Refused {
                limit, retry_after, ..
            }) => {
                assert_eq!(limit, 2);
                assert!((1..=3600).contains(&retry_after), "{retry_after}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        guard.cancel(&store, first).await.unwrap();
        guard.admit(&store, "c").await.unwrap();
    }

    #[tokio::test]
    async fn zero_allows_no_deletion() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let err = DeletionGuard::new(0, "Incydr", Counted::Deactivations)
            .admit(&store, "a")
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the deletion guard refused: 0 Incydr users were already deactivated"),
            "{err}"
        );
        assert!(
            matches!(err, GuardError::Refused { limit: 0, .. }),
            "{err:?}"
        );
    }

    /// Two replicas on one PostgreSQL database, each with its own guard, as a load balancer
    /// spreads an IdP's deactivations over them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_replicas_on_postgres_admit_exactly_the_limit() {
        let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
            return;
        };
        let url = server.fresh_database().await.unwrap();
        let replicas = [
            Store::open(&url).await.unwrap(),
            Store::open(&url).await.unwrap(),
        ];
        let attempts: Vec<_> = (0..30)
            .map(|i| {
                let store = replicas[i % 2].clone();
                tokio::spawn(async move {
                    let guard = DeletionGuard::new(25, "Falcon", Counted::Deletions);
                    guard.admit(&store, &format!("u{i}")).await
                })
            })
            .collect();
        let (mut admitted, mut refused) = (0, 0);
        for attempt in attempts {
            match attempt.await.unwrap() {
                Ok(_) => admitted += 1,
                Err(GuardError::Refused { .. }) => refused += 1,
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!((admitted, refused), (25, 5));
        let (count, _) = replicas[0].deletions_since(0).await.unwrap();
        assert_eq!(count, 25);
    }

    #[tokio::test]
    async fn the_ledger_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("fsb-guard-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("guard.db").display());
        let store = Store::open(&url).await.unwrap();
        DeletionGuard::new(1, "Falcon", Counted::Deletions)
            .admit(&store, "a")
            .await
            .unwrap();
        store.close().await;

        let reopened = Store::open(&url).await.unwrap();
        let refused = DeletionGuard::new(1, "Falcon", Counted::Deletions)
            .admit(&reopened, "b")
            .await;
        assert!(
            matches!(refused, Err(GuardError::Refused { .. })),
            "{refused:?}"
        );
        reopened.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
