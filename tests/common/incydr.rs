//! The bridge with `BRIDGE_TARGET=incydr` against the Incydr simulator, both on loopback ports:
//! what is Incydr's in the shared harness (`target_bridge.rs`): starting the simulator, the
//! `INCYDR_*` variables and `[groups]` mapping the bridge reads, and the token route.

use std::collections::BTreeMap;

use falcon_scim_bridge::config::{ServeArgs, Settings, TargetSettings};
use falcon_scim_bridge::target::TargetKind;
use incydr::sim::{RunningSim, SimConfig, Simulator};

use super::target_bridge::serve_args;
// Not every test binary that includes this module uses both.
#[allow(unused_imports)]
pub use super::target_bridge::{Running, serve};

pub const TOKEN: &str = "incydr-wiring-token-0123456789abcdefghijklmnop";
pub const SECRET: &str = "sim-incydr-secret";

/// A simulator `prepare` has seeded, on a loopback port.
pub async fn start_sim(prepare: impl FnOnce(&Simulator)) -> RunningSim {
    let sim = Simulator::new(SimConfig::default());
    prepare(&sim);
    sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// The settings `serve` reads from `BRIDGE_TARGET=incydr`, `INCYDR_BASE_URL`,
/// `INCYDR_CLIENT_ID` and `INCYDR_CLIENT_SECRET`, plus `groups` as `[groups]` of the TOML file
/// (each group maps to one role id or name).
pub fn settings(sim: &RunningSim, secret: &str, groups: &[(&str, &str)]) -> Settings {
    let args = ServeArgs {
        incydr_base_url: Some(sim.base_url.clone()),
        incydr_client_id: Some(sim.sim.config().client_id.clone()),
        incydr_client_secret: Some(secret.to_owned()),
        ..serve_args(TargetKind::Incydr, TOKEN)
    };
    let mut settings = Settings::from_args(&args).expect("valid Incydr settings");
    assert!(matches!(
        settings.tenants[0].core.target,
        TargetSettings::Incydr(_)
    ));
    settings.tenants[0].core.group_roles = groups
        .iter()
        .map(|(group, role)| ((*group).to_owned(), vec![(*role).to_owned()]))
        .collect::<BTreeMap<_, _>>();
    settings
}

/// The Incydr client's settings inside `settings`, for a test to shorten its bounds.
pub fn incydr_of(settings: &mut Settings) -> &mut incydr::ClientConfig {
    match &mut settings.tenants[0].core.target {
        TargetSettings::Incydr(cfg) => cfg,
        other => panic!("not Incydr: {other:?}"),
    }
}

/// Every call the simulator got other than reads and the token: the writes, by route.
pub fn writes(sim: &RunningSim) -> Vec<(String, u64)> {
    super::target_bridge::writes(sim.sim.call_counts().routes, |route| {
        route == "POST /v1/oauth"
    })
}
