//! The change log (`changes`): what was written to users, groups, memberships and retired
//! accounts, in commit order. PostgreSQL's triggers fill it (migration 0008), so that a replica
//! can show what the others wrote; with SQLite it stays empty.

use super::{Store, StoreError};

/// What one row of the log says changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// The user with this SCIM id (created, changed or deleted).
    User(String),
    /// A group or its members.
    Groups,
    /// Whether this target account is retired.
    Retired(String),
}

impl Store {
    /// The log's rows after `seq`, oldest first, with the last one's number.
    pub async fn changes_since(&self, seq: i64) -> Result<(Vec<Changed>, i64), StoreError> {
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT seq, kind, id FROM changes WHERE seq > $1 ORDER BY seq")
                .bind(seq)
                .fetch_all(&self.reader)
                .await?;
        let last = rows.last().map_or(seq, |(seq, _, _)| *seq);
        let changes = rows
            .into_iter()
            .filter_map(|(_, kind, id)| match kind.as_str() {
                "user" => Some(Changed::User(id)),
                "group" | "membership" => Some(Changed::Groups),
                "retired" => Some(Changed::Retired(id)),
                _ => None,
            })
            .collect();
        Ok((changes, last))
    }

    /// The number of the log's last row (0 while it is empty).
    pub async fn last_change(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM changes")
                .fetch_one(&self.reader)
                .await?,
        )
    }

    /// Drops the rows written before `at` (Unix seconds); how many went.
    pub async fn forget_changes_before(&self, at: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM changes WHERE at < $1")
            .bind(at)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn is_retired(&self, account_id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM retired_accounts WHERE account_id = $1")
                .bind(account_id)
                .fetch_optional(&self.reader)
                .await?;
        Ok(found.is_some())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::{Engine, GroupRow, testing};

    #[tokio::test]
    async fn sqlite_keeps_no_change_log() {
        every_write_is_in_the_change_log().await;
    }

    pub(crate) async fn every_write_is_in_the_change_log() {
        let store = testing::store().await;
        let start = store.last_change().await.unwrap();
        let user = crate::store::users::tests::row("u1", "jane@example.com");
        store.save_user(&user).await.unwrap();
        let group = GroupRow {
            id: "g1".into(),
            display_name: "SOC".into(),
            external_id: None,
            roles: Vec::new(),
            created: chrono::Utc::now(),
            last_modified: chrono::Utc::now(),
        };
        store.save_group(&group).await.unwrap();
        store
            .change_members("g1", &["u1".to_owned()], &[], false)
            .await
            .unwrap();
        store
            .set_applied_roles("u1", &Default::default())
            .await
            .unwrap();
        store
            .retire_account(Some("u1"), "acc-1", "jane@example.com")
            .await
            .unwrap();
        let (changes, last) = store.changes_since(start).await.unwrap();
        if store.engine() == Engine::Sqlite {
            assert_eq!(changes, Vec::new(), "one replica: nothing to tell");
            return;
        }
        let user = || Changed::User("u1".into());
        assert_eq!(
            changes,
            vec![
                user(),
                Changed::Groups,
                Changed::Groups,
                // The grants the bridge made are not shown: no change for them.
                // Retiring deletes the user, whose membership goes with it.
                user(),
                Changed::Groups,
                Changed::Retired("acc-1".into()),
            ]
        );
        assert!(store.is_retired("acc-1").await.unwrap());
        assert_eq!(store.changes_since(last).await.unwrap().0, Vec::new());
        assert_eq!(store.last_change().await.unwrap(), last);
        let later = chrono::Utc::now().timestamp() + 1;
        assert_eq!(store.forget_changes_before(later).await.unwrap(), 6);
        assert_eq!(store.changes_since(start).await.unwrap().0, Vec::new());
    }
}
