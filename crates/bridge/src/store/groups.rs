//! Rows of `groups` and `memberships`, and each user's applied (granted-by-us) entitlements.
//! The columns say `roles` (the first target's word); they hold any target's entitlement ids.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use target_api::EntitlementId;

use super::{Store, StoreError, json_list};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    pub id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    /// The entitlements membership grants.
    pub roles: Vec<EntitlementId>,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
}

fn time(row: &AnyRow, col: &str) -> Result<DateTime<Utc>, StoreError> {
    let text: String = row.try_get(col)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("{col} '{text}': {e}")))
}

pub(super) fn roles_from(text: &str) -> Result<Vec<EntitlementId>, StoreError> {
    let corrupt =
        |e: &dyn std::fmt::Display| StoreError::Corrupt(format!("role list '{text}': {e}"));
    let ids: Vec<String> = serde_json::from_str(text).map_err(|e| corrupt(&e))?;
    ids.iter()
        .map(|id| EntitlementId::parse(id).map_err(|e| corrupt(&e)))
        .collect()
}

pub(super) fn roles_to<'a>(roles: impl IntoIterator<Item = &'a EntitlementId>) -> String {
    let ids: Vec<&str> = roles.into_iter().map(EntitlementId::as_str).collect();
    serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into())
}

fn group_from(row: &AnyRow) -> Result<GroupRow, StoreError> {
    Ok(GroupRow {
        id: row.try_get("id")?,
        display_name: row.try_get("display_name")?,
        external_id: row.try_get("external_id")?,
        roles: roles_from(&row.try_get::<String, _>("roles")?)?,
        created: time(row, "created")?,
        last_modified: time(row, "last_modified")?,
    })
}

impl Store {
    pub async fn all_groups(&self) -> Result<Vec<GroupRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM groups ORDER BY id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(group_from).collect()
    }

    pub async fn group(&self, id: &str) -> Result<Option<GroupRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM groups WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(group_from).transpose()
    }

    /// Inserts or updates the group (not its members).
    pub async fn save_group(&self, group: &GroupRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO groups (id, display_name, display_name_lc, external_id, roles, created, last_modified)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name,
                display_name_lc = excluded.display_name_lc, external_id = excluded.external_id,
                roles = excluded.roles, last_modified = excluded.last_modified",
        )
        .bind(&group.id)
        .bind(&group.display_name)
        .bind(group.display_name.to_lowercase())
        .bind(&group.external_id)
        .bind(roles_to(&group.roles))
        .bind(group.created.to_rfc3339())
        .bind(group.last_modified.to_rfc3339())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// Deletes the group and its memberships; returns the ids of the users who were members.
    pub async fn delete_group(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let mut tx = self.writer.begin_with(self.engine.begin_writing()).await?;
        let members: Vec<String> =
            sqlx::query_scalar("SELECT user_id FROM memberships WHERE group_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM groups WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(members)
    }

    /// Records whether the group's `POST /Groups` was answered with a failure after the group
    /// was stored (its retry is then not a conflict).
    pub async fn set_unanswered(&self, group_id: &str, unanswered: bool) -> Result<(), StoreError> {
        let sql = if unanswered {
            "INSERT INTO unanswered_groups (group_id) VALUES ($1) ON CONFLICT(group_id) DO NOTHING"
        } else {
            "DELETE FROM unanswered_groups WHERE group_id = $1"
        };
        sqlx::query(sql)
            .bind(group_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub async fn is_unanswered(&self, group_id: &str) -> Result<bool, StoreError> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT group_id FROM unanswered_groups WHERE group_id = $1")
                .bind(group_id)
                .fetch_optional(&self.reader)
                .await?;
        Ok(found.is_some())
    }

    pub async fn members(&self, group_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM memberships WHERE group_id = $1 ORDER BY user_id",
        )
        .bind(group_id)
        .fetch_all(&self.reader)
        .await?)
    }

    /// Applies a membership change in one transaction; returns the users whose membership
    /// actually changed (added or removed), which are the ones whose roles must be synced.
    pub async fn change_members(
        &self,
        group_id: &str,
        add: &[String],
        remove: &[String],
        remove_all_others: bool,
    ) -> Result<BTreeSet<String>, StoreError> {
        // Concurrent group pushes must wait, not fail (see `Engine::begin_writing`).
        let mut tx = self.writer.begin_with(self.engine.begin_writing()).await?;
        let before: BTreeSet<String> =
            sqlx::query_scalar("SELECT user_id FROM memberships WHERE group_id = $1")
                .bind(group_id)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
        let add: BTreeSet<String> = add.iter().cloned().collect();
        let mut after = if remove_all_others {
            BTreeSet::new()
        } else {
            before.clone()
        };
        for id in remove {
            after.remove(id);
        }
        after.extend(add.iter().cloned());
        // One statement each way, whatever the number of members: a 200-member push stored
        // row by row held the writer for 200 round trips before its first grant.
        let gone: Vec<&String> = before.difference(&after).collect();
        if !gone.is_empty() {
            sqlx::query(&format!(
                "DELETE FROM memberships WHERE group_id = $1 AND user_id IN ({})",
                self.engine.listed(2)
            ))
            .bind(group_id)
            .bind(json_list(&gone))
            .execute(&mut *tx)
            .await?;
        }
        let new: Vec<&String> = after.difference(&before).collect();
        if !new.is_empty() {
            sqlx::query(&format!(
                "INSERT INTO memberships (group_id, user_id) SELECT $1, l.id FROM ({}) AS l",
                self.engine.listed(2)
            ))
            .bind(group_id)
            .bind(json_list(&new))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(before.symmetric_difference(&after).cloned().collect())
    }

    /// `(group id, display name)` of every group each of `user_ids` belongs to, in one read;
    /// a user in no group is absent from the map.
    pub async fn groups_of_users(
        &self,
        user_ids: &[&str],
    ) -> Result<BTreeMap<String, Vec<(String, String)>>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT m.user_id, g.id, g.display_name FROM groups g JOIN memberships m ON m.group_id = g.id
             WHERE m.user_id IN ({}) ORDER BY m.user_id, g.display_name_lc",
            self.engine.listed(1)
        ))
        .bind(json_list(user_ids))
        .fetch_all(&self.reader)
        .await?;
        let mut groups: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for r in &rows {
            groups
                .entry(r.try_get("user_id")?)
                .or_default()
                .push((r.try_get("id")?, r.try_get("display_name")?));
        }
        Ok(groups)
    }

    /// Every membership as `(user id, group id, group display name)`, for the start-up load.
    pub async fn all_memberships(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.user_id, g.id, g.display_name FROM memberships m JOIN groups g ON g.id = m.group_id
             ORDER BY m.user_id, g.display_name_lc",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("user_id")?,
                    r.try_get("id")?,
                    r.try_get("display_name")?,
                ))
            })
            .collect()
    }

    /// The union of the entitlements of the user's groups: what the target should grant.
    pub async fn desired_roles(
        &self,
        user_id: &str,
    ) -> Result<BTreeSet<EntitlementId>, StoreError> {
        let lists: Vec<String> = sqlx::query_scalar(
            "SELECT g.roles FROM groups g JOIN memberships m ON m.group_id = g.id WHERE m.user_id = $1",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        let mut roles = BTreeSet::new();
        for list in lists {
            roles.extend(roles_from(&list)?);
        }
        Ok(roles)
    }

    /// The managed roles the bridge has granted the user and not revoked since.
    pub async fn applied_roles(
        &self,
        user_id: &str,
    ) -> Result<BTreeSet<EntitlementId>, StoreError> {
        Ok(self.roles_of(user_id).await?.1)
    }
}

