//! The five IdP-like scenarios of issue 8. Each starts its own simulator and bridge process
//! (so peak RSS and Falcon call counts belong to that scenario alone), drives SCIM requests
//! with the IdP's request bodies, and checks the targets.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::BenchArgs;
use super::BenchError;
use super::driver::{Idp, Sample, Tally, run_concurrently, user_name_filter};
use super::harness::{BridgeProcess, GROUPS, calibrate_latency, start_sim};
use super::measure::{FalconCalls, Percentiles, latency_floor, rate_floor};
use super::report::{Check, ScenarioReport};
use falcon::sim::RunningSim;

/// Domain of the users the IdP pushes.
const PUSH_DOMAIN: &str = "push.example.com";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The page size Okta and Entra import with.
const IMPORT_PAGE: usize = 100;

/// A simulator, the bridge on it, and an IdP client for the bridge.
struct Env {
    sim: RunningSim,
    bridge: BridgeProcess,
    idp: Idp,
}

impl Env {
    async fn start(
        args: &BenchArgs,
        seeded: usize,
        connections: usize,
    ) -> Result<Self, BenchError> {
        let sim = start_sim(args.latency(), args.rate_limit, seeded).await?;
        let mut bridge = BridgeProcess::spawn(&sim, &args.bridge_exe()?)?;
        bridge.wait_ready().await?;
        let idp = Idp::new(&bridge.root, &bridge.token, connections)?;
        Ok(Self { sim, bridge, idp })
    }

