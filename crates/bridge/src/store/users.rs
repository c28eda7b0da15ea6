//! Rows of the `users` table.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::{Store, StoreError};

/// One managed SCIM user as stored. `emails` and the directly given `roles` are kept as the
/// JSON the SCIM layer produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted: Option<String>,
    pub display_name: Option<String>,
    pub emails_json: String,
    pub roles_json: String,
    pub active: bool,
    /// The linked target account's id; absent while deprovisioned (a tombstone).
    pub account_id: Option<String>,
    /// What else the target needs to address the account, opaque to the core.
    pub account_detail: Option<String>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

fn from_row(row: &AnyRow) -> Result<UserRow, StoreError> {
    let time = |col: &str| -> Result<DateTime<Utc>, StoreError> {
        let text: String = row.try_get(col)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Corrupt(format!("{col} '{text}': {e}")))
    };
    Ok(UserRow {
        id: row.try_get("id")?,
        user_name: row.try_get("user_name")?,
        external_id: row.try_get("external_id")?,
        given_name: row.try_get("given_name")?,
        family_name: row.try_get("family_name")?,
        formatted: row.try_get("formatted")?,
        display_name: row.try_get("display_name")?,
        emails_json: row.try_get("emails")?,
        roles_json: row.try_get("direct_roles")?,
        active: row.try_get::<i64, _>("active")? != 0,
        account_id: row.try_get("account_id")?,
        account_detail: row.try_get("account_detail")?,
        created: time("created")?,
        last_modified: time("last_modified")?,
    })
}

impl Store {
    pub async fn all_users(&self) -> Result<Vec<UserRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM users ORDER BY id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(from_row).collect()
    }

    pub async fn user(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(from_row).transpose()
    }
}

pub(super) async fn upsert<'e>(
    executor: impl Executor<'e, Database = Any>,
    user: &UserRow,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO users (id, user_name, user_name_lc, external_id, given_name, family_name,
            formatted, display_name, emails, direct_roles, active, account_id, account_detail,
            created, last_modified)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT(id) DO UPDATE SET
            user_name = excluded.user_name, user_name_lc = excluded.user_name_lc,
            external_id = excluded.external_id, given_name = excluded.given_name,
            family_name = excluded.family_name, formatted = excluded.formatted,
            display_name = excluded.display_name, emails = excluded.emails,
            direct_roles = excluded.direct_roles,
            active = excluded.active, account_id = excluded.account_id,
            account_detail = excluded.account_detail, last_modified = excluded.last_modified",
    )
    .bind(&user.id)
    .bind(&user.user_name)
    .bind(user.user_name.to_lowercase())
    .bind(&user.external_id)
    .bind(&user.given_name)
    .bind(&user.family_name)
    .bind(&user.formatted)
    .bind(&user.display_name)
    .bind(&user.emails_json)
    .bind(&user.roles_json)
    .bind(i64::from(user.active))
    .bind(&user.account_id)
    .bind(&user.account_detail)
    .bind(user.created.to_rfc3339())
    .bind(user.last_modified.to_rfc3339())
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

