//! The audit log: one row per target write, with the SCIM request that caused it.
//!
//! The credential is recorded by its configured name, never its value. Rows are only ever
//! appended; `falcon-scim-bridge audit` reads them back.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

use super::{Store, StoreError};

/// One target write as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    /// `create`, `rename`, `delete`, `grant`, `revoke`, `activate` or `deactivate`.
    pub operation: String,
    /// The login the write concerned.
    pub login: String,
    /// The target account's id (Falcon: the user uuid).
    pub account_id: Option<String>,
    /// The entitlements it granted or revoked (Falcon role ids).
    pub roles: Vec<String>,
    /// `ok`, `failed` or `dry-run`.
    pub outcome: String,
    /// The error, when the write failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub trace_id: Option<String>,
    /// The SCIM request (`PATCH /scim/v2/Users/…`), or what else caused it (`start-up`,
    /// `reconcile`).
    pub method: Option<String>,
    pub path: Option<String>,
    pub credential: Option<String>,
    pub request_id: Option<String>,
}

/// Which records to read back.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub since: Option<DateTime<Utc>>,
    /// A login, compared case-insensitively.
    pub login: Option<String>,
    pub limit: Option<u32>,
}

fn from_row(row: &AnyRow) -> Result<AuditRecord, StoreError> {
    let at: String = row.try_get("at")?;
    let roles: String = row.try_get("roles")?;
    Ok(AuditRecord {
        at: DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Corrupt(format!("audit.at '{at}': {e}")))?,
        operation: row.try_get("operation")?,
        login: row.try_get("login")?,
        account_id: row.try_get("account_id")?,
        roles: serde_json::from_str(&roles)
            .map_err(|e| StoreError::Corrupt(format!("audit.roles '{roles}': {e}")))?,
        outcome: row.try_get("outcome")?,
        detail: row.try_get("detail")?,
        trace_id: row.try_get("trace_id")?,
        method: row.try_get("method")?,
        path: row.try_get("path")?,
        credential: row.try_get("credential")?,
        request_id: row.try_get("request_id")?,
    })
}

impl Store {
    /// Records matching `query`, oldest first.
    pub async fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
        let since = query
            .since
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        // No LIMIT at all when none is asked: the engines disagree on what a negative one means.
        let limit = match query.limit {
            Some(n) => format!("LIMIT {n}"),
            None => String::new(),
        };
        let rows = sqlx::query(&format!(
            "SELECT * FROM (SELECT * FROM audit \
             WHERE ($1 IS NULL OR at >= $1) AND ($2 IS NULL OR lower(login) = lower($2)) \
             ORDER BY id DESC {limit}) AS recent ORDER BY id",
        ))
        .bind(since)
        .bind(&query.login)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(from_row).collect()
    }
}

pub(super) async fn insert<'e>(
    executor: impl Executor<'e, Database = Any>,
    record: &AuditRecord,
) -> Result<u64, sqlx::Error> {
    let roles = serde_json::to_string(&record.roles).unwrap_or_else(|_| "[]".into());
    let done = sqlx::query(
        "INSERT INTO audit (at, operation, login, account_id, roles, outcome, detail, trace_id, \
         method, path, credential, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(
        record
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
    .bind(&record.operation)
    .bind(&record.login)
    .bind(&record.account_id)
    .bind(roles)
    .bind(&record.outcome)
    .bind(&record.detail)
    .bind(&record.trace_id)
    .bind(&record.method)
    .bind(&record.path)
    .bind(&record.credential)
    .bind(&record.request_id)
    .execute(executor)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn record(login: &str, at: DateTime<Utc>) -> AuditRecord {
        AuditRecord {
            at,
            operation: "grant".into(),
            login: login.into(),
            account_id: Some("u-1".into()),
            roles: vec!["falcon_analyst".into()],
            outcome: "ok".into(),
            detail: None,
            trace_id: Some("t-1".into()),
            method: Some("PATCH".into()),
            path: Some("/scim/v2/Groups/g".into()),
            credential: Some("okta".into()),
            request_id: Some("r-1".into()),
        }
    }

    #[tokio::test]
    async fn records_read_back_filtered_by_time_and_login_in_memory() {
        records_read_back_filtered_by_time_and_login().await;
    }

    pub(crate) async fn records_read_back_filtered_by_time_and_login() {
        let store = crate::store::testing::store().await;
        let old = Utc::now() - chrono::Duration::hours(2);
        let new = Utc::now();
        store
            .append_audit(&record("a@example.com", old))
            .await
            .unwrap();
        store
            .append_audit(&record("B@example.com", new))
            .await
            .unwrap();

        let all = store.audit(&AuditQuery::default()).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].login, "a@example.com", "oldest first");
        assert_eq!(all[0].roles, vec!["falcon_analyst".to_string()]);

        let recent = AuditQuery {
            since: Some(Utc::now() - chrono::Duration::hours(1)),
            ..Default::default()
        };
        let recent = store.audit(&recent).await.unwrap();
        assert_eq!(recent.len(), 1);
        assert_eq!(recent[0].login, "B@example.com");

        let by_login = AuditQuery {
            login: Some("b@EXAMPLE.com".into()),
            ..Default::default()
        };
        assert_eq!(store.audit(&by_login).await.unwrap().len(), 1);

        let last = AuditQuery {
            limit: Some(1),
            ..Default::default()
        };
        assert_eq!(store.audit(&last).await.unwrap()[0].login, "B@example.com");
    }
}
