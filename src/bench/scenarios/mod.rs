//! The six IdP-like scenarios, one file each, in the order `bench` runs them:
//! `okta_push.rs` (1), `import.rs` (2), `entra_incremental.rs` (3), `lookups.rs` (4),
//! `startup.rs` (5) and `throttled_push.rs` (6). Each starts its own simulator and bridge process (so peak RSS and Falcon
//! call counts belong to that scenario alone), drives SCIM requests with the IdP's request
//! bodies, and checks the performance targets. What several scenarios share lives here: the
//! processes, Okta's way of pushing users and groups (scenario 1, and the set-up of 3 and 4),
//! and the report.

mod entra_incremental;
mod import;
mod lookups;
mod okta_push;
mod startup;
mod throttled_push;

pub use entra_incremental::entra_incremental;
pub use import::import;
pub use lookups::lookups;
pub use okta_push::okta_push;
pub use startup::startup;
pub use throttled_push::throttled_push;

use std::time::Duration;

use serde_json::{Value, json};

use super::BenchArgs;
use super::BenchError;
use super::driver::{Idp, Sample, Tally, run_concurrently, user_name_filter};
use super::harness::{BenchDatabase, BridgeProcess, GROUPS, new_token, start_sim};
use super::measure::{FalconCalls, Percentiles};
use super::report::{Check, ScenarioReport};
use falcon::sim::RunningSim;

/// Domain of the users the IdP pushes.
const PUSH_DOMAIN: &str = "push.example.com";

/// A simulator, the bridge on it (several replicas of it, with `--replicas`), and an IdP
/// client for the bridge. With `--database-url`, the bridge stores on a fresh PostgreSQL
/// database, dropped when the scenario finishes.
struct Env {
    sim: RunningSim,
    bridges: Vec<BridgeProcess>,
    idp: Idp,
    /// Declared after `bridges`: on an early return, the bridges are killed before the
    /// database is dropped.
    database: Option<BenchDatabase>,
}

impl Env {
    async fn start(
        args: &BenchArgs,
        seeded: usize,
        connections: usize,
    ) -> Result<Self, BenchError> {
        Self::start_on(args, args.rate_limit, seeded, connections).await
    }

    /// Like [`Env::start`] with no seeded users and Falcon limited to `rate_limit` a minute.
    async fn start_with_rate_limit(
        args: &BenchArgs,
        rate_limit: u32,
        connections: usize,
    ) -> Result<Self, BenchError> {
        Self::start_on(args, rate_limit, 0, connections).await
    }

    async fn start_on(
        args: &BenchArgs,
        rate_limit: u32,
        seeded: usize,
        connections: usize,
    ) -> Result<Self, BenchError> {
        let exe = args.bridge_exe()?;
        let database = match &args.database_url {
            Some(server) => Some(BenchDatabase::create(server).await?),
            None => None,
        };
        let sim = start_sim(args.latency(), rate_limit, seeded).await?;
        let store = database.as_ref().map(|db| db.url.as_str());
        let token = new_token();
        let mut bridges = Vec::new();
        let started = spawn_replicas(&sim, &exe, store, &token, args.replicas, &mut bridges)
            .await
            .and_then(|()| {
                let roots: Vec<String> = bridges.iter().map(|b| b.root.clone()).collect();
                Idp::round_robin(&roots, &token, connections)
            });
        match started {
            Ok(idp) => Ok(Self {
                sim,
                bridges,
                idp,
                database,
            }),
            Err(e) => {
                for bridge in bridges {
                    let _ = bridge.stop().await;
                }
                sim.shutdown().await;
                if let Some(db) = database {
                    db.remove().await;
                }
                Err(e)
            }
        }
    }

    /// The store and the replicas, for a scenario's set-up line.
    fn store_line(&self) -> String {
        let answered = self.idp.answered_per_replica();
        match (&self.database, self.bridges.len()) {
            (None, _) => "store: SQLite".into(),
            (Some(_), 1) => "store: PostgreSQL, 1 replica".into(),
            (Some(_), n) => format!(
                "store: PostgreSQL, {n} replicas behind round-robin (answers per replica: {}); \
                 peak RSS: the largest replica's",
                answered
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(" / ")
            ),
        }
    }

    /// Stops the bridges and the simulator, then drops the database; returns the bridge's peak
    /// RSS (the largest replica's).
    async fn finish(self) -> Result<Option<u64>, BenchError> {
        let Self {
            sim,
            bridges,
            idp: _,
            database,
        } = self;
        let rss = bridges.iter().filter_map(BridgeProcess::peak_rss).max();
        let mut stopped = Ok(());
        for bridge in bridges {
            let result = bridge.stop().await;
            if stopped.is_ok() {
                stopped = result;
            }
        }
        sim.shutdown().await;
        if let Some(db) = database {
            db.remove().await;
        }
        stopped.map(|()| rss)
    }
}

