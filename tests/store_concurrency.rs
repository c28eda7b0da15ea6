//! The file-backed store under concurrent membership changes (what an IdP pushing several
//! groups at once does): every change must wait for the others, none may fail with
//! "database is locked", and none may be lost.

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
                roles_json: "[]".into(),
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
    let mut all_users = users.clone();
    all_users.sort(); // `members` answers in id order
    // Each group gets its members one change at a time, all groups at once; each group, once
    // full, is checked and deleted while the others are still being pushed.
    let pushes = groups.iter().map(|g| {
        let (store, users, all_users) = (store.clone(), users.clone(), all_users.clone());
        async move {
            for chunk in users.chunks(5) {
                let changed = store.change_members(g, chunk, &[], false).await?;
                let chunk: std::collections::BTreeSet<String> = chunk.iter().cloned().collect();
                assert_eq!(changed, chunk, "{g}: each change adds its own five");
            }
            // Before the deletion: every change landed, none lost to another group's.
            assert_eq!(store.members(g).await?, all_users, "{g} has all 40 members");
            let mut removed = store.delete_group(g).await?;
            removed.sort();
            assert_eq!(removed, all_users, "{g}: the deletion names its 40 members");
            Ok::<_, bridge::store::StoreError>(())
        }
    });
    for result in futures::future::join_all(pushes).await {
        result.expect("no SQLITE_BUSY");
    }

    // After: every group gone, no membership left (not even an orphan row), the users kept.
    assert_eq!(store.all_groups().await.unwrap(), Vec::<GroupRow>::new());
    assert_eq!(
        store.all_memberships().await.unwrap(),
        Vec::<(String, String, String)>::new()
    );
    for g in &groups {
        assert_eq!(store.group(g).await.unwrap(), None, "{g}");
        assert_eq!(store.members(g).await.unwrap(), Vec::<String>::new(), "{g}");
    }
    let ids: Vec<&str> = users.iter().map(String::as_str).collect();
    let left = store.groups_of_users(&ids).await.unwrap();
    assert!(left.is_empty(), "users still in groups: {left:?}");
    assert_eq!(store.all_users().await.unwrap().len(), 40);
    store.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