    /// Stops both; returns the bridge's peak RSS.
    async fn finish(self) -> Result<Option<u64>, BenchError> {
        let rss = self.bridge.peak_rss();
        self.bridge.stop().await?;
        self.sim.shutdown().await;
        Ok(rss)
    }
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

/// Scenario 1: Okta's initial push of users, then of groups with their members.
pub async fn okta_push(args: &BenchArgs) -> Result<ScenarioReport, BenchError> {
    let env = Env::start(args, 0, args.concurrency).await?;
    let sim = &env.sim.sim;
    let n = args.users;
    let latency = calibrate_latency(&env.sim).await?;

    FalconCalls::start(sim);
    let (mut tally, ids, users_wall) =
        push_users(&env.idp, "okta", n, args.concurrency, false).await?;
    let user_calls = FalconCalls::read(sim);

    FalconCalls::start(sim);
    let groups = usize::from(args.groups).min(GROUPS.len());
    let size = args.group_size.min(ids.len());
    let (group_tally, _, groups_wall) =
        push_groups(&env.idp, &ids, groups, size, args.concurrency).await;
    let group_calls = FalconCalls::read(sim);
    tally.merge(group_tally);

    let members = (groups * size) as u64;
    let falcon = user_calls.clone().plus(&group_calls);
    let wall = users_wall + groups_wall;
    // What Falcon alone imposes, whatever the bridge: each user's create waits one call, as
    // many users at a time as the IdP sends; a group's member grants are independent calls, so
    // with nothing but Falcon in the way each group waits one call. The rate limit adds its
    // sliding window. Computed with the measured and with the configured latency.
    let users_bound = |latency: Duration| latency_floor(n as u64, args.concurrency, latency);
    let groups_bound = |latency: Duration| latency_floor(groups as u64, args.concurrency, latency);
    let rate_bound = rate_floor(falcon.total - falcon.throttled, args.rate_limit);
    let nominal_floor =
        (users_bound(args.latency()) + groups_bound(args.latency())).max(rate_bound);
    let floor = (users_bound(latency) + groups_bound(latency)).max(rate_bound);
    let checks = vec![
        Check::equals(
            "Falcon calls per user pushed (filter GET + POST)",
            user_calls.per(n as u64),
            "",
            1.0,
        ),
        Check::equals(
            "Falcon calls per member added to a group",
            group_calls.per(members),
            "",
            1.0,
        ),
        Check::at_most(
            format!("wall time vs {:.2} s floor + 10%", floor.as_secs_f64()),
            wall.as_secs_f64(),
            "s",
            floor.as_secs_f64() * 1.1,
        ),
        no_429(&tally),
    ];
    let rss = env.finish().await?;
    let setup = format!(
        "{n} users (GET ?filter=userName eq, then POST /Users), then {groups} groups x {size} \
         members (POST /Groups); IdP concurrency {}\n\
         users took {:.3} s (Falcon alone: {:.3} s), groups {:.3} s (Falcon alone: {:.3} s)\n\
         floor: {:.2} s at the measured {:.1} ms a Falcon call ({:.2} s at a flat {} ms); \
         the rate limit alone: {:.0} s",
        args.concurrency,
        users_wall.as_secs_f64(),
        users_bound(latency).as_secs_f64(),
        groups_wall.as_secs_f64(),
        groups_bound(latency).as_secs_f64(),
        floor.as_secs_f64(),
        latency.as_secs_f64() * 1000.0,
        nominal_floor.as_secs_f64(),
        args.latency_ms,
        rate_bound.as_secs_f64()
    );
    Ok(report(
        1,
        "Okta initial push",
        setup,
        Measured {
            tally,
            wall,
            falcon,
        },
        rss,
        checks,
    ))
}

/// Scenario 2: an IdP import, every user in pages of 100, with `users` users in Falcon.
pub async fn import(args: &BenchArgs, users: usize) -> Result<ScenarioReport, BenchError> {
    let env = Env::start(args, users, 1).await?;
    let sim = &env.sim.sim;
    FalconCalls::start(sim);
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut seen = 0usize;
    let mut start = 1usize;
    loop {
        let page = env
            .idp
            .get(
                &format!("/Users?startIndex={start}&count={IMPORT_PAGE}"),
                200,
            )
            .await;
        tally.add(page.sample);
        let body = page.json();
        let items = body["Resources"].as_array().map_or(0, Vec::len);
        let total = body["totalResults"].as_u64().unwrap_or(0) as usize;
        seen += items;
        start += IMPORT_PAGE;
        if items == 0 || start > total {
            break;
        }
    }
    let wall = started.elapsed();
    let falcon = FalconCalls::read(sim);
    if seen != users {
        tally.errors += 1;
        tracing::warn!(seen, users, "the import did not see every Falcon user");
    }
    let pages = tally.ops();
    let mut checks = vec![
        Check::equals("Falcon calls per list page", falcon.per(pages), "", 0.0),
        Check::equals(
            format!("Falcon calls for the import of {users} users"),
            falcon.total as f64,
            "",
            0.0,
        ),
    ];
    let rss = env.finish().await?;
    checks.extend(rss_check(rss, users));
    Ok(report(
        2,
        &format!("import of {users} Falcon users"),
        format!("GET /Users?startIndex=N&count={IMPORT_PAGE} until the end, one page at a time"),
        Measured {
            tally,
            wall,
            falcon,
        },
        rss,
        checks,
    ))
}

fn entra_patch(ops: Value) -> Value {
    json!({"schemas":[PATCH_OP],"Operations": ops})
}

/// One phase of PATCHes: `(id, body)` pairs at `concurrency`.
async fn patch_phase(
    env: &Env,
    patches: Vec<(String, Value)>,
    concurrency: usize,
) -> (Tally, Duration, FalconCalls) {
    FalconCalls::start(&env.sim.sim);
    let idp = &env.idp;
    let (tally, _, wall) = run_concurrently(patches, concurrency, |(id, body)| async move {
        let answer = idp.patch(&format!("/Users/{id}"), &body, 200).await;
        (vec![answer.sample], ())
    })
    .await;
    (tally, wall, FalconCalls::read(&env.sim.sim))
}

/// Scenario 3: an Entra incremental cycle of PATCHes: name changes, deactivations, and
/// reactivations of users who are members of a group.
pub async fn entra_incremental(args: &BenchArgs) -> Result<ScenarioReport, BenchError> {
    let renames = args.patches / 2;
    let toggles = (args.patches - renames) / 2;
    let c = args.patch_concurrency;
    let env = Env::start(args, 0, c).await?;

    // Set-up (not measured): the users, and a group holding those that will be toggled.
    let (_, ids, _) = push_users(&env.idp, "entra", renames + toggles, c, true).await?;
    let toggled: Vec<String> = ids[renames..].to_vec();
    if !toggled.is_empty() {
        let (setup, _, _) = push_groups(&env.idp, &toggled, 1, toggled.len(), 1).await;
        if setup.errors + setup.idp_429s > 0 {
            return Err(BenchError::Unexpected(
                "the set-up group push failed".into(),
            ));
        }
    }

    let rename_bodies = ids[..renames]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let ops = json!([
                {"op":"Replace","path":"name.givenName","value":format!("Renamed{i}")},
                {"op":"Replace","path":"displayName","value":format!("Renamed{i} User")}
            ]);
            (id.clone(), entra_patch(ops))
        })
        .collect();
    let active = |value: &str| entra_patch(json!([{"op":"Replace","path":"active","value":value}]));
    let deactivations = toggled
        .iter()
        .map(|id| (id.clone(), active("False")))
        .collect();
    let reactivations = toggled
        .iter()
        .map(|id| (id.clone(), active("True")))
        .collect();

    let (mut tally, mut wall, rename_calls) = patch_phase(&env, rename_bodies, c).await;
    let (t, w, deactivation_calls) = patch_phase(&env, deactivations, c).await;
    tally.merge(t);
    wall += w;
    let (t, w, reactivation_calls) = patch_phase(&env, reactivations, c).await;
    tally.merge(t);
    wall += w;

    let checks = vec![
        Check::equals(
            "Falcon calls per name change",
            rename_calls.per(renames as u64),
            "",
            1.0,
        ),
        Check::at_most(
            "Falcon calls per deactivation",
            deactivation_calls.per(toggles as u64),
            "",
            3.0,
        ),
        Check::equals(
            "Falcon calls per reactivation with groups",
            reactivation_calls.per(toggles as u64),
            "",
            2.0,
        ),
        no_429(&tally),
    ];
    let falcon = rename_calls
        .plus(&deactivation_calls)
        .plus(&reactivation_calls);
    let rss = env.finish().await?;
    Ok(report(
        3,
        "Entra incremental cycle",
        format!(
            "{renames} name changes, then {toggles} deactivations and {toggles} reactivations \
             (of members of a group); PATCH at concurrency {c}"
        ),
        Measured {
            tally,
            wall,
            falcon,
        },
        rss,
        checks,
    ))
}

