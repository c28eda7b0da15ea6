//! Scenario 5, start-up: the bridge spawned with many users already in Falcon, timed until
//! `/readyz` answers 200. The bridge loads its directory of Falcon users before it listens, so
//! this is what a restart costs in a large CID. Unlike the others it starts the processes
//! itself: what it measures is over before `Env` would hand it an IdP client.

use super::{Measured, report, rss_check};
use crate::bench::driver::Tally;
use crate::bench::harness::{BenchDatabase, BridgeProcess, new_token, start_sim};
use crate::bench::measure::FalconCalls;
use crate::bench::report::{Check, ScenarioReport};
use crate::bench::{BenchArgs, BenchError};

/// Scenario 5: the bridge's start-up with `users` users in Falcon, until `/readyz` says 200.
pub async fn startup(args: &BenchArgs) -> Result<ScenarioReport, BenchError> {
    let users = args.startup_users;
    // With `--database-url`, a fresh PostgreSQL database, as the other scenarios' bridges get.
    let database = match &args.database_url {
        Some(server) => Some(BenchDatabase::create(server).await?),
        None => None,
    };
    let store = database.as_ref().map(|db| db.url.as_str());
    let sim = start_sim(args.latency(), args.rate_limit, users).await?;
    FalconCalls::start(&sim.sim);
    let mut bridge = BridgeProcess::spawn_with(&sim, &args.bridge_exe()?, store, &new_token())?;
    let ready = bridge.wait_ready().await?;
    let falcon = FalconCalls::read(&sim.sim);
    let rss = bridge.peak_rss();
    bridge.stop().await?;
    sim.shutdown().await;
    if let Some(db) = database {
        db.remove().await;
    }
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
