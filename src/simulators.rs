//! `falcon-scim-bridge sim`: one target's simulator alone on loopback, for tests, benchmarks
//! and trying an IdP or a client against it. It prints the settings that point the bridge (or
//! any client) at it, then serves until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::time::Duration;

use crate::server::shutdown_signal;
use crate::target::TargetKind;

/// The `sim` subcommand's options.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// The target whose API is simulated.
    #[arg(long, value_enum, default_value_t = TargetKind::Falcon)]
    pub target: TargetKind,
    #[arg(long, default_value = "127.0.0.1:9090")]
    pub listen: SocketAddr,
    /// Falcon only: calls per minute per CID before 429.
    #[arg(long, default_value_t = 6000)]
    pub rate_limit: u32,
    /// Latency added to every API call, in milliseconds (Falcon, Incydr and Allthenticate; the
    /// LumApps simulator has no latency setting).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Access-token lifetime in seconds (default: the target's own, Falcon 1799, Incydr 900);
    /// for Allthenticate, the API key's (default: never expires).
    #[arg(long)]
    pub token_lifetime_secs: Option<u64>,
    /// Serve the /_sim/ test controls (seeding, faults, call counts). Incydr's simulator always
    /// serves them, since its users can only be added that way, and LumApps' and
    /// Allthenticate's have them always on (Allthenticate's accept invitations).
    #[arg(long)]
    pub controls: bool,
    /// Incydr, LumApps and Allthenticate: users in the tenant at start (Incydr's API cannot
    /// create users; for LumApps and Allthenticate they give the bridge someone to list and
    /// adopt; Allthenticate also starts with the demo's organisation).
    #[arg(long, default_value_t = 0)]
    pub users: usize,
}

/// Runs the chosen simulator until the process is told to stop.
pub async fn run(args: SimArgs) -> std::io::Result<()> {
    let latency = Duration::from_millis(args.latency_ms);
    let lifetime = args.token_lifetime_secs.map(Duration::from_secs);
    match args.target {
        TargetKind::Falcon => {
            let mut config = falcon::sim::SimConfig {
                rate_limit_per_minute: args.rate_limit,
                latency,
                controls_enabled: args.controls,
                ..falcon::sim::SimConfig::default()
            };
            if let Some(lifetime) = lifetime {
                config.token_lifetime = lifetime;
            }
            let sim = falcon::sim::Simulator::new(config);
            let client = sim.default_client();
            let running = sim.spawn(args.listen).await?;
            print_settings(
                "Falcon",
                "FALCON",
                &running.base_url,
                &client.client_id,
                &client.client_secret,
            );
            shutdown_signal().await;
            running.shutdown().await;
        }
        TargetKind::Incydr => {
            let sim = incydr_simulator(latency, lifetime);
            let config = sim.config().clone();
            if args.users > 0 {
                sim.seed_users(args.users, "incydr.example.com");
            }
            let running = sim.spawn(args.listen).await?;
            print_settings(
                "Incydr",
                "INCYDR",
                &running.base_url,
                &config.client_id,
                &config.client_secret,
            );
            println!(
                "add users as Incydr's own provisioning would: POST {}/_sim/users \
                 {{\"users\":[{{\"username\":\"ann@example.com\"}}]}}",
                running.base_url
            );
            shutdown_signal().await;
            running.shutdown().await;
        }
        TargetKind::Lumapps => {
            let sim = lumapps_simulator(lifetime);
            let config = sim.config().clone();
            seed_lumapps_users(&sim, args.users, "lumapps.example.com");
            let running = sim.spawn(args.listen).await?;
            println!("LumApps simulator on {}", running.base_url);
            println!("LUMAPPS_BASE_URL={}", running.base_url);
            println!("LUMAPPS_ORGANIZATION_ID={}", config.org_id);
            println!("LUMAPPS_ADMIN_EMAIL={}", config.admin_email);
            println!("LUMAPPS_CLIENT_ID={}", config.client_id);
            // Last, as for the other targets: a reader of these lines may stop at the secret.
            println!("LUMAPPS_CLIENT_SECRET={}", config.client_secret);
            shutdown_signal().await;
            running.shutdown().await;
        }
        TargetKind::Allthenticate => {
            let sim = allthenticate_simulator(latency, lifetime);
            let config = sim.config().clone();
            sim.seed_demo();
            for n in 1..=args.users {
                sim.seed_user(
                    &format!("user-{n}@allthenticate.example.com"),
                    "User",
                    &n.to_string(),
                );
            }
            let running = sim.spawn(args.listen).await?;
            println!("Allthenticate simulator on {}", running.base_url);
            println!(
                "accept a pending invitation as its person would: POST {}/_sim/invites/accept \
                 {{\"email\":\"{}\",\"first_name\":\"Erin\",\"last_name\":\"Early\"}}",
                running.base_url,
                allthenticate::sim::DEMO_PENDING_INVITE
            );
            println!("ALLTHENTICATE_BASE_URL={}", running.base_url);
            println!("ALLTHENTICATE_API_KEY_HEADER={}", config.key_header);
            // Last, as for the other targets: a reader of these lines may stop at the key.
            println!("ALLTHENTICATE_API_KEY={}", config.api_key);
            shutdown_signal().await;
            running.shutdown().await;
        }
    }
    Ok(())
}

