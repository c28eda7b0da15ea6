//! The command line: parse, set up logging, hand over to the library.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use falcon_scim_bridge::bench::{self, BenchArgs};
use falcon_scim_bridge::config::{CoreSettings, ServeArgs, ServeReadiness, Settings};
use falcon_scim_bridge::demo::Demo;
use falcon_scim_bridge::server::shutdown_signal;
use falcon_scim_bridge::simulators::{self, SimArgs};
use falcon_scim_bridge::startup::Application;
use falcon_scim_bridge::target::TargetKind;
use falcon_scim_bridge::telemetry;

/// SCIM 2.0 service provider that provisions CrowdStrike Falcon users and roles.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a subcommand the bridge serves, with these settings.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve SCIM against the configured target, Falcon by default (the default command).
    Serve(ServeArgs),
    /// Verify the configuration and access to the target (token, region, scopes, roles, group
    /// mapping) without changing anything; exit 1 when a line is [FAIL] ([warn] lines do not
    /// fail it). Needs access to the target and the group mapping, not the SCIM credentials.
    Check {
        /// Check only this tenant of `[[tenants]]` (default: every tenant, one verdict each).
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Compare the store (groups, memberships, deprovisioned users) with the target's users and
    /// roles and print the drift per user; exit 0 only when there is none (after --apply: when
    /// every drift was repaired). Needs access to the target, the store and the group mapping,
    /// not the SCIM credentials.
    Reconcile {
        /// Repair the drift (deletions go through the deletion guard).
        #[arg(long)]
        apply: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The tenant of `[[tenants]]` to reconcile (required when there are tenants).
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Print the audit log of the writes to the target, oldest first.
    Audit {
        /// Only writes since this time (RFC 3339) or this long ago (90m, 24h, 7d).
        #[arg(long)]
        since: Option<String>,
        /// Only writes concerning this Falcon login.
        #[arg(long)]
        user: Option<String>,
        /// At most this many (the most recent).
        #[arg(long)]
        limit: Option<u32>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
        /// The store: a SQLite URL.
        #[arg(
            long,
            env = "BRIDGE_DATABASE_URL",
            default_value = "sqlite://falcon-scim-bridge.db"
        )]
        database_url: String,
        /// The tenant whose audit log to print (its store beside BRIDGE_DATABASE_URL's).
        #[arg(long)]
        tenant: Option<String>,
        /// The target the writes went to, for the table's wording.
        #[arg(
            long,
            env = "BRIDGE_TARGET",
            value_enum,
            ignore_case = true,
            default_value_t = TargetKind::Falcon
        )]
        target: TargetKind,
    },
    /// Run the bridge and a target's simulator together on loopback, to try it out.
    Demo {
        /// The target whose simulator the bridge provisions.
        #[arg(long, value_enum, default_value_t = TargetKind::Falcon)]
        target: TargetKind,
        /// Address for the SCIM endpoint.
        #[arg(long, env = "BRIDGE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Bearer token to accept (default: a random one, printed at start).
        #[arg(long, env = "DEMO_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Run a target's simulator alone (for tests, benchmarks and trying an IdP against it).
    Sim(SimArgs),
    /// Measure the bridge against the simulator: IdP scenarios, Falcon calls per SCIM operation,
    /// latency, throughput and peak RSS, next to the performance targets.
    Bench(BenchArgs),
    /// Copy a whole store into an empty one, e.g. SQLite into PostgreSQL before running on it;
    /// stop `serve` first. The destination is migrated and must hold no rows; the copy is one
    /// transaction there, so a failure leaves it empty.
    MigrateStore {
        /// The store to copy (it is migrated to this version's schema first).
        #[arg(long)]
        from: String,
        /// The empty store to fill: postgres://USER@HOST:5432/DB (or sqlite://FILE).
        #[arg(long)]
        to: String,
        /// Copy this tenant's store at --from (its file or schema), not the single one.
        #[arg(long)]
        from_tenant: Option<String>,
        /// Fill this tenant's store at --to: how a bridge of its own joins a bridge of several.
        #[arg(long)]
        to_tenant: Option<String>,
    },
    /// Exit 0 when the bridge on this machine answers /healthz, 1 otherwise (Docker HEALTHCHECK).
    Healthcheck {
        #[arg(long, env = "BRIDGE_LISTEN", default_value = "0.0.0.0:8080")]
        listen: String,
        /// When set, the bridge serves HTTPS, and so does the probe.
        #[arg(long, env = "BRIDGE_TLS_CERT")]
        tls_cert: Option<std::path::PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve(cli.serve));
    if matches!(command, Command::Bench(_)) {
        // The bench's stdout is its report; the simulator inside it logs warnings to stderr.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    } else {
        telemetry::init();
    }
    match run(command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("falcon-scim-bridge: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, like `{:#}`, but a cause whose text its effect already
/// shows is not repeated (some errors put their source in their own message as well).
fn describe(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let cause = cause.to_string();
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let settings = Settings::from_args(&args)?;
            let app = Application::build(settings).await?;
            app.run_until_stopped(shutdown_signal()).await?;
        }
        Command::Check {
            tenant: Some(tenant),
            settings: args,
        } => {
            let settings = CoreSettings::for_tenant(&args, Some(&tenant))?;
            let serve = ServeReadiness::of(&args);
            let report = falcon_scim_bridge::check::run(&settings, &serve).await;
            print!("{}", report.render());
            anyhow::ensure!(report.passed(), "check failed");
        }
        Command::Check {
            tenant: None,
            settings: args,
        } => {
            let serve = ServeReadiness::of(&args);
            let mut failed = Vec::new();
            let all = CoreSettings::all_from_args(&args)?;
            for settings in &all {
                let report = falcon_scim_bridge::check::run(settings, &serve).await;
                match &settings.tenant {
                    Some(tenant) => {
                        let verdict = if report.passed() { "passed" } else { "FAILED" };
                        println!("== tenant {tenant}: {verdict}");
                        print!("{}", report.render());
                        println!();
                        if !report.passed() {
                            failed.push(tenant.to_string());
                        }
                    }
                    None => {
                        print!("{}", report.render());
                        if !report.passed() {
                            failed.push(String::new());
                        }
                    }
                }
            }
            match failed.as_slice() {
                [] => {}
                [single] if single.is_empty() => anyhow::bail!("check failed"),
                tenants => anyhow::bail!("check failed for tenant(s) {}", tenants.join(", ")),
            }
        }
        Command::Reconcile {
            apply,
            json,
            tenant,
            settings,
        } => {
            let settings = CoreSettings::for_tenant(&settings, tenant.as_deref())?;
            let report = falcon_scim_bridge::admin::reconcile(&settings, apply).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render());
            }
            let repaired = |d: &bridge::reconcile::UserDrift| {
                d.repair
                    .as_deref()
                    .is_some_and(|r| !r.starts_with("not repaired"))
            };
            anyhow::ensure!(
                report.drift.iter().all(|d| apply && repaired(d)),
                "drift found"
            );
        }
        Command::Audit {
            since,
            user,
            limit,
            json,
            database_url,
            tenant,
            target,
        } => {
            let since = since
                .map(|s| falcon_scim_bridge::admin::parse_since(&s, chrono::Utc::now()))
                .transpose()?;
            let query = bridge::store::AuditQuery {
                since,
                login: user,
                limit,
            };
            let records =
                falcon_scim_bridge::admin::audit(&database_url, tenant.as_deref(), &query).await?;
            if json {
                print!(
                    "{}",
                    falcon_scim_bridge::admin::render_audit_json(&records, tenant.as_deref())
                );
            } else {
                print!(
                    "{}",
                    falcon_scim_bridge::admin::render_audit_table(&records, target.naming())
                );
            }
        }
        Command::Demo {
            target,
            listen,
            token,
        } => {
            if let Some(why) = token.as_deref().and_then(scim::auth::weakness) {
                anyhow::bail!("--token (DEMO_TOKEN) {why}");
            }
            match target {
                TargetKind::Falcon => {
                    let demo = Demo::start(listen, token).await?;
                    println!("{}", demo.banner());
                    demo.app.run_until_stopped(shutdown_signal()).await?;
                    demo.sim.shutdown().await;
                }
                TargetKind::Incydr => {
                    let demo = Demo::start_incydr(listen, token).await?;
                    println!("{}", demo.banner());
                    demo.app.run_until_stopped(shutdown_signal()).await?;
                    demo.sim.shutdown().await;
                }
                TargetKind::Lumapps => {
                    let demo = Demo::start_lumapps(listen, token).await?;
                    println!("{}", demo.banner());
                    demo.app.run_until_stopped(shutdown_signal()).await?;
                    demo.sim.shutdown().await;
                }
                TargetKind::Allthenticate => {
                    let demo = Demo::start_allthenticate(listen, token).await?;
                    println!("{}", demo.banner());
                    demo.app.run_until_stopped(shutdown_signal()).await?;
                    demo.sim.shutdown().await;
                }
            }
        }
        Command::Sim(args) => simulators::run(args)
            .await
            .context("starting the simulator")?,
        Command::MigrateStore {
            from,
            to,
            from_tenant,
            to_tenant,
        } => {
            use falcon_scim_bridge::admin::StoreAt;
            for tenant in from_tenant.iter().chain(&to_tenant) {
                falcon_scim_bridge::config::TenantName::parse(tenant)
                    .map_err(|e| anyhow::anyhow!("--from-tenant/--to-tenant: {e}"))?;
            }
            let copied = falcon_scim_bridge::admin::migrate_store(
                StoreAt {
                    url: &from,
                    tenant: from_tenant.as_deref(),
                },
                StoreAt {
                    url: &to,
                    tenant: to_tenant.as_deref(),
                },
            )
            .await?;
            print!("{}", falcon_scim_bridge::admin::render_copied(&copied, &to));
        }
        Command::Healthcheck { listen, tls_cert } => {
            healthcheck(&listen, tls_cert.is_some()).await?
        }
        Command::Bench(args) => {
            args.validate()?;
            if args.json {
                let report = bench::run(&args, |_| {}).await?;
                println!("{}", report.to_json());
            } else {
                let machine = bench::report::Machine::this_one();
                println!("{}", bench::report::header(&machine, &args.settings()));
                let report = bench::run(&args, |s| println!("{}", s.render())).await?;
                print!("{}", report.summary());
            }
        }
    }
    Ok(())
}

