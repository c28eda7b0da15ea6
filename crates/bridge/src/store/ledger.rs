//! The deletion guard's ledger and the intents of interrupted user changes.
//!
//! Both live in the store so that they survive a restart: a crash loop must not reset the
//! guard's count, and a change cut off between two target calls must be finished afterwards.
//! The guard's count and its new entry are one transaction that excludes every other admission,
//! whichever process makes it: several replicas on one database admit exactly the limit.

use sqlx::{Any, Executor, Row};

use super::{Engine, Store, StoreError};

/// What the ledger says to a deletion about to happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Recorded under this ledger id.
    Admitted(i64),
    /// `limit` or more were recorded in the window; the oldest of them at `oldest`.
    Refused { count: u32, oldest: Option<i64> },
}

/// Key of the PostgreSQL advisory lock that serialises admissions (any fixed number will do;
/// this one spells "ledger").
const LEDGER_LOCK: i64 = 0x6c65_6467_6572;

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

    /// Records a deletion at `at` (Unix seconds) if fewer than `limit` were recorded since
    /// `since`; the count and the entry are one exclusive transaction.
    pub async fn admit_deletion(
        &self,
        at: i64,
        since: i64,
        limit: u32,
    ) -> Result<Admission, StoreError> {
        let mut tx = self.writer.begin_with(self.engine.begin_writing()).await?;
        if self.engine == Engine::Postgres {
            // Released at commit or rollback, so a replica that dies mid-way holds nothing.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(LEDGER_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM deprovision_ledger WHERE at >= $1",
        )
        .bind(since)
        .fetch_one(&mut *tx)
        .await?;
        let count = u32::try_from(row.try_get::<i64, _>("n")?).unwrap_or(u32::MAX);
        if count >= limit {
            let oldest = row.try_get("oldest")?;
            tx.rollback().await?;
            return Ok(Admission::Refused { count, oldest });
        }
        let id: i64 =
            sqlx::query_scalar("INSERT INTO deprovision_ledger (at) VALUES ($1) RETURNING id")
                .bind(at)
                .fetch_one(&mut *tx)
                .await?;
        // Rows older than a day are of no use to a rolling hour.
        sqlx::query("DELETE FROM deprovision_ledger WHERE at < $1")
            .bind(at - 86_400)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Admission::Admitted(id))
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

    /// The users with an intent recorded before `before`.
    pub async fn intents_before(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT user_id, at FROM intents")
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, at)| {
                chrono::DateTime::parse_from_rfc3339(at).map_or(true, |at| at < before)
            })
            .map(|(user, _)| user)
            .collect())
    }

    /// The intent recorded for `user_id`, if any.
    pub async fn intent_of(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT intent FROM intents WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.reader)
                .await?,
        )
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
    use super::Admission;

    #[tokio::test]
    async fn the_ledger_counts_a_window_and_forgets_cancelled_reservations_in_memory() {
        the_ledger_counts_a_window_and_forgets_cancelled_reservations().await;
    }

    pub(crate) async fn the_ledger_counts_a_window_and_forgets_cancelled_reservations() {
        let store = crate::store::testing::store().await;
        let admitted = |a: Admission| match a {
            Admission::Admitted(id) => id,
            refused => panic!("{refused:?}"),
        };
        admitted(store.admit_deletion(1_000, 0, 2).await.unwrap());
        let second = admitted(store.admit_deletion(2_000, 0, 2).await.unwrap());
        assert_eq!(
            store.admit_deletion(2_500, 0, 2).await.unwrap(),
            Admission::Refused {
                count: 2,
                oldest: Some(1_000)
            }
        );
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
        let later = chrono::Utc::now() + chrono::Duration::seconds(1);
        let mut before = store.intents_before(later).await.unwrap();
        before.sort();
        assert_eq!(before, ["u1", "u2"]);
        let earlier = chrono::Utc::now() - chrono::Duration::seconds(60);
        assert!(store.intents_before(earlier).await.unwrap().is_empty());
        assert_eq!(store.intent_of("u1").await.unwrap().as_deref(), Some("b"));
        store.clear_intent("u1").await.unwrap();
        assert_eq!(store.intent_of("u1").await.unwrap(), None);
        assert_eq!(
            store.intents().await.unwrap(),
            vec![("u2".into(), "c".into())]
        );
    }
}
