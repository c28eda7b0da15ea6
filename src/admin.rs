//! The operator's subcommands beside `serve`: `reconcile` (drift between the store and the
//! target, optionally repaired), `audit` (the log of the target's writes) and `migrate-store`
//! (a whole store copied into an empty one: SQLite to PostgreSQL). The first two open the same
//! store as `serve` (and `reconcile` the same target client), so they can run next to it, e.g.
//! with `kubectl exec`. None needs the SCIM endpoint's settings: `reconcile` reads the core's
//! ([`CoreSettings`]), `audit` only the store and which target it is, `migrate-store` only the
//! two stores.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::config::CoreSettings;
use crate::target::{ConfiguredTarget, TargetSetupError};
use bridge::Bridge;
use bridge::error::BridgeError;
use bridge::groups::GroupMapping;
use bridge::reconcile::{Pace, Report};
use bridge::store::{AuditQuery, AuditRecord, CopyError, Store, StoreError};
use target_api::Naming;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Target(#[from] TargetSetupError),
    #[error(transparent)]
    Bridge(Box<BridgeError>),
    #[error(transparent)]
    Start(Box<crate::startup::StartupError>),
    #[error(transparent)]
    Mapping(#[from] bridge::groups::EmptyMappedId),
    #[error("--since '{0}': neither a time (2026-11-23T08:00:00Z) nor a duration (24h, 7d)")]
    Since(String),
    #[error(transparent)]
    Copy(#[from] CopyError),
    #[error("--from and --to name the same store")]
    SameStore,
}

impl From<BridgeError> for AdminError {
    fn from(e: BridgeError) -> Self {
        AdminError::Bridge(Box::new(e))
    }
}

/// Runs a reconciliation with `settings`, paced to its share of the rate limit.
pub async fn reconcile(settings: &CoreSettings, apply: bool) -> Result<Report, AdminError> {
    crate::startup::earlier_store_beside(&settings.database_url)
        .map_err(|e| AdminError::Start(Box::new(e)))?;
    let store = Store::open_for(
        &settings.database_url,
        settings.database_pool,
        settings.tenant.as_ref().map(|t| t.as_str()),
    )
    .await?;
    let target = ConfiguredTarget::new(&settings.target)?;
    let mapping = GroupMapping::new(&settings.group_roles, settings.refuse_unmapped_groups)?;
    let bridge = Bridge::start(target, store.clone(), settings.policy.clone(), mapping).await?;
    let pace = Pace::per_minute(settings.reconcile.calls_per_minute);
    let report = if apply {
        bridge.reconcile_apply(pace).await?
    } else {
        bridge.reconcile(pace).await?
    };
    store.close().await;
    Ok(report)
}

/// `--since`: an RFC 3339 time, or a duration back from now (`90m`, `24h`, `7d`).
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, AdminError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let back = humantime::parse_duration(text).map_err(|_| AdminError::Since(text.to_owned()))?;
    let back = chrono::Duration::from_std(back).map_err(|_| AdminError::Since(text.to_owned()))?;
    Ok(now - back)
}

/// Which store at a URL: the one of a bridge without tenants, or a tenant's beside it.
#[derive(Debug, Clone, Copy)]
pub struct StoreAt<'a> {
    pub url: &'a str,
    pub tenant: Option<&'a str>,
}

/// Copies the store `from` (migrated to today's schema first) into the empty store `to`;
/// returns the rows copied per table. A tenant on either side moves a bridge of its own into
/// a bridge of several tenants, or a tenant between stores. Stop `serve` first: writes made
/// during the copy would be left behind.
pub async fn migrate_store(
    from: StoreAt<'_>,
    to: StoreAt<'_>,
) -> Result<Vec<(&'static str, usize)>, AdminError> {
    if from.url == to.url && from.tenant == to.tenant {
        return Err(AdminError::SameStore);
    }
    if from.tenant.is_none() {
        crate::startup::earlier_store_beside(from.url)
            .map_err(|e| AdminError::Start(Box::new(e)))?;
    }
    let pool = bridge::store::DEFAULT_POSTGRES_POOL;
    let source = Store::open_for(from.url, pool, from.tenant).await?;
    let destination = Store::open_for(to.url, pool, to.tenant).await?;
    let copied = bridge::store::copy_store(&source, &destination).await;
    source.close().await;
    destination.close().await;
    Ok(copied?)
}

/// What `migrate-store` prints.
pub fn render_copied(copied: &[(&str, usize)], to: &str) -> String {
    let mut out = format!(
        "copied into {}:
",
        bridge::store::redacted(to)
    );
    for (table, rows) in copied {
        let _ = writeln!(out, "  {table:<20} {rows:>8} rows");
    }
    out
}