pub(super) async fn delete<'e>(
    executor: impl Executor<'e, Database = Any>,
    id: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn row(id: &str, name: &str) -> UserRow {
        let now = Utc::now();
        UserRow {
            id: id.into(),
            user_name: name.into(),
            external_id: Some("ext".into()),
            given_name: Some("Jane".into()),
            family_name: None,
            formatted: None,
            display_name: None,
            emails_json: "[]".into(),
            roles_json: "[]".into(),
            active: true,
            account_id: Some(format!("f-{id}")),
            account_detail: Some("c".into()),
            created: now,
            last_modified: now,
        }
    }

    #[tokio::test]
    async fn saves_reads_updates_and_deletes_in_memory() {
        saves_reads_updates_and_deletes().await;
    }

    pub(crate) async fn saves_reads_updates_and_deletes() {
        let store = crate::store::testing::store().await;
        let mut user = row("a", "Jane@Example.com");
        store.save_user(&user).await.unwrap();
        assert_eq!(
            store.user("a").await.unwrap().unwrap().user_name,
            "Jane@Example.com"
        );
        user.active = false;
        user.account_id = None;
        store.save_user(&user).await.unwrap();
        let back = store.user("a").await.unwrap().unwrap();
        assert!(!back.active && back.account_id.is_none());
        assert_eq!(store.all_users().await.unwrap().len(), 1);
        assert!(store.delete_user("a").await.unwrap());
        assert!(store.user("a").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn user_names_are_unique_case_insensitively_in_memory() {
        user_names_are_unique_case_insensitively().await;
    }

    pub(crate) async fn user_names_are_unique_case_insensitively() {
        let store = crate::store::testing::store().await;
        store
            .save_user(&row("a", "jane@example.com"))
            .await
            .unwrap();
        assert!(
            store
                .save_user(&row("b", "JANE@example.com"))
                .await
                .is_err()
        );
    }

    /// Two tenants' stores on one database (PostgreSQL: two schemas) or beside one another
    /// (SQLite: two files) hold the same id and login apart; the change log too.
    pub(crate) async fn tenants_see_only_their_own_rows(url: &str) {
        let acme = Store::open_for(url, 2, Some("acme")).await.unwrap();
        let globex = Store::open_for(url, 2, Some("globex-eu")).await.unwrap();
        let mut theirs = row("a", "pat@example.com");
        theirs.account_id = Some("globex-account".into());
        acme.save_user(&row("a", "pat@example.com")).await.unwrap();
        globex.save_user(&theirs).await.unwrap();
        assert!(acme.delete_user("a").await.unwrap());
        assert!(acme.user("a").await.unwrap().is_none());
        let kept = globex
            .user("a")
            .await
            .unwrap()
            .expect("the other tenant's row");
        assert_eq!(kept.account_id.as_deref(), Some("globex-account"));
        assert_eq!(globex.all_users().await.unwrap().len(), 1);
        assert!(acme.all_users().await.unwrap().is_empty());
        if acme.engine() == crate::store::Engine::Postgres {
            // Each schema has its own change log: acme's saw a save and a delete, globex's one.
            assert_eq!(acme.changes_since(0, &[]).await.unwrap().len(), 2);
            assert_eq!(globex.changes_since(0, &[]).await.unwrap().len(), 1);
            // One lock name in two tenants is two locks.
            let held = acme
                .lock_across_replicas("user:a", std::time::Duration::ZERO)
                .await
                .unwrap();
            assert!(held.is_some());
            let other = globex
                .lock_across_replicas("user:a", std::time::Duration::ZERO)
                .await;
            assert!(matches!(other, Ok(Some(_))), "{other:?}");
        }
        // Opening again migrates nothing twice and finds the rows.
        acme.close().await;
        let again = Store::open_for(url, 2, Some("globex-eu")).await.unwrap();
        assert!(again.user("a").await.unwrap().is_some());
        globex.close().await;
        again.close().await;
    }

    #[tokio::test]
    async fn tenants_see_only_their_own_rows_in_files() {
        let dir = std::env::temp_dir().join(format!("fsb-tenants-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("falcon-scim-bridge.db").display());
        tenants_see_only_their_own_rows(&url).await;
        assert!(dir.join("falcon-scim-bridge.acme.db").exists());
        assert!(dir.join("falcon-scim-bridge.globex-eu.db").exists());
        assert!(!dir.join("falcon-scim-bridge.db").exists());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_file_store_survives_reopening() {
        let dir = std::env::temp_dir().join(format!("fsb-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("bridge.db").display());
        let store = Store::open(&url).await.unwrap();
        store
            .save_user(&row("a", "jane@example.com"))
            .await
            .unwrap();
        store.close().await;
        let again = Store::open(&url).await.unwrap();
        assert!(again.user("a").await.unwrap().is_some());
        again.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