async fn healthcheck(listen: &str, tls: bool) -> anyhow::Result<()> {
    // The bridge listens on all interfaces by default; the probe runs beside it.
    let port = listen.rsplit(':').next().unwrap_or("8080");
    let scheme = if tls { "https" } else { "http" };
    let url = format!("{scheme}://127.0.0.1:{port}/healthz");
    // Over loopback to our own process the certificate's name (the public host name) cannot
    // match 127.0.0.1; the probe checks liveness, not identity.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .danger_accept_invalid_certs(tls)
        .build();
    let ok = match client {
        Ok(c) => c
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success()),
        Err(_) => false,
    };
    anyhow::ensure!(ok, "unhealthy: {url} did not answer 200");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot listen on 127.0.0.1:8080: {source}")]
    struct Twice {
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot open the store")]
    struct Once {
        source: std::io::Error,
    }

    fn in_use() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::AddrInUse, "Address already in use")
    }

    #[test]
    fn each_cause_is_printed_once() {
        let twice = anyhow::Error::new(Twice { source: in_use() });
        assert_eq!(
            describe(&twice),
            "cannot listen on 127.0.0.1:8080: Address already in use"
        );
        let once = anyhow::Error::new(Once { source: in_use() }).context("start-up");
        assert_eq!(
            describe(&once),
            "start-up: cannot open the store: Address already in use"
        );
        assert_eq!(describe(&anyhow::anyhow!("check failed")), "check failed");
    }
}
