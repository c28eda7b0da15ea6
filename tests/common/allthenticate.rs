//! The bridge with `BRIDGE_TARGET=allthenticate` against the Allthenticate simulator, both on
//! loopback ports: what is Allthenticate's in the shared harness (`target_bridge.rs`): starting
//! the simulator, the `ALLTHENTICATE_*` variables the bridge reads (in-process, and for the
//! binary), and which of its calls are writes.

use allthenticate::sim::{RunningSim, SimConfig, SimUser, Simulator};
use falcon_scim_bridge::config::{ServeArgs, Settings, TargetSettings};
use falcon_scim_bridge::target::TargetKind;

use super::target_bridge::serve_args;
// Not every test binary that includes this module uses both.
#[allow(unused_imports)]
pub use super::target_bridge::{Running, serve};

pub const TOKEN: &str = "allthenticate-wiring-token-0123456789abcdefghijklmnop";

/// A key no other test value contains, so that a test can look for it in any output.
pub const KEY: &str = "allth-wiring-key-5f0c2b7e9d1a4c3b8e6f";

/// A simulator whose key is [`KEY`], sent in `header` (`Authorization` means `Bearer`),
/// seeded by `prepare`, on a loopback port.
pub async fn start_sim_with_header(header: &str, prepare: impl FnOnce(&Simulator)) -> RunningSim {
    let sim = Simulator::new(SimConfig {
        api_key: KEY.to_owned(),
        key_header: header.to_owned(),
        ..SimConfig::default()
    });
    prepare(&sim);
    sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// A simulator with the default header, seeded by `prepare`, on a loopback port.
pub async fn start_sim(prepare: impl FnOnce(&Simulator)) -> RunningSim {
    start_sim_with_header("Authorization", prepare).await
}

/// The variables `serve` and `check` read for `sim`, the key in the header the simulator
/// expects.
pub fn args(sim: &RunningSim) -> ServeArgs {
    let header = &sim.sim.config().key_header;
    ServeArgs {
        allthenticate_base_url: Some(sim.base_url.clone()),
        allthenticate_api_key: Some(KEY.to_owned()),
        allthenticate_api_key_header: (header != "Authorization").then(|| header.clone()),
        ..serve_args(TargetKind::Allthenticate, TOKEN)
    }
}

/// The settings `serve` reads from `BRIDGE_TARGET=allthenticate` and the `ALLTHENTICATE_*`
/// variables pointing at `sim`.
pub fn settings(sim: &RunningSim) -> Settings {
    let settings = Settings::from_args(&args(sim)).expect("valid Allthenticate settings");
    assert!(matches!(
        settings.tenants[0].core.target,
        TargetSettings::Allthenticate(_)
    ));
    settings
}

/// Allthenticate's settings inside `settings` (client and options), for a test to change.
pub fn allthenticate_of(
    settings: &mut Settings,
) -> &mut falcon_scim_bridge::config::AllthenticateSettings {
    match &mut settings.tenants[0].core.target {
        TargetSettings::Allthenticate(cfg) => cfg,
        other => panic!("not Allthenticate: {other:?}"),
    }
}

/// Every call the simulator got other than reads: the writes, by route (no token route: a
/// static key).
pub fn writes(sim: &RunningSim) -> Vec<(String, u64)> {
    super::target_bridge::writes(sim.sim.call_counts().routes, |_| false)
}

/// The groups the rank tests map: Admins to ADMIN, Staff to REGULAR.
pub const ADMINS: &str = "Allthenticate Admins";
pub const STAFF: &str = "Allthenticate Staff";

/// [`settings`] for `sim` with `[groups]` mapping [`ADMINS`] and [`STAFF`] to their ranks.
pub fn ranked(sim: &RunningSim) -> Settings {
    let mut settings = settings(sim);
    settings.tenants[0].core.group_roles = std::collections::BTreeMap::from([
        (ADMINS.to_owned(), vec!["ADMIN".to_owned()]),
        (STAFF.to_owned(), vec!["REGULAR".to_owned()]),
    ]);
    settings
}

/// Rank changes the simulator was asked for.
pub fn rank_changes(sim: &RunningSim) -> u64 {
    sim.sim
        .call_count("POST", allthenticate::model::routes::MODIFY_RANK)
}

/// The member with this e-mail, which must exist.
pub fn user(sim: &RunningSim, email: &str) -> SimUser {
    sim.sim
        .user(email)
        .unwrap_or_else(|| panic!("no Allthenticate member {email}"))
}

/// `falcon-scim-bridge ARGS` with only `BRIDGE_TARGET=allthenticate`, an in-memory store, JSON
/// logs and `env`: no variable of another target.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(super::process::BIN);
    cmd.args(args)
        .env_clear()
        .env("BRIDGE_TARGET", "allthenticate")
        .env("BRIDGE_DATABASE_URL", "sqlite::memory:")
        .env("BRIDGE_LOG_FORMAT", "json")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}
