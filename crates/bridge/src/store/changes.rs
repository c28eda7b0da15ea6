//! The change log (`changes`): what was written to users, groups, memberships and retired
//! accounts, in commit order. PostgreSQL's triggers fill it (migration 0008), so that a replica
//! can show what the others wrote; with SQLite it stays empty.

use super::{Store, StoreError};

/// What one row of the log says changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// The user with this SCIM id (created, changed or deleted).
    User(String),
    /// The group with this SCIM id, or its members.
    Group(String),
    /// The memberships of the user with this SCIM id (a [`Changed::Group`] comes with it).
    Member(String),
    /// Whether this target account is retired.
    Retired(String),
}

impl Store {
    /// The log's rows after `seq`, and those numbered `holes` (numbers once skipped: a
    /// transaction takes its number when it writes and may commit after a later one), oldest
    /// first, with their numbers.
    pub async fn changes_since(
        &self,
        seq: i64,
        holes: &[i64],
    ) -> Result<Vec<(i64, Changed)>, StoreError> {
        // Numbers the bridge itself computed: nothing from outside reaches the text.
        let holes = if holes.is_empty() {
            String::new()
        } else {
            let listed: Vec<String> = holes.iter().map(i64::to_string).collect();
            format!(" OR seq IN ({})", listed.join(", "))
        };
        let rows: Vec<(i64, String, String)> = sqlx::query_as(&format!(
            "SELECT seq, kind, id FROM changes WHERE seq > $1{holes} ORDER BY seq"
        ))
        .bind(seq)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(seq, kind, id)| {
                let changed = match kind.as_str() {
                    "user" => Changed::User(id),
                    "group" | "membership" => Changed::Group(id),
                    "member" => Changed::Member(id),
                    "retired" => Changed::Retired(id),
                    _ => return None,
                };
                Some((seq, changed))
            })
            .collect())
    }

    /// The SCIM ids of the users changed, or whose memberships changed, from `from` until
    /// before `until` (Unix seconds).
    pub async fn users_changed_between(
        &self,
        from: i64,
        until: i64,
    ) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT id FROM changes WHERE kind IN ('user', 'member') \
             AND at >= $1 AND at < $2 ORDER BY id",
        )
        .bind(from)
        .bind(until)
        .fetch_all(&self.reader)
        .await?)
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
        let read = store.changes_since(start, &[]).await.unwrap();
        let changes: Vec<Changed> = read.iter().map(|(_, c)| c.clone()).collect();
        let last = read.last().map_or(start, |(seq, _)| *seq);
        if store.engine() == Engine::Sqlite {
            assert_eq!(changes, Vec::new(), "one replica: nothing to tell");
            return;
        }
        let user = || Changed::User("u1".into());
        let member = || Changed::Member("u1".into());
        let group = || Changed::Group("g1".into());
        assert_eq!(
            changes,
            vec![
                user(),
                group(),
                group(),
                member(),
                // The grants the bridge made are not shown: no change for them.
                // Retiring deletes the user, whose membership goes with it.
                user(),
                group(),
                member(),
                Changed::Retired("acc-1".into()),
            ]
        );
        let now = chrono::Utc::now().timestamp();
        assert_eq!(
            store
                .users_changed_between(now - 60, now + 1)
                .await
                .unwrap(),
            vec!["u1".to_owned()]
        );
        assert_eq!(
            store
                .users_changed_between(now + 1, now + 60)
                .await
                .unwrap(),
            Vec::<String>::new()
        );
        // A number skipped is read again by asking for it.
        let (first, _) = &read[0];
        let again = store.changes_since(last, &[*first]).await.unwrap();
        assert_eq!(again, vec![(*first, user())]);
        assert!(store.is_retired("acc-1").await.unwrap());
        assert_eq!(store.changes_since(last, &[]).await.unwrap(), Vec::new());
        assert_eq!(store.last_change().await.unwrap(), last);
        let later = chrono::Utc::now().timestamp() + 1;
        assert_eq!(store.forget_changes_before(later).await.unwrap(), 8);
        assert_eq!(store.changes_since(start, &[]).await.unwrap(), Vec::new());
    }
}