/// Scenario 4: the look-ups IdPs make all day, at high concurrency for a while.
pub async fn lookups(args: &BenchArgs) -> Result<ScenarioReport, BenchError> {
    let c = args.lookup_concurrency;
    let users = args.users.max(1);
    let env = Env::start(args, users, c).await?;

    // Set-up: the Falcon users' ids and names (one import), and the groups.
    let mut people: Vec<(String, String)> = Vec::with_capacity(users);
    let mut start = 1;
    while people.len() < users {
        let page = env
            .idp
            .get(&format!("/Users?startIndex={start}&count=1000"), 200)
            .await
            .json();
        let Some(items) = page["Resources"].as_array().filter(|a| !a.is_empty()) else {
            break;
        };
        for u in items {
            if let (Some(id), Some(name)) = (u["id"].as_str(), u["userName"].as_str()) {
                people.push((id.to_owned(), name.to_owned()));
            }
        }
        start += items.len();
    }
    let ids: Vec<String> = people.iter().map(|(id, _)| id.clone()).collect();
    let (_, groups, _) = push_groups(
        &env.idp,
        &ids,
        usize::from(args.groups),
        args.group_size,
        args.concurrency,
    )
    .await;
    if people.is_empty() || groups.is_empty() {
        return Err(BenchError::Unexpected(
            "the look-up set-up found no users or groups".into(),
        ));
    }
    let filters: Vec<String> = people
        .iter()
        .map(|(_, name)| user_name_filter(name))
        .collect();
    let group_paths: Vec<String> = groups
        .iter()
        .map(|id| format!("/Groups/{id}?excludedAttributes=members"))
        .collect();

    FalconCalls::start(&env.sim.sim);
    let deadline = Instant::now() + args.duration();
    let started = Instant::now();
    let workers = (0..c).map(|w| {
        let idp = &env.idp;
        let (filters, group_paths) = (&filters, &group_paths);
        async move {
            let mut tally = Tally::default();
            let mut i = w;
            while Instant::now() < deadline {
                // Alternate user look-ups and group reads, spread over all users and groups.
                let path = if i % 2 == 0 {
                    &filters[(i / 2 * 7919) % filters.len()]
                } else {
                    &group_paths[(i / 2) % group_paths.len()]
                };
                tally.add(idp.get(path, 200).await.sample);
                i += c;
            }
            tally
        }
    });
    let tallies = futures::future::join_all(workers).await;
    let wall = started.elapsed();
    let falcon = FalconCalls::read(&env.sim.sim);
    let mut tally = Tally::default();
    for t in tallies {
        tally.merge(t);
    }
    let rps = tally.ops() as f64 / wall.as_secs_f64();
    let mut sorted = tally.latencies.clone();
    let p99 = Percentiles::of(&mut sorted).p99_ms;
    let checks = vec![
        Check::equals("Falcon calls per look-up", falcon.per(tally.ops()), "", 0.0),
        Check::at_least("SCIM requests per second", rps, "req/s", 5000.0),
        Check::below("p99 latency", p99, "ms", 10.0),
    ];
    let rss = env.finish().await?;
    Ok(report(
        4,
        "look-ups",
        format!(
            "GET /Users?filter=userName eq (over {} users) and GET /Groups/{{id}}?excludedAttributes=members \
             (over {} groups), alternating, concurrency {c}, {:.0} s",
            people.len(),
            groups.len(),
            args.duration().as_secs_f64()
        ),
        Measured {
            tally,
            wall,
            falcon,
        },
        rss,
        checks,
    ))
}

