//! A store written by the release before the target seam (users linked by `falcon_uuid` and
//! `falcon_cid`, audit rows by `falcon_uuid`) opens with today's code and keeps every row: the
//! migration renames the columns to the target-neutral account link.

use std::path::{Path, PathBuf};

use bridge::store::{AuditQuery, Store};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// The migrations the previous release shipped, applied the way it applied them.
async fn previous_release_store(url: &str, dir: &Path) {
    let old = dir.join("old-migrations");
    std::fs::create_dir_all(&old).unwrap();
    let ours = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for name in ["0001_users.sql", "0002_groups.sql", "0003_safety.sql"] {
        std::fs::copy(ours.join(name), old.join(name)).unwrap();
    }
    let mut conn = url
        .parse::<SqliteConnectOptions>()
        .unwrap()
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&mut conn)
        .await
        .unwrap();
    for statement in [
        "INSERT INTO users (id, user_name, user_name_lc, emails, active, falcon_uuid, falcon_cid, \
         created, last_modified, applied_roles) VALUES ('u-1', 'Jane@example.com', \
         'jane@example.com', '[]', 1, 'f-uuid-1', 'cid-1', '2026-11-01T00:00:00+00:00', \
         '2026-11-01T00:00:00+00:00', '[\"falcon_analyst\"]')",
        "INSERT INTO users (id, user_name, user_name_lc, emails, active, created, last_modified) \
         VALUES ('u-2', 'gone@example.com', 'gone@example.com', '[]', 0, \
         '2026-11-01T00:00:00+00:00', '2026-11-01T00:00:00+00:00')",
        "INSERT INTO groups (id, display_name, display_name_lc, roles, created, last_modified) \
         VALUES ('g-1', 'Analysts', 'analysts', '[\"falcon_analyst\"]', \
         '2026-11-01T00:00:00+00:00', '2026-11-01T00:00:00+00:00')",
        "INSERT INTO memberships (group_id, user_id) VALUES ('g-1', 'u-1')",
        "INSERT INTO audit (at, operation, login, falcon_uuid, roles, outcome) VALUES \
         ('2026-11-01T00:00:00+00:00', 'create', 'Jane@example.com', 'f-uuid-1', '[]', 'ok')",
    ] {
        sqlx::query(statement).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_store_of_the_previous_release_opens_and_keeps_its_links() {
    let dir = std::env::temp_dir().join(format!("fsb-upgrade-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bridge.db").display());
    previous_release_store(&url, &dir).await;

    let store = Store::open(&url).await.expect("the old store opens");
    let jane = store.user("u-1").await.unwrap().expect("the user is kept");
    assert_eq!(jane.account_id.as_deref(), Some("f-uuid-1"));
    assert_eq!(jane.account_detail.as_deref(), Some("cid-1"));
    assert!(jane.active);
    let gone = store
        .user("u-2")
        .await
        .unwrap()
        .expect("the tombstone is kept");
    assert!(!gone.active && gone.account_id.is_none());
    let applied = store.applied_roles("u-1").await.unwrap();
    assert_eq!(
        applied.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        ["falcon_analyst"]
    );
    assert_eq!(store.members("g-1").await.unwrap(), ["u-1"]);
    let audit = store.audit(&AuditQuery::default()).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].account_id.as_deref(), Some("f-uuid-1"));

    // The link stays unique: one account belongs to at most one SCIM user.
    let mut twin = jane.clone();
    twin.id = "u-3".into();
    twin.user_name = "twin@example.com".into();
    assert!(store.save_user(&twin).await.is_err());
    store.close().await;

    // And it opens again (the migration ran once).
    let again = Store::open(&url).await.unwrap();
    assert!(again.user("u-1").await.unwrap().is_some());
    again.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
