//! Reads of what a role sync compares, a user's desired and applied entitlements, coalesced.
//!
//! A 200-member group push syncs 200 users at once, and each sync first reads that user's
//! role sets under the user's lock. Read one by one, those reads queued on the few reader
//! connections and took longer than the grants themselves (each is a round trip to a
//! connection's thread). Here one task takes whatever reads are queued and answers them all
//! with one query. A caller still reads after it queued, so after it took its lock: what it
//! gets is as fresh as a read of its own.

use std::collections::{BTreeSet, HashMap};

use sqlx::AnyPool;
use target_api::EntitlementId;
use tokio::sync::{mpsc, oneshot};

use super::groups::roles_from;
use super::{Engine, Store, StoreError, json_list};

/// A user's entitlements as a sync compares them: `(desired, applied)`.
pub type RoleSets = (BTreeSet<EntitlementId>, BTreeSet<EntitlementId>);

/// Most users read by one query.
const MAX_BATCH: usize = 256;
/// Reads waiting for the task before callers wait to queue (backpressure).
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<RoleSets, StoreError>>;

impl Store {
    /// `(desired, applied)` for the user in one read: what a role sync compares. Empty for a
    /// user the store does not hold.
    pub async fn roles_of(&self, user_id: &str) -> Result<RoleSets, StoreError> {
        self.role_reads.read(user_id).await
    }
}

/// The handle callers queue reads through; cheap to clone, like the pool.
#[derive(Debug, Clone)]
pub(super) struct RoleReads {
    queue: mpsc::Sender<(String, Reply)>,
}

impl RoleReads {
    /// Starts the task that makes the reads; it ends when the last handle is dropped.
    pub(super) fn start(reader: AnyPool, engine: Engine) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(reader, engine, rx));
        Self { queue }
    }

    async fn read(&self, user_id: &str) -> Result<RoleSets, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((user_id.to_owned(), reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn run(pool: AnyPool, engine: Engine, mut rx: mpsc::Receiver<(String, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let ids: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
        match read_role_sets(&pool, engine, &ids).await {
            Ok(found) => {
                for (id, reply) in batch.drain(..) {
                    let _ = reply.send(decoded(found.get(&id)));
                }
            }
            // Each caller gets the outcome of a read of its own, as without coalescing.
            Err(_) => {
                for (id, reply) in batch.drain(..) {
                    let alone = read_role_sets(&pool, engine, &[id.as_str()]).await;
                    let _ = reply.send(
                        alone
                            .map_err(StoreError::from)
                            .and_then(|found| decoded(found.get(&id))),
                    );
                }
            }
        }
    }
}

/// A user's role sets as the query returns them. Decoded per caller: two callers may ask for
/// one user, and a row that cannot be read fails only its own.
#[derive(Debug)]
struct RawRoleSets {
    applied: String,
    /// A JSON array of each of the user's groups' role lists (each itself JSON text).
    desired: Option<String>,
}

fn decoded(raw: Option<&RawRoleSets>) -> Result<RoleSets, StoreError> {
    let Some(raw) = raw else {
        return Ok(RoleSets::default());
    };
    let lists: Vec<String> = match &raw.desired {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| StoreError::Corrupt(format!("role lists '{text}': {e}")))?,
        None => Vec::new(),
    };
    let mut wanted = BTreeSet::new();
    for list in lists {
        wanted.extend(roles_from(&list)?);
    }
    Ok((wanted, roles_from(&raw.applied)?.into_iter().collect()))
}

/// The role sets of those of `user_ids` the store holds, by user id, in one query.
async fn read_role_sets(
    pool: &AnyPool,
    engine: Engine,
    user_ids: &[&str],
) -> Result<HashMap<String, RawRoleSets>, sqlx::Error> {
    let lists = match engine {
        Engine::Sqlite => "json_group_array(g.roles)",
        Engine::Postgres => "json_agg(g.roles)::text",
    };
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT u.id, u.applied_roles, (SELECT {lists} FROM groups g \
         JOIN memberships m ON m.group_id = g.id WHERE m.user_id = u.id) \
         FROM users u WHERE u.id IN ({})",
        engine.listed(1)
    ))
    .bind(json_list(user_ids))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, applied, desired)| (id, RawRoleSets { applied, desired }))
        .collect())
}