/// The LumApps simulator as `sim` and `demo` run it: an organisation holding only the global
/// administrator the token impersonates, no feeds; its `/_sim/` controls are always on. It
/// has no latency knob, so `--latency-ms` does not apply to it.
pub fn lumapps_simulator(token_lifetime: Option<Duration>) -> lumapps::sim::Simulator {
    let mut config = lumapps::sim::SimConfig::default();
    if let Some(lifetime) = token_lifetime {
        config.token_lifetime = lifetime;
    }
    lumapps::sim::Simulator::new(config)
}

/// The Allthenticate simulator as `sim` and `demo` run it: an empty organisation whose one API
/// key travels as `Authorization: Bearer` (the client's default) and never expires unless
/// `key_lifetime` says; its `/_sim/` controls are always on, invitations being accepted there.
pub fn allthenticate_simulator(
    latency: Duration,
    key_lifetime: Option<Duration>,
) -> allthenticate::sim::Simulator {
    allthenticate::sim::Simulator::new(allthenticate::sim::SimConfig {
        latency,
        key_lifetime,
        controls_enabled: true,
        ..allthenticate::sim::SimConfig::default()
    })
}

/// `count` enabled external users `user-N@domain`, as if created in LumApps' console.
fn seed_lumapps_users(sim: &lumapps::sim::Simulator, count: usize, domain: &str) {
    for n in 1..=count {
        let user = serde_json::json!({
            "email": format!("user-{n}@{domain}"),
            "firstName": "User",
            "lastName": n.to_string(),
        });
        if let Err(e) = sim.seed_user(user) {
            tracing::warn!(error = %e, "a LumApps user was not seeded");
        }
    }
}

/// The Incydr simulator as `sim` and `demo` run it: an empty tenant with the default role
/// catalogue, and the `/_sim/` controls always on, since Incydr's API cannot create users and
/// they can only be added that way.
pub fn incydr_simulator(
    latency: Duration,
    token_lifetime: Option<Duration>,
) -> incydr::sim::Simulator {
    let mut config = incydr::sim::SimConfig {
        latency,
        controls_enabled: true,
        ..incydr::sim::SimConfig::default()
    };
    if let Some(lifetime) = token_lifetime {
        config.token_lifetime = lifetime;
    }
    incydr::sim::Simulator::new(config)
}

/// The simulator's address and credentials, as the environment variables that use them. The
/// secret is the simulator's own fixed test value, printed so that a newcomer can copy it.
fn print_settings(product: &str, prefix: &str, base_url: &str, client_id: &str, secret: &str) {
    println!("{product} simulator on {base_url}");
    println!("{prefix}_BASE_URL={base_url}");
    println!("{prefix}_CLIENT_ID={client_id}");
    println!("{prefix}_CLIENT_SECRET={secret}");
}
