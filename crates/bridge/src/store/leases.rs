//! Leases: a job that must run on one replica at a time (the scheduled reconciliation) is run
//! by whoever holds its lease. A holder renews its lease by taking it again; one that dies stops
//! renewing, and once the lease expires another process takes it. One statement decides, so two
//! processes asking at once cannot both win.

use super::{Store, StoreError};

impl Store {
    /// Takes the lease `name` for `holder` until `until` (Unix seconds) if it is free, expired
    /// at `now`, or already `holder`'s; answers whether `holder` holds it now.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let taken: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, \
                expires_at = excluded.expires_at \
             WHERE leases.expires_at <= $4 OR leases.holder = excluded.holder \
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(until)
        .bind(now)
        .fetch_optional(&self.writer)
        .await?;
        Ok(taken.is_some())
    }
}

#[cfg(test)]
pub(super) mod tests {
    #[tokio::test]
    async fn a_lease_has_one_holder_until_it_expires_in_memory() {
        a_lease_has_one_holder_until_it_expires().await;
    }

    pub(crate) async fn a_lease_has_one_holder_until_it_expires() {
        let store = crate::store::testing::store().await;
        assert!(store.take_lease("reconcile", "a", 100, 160).await.unwrap());
        assert!(
            !store.take_lease("reconcile", "b", 120, 180).await.unwrap(),
            "held by a"
        );
        assert!(
            store.take_lease("reconcile", "a", 150, 210).await.unwrap(),
            "a renews"
        );
        assert!(!store.take_lease("reconcile", "b", 200, 260).await.unwrap());
        assert!(
            store.take_lease("reconcile", "b", 210, 270).await.unwrap(),
            "expired: b takes it"
        );
        assert!(!store.take_lease("reconcile", "a", 220, 280).await.unwrap());
        assert!(
            store.take_lease("other-job", "a", 220, 280).await.unwrap(),
            "each job has its own lease"
        );
    }
}