/// `roles` is already encoded as the column stores it.
pub(super) async fn update_applied_roles<'e>(
    executor: impl Executor<'e, Database = Any>,
    user_id: &str,
    roles: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET applied_roles = $1 WHERE id = $2")
        .bind(roles)
        .bind(user_id)
        .execute(executor)
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::UserRow;

    pub(in crate::store) async fn store_with_users(ids: &[&str]) -> Store {
        let store = crate::store::testing::store().await;
        for id in ids {
            let now = Utc::now();
            store
                .save_user(&UserRow {
                    id: (*id).into(),
                    user_name: format!("{id}@example.com"),
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
        }
        store
    }

    pub(in crate::store) fn group(id: &str, name: &str, roles: &[&str]) -> GroupRow {
        let now = Utc::now();
        GroupRow {
            id: id.into(),
            display_name: name.into(),
            external_id: None,
            roles: roles
                .iter()
                .map(|r| EntitlementId::parse(r).unwrap())
                .collect(),
            created: now,
            last_modified: now,
        }
    }

    pub(in crate::store) fn ents(list: &[&str]) -> BTreeSet<EntitlementId> {
        list.iter()
            .map(|r| EntitlementId::parse(r).unwrap())
            .collect()
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[tokio::test]
    async fn an_unanswered_group_is_kept_until_answered_or_deleted_in_memory() {
        an_unanswered_group_is_kept_until_answered_or_deleted().await;
    }

    pub(crate) async fn an_unanswered_group_is_kept_until_answered_or_deleted() {
        let store = crate::store::testing::store().await;
        for id in ["g", "h"] {
            store.save_group(&group(id, id, &[])).await.unwrap();
        }
        assert!(!store.is_unanswered("g").await.unwrap());
        store.set_unanswered("g", true).await.unwrap();
        store.set_unanswered("g", true).await.unwrap();
        store.set_unanswered("h", true).await.unwrap();
        assert!(store.is_unanswered("g").await.unwrap());
        store.set_unanswered("g", false).await.unwrap();
        assert!(!store.is_unanswered("g").await.unwrap());
        store.delete_group("h").await.unwrap();
        assert!(
            !store.is_unanswered("h").await.unwrap(),
            "gone with its group"
        );
    }

    #[tokio::test]
    async fn membership_changes_report_who_changed_in_memory() {
        membership_changes_report_who_changed().await;
    }

    pub(crate) async fn membership_changes_report_who_changed() {
        let store = store_with_users(&["a", "b", "c"]).await;
        store
            .save_group(&group("g", "Admins", &["falcon_administrator"]))
            .await
            .unwrap();
        let changed = store
            .change_members("g", &ids(&["a", "b"]), &[], false)
            .await
            .unwrap();
        assert_eq!(changed, ["a", "b"].map(String::from).into());
        let changed = store
            .change_members("g", &ids(&["b"]), &[], false)
            .await
            .unwrap();
        assert!(changed.is_empty(), "adding a member twice changes nothing");
        let changed = store
            .change_members("g", &ids(&["c"]), &[], true)
            .await
            .unwrap();
        assert_eq!(changed, ["a", "b", "c"].map(String::from).into());
        assert_eq!(store.members("g").await.unwrap(), ids(&["c"]));
        let changed = store
            .change_members("g", &[], &ids(&["c", "zz"]), false)
            .await
            .unwrap();
        assert_eq!(changed, ["c"].map(String::from).into());
    }

    /// Groups g1 (r1, r2) and g2 (r2, r3), both with the member `user`.
    async fn two_groups_holding(store: &Store, user: &str) {
        store
            .save_group(&group("g1", "One", &["r1", "r2"]))
            .await
            .unwrap();
        store
            .save_group(&group("g2", "Two", &["r2", "r3"]))
            .await
            .unwrap();
        for g in ["g1", "g2"] {
            store
                .change_members(g, &ids(&[user]), &[], false)
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn desired_roles_are_the_union_of_the_groups_in_memory() {
        desired_roles_are_the_union_of_the_groups().await;
    }

    pub(crate) async fn desired_roles_are_the_union_of_the_groups() {
        let store = store_with_users(&["a"]).await;
        two_groups_holding(&store, "a").await;
        assert_eq!(
            store.desired_roles("a").await.unwrap(),
            ents(&["r1", "r2", "r3"])
        );
        let of = store.groups_of_users(&["a", "nobody"]).await.unwrap();
        assert_eq!(
            of["a"],
            [
                ("g1".to_owned(), "One".to_owned()),
                ("g2".to_owned(), "Two".to_owned())
            ],
            "ordered by name"
        );
        assert!(!of.contains_key("nobody"));
        let members = store.delete_group("g1").await.unwrap();
        assert_eq!(members, ids(&["a"]));
        assert_eq!(store.desired_roles("a").await.unwrap(), ents(&["r2", "r3"]));
    }

    #[tokio::test]
    async fn roles_of_reads_desired_and_applied_together_in_memory() {
        roles_of_reads_desired_and_applied_together().await;
    }

    pub(crate) async fn roles_of_reads_desired_and_applied_together() {
        let store = store_with_users(&["a", "b"]).await;
        two_groups_holding(&store, "a").await;
        let applied = ents(&["r1", "old"]);
        store.set_applied_roles("a", &applied).await.unwrap();

        let (desired, got) = store.roles_of("a").await.unwrap();
        assert_eq!(desired, ents(&["r1", "r2", "r3"]));
        assert_eq!(got, applied);
        assert_eq!(desired, store.desired_roles("a").await.unwrap());
        let (desired, applied) = store.roles_of("b").await.unwrap();
        assert!(
            desired.is_empty() && applied.is_empty(),
            "no groups, nothing granted"
        );
        let (desired, applied) = store.roles_of("nobody").await.unwrap();
        assert!(desired.is_empty() && applied.is_empty());
    }

    #[tokio::test]
    async fn applied_roles_round_trip_and_survive_user_saves_in_memory() {
        applied_roles_round_trip_and_survive_user_saves().await;
    }

    pub(crate) async fn applied_roles_round_trip_and_survive_user_saves() {
        let store = store_with_users(&["a"]).await;
        let roles = ents(&["x", "y"]);
        store.set_applied_roles("a", &roles).await.unwrap();
        let row = store.user("a").await.unwrap().unwrap();
        store.save_user(&row).await.unwrap();
        assert_eq!(store.applied_roles("a").await.unwrap(), roles);
    }
}
