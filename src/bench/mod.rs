//! `falcon-scim-bridge bench`: the bridge's speed and its Falcon call economy, measured.
//!
//! Each scenario starts the Falcon simulator in this process (with the chosen latency and
//! rate limit) and the bridge as a child process of this executable, drives SCIM requests as
//! Okta or Entra would, and reports SCIM throughput and latency, the Falcon calls spent (from
//! the simulator's counters), 429s seen by the IdP and the bridge's peak RSS, with the
//! performance targets next to the measured values. `measure.rs` computes, `driver.rs` sends,
//! `harness.rs` starts and stops the processes, `scenarios/` holds the scenarios (a file each)
//! and `report.rs` renders tables and JSON.
//!
//! The bridge stores on SQLite in a temporary directory, or, with `--database-url`, on a fresh
//! database of that PostgreSQL server for each scenario; `--replicas N` then runs scenarios 1
//! and 4 against N bridge processes on that one database, with the IdP taking them in turn as
//! a round-robin load balancer would.

pub mod driver;
pub mod harness;
pub mod measure;
pub mod report;
pub mod scenarios;

use std::time::Duration;

use report::{BenchReport, Machine, RunSettings, ScenarioReport};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the bridge under test: {0}")]
    Bridge(String),
    #[error("{0}")]
    Unexpected(String),
    /// Options that cannot run together; said before anything starts.
    #[error("{0}")]
    Usage(String),
    #[error("the bench's PostgreSQL database: {0}")]
    Database(String),
}

/// The bench's options; every size can be shrunk for a quick run.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Run only this scenario (repeatable): 1 Okta push, 2 import, 3 Entra PATCHes,
    /// 4 look-ups, 5 start-up, 6 Okta push against a binding rate limit. Default: all.
    #[arg(long = "scenario", value_parser = clap::value_parser!(u8).range(1..=6))]
    pub scenarios: Vec<u8>,
    /// Latency the simulator adds to every Falcon user-management call, in milliseconds.
    #[arg(long, default_value_t = 30)]
    pub latency_ms: u64,
    /// Falcon calls per minute before the simulator answers 429.
    #[arg(long, default_value_t = 6000)]
    pub rate_limit: u32,
    /// Users pushed in scenario 1 (and Falcon users looked up in scenario 4).
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Groups pushed in scenarios 1 and 4 (at most 5).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub groups: u8,
    /// Members of each pushed group.
    #[arg(long, default_value_t = 200)]
    pub group_size: usize,
    /// IdP concurrency of scenarios 1 and 6.
    #[arg(long, default_value_t = 10)]
    pub concurrency: usize,
    /// PATCHes of scenario 3 (half name changes, a quarter deactivations, a quarter
    /// reactivations).
    #[arg(long, default_value_t = 1000)]
    pub patches: usize,
    /// IdP concurrency of scenario 3.
    #[arg(long, default_value_t = 20)]
    pub patch_concurrency: usize,
    /// Falcon user counts scenario 2 imports, comma-separated.
    #[arg(long, default_value = "10000,100000", value_delimiter = ',')]
    pub import_users: Vec<usize>,
    /// IdP concurrency of scenario 4.
    #[arg(long, default_value_t = 32)]
    pub lookup_concurrency: usize,
    /// How long scenario 4 runs, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Falcon users present when the bridge starts in scenario 5.
    #[arg(long, default_value_t = 100_000)]
    pub startup_users: usize,
    /// Users pushed in scenario 6.
    #[arg(long, default_value_t = 10_000)]
    pub throttled_users: usize,
    /// Falcon calls per minute in scenario 6 (binding: fewer than its users).
    #[arg(long, default_value_t = 1500)]
    pub throttled_rate_limit: u32,
    /// A PostgreSQL server the bench may create databases on, e.g.
    /// `postgres://bridge@127.0.0.1:5432/postgres`: each scenario's bridge then stores on a
    /// fresh database there (`fsb_bench_<uuid>`, dropped afterwards). Default: SQLite.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Bridge replicas of scenarios 1 and 4, on one PostgreSQL database (needs a postgres
    /// `--database-url`), behind a round-robin IdP. With more than one, only scenarios 1 and 4
    /// run.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub replicas: u16,
    /// Print the report as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// The bridge executable to start (default: this one; tests point it at the built binary).
    #[arg(long, hide = true)]
    pub bridge_exe: Option<std::path::PathBuf>,
}

