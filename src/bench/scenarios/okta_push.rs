//! Scenario 1, Okta's initial push: every user looked up by `userName` and created, then the
//! groups created with their members. Its time is judged against a floor computed from what
//! Falcon alone imposes (its latency and rate limit), so that the bridge's own overhead shows.

use std::time::Duration;

use super::{Env, Measured, no_429, push_groups, push_users, report};
use crate::bench::harness::{GROUPS, calibrate_latency};
use crate::bench::measure::{FalconCalls, latency_floor, rate_floor};
use crate::bench::report::{Check, ScenarioReport};
use crate::bench::{BenchArgs, BenchError};

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
    let store = env.store_line();
    let rss = env.finish().await?;
    let setup = format!(
        "{n} users (GET ?filter=userName eq, then POST /Users), then {groups} groups x {size} \
         members (POST /Groups); IdP concurrency {}; {store}\n\
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