/// Starts `replicas` bridges on `sim` (into `bridges`, so that the caller can stop them if
/// this fails), all storing on `store` and accepting `token`, and waits until every one is
/// ready. They start together, so that they migrate and load the directory side by side as a
/// deployment's replicas do.
async fn spawn_replicas(
    sim: &RunningSim,
    exe: &std::path::Path,
    store: Option<&str>,
    token: &str,
    replicas: u16,
    bridges: &mut Vec<BridgeProcess>,
) -> Result<(), BenchError> {
    for _ in 0..replicas.max(1) {
        bridges.push(BridgeProcess::spawn_with(sim, exe, store, token)?);
    }
    for bridge in bridges.iter_mut() {
        bridge.wait_ready().await?;
    }
    Ok(())
}

/// What every scenario reports, from its parts.
struct Measured {
    tally: Tally,
    wall: Duration,
    falcon: FalconCalls,
}

fn report(
    scenario: u8,
    title: &str,
    setup: String,
    m: Measured,
    rss: Option<u64>,
    checks: Vec<Check>,
) -> ScenarioReport {
    let Measured {
        mut tally,
        wall,
        falcon,
    } = m;
    let ops = tally.ops();
    let secs = wall.as_secs_f64();
    ScenarioReport {
        scenario,
        title: title.to_owned(),
        setup,
        scim_ops: ops,
        wall_secs: secs,
        req_per_sec: if secs > 0.0 { ops as f64 / secs } else { 0.0 },
        latency: Percentiles::of(&mut tally.latencies),
        falcon_calls_per_op: falcon.per(ops),
        falcon,
        idp_429s: tally.idp_429s,
        errors: tally.errors,
        bridge_peak_rss_bytes: rss,
        checks,
    }
}

fn no_429(tally: &Tally) -> Check {
    Check::equals("429s answered to the IdP", tally.idp_429s as f64, "", 0.0)
}

fn rss_check(rss: Option<u64>, users: usize) -> Option<Check> {
    let limit_mb = match users {
        10_000 => 60.0,
        100_000 => 250.0,
        _ => return None,
    };
    let mb = rss? as f64 / 1_048_576.0;
    Some(Check::below(
        format!("bridge peak RSS with {users} Falcon users"),
        mb,
        "MB",
        limit_mb,
    ))
}

fn okta_user(user_name: &str, i: usize) -> Value {
    json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name, "name": {"givenName": "Okta", "familyName": format!("User{i}")},
        "emails":[{"primary":true,"value":user_name,"type":"work"}],
        "displayName": format!("Okta User{i}"), "locale":"en-US", "externalId": format!("00u{i:017}"),
        "groups":[], "password":"1mz050nq", "active":true})
}

fn group_body(name: &str, members: &[String]) -> Value {
    let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
    json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name, "members": members})
}

/// Okta's sequence for one new user: look it up by userName, then create it. Returns the id.
async fn push_user(idp: &Idp, user_name: &str, i: usize) -> (Vec<Sample>, Option<String>) {
    let lookup = format!("{}&startIndex=1&count=100", user_name_filter(user_name));
    let found = idp.get(&lookup, 200).await;
    let mut samples = vec![found.sample];
    if found.json()["totalResults"] != 0 {
        // Already there (a previous run?): the bench needs new users.
        return (samples, None);
    }
    let created = idp.post("/Users", &okta_user(user_name, i), 201).await;
    samples.push(created.sample);
    let id = created.json()["id"].as_str().map(str::to_owned);
    (samples, id)
}

/// Creates `n` users as Okta does, at `concurrency`; returns the tally, the ids of the users
/// created in creation-index order, and the wall time. With `all_or_error`, fewer than `n`
/// created users is an error (set-ups need every one).
async fn push_users(
    idp: &Idp,
    prefix: &str,
    n: usize,
    concurrency: usize,
    all_or_error: bool,
) -> Result<(Tally, Vec<String>, Duration), BenchError> {
    let (tally, results, wall) = run_concurrently(0..n, concurrency, |i| async move {
        let user_name = format!("{prefix}.{i:06}@{PUSH_DOMAIN}");
        let (samples, id) = push_user(idp, &user_name, i).await;
        (samples, (i, id))
    })
    .await;
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    let ids: Vec<String> = results.into_iter().filter_map(|(_, id)| id).collect();
    if all_or_error && ids.len() != n {
        return Err(BenchError::Unexpected(format!(
            "only {} of {n} users were created ({} errors, {} 429s)",
            ids.len(),
            tally.errors,
            tally.idp_429s
        )));
    }
    Ok((tally, ids, wall))
}

/// Pushes `count` of the configured groups with `size` members each, taken in turn from
/// `ids`. Returns the tally, the group ids and the wall time.
async fn push_groups(
    idp: &Idp,
    ids: &[String],
    count: usize,
    size: usize,
    concurrency: usize,
) -> (Tally, Vec<String>, Duration) {
    let size = size.min(ids.len());
    let (tally, group_ids, wall) =
        run_concurrently(0..count.min(GROUPS.len()), concurrency, |g| async move {
            let members: Vec<String> = (0..size)
                .map(|j| ids[(g * size + j) % ids.len()].clone())
                .collect();
            let created = idp
                .post("/Groups", &group_body(GROUPS[g].0, &members), 201)
                .await;
            let id = created.json()["id"].as_str().map(str::to_owned);
            (vec![created.sample], id)
        })
        .await;
    (tally, group_ids.into_iter().flatten().collect(), wall)
}