impl BenchArgs {
    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms)
    }

    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.duration.max(0.1))
    }

    /// The executable started as the bridge.
    pub fn bridge_exe(&self) -> Result<std::path::PathBuf, BenchError> {
        match &self.bridge_exe {
            Some(path) => Ok(path.clone()),
            None => Ok(std::env::current_exe()?),
        }
    }

    pub fn settings(&self) -> RunSettings {
        let store = match &self.database_url {
            None => "SQLite, a file in a temporary directory".to_owned(),
            Some(server) => format!(
                "PostgreSQL, {} (a fresh database per scenario); {}",
                harness::BenchDatabase::shown(server),
                match self.replicas {
                    1 => "1 replica".to_owned(),
                    n => format!("{n} replicas behind a round-robin IdP in scenarios 1 and 4"),
                }
            ),
        };
        RunSettings {
            falcon_latency_ms: self.latency_ms,
            falcon_rate_limit_per_minute: self.rate_limit,
            bridge_not_default: vec![format!("{}={}", harness::LIFTED.0, harness::LIFTED.1)],
            store,
        }
    }

    /// The scenarios that take replicas.
    pub const REPLICATED: [u8; 2] = [1, 4];

    /// Refuses options that cannot run together, before anything starts.
    pub fn validate(&self) -> Result<(), BenchError> {
        let postgres = self
            .database_url
            .as_deref()
            .is_some_and(harness::is_postgres_url);
        if let Some(url) = &self.database_url
            && !postgres
        {
            return Err(BenchError::Usage(format!(
                "--database-url must name a PostgreSQL server (postgres://USER@HOST:PORT/DB), \
                 not '{}': the bench creates a database there for each scenario",
                harness::BenchDatabase::redacted(url)
            )));
        }
        if self.replicas > 1 {
            if !postgres {
                return Err(BenchError::Usage(format!(
                    "--replicas {} needs --database-url postgres://…: replicas share one \
                     PostgreSQL database (SQLite serves one replica only)",
                    self.replicas
                )));
            }
            let other: Vec<String> = self
                .scenarios
                .iter()
                .filter(|s| !Self::REPLICATED.contains(s))
                .map(u8::to_string)
                .collect();
            if !other.is_empty() {
                return Err(BenchError::Usage(format!(
                    "--replicas {} applies to scenarios 1 and 4 only, not to scenario {}",
                    self.replicas,
                    other.join(", ")
                )));
            }
        }
        Ok(())
    }

    fn runs(&self, scenario: u8) -> bool {
        if self.scenarios.is_empty() {
            self.replicas <= 1 || Self::REPLICATED.contains(&scenario)
        } else {
            self.scenarios.contains(&scenario)
        }
    }
}

/// Runs the chosen scenarios in order, handing each report to `on_report` as it is done.
pub async fn run(
    args: &BenchArgs,
    mut on_report: impl FnMut(&ScenarioReport),
) -> Result<BenchReport, BenchError> {
    args.validate()?;
    let mut scenarios = Vec::new();
    let mut done = |r: ScenarioReport| {
        on_report(&r);
        scenarios.push(r);
    };
    if args.runs(1) {
        done(scenarios::okta_push(args).await?);
    }
    if args.runs(2) {
        for &users in &args.import_users {
            done(scenarios::import(args, users).await?);
        }
    }
    if args.runs(3) {
        done(scenarios::entra_incremental(args).await?);
    }
    if args.runs(4) {
        done(scenarios::lookups(args).await?);
    }
    if args.runs(5) {
        done(scenarios::startup(args).await?);
    }
    if args.runs(6) {
        done(scenarios::throttled_push(args).await?);
    }
    Ok(BenchReport {
        machine: Machine::this_one(),
        settings: args.settings(),
        scenarios,
    })
}
