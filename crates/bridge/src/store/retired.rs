//! Rows of `retired_accounts`: target accounts the IdP deleted where the target cannot delete.

use chrono::Utc;

use super::{Store, StoreError};

impl Store {
    /// The ids of every retired account.
    pub async fn retired_accounts(&self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT account_id FROM retired_accounts ORDER BY account_id")
                .fetch_all(&self.reader)
                .await?,
        )
    }

    /// Forgets the user `user_id` (when the bridge managed it) and retires its account, in one
    /// transaction: a crash leaves either the user or the retirement, never neither.
    pub async fn retire_account(
        &self,
        user_id: Option<&str>,
        account_id: &str,
        login: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin_with(self.engine.begin_writing()).await?;
        if let Some(user_id) = user_id {
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO retired_accounts (account_id, login, retired_at) VALUES ($1, $2, $3)
             ON CONFLICT(account_id) DO UPDATE SET login = excluded.login,
                retired_at = excluded.retired_at",
        )
        .bind(account_id)
        .bind(login)
        .bind(Utc::now().to_rfc3339())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account is in use again (the IdP provisioned its login anew).
    pub async fn unretire_account(&self, account_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM retired_accounts WHERE account_id = $1")
            .bind(account_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::UserRow;

    #[tokio::test]
    async fn retiring_forgets_the_user_and_remembers_the_account_in_memory() {
        retiring_forgets_the_user_and_remembers_the_account().await;
    }

    pub(crate) async fn retiring_forgets_the_user_and_remembers_the_account() {
        let store = crate::store::testing::store().await;
        let now = Utc::now();
        store
            .save_user(&UserRow {
                id: "u1".into(),
                user_name: "jane@example.com".into(),
                external_id: None,
                given_name: None,
                family_name: None,
                formatted: None,
                display_name: None,
                emails_json: "[]".into(),
                roles_json: "[]".into(),
                active: true,
                account_id: Some("a1".into()),
                account_detail: None,
                created: now,
                last_modified: now,
            })
            .await
            .unwrap();
        store
            .retire_account(Some("u1"), "a1", "jane@example.com")
            .await
            .unwrap();
        assert!(store.user("u1").await.unwrap().is_none());
        assert_eq!(store.retired_accounts().await.unwrap(), ["a1"]);
        // Retiring again (a replayed deletion) is no error.
        store
            .retire_account(None, "a1", "jane@example.com")
            .await
            .unwrap();
        store.unretire_account("a1").await.unwrap();
        assert!(store.retired_accounts().await.unwrap().is_empty());
    }
}