/// The audit log of the store at `database_url`, or of `tenant`'s store beside it.
pub async fn audit(
    database_url: &str,
    tenant: Option<&str>,
    query: &AuditQuery,
) -> Result<Vec<AuditRecord>, AdminError> {
    let store = Store::open_for(database_url, bridge::store::DEFAULT_POSTGRES_POOL, tenant).await?;
    let records = store.audit(query).await?;
    store.close().await;
    Ok(records)
}

/// One JSON object per line.
/// One JSON object per line; a tenant's rows name it (`"tenant"`), so that the logs of several
/// tenants can be shipped to one place.
pub fn render_audit_json(records: &[AuditRecord], tenant: Option<&str>) -> String {
    records
        .iter()
        .filter_map(|r| {
            let mut row = serde_json::to_value(r).ok()?;
            if let (Some(tenant), Some(fields)) = (tenant, row.as_object_mut()) {
                fields.insert("tenant".to_owned(), tenant.into());
            }
            serde_json::to_string(&row).ok()
        })
        .map(|line| line + "\n")
        .collect()
}

/// A table for people; `naming` is the target the writes went to.
pub fn render_audit_table(records: &[AuditRecord], naming: Naming) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:24}  {:8}  {:7}  {:30}  {:28}  {:24}  TRACE / DETAIL",
        "TIME", "OUTCOME", "OP", "USER", "ROLES", "CAUSE"
    );
    for r in records {
        let cause = match (&r.method, &r.path) {
            (Some(m), Some(p)) => format!("{m} {p}"),
            (None, Some(p)) => p.clone(),
            _ => "-".into(),
        };
        let cause = match &r.credential {
            Some(c) => format!("{cause} ({c})"),
            None => cause,
        };
        let _ = writeln!(
            out,
            "{:24}  {:8}  {:7}  {:30}  {:28}  {:24}  {}",
            r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            r.outcome,
            r.operation,
            r.login,
            if r.roles.is_empty() {
                "-".into()
            } else {
                r.roles.join(",")
            },
            cause,
            r.detail.as_deref().or(r.trace_id.as_deref()).unwrap_or("-"),
        );
    }
    let _ = writeln!(out, "{} {} writes", records.len(), naming.product);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::TargetKind;

    #[test]
    fn since_takes_a_time_or_a_duration() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_since("24h", now).unwrap().to_rfc3339(),
            "2026-11-22T12:00:00+00:00"
        );
        assert_eq!(
            parse_since("7d", now).unwrap().to_rfc3339(),
            "2026-11-16T12:00:00+00:00"
        );
        assert_eq!(
            parse_since("2026-11-01T00:00:00Z", now)
                .unwrap()
                .to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert!(matches!(
            parse_since("yesterday", now),
            Err(AdminError::Since(_))
        ));
    }

    #[test]
    fn the_table_names_cause_and_credential_never_more() {
        let record = AuditRecord {
            at: Utc::now(),
            operation: "grant".into(),
            login: "a@example.com".into(),
            account_id: Some("u".into()),
            roles: vec!["falcon_analyst".into()],
            outcome: "ok".into(),
            detail: None,
            trace_id: Some("trace-1".into()),
            method: Some("PATCH".into()),
            path: Some("/scim/v2/Groups/g".into()),
            credential: Some("okta".into()),
            request_id: None,
        };
        let table = render_audit_table(std::slice::from_ref(&record), TargetKind::Falcon.naming());
        assert!(table.contains("PATCH /scim/v2/Groups/g (okta)"), "{table}");
        assert!(table.contains("trace-1"), "{table}");
        assert!(table.ends_with("1 Falcon writes\n"), "{table}");
        let incydr = render_audit_table(std::slice::from_ref(&record), TargetKind::Incydr.naming());
        assert!(incydr.ends_with("1 Incydr writes\n"), "{incydr}");
        let json: serde_json::Value =
            serde_json::from_str(render_audit_json(std::slice::from_ref(&record), None).trim())
                .unwrap();
        assert_eq!(json["operation"], "grant");
        assert!(json.get("tenant").is_none());
        let tenant: serde_json::Value = serde_json::from_str(
            render_audit_json(std::slice::from_ref(&record), Some("acme")).trim(),
        )
        .unwrap();
        assert_eq!(tenant["tenant"], "acme");
        assert_eq!(tenant["login"], "a@example.com");
    }
}