/// Scenario 5: the bridge's start-up with `users` users in Falcon, until `/readyz` says 200.
pub async fn startup(args: &BenchArgs) -> Result<ScenarioReport, BenchError> {
    let users = args.startup_users;
    let sim = start_sim(args.latency(), args.rate_limit, users).await?;
    FalconCalls::start(&sim.sim);
    let mut bridge = BridgeProcess::spawn(&sim, &args.bridge_exe()?)?;
    let ready = bridge.wait_ready().await?;
    let falcon = FalconCalls::read(&sim.sim);
    let rss = bridge.peak_rss();
    bridge.stop().await?;
    sim.shutdown().await;
    // The targets are stated for 100,000 users.
    let mut checks = Vec::new();
    if users == 100_000 {
        checks.push(Check::below(
            format!("start-up time with {users} users"),
            ready.as_secs_f64(),
            "s",
            10.0,
        ));
        checks.push(Check::at_most(
            format!("Falcon calls to start with {users} users"),
            falcon.total as f64,
            "",
            230.0,
        ));
    }
    checks.extend(rss_check(rss, users));
    Ok(report(
        5,
        "start-up",
        format!("{users} users in Falcon; time from spawning the bridge until /readyz is 200"),
        Measured {
            tally: Tally::default(),
            wall: ready,
            falcon,
        },
        rss,
        checks,
    ))
}
