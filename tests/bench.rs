//! `falcon-scim-bridge bench` at toy sizes: every scenario runs against the real binary, and
//! the Falcon call counts meet their targets. No time is asserted here: the time targets
//! belong to `cargo run --release -- bench` on a quiet machine.

use clap::Parser;
use falcon_scim_bridge::bench::{self, BenchArgs};

const BIN: &str = env!("CARGO_BIN_EXE_falcon-scim-bridge");

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_and_spends_the_fewest_falcon_calls() {
    let args = Cli::parse_from([
        "bench",
        "--scenario=1",
        "--scenario=2",
        "--scenario=3",
        "--scenario=4",
        "--scenario=5",
        "--users=20",
        "--group-size=4",
        "--patches=12",
        "--import-users=150",
        "--duration=0.3",
        "--lookup-concurrency=4",
        "--startup-users=600",
        "--latency-ms=0",
        &format!("--bridge-exe={BIN}"),
    ])
    .bench;
    let mut seen = Vec::new();
    let report = bench::run(&args, |s| seen.push(s.scenario))
        .await
        .expect("the bench runs");
    assert_eq!(seen, [1, 2, 3, 4, 5]);

    for s in &report.scenarios {
        assert_eq!((s.errors, s.idp_429s), (0, 0), "{}", s.render());
        for check in s.checks.iter().filter(|c| c.what.contains("Falcon calls")) {
            assert!(check.met, "{}", s.render());
        }
    }
    let by = |n: u8| report.scenarios.iter().find(|s| s.scenario == n).unwrap();
    // 20 creates, then 5 groups x 4 members: one grant each.
    assert_eq!(by(1).falcon.total, 40, "{}", by(1).render());
    // 6 renames, 3 deactivations (read grants, revoke, delete), 3 reactivations (create, grant).
    assert_eq!(by(3).falcon.total, 6 + 3 * 3 + 3 * 2, "{}", by(3).render());
    assert_eq!(by(2).falcon.total + by(4).falcon.total, 0);
    assert!(by(4).scim_ops > 0);
    // Token, role ids, roles, two pages of 500 user ids, one batch of 600 users.
    assert_eq!(by(5).falcon.total, 6, "{}", by(5).render());
    assert!(report.to_json().contains("\"scenario\": 5"));
}

/// Scenario 6 at toy size: 12 users against 10 Falcon calls a minute, so that the push outruns
/// the window and the IdP is told to come back a minute later. Every user is created with one
/// Falcon call, and every refusal the IdP saw was a 429 with a `Retry-After` it could honour.
/// (Takes a minute: Falcon's window is a minute long, and the simulator keeps it so.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_against_a_binding_rate_limit_sees_only_honourable_429s() {
    let args = Cli::parse_from([
        "bench",
        "--scenario=6",
        "--throttled-users=12",
        "--throttled-rate-limit=10",
        "--latency-ms=0",
        &format!("--bridge-exe={BIN}"),
    ])
    .bench;
    let report = bench::run(&args, |_| {}).await.expect("the bench runs");
    let s = &report.scenarios[0];
    assert_eq!(s.scenario, 6);
    assert!(s.idp_429s > 0, "the limit binds: {}", s.render());
    assert_eq!(s.errors, 0, "{}", s.render());
    for check in s.checks.iter().filter(|c| !c.what.contains("wall time")) {
        assert!(check.met, "{}: {}", check.what, s.render());
    }
    // Twelve creates admitted; every refused call was refused by Falcon, not lost.
    assert_eq!(s.falcon.admitted(), 12, "{}", s.render());
}

/// Scenarios 1 and 4 at toy size against two replicas on one throwaway PostgreSQL, the IdP
/// taking them in turn: the same Falcon calls and IdP answers as on one replica, and both
/// replicas answered. Skipped (with a `SKIPPED:` line) where no PostgreSQL is installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_push_and_look_up_with_the_fewest_falcon_calls() {
    let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
        return;
    };
    let args = Cli::parse_from([
        "bench",
        "--users=20",
        "--group-size=4",
        "--duration=0.3",
        "--lookup-concurrency=4",
        "--latency-ms=0",
        "--replicas=2",
        &format!("--database-url={}", server.url()),
        &format!("--bridge-exe={BIN}"),
    ])
    .bench;
    let mut seen = Vec::new();
    let report = bench::run(&args, |s| seen.push(s.scenario))
        .await
        .expect("the bench runs");
    // No --scenario with two replicas: the two that take replicas.
    assert_eq!(seen, [1, 4]);
    for s in &report.scenarios {
        assert_eq!((s.errors, s.idp_429s), (0, 0), "{}", s.render());
        for check in s.checks.iter().filter(|c| c.what.contains("Falcon calls")) {
            assert!(check.met, "{}", s.render());
        }
        assert!(
            s.setup
                .contains("store: PostgreSQL, 2 replicas behind round-robin"),
            "{}",
            s.setup
        );
        let answered: Vec<u64> = s
            .setup
            .split("answers per replica: ")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .map(|list| list.split(" / ").filter_map(|n| n.parse().ok()).collect())
            .unwrap_or_default();
        assert_eq!(answered.len(), 2, "{}", s.setup);
        assert!(
            answered.iter().all(|&n| n > 0),
            "both replicas answered: {}",
            s.setup
        );
    }
    let by = |n: u8| report.scenarios.iter().find(|s| s.scenario == n).unwrap();
    // 20 creates, then 5 groups x 4 members: one grant each, whichever replica was asked.
    assert_eq!(by(1).falcon.total, 40, "{}", by(1).render());
    assert_eq!(by(4).falcon.total, 0, "{}", by(4).render());
    assert!(by(4).scim_ops > 0);
    let store = &report.settings.store;
    assert!(store.starts_with("PostgreSQL, postgres://"), "{store}");
    assert!(store.contains("/fsb_bench_<uuid>"), "{store}");
    assert!(store.contains("2 replicas"), "{store}");
}

/// Replicas need a shared PostgreSQL: without one, or for a scenario that takes no replicas,
/// the bench refuses before it starts anything.
#[tokio::test]
async fn replicas_without_postgres_are_refused_before_anything_starts() {
    let refused = |extra: &[&str]| {
        let mut argv = vec!["bench", "--replicas=2"];
        argv.extend_from_slice(extra);
        // A bridge executable that does not exist: had the bench started anything, the error
        // would be about it.
        argv.push("--bridge-exe=/nonexistent/falcon-scim-bridge");
        let args = Cli::parse_from(argv).bench;
        async move {
            bench::run(&args, |_| {})
                .await
                .expect_err("refused")
                .to_string()
        }
    };
    let none = refused(&[]).await;
    assert!(
        none.contains("--replicas 2 needs --database-url postgres://"),
        "{none}"
    );
    let sqlite = refused(&["--database-url=sqlite:///tmp/x.db"]).await;
    assert!(sqlite.contains("must name a PostgreSQL server"), "{sqlite}");
    let other = refused(&[
        "--database-url=postgres://bridge@127.0.0.1:1/postgres",
        "--scenario=1",
        "--scenario=3",
    ])
    .await;
    assert!(
        other.contains("applies to scenarios 1 and 4 only, not to scenario 3"),
        "{other}"
    );
}
