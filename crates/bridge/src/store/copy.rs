//! Copying a whole store into an empty one: how a SQLite deployment moves to PostgreSQL
//! (`falcon-scim-bridge migrate-store`). Every table, every row, ids included, in one
//! transaction on the destination, so that a failure leaves it empty and the copy can simply
//! be run again; the source is only read.
//!
//! The tables and their columns are listed here; a test compares the list with the migrated
//! schema, so that a migration adding a column cannot leave it behind.

use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use super::{Engine, Store, StoreError};

/// How a column is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
}

/// A table, in an order that satisfies the foreign keys, and its columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "users",
        &[
            ("id", Kind::Text),
            ("user_name", Kind::Text),
            ("user_name_lc", Kind::Text),
            ("external_id", Kind::Text),
            ("given_name", Kind::Text),
            ("family_name", Kind::Text),
            ("formatted", Kind::Text),
            ("display_name", Kind::Text),
            ("emails", Kind::Text),
            ("active", Kind::Integer),
            ("account_id", Kind::Text),
            ("account_detail", Kind::Text),
            ("created", Kind::Text),
            ("last_modified", Kind::Text),
            ("applied_roles", Kind::Text),
            ("direct_roles", Kind::Text),
        ],
    ),
    (
        "groups",
        &[
            ("id", Kind::Text),
            ("display_name", Kind::Text),
            ("display_name_lc", Kind::Text),
            ("external_id", Kind::Text),
            ("roles", Kind::Text),
            ("created", Kind::Text),
            ("last_modified", Kind::Text),
        ],
    ),
    ("unanswered_groups", &[("group_id", Kind::Text)]),
    (
        "memberships",
        &[("group_id", Kind::Text), ("user_id", Kind::Text)],
    ),
    (
        "audit",
        &[
            ("id", Kind::Integer),
            ("at", Kind::Text),
            ("operation", Kind::Text),
            ("login", Kind::Text),
            ("account_id", Kind::Text),
            ("roles", Kind::Text),
            ("outcome", Kind::Text),
            ("detail", Kind::Text),
            ("trace_id", Kind::Text),
            ("method", Kind::Text),
            ("path", Kind::Text),
            ("credential", Kind::Text),
            ("request_id", Kind::Text),
        ],
    ),
    (
        "deprovision_ledger",
        &[("id", Kind::Integer), ("at", Kind::Integer)],
    ),
    (
        "intents",
        &[
            ("user_id", Kind::Text),
            ("intent", Kind::Text),
            ("at", Kind::Text),
        ],
    ),
    (
        "leases",
        &[
            ("name", Kind::Text),
            ("holder", Kind::Text),
            ("expires_at", Kind::Integer),
        ],
    ),
    (
        "retired_accounts",
        &[
            ("account_id", Kind::Text),
            ("login", Kind::Text),
            ("retired_at", Kind::Text),
        ],
    ),
];

/// Tables whose `id` the database generates: after rows arrive with their ids, PostgreSQL's
/// generator must start past them.
const GENERATED_IDS: &[&str] = &["audit", "deprovision_ledger"];

/// Rows between two progress lines.
const PROGRESS_EVERY: usize = 10_000;

/// Why a copy did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(
        "the destination store is not empty ({table} has rows): migrate-store copies into an \
         empty store only, so that nothing there is overwritten"
    )]
    NotEmpty { table: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Store(StoreError::Query(e))
    }
}

/// Copies every row of `from` into `to`, which must be empty; returns the rows per table.
pub async fn copy_store(from: &Store, to: &Store) -> Result<Vec<(&'static str, usize)>, CopyError> {
    for (table, _) in TABLES {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&to.reader)
            .await?;
        if rows > 0 {
            return Err(CopyError::NotEmpty { table });
        }
    }
    let mut tx = to.writer.begin().await?;
    let mut copied = Vec::with_capacity(TABLES.len());
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let select = format!("SELECT {} FROM {table}", names.join(", "));
        let rows: Vec<AnyRow> = sqlx::query(&select).fetch_all(&from.reader).await?;
        let params: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            params.join(", ")
        );
        for (n, row) in rows.iter().enumerate() {
            let mut query = sqlx::query::<Any>(&insert);
            for (i, (_, kind)) in columns.iter().enumerate() {
                query = match kind {
                    Kind::Text => query.bind(row.try_get::<Option<String>, _>(i)?),
                    Kind::Integer => query.bind(row.try_get::<Option<i64>, _>(i)?),
                };
            }
            query.execute(&mut *tx).await?;
            if (n + 1) % PROGRESS_EVERY == 0 {
                tracing::info!(table, rows = n + 1, of = rows.len(), "copying");
            }
        }
        tracing::info!(table, rows = rows.len(), "copied");
        copied.push((*table, rows.len()));
    }
    if to.engine == Engine::Postgres {
        for table in GENERATED_IDS {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables not copied: the change log only tells running replicas what the others wrote, and
    /// the destination's triggers write their own rows for what the copy inserts.
    const NOT_COPIED: &[&str] = &["changes"];

    /// Every column the migrations give each table is copied, and nothing else is a table.
    #[tokio::test]
    async fn the_copy_knows_every_table_and_column_of_the_schema() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx_%' ORDER BY name",
        )
        .fetch_all(&store.reader)
        .await
        .unwrap();
        let mut listed: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
        listed.extend(NOT_COPIED);
        listed.sort_unstable();
        assert_eq!(tables, listed);
        for (table, columns) in TABLES {
            let mut schema: Vec<(String, String)> = sqlx::query_as(&format!(
                "SELECT name, type FROM pragma_table_info('{table}') ORDER BY name"
            ))
            .fetch_all(&store.reader)
            .await
            .unwrap();
            schema.sort();
            let mut ours: Vec<(String, String)> = columns
                .iter()
                .map(|(name, kind)| {
                    let kind = match kind {
                        Kind::Text => "TEXT",
                        Kind::Integer => "INTEGER",
                    };
                    ((*name).to_owned(), kind.to_owned())
                })
                .collect();
            ours.sort();
            assert_eq!(schema, ours, "{table}");
        }
    }
}
