//! Scenario 6, an Okta push against a binding Falcon rate limit: more users than the limit lets
//! through in a minute, pushed by an IdP that honours `Retry-After`. What counts is that the
//! bridge spends Falcon's window as fast as it opens (wall time near what the limit alone
//! imposes) and that the IdP sees nothing but 429s it can honour: no 5xx, no timeout, no
//! 429 without a `Retry-After`, and no user lost or created twice.

use std::time::Duration;

use reqwest::Method;

use super::{Env, Measured, PUSH_DOMAIN, okta_user, report};
use crate::bench::driver::{run_concurrently, user_name_filter};
use crate::bench::measure::{FalconCalls, latency_floor, rate_floor};
use crate::bench::report::{Check, ScenarioReport};
use crate::bench::{BenchArgs, BenchError};

/// Local part prefix of the users this scenario pushes.
const PREFIX: &str = "throttled.";

/// Scenario 6: `args.throttled_users` users at `args.concurrency` against a Falcon limit of
/// `args.throttled_rate_limit` calls a minute.
pub async fn throttled_push(args: &BenchArgs) -> Result<ScenarioReport, BenchError> {
    let limit = args.throttled_rate_limit;
    let env = Env::start_with_rate_limit(args, limit, args.concurrency).await?;
    let sim = &env.sim.sim;
    let n = args.throttled_users;
    // Start-up calls (roles, the user listing) share the window with the push: counted in.
    let before = FalconCalls::read(sim);
    FalconCalls::start(sim);

    let (tally, outcomes, wall) = run_concurrently(0..n, args.concurrency, |i| {
        let idp = &env.idp;
        async move {
            let user_name = format!("{PREFIX}{i:06}@{PUSH_DOMAIN}");
            let lookup = format!("{}&startIndex=1&count=100", user_name_filter(&user_name));
            let (mut samples, found, honourable) = idp
                .call_honouring_retry_after(Method::GET, &lookup, None, 200)
                .await;
            if !honourable || found.json()["totalResults"] != 0 {
                return (
                    samples,
                    Outcome {
                        created: false,
                        honourable,
                    },
                );
            }
            let body = okta_user(&user_name, i);
            let (more, created, honourable) = idp
                .call_honouring_retry_after(Method::POST, "/Users", Some(&body), 201)
                .await;
            samples.extend(more);
            let created = created.sample.status == Some(201);
            (
                samples,
                Outcome {
                    created,
                    honourable,
                },
            )
        }
    })
    .await;
    let falcon = FalconCalls::read(sim);
    let created = outcomes.iter().filter(|o| o.created).count();
    let unusable = outcomes.iter().filter(|o| !o.honourable).count();
    let in_falcon = sim
        .users()
        .iter()
        .filter(|u| u.uid.starts_with(PREFIX))
        .count();

    let admitted = falcon.admitted();
    let window_calls = admitted + before.admitted();
    let bound = throttled_floor(window_calls, admitted, limit, args);
    let checks = vec![
        Check::equals("users created", created as f64, "", n as f64),
        Check::equals(
            "users in Falcon afterwards (each created once)",
            in_falcon as f64,
            "",
            n as f64,
        ),
        Check::equals(
            "answers other than 200, 201 or 429",
            tally.errors as f64,
            "",
            0.0,
        ),
        Check::equals(
            "429s without a usable Retry-After",
            unusable as f64,
            "",
            0.0,
        ),
        Check::at_most(
            format!(
                "wall time vs {:.1} s rate-limit bound + 10%",
                bound.as_secs_f64()
            ),
            wall.as_secs_f64(),
            "s",
            bound.as_secs_f64() * 1.1,
        ),
    ];
    let idp_429s = tally.idp_429s;
    let rss = env.finish().await?;
    let setup = format!(
        "{n} users (GET ?filter=userName eq, then POST /Users) at IdP concurrency {}, Falcon \
         limited to {limit} calls a minute; the IdP waits out every 429 for its Retry-After\n\
         bound: {:.1} s ({window_calls} calls in {limit}-a-minute windows: {} at start-up, the \
         rest creates and the directory's background refresh; the last window's calls at {} ms); \
         the IdP saw {idp_429s} 429s",
        args.concurrency,
        bound.as_secs_f64(),
        window_calls - admitted,
        args.latency_ms,
    );
    Ok(report(
        6,
        "Okta push against a binding Falcon rate limit",
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

/// What one user's push came to.
struct Outcome {
    created: bool,
    /// Every 429 it got carried a `Retry-After` in seconds.
    honourable: bool,
}

/// The least time the push can take when Falcon admits `limit` calls a minute: the window
/// makes the last `window_calls` call wait for its minute ([`rate_floor`]), and the calls of
/// that last minute still take their latency, `concurrency` at a time. Start-up calls are in
/// `window_calls` but were made before the push's clock started, which only makes the bound
/// stricter.
fn throttled_floor(window_calls: u64, push_calls: u64, limit: u32, args: &BenchArgs) -> Duration {
    let last_window = if window_calls == 0 {
        0
    } else {
        (window_calls - 1) % u64::from(limit.max(1)) + 1
    };
    rate_floor(window_calls, limit)
        + latency_floor(
            last_window.min(push_calls),
            args.concurrency,
            args.latency(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    #[test]
    fn the_bound_is_whole_windows_plus_the_last_windows_latency() {
        let args = Cli::parse_from(["bench", "--latency-ms=30", "--concurrency=10"]).bench;
        // 10,000 calls at 1,500 a minute: six full windows, then 1,000 calls, 10 at a time.
        assert_eq!(
            throttled_floor(10_000, 10_000, 1500, &args),
            Duration::from_secs(360) + Duration::from_millis(3000)
        );
        // Everything fits in the first window: latency only.
        assert_eq!(
            throttled_floor(100, 100, 1500, &args),
            Duration::from_millis(300)
        );
        assert_eq!(throttled_floor(0, 0, 1500, &args), Duration::ZERO);
    }
}
