//! Scenario 2, an IdP import: every user read in pages, as Okta and Entra do when they import
//! or reconcile, with a given number of users already in Falcon. The bridge answers from its
//! own directory, so the target is no Falcon call at all, and a bounded peak RSS.

use std::time::Instant;

use super::{Env, Measured, report, rss_check};
use crate::bench::driver::Tally;
use crate::bench::measure::FalconCalls;
use crate::bench::report::{Check, ScenarioReport};
use crate::bench::{BenchArgs, BenchError};

/// The page size Okta and Entra import with.
const IMPORT_PAGE: usize = 100;

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
