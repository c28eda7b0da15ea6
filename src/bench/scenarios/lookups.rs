//! Scenario 4, look-ups: the `userName` filters and group reads IdPs send all day, at high
//! concurrency for a fixed time. They must be answered from the bridge's directory, without a
//! Falcon call, fast enough and with a low p99.

use std::time::Instant;

use super::{Env, Measured, push_groups, report};
use crate::bench::driver::{Tally, user_name_filter};
use crate::bench::measure::{FalconCalls, Percentiles};
use crate::bench::report::{Check, ScenarioReport};
use crate::bench::{BenchArgs, BenchError};

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
    let store = env.store_line();
    let rss = env.finish().await?;
    Ok(report(
        4,
        "look-ups",
        format!(
            "GET /Users?filter=userName eq (over {} users) and GET /Groups/{{id}}?excludedAttributes=members \
             (over {} groups), alternating, concurrency {c}, {:.0} s; {store}",
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
