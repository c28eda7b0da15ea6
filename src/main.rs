//! The command line: parse, set up logging, hand over to the library.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use falcon_scim_bridge::bench::{self, BenchArgs};
use falcon_scim_bridge::config::{ServeArgs, Settings};
use falcon_scim_bridge::demo::Demo;
use falcon_scim_bridge::server::shutdown_signal;
use falcon_scim_bridge::sim::{SimConfig, Simulator};
use falcon_scim_bridge::startup::Application;
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
    /// Serve SCIM against the configured Falcon cloud (the default).
    Serve(ServeArgs),
    /// Verify the configuration and Falcon access (token, region, scopes, roles, group mapping)
    /// without changing anything; exit 0 only when all is well.
    Check(ServeArgs),
    /// Run the bridge and a Falcon simulator together on loopback, to try it out.
    Demo {
        /// Address for the SCIM endpoint.
        #[arg(long, env = "BRIDGE_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Bearer token to accept (default: a random one, printed at start).
        #[arg(long, env = "DEMO_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// Run the Falcon simulator alone (for tests, benchmarks and trying an IdP against it).
    Sim {
        #[arg(long, default_value = "127.0.0.1:9090")]
        listen: SocketAddr,
        /// Calls per minute per CID before 429.
        #[arg(long, default_value_t = 6000)]
        rate_limit: u32,
        /// Latency added to every user-management call, in milliseconds.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Access-token lifetime in seconds.
        #[arg(long, default_value_t = 1799)]
        token_lifetime_secs: u64,
        /// Serve the /_sim/ test controls (seeding, faults, call counts).
        #[arg(long)]
        controls: bool,
    },
    /// Measure the bridge against the simulator: IdP scenarios, Falcon calls per SCIM operation,
    /// latency, throughput and peak RSS, next to the targets of issue 8.
    Bench(BenchArgs),
    /// Exit 0 when the bridge on this machine answers /healthz, 1 otherwise (Docker HEALTHCHECK).
    Healthcheck {
        #[arg(long, env = "BRIDGE_LISTEN", default_value = "0.0.0.0:8080")]
        listen: String,
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
            eprintln!("falcon-scim-bridge: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => {
            let settings = Settings::from_args(&args)?;
            let app = Application::build(settings).await?;
            app.run_until_stopped(shutdown_signal()).await?;
        }
        Command::Check(args) => {
            let settings = Settings::from_args(&args)?;
            let report = falcon_scim_bridge::check::run(&settings).await;
            print!("{}", report.render());
            anyhow::ensure!(report.passed(), "check failed");
        }
        Command::Demo { listen, token } => {
            let demo = Demo::start(listen, token).await?;
            println!("{}", demo.banner());
            demo.app.run_until_stopped(shutdown_signal()).await?;
            demo.sim.shutdown().await;
        }
        Command::Sim {
            listen,
            rate_limit,
            latency_ms,
            token_lifetime_secs,
            controls,
        } => {
            let sim = Simulator::new(SimConfig {
                rate_limit_per_minute: rate_limit,
                latency: Duration::from_millis(latency_ms),
                token_lifetime: Duration::from_secs(token_lifetime_secs),
                controls_enabled: controls,
                ..SimConfig::default()
            });
            let client = sim.default_client();
            let running = sim.spawn(listen).await.context("starting the simulator")?;
            println!("Falcon simulator on {}", running.base_url);
            println!("FALCON_BASE_URL={}", running.base_url);
            println!("FALCON_CLIENT_ID={}", client.client_id);
            println!("FALCON_CLIENT_SECRET={}", client.client_secret);
            shutdown_signal().await;
            running.shutdown().await;
        }
        Command::Healthcheck { listen } => healthcheck(&listen).await?,
        Command::Bench(args) => {
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

async fn healthcheck(listen: &str) -> anyhow::Result<()> {
    // The bridge listens on all interfaces by default; the probe runs beside it.
    let port = listen.rsplit(':').next().unwrap_or("8080");
    let url = format!("http://127.0.0.1:{port}/healthz");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
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
