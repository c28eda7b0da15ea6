//! The file-backed store under concurrent membership changes (what an IdP pushing several
//! groups at once does): every change must wait for the others, none may fail with
//! "database is locked".

use bridge::store::{GroupRow, Store, UserRow};
use chrono::Utc;

#[tokio::test]
async fn concurrent_group_pushes_do_not_fail_with_database_locked() {
    let dir = std::env::temp_dir().join(format!("fsb-store-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.join("s.db").display()))
        .await
        .unwrap();
    let now = Utc::now();
    let mut users = Vec::new();
    for i in 0..40 {
        let id = format!("user-{i}");
        store
            .save_user(&UserRow {
                id: id.clone(),
                user_name: format!("u{i}@example.com"),
                external_id: None,
                given_name: None,
                family_name: None,
                formatted: None,
                display_name: None,
                emails_json: "[]".into(),
                active: true,
                account_id: None,
                account_detail: None,
                created: now,
                last_modified: now,
            })
            .await
            .unwrap();
        users.push(id);
    }
    let mut groups = Vec::new();
    for g in 0..8 {
        let row = GroupRow {
            id: format!("group-{g}"),
            display_name: format!("Group {g}"),
            external_id: None,
            roles: vec![],
            created: now,
            last_modified: now,
        };
        store.save_group(&row).await.unwrap();
        groups.push(row.id);
    }
    // Each group gets its members one change at a time, all groups at once.
    let pushes = groups.iter().map(|g| {
        let (store, users) = (store.clone(), users.clone());
        async move {
            for chunk in users.chunks(5) {
                store.change_members(g, chunk, &[], false).await?;
            }
            store.delete_group(g).await
        }
    });
    for result in futures::future::join_all(pushes).await {
        result.expect("no SQLITE_BUSY");
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
