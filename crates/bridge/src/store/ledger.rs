//! The deletion guard's ledger and the intents of interrupted user changes.
//!
//! Both live in the store so that they survive a restart: a crash loop must not reset the
//! guard's count, and a change cut off between two target calls must be finished afterwards.

use sqlx::{Any, Executor, Row};

use super::{Store, StoreError};

impl Store {
    /// Deletions recorded at or after `since` (Unix seconds), and the oldest of them.
    pub async fn deletions_since(&self, since: i64) -> Result<(u32, Option<i64>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM deprovision_ledger WHERE at >= $1",
        )
        .bind(since)
        .fetch_one(&self.reader)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok((u32::try_from(n).unwrap_or(u32::MAX), row.try_get("oldest")?))
    }

    /// Records a deletion at `at` (Unix seconds); returns its ledger id.
    pub async fn record_deletion(&self, at: i64) -> Result<i64, StoreError> {
        let id: i64 =
            sqlx::query_scalar("INSERT INTO deprovision_ledger (at) VALUES ($1) RETURNING id")
                .bind(at)
                .fetch_one(&self.writer)
                .await?;
        // Rows older than a day are of no use to a rolling hour.
        sqlx::query("DELETE FROM deprovision_ledger WHERE at < $1")
            .bind(at - 86_400)
            .execute(&self.writer)
            .await?;
        Ok(id)
    }

    /// Takes back a reservation whose deletion did not happen.
    pub async fn cancel_deletion(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM deprovision_ledger WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// `(user_id, intent)` of every change not known to have finished.
    pub async fn intents(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT user_id, intent FROM intents ORDER BY at")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("user_id")?, r.try_get("intent")?)))
            .collect()
    }
}

pub(super) async fn upsert_intent<'e>(
    executor: impl Executor<'e, Database = Any>,
    user_id: &str,
    intent: &str,
    at: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO intents (user_id, intent, at) VALUES ($1, $2, $3) \
         ON CONFLICT(user_id) DO UPDATE SET intent = excluded.intent, at = excluded.at",
    )
    .bind(user_id)
    .bind(intent)
    .bind(at)
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

pub(super) async fn delete_intent<'e>(
    executor: impl Executor<'e, Database = Any>,
    user_id: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM intents WHERE user_id = $1")
        .bind(user_id)
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
pub(super) mod tests {
    #[tokio::test]
    async fn the_ledger_counts_a_window_and_forgets_cancelled_reservations_in_memory() {
        the_ledger_counts_a_window_and_forgets_cancelled_reservations().await;
    }

    pub(crate) async fn the_ledger_counts_a_window_and_forgets_cancelled_reservations() {
        let store = crate::store::testing::store().await;
        store.record_deletion(1_000).await.unwrap();
        let second = store.record_deletion(2_000).await.unwrap();
        assert_eq!(store.deletions_since(0).await.unwrap(), (2, Some(1_000)));
        assert_eq!(
            store.deletions_since(1_500).await.unwrap(),
            (1, Some(2_000))
        );
        store.cancel_deletion(second).await.unwrap();
        assert_eq!(store.deletions_since(1_500).await.unwrap(), (0, None));
    }

    #[tokio::test]
    async fn intents_are_replaced_and_cleared_in_memory() {
        intents_are_replaced_and_cleared().await;
    }

    pub(crate) async fn intents_are_replaced_and_cleared() {
        let store = crate::store::testing::store().await;
        store.save_intent("u1", "a").await.unwrap();
        store.save_intent("u1", "b").await.unwrap();
        store.save_intent("u2", "c").await.unwrap();
        let intents = store.intents().await.unwrap();
        assert_eq!(intents.len(), 2);
        assert!(intents.contains(&("u1".into(), "b".into())));
        store.clear_intent("u1").await.unwrap();
        assert_eq!(
            store.intents().await.unwrap(),
            vec![("u2".into(), "c".into())]
        );
    }
}