#[cfg(test)]
pub(super) mod tests {
    use crate::store::groups::tests::{ents, group, store_with_users};
    use crate::store::{Store, StoreError, testing};

    /// 300 users, all in a group mapping `r_all`, the even ones also in one mapping `r_even`;
    /// `u1` holds an applied role.
    async fn three_hundred_users() -> (Store, Vec<String>) {
        let names: Vec<String> = (0..300).map(|i| format!("u{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let store = store_with_users(&refs).await;
        store
            .save_group(&group("all", "All", &["r_all"]))
            .await
            .unwrap();
        store
            .save_group(&group("even", "Even", &["r_even"]))
            .await
            .unwrap();
        store
            .change_members("all", &names, &[], false)
            .await
            .unwrap();
        let evens: Vec<String> = names.iter().step_by(2).cloned().collect();
        store
            .change_members("even", &evens, &[], false)
            .await
            .unwrap();
        store
            .set_applied_roles("u1", &ents(&["old"]))
            .await
            .unwrap();
        (store, names)
    }

    /// Reads `ids` all at once, as a group push's syncs do.
    async fn read_at_once(
        store: &Store,
        ids: impl IntoIterator<Item = String>,
    ) -> Vec<(String, Result<super::RoleSets, StoreError>)> {
        let reads: Vec<_> = ids
            .into_iter()
            .map(|id| {
                let store = store.clone();
                tokio::spawn(async move {
                    let got = store.roles_of(&id).await;
                    (id, got)
                })
            })
            .collect();
        let mut answers = Vec::with_capacity(reads.len());
        for read in reads {
            answers.push(read.await.unwrap());
        }
        answers
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_made_at_once_get_each_their_own_user_in_memory() {
        reads_made_at_once_get_each_their_own_user().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_made_at_once_get_each_their_own_user_in_a_file() {
        let dir = std::env::temp_dir().join(format!("fsb-role-reads-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("bridge.db").display());
        testing::URL
            .scope(url, reads_made_at_once_get_each_their_own_user())
            .await;
        let _ = std::fs::remove_dir_all(dir);
    }

    pub(crate) async fn reads_made_at_once_get_each_their_own_user() {
        let (store, names) = three_hundred_users().await;
        // Asked twice, and for a user the store does not hold.
        let asked = names
            .iter()
            .cloned()
            .chain(["u7".to_owned(), "nobody".to_owned()]);
        let answers = read_at_once(&store, asked).await;
        assert_eq!(answers.len(), 302);
        for (id, got) in answers {
            let (desired, applied) = got.unwrap_or_else(|e| panic!("{id}: {e}"));
            let expected_desired = match id.as_str() {
                "nobody" => ents(&[]),
                _ if id[1..].parse::<u32>().unwrap() % 2 == 0 => ents(&["r_all", "r_even"]),
                _ => ents(&["r_all"]),
            };
            assert_eq!(desired, expected_desired, "{id}");
            let expected_applied = if id == "u1" {
                ents(&["old"])
            } else {
                ents(&[])
            };
            assert_eq!(applied, expected_applied, "{id}");
        }
        store.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_row_that_cannot_be_read_fails_only_its_reader_in_memory() {
        a_row_that_cannot_be_read_fails_only_its_reader().await;
    }

    pub(crate) async fn a_row_that_cannot_be_read_fails_only_its_reader() {
        let (store, names) = three_hundred_users().await;
        sqlx::query("UPDATE users SET applied_roles = 'not a list' WHERE id = 'u3'")
            .execute(&store.writer)
            .await
            .unwrap();
        for (id, got) in read_at_once(&store, names).await {
            match (id.as_str(), got) {
                ("u3", Err(StoreError::Corrupt(detail))) => {
                    assert!(detail.contains("not a list"), "{detail}");
                }
                ("u3", other) => panic!("u3 should fail as corrupt: {other:?}"),
                (_, got) => {
                    got.unwrap_or_else(|e| panic!("{id}: {e}"));
                }
            }
        }
        store.close().await;
    }
}
