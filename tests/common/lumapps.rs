//! The bridge with `BRIDGE_TARGET=lumapps` against the LumApps simulator, both on loopback
//! ports: what is LumApps' in the shared harness (`target_bridge.rs`): starting the simulator,
//! the `LUMAPPS_*` variables the bridge reads, the token route, and reading users and feeds.

use falcon_scim_bridge::config::{ServeArgs, Settings, TargetSettings};
use falcon_scim_bridge::target::TargetKind;
use lumapps::sim::{RunningSim, SimConfig, Simulator};
use serde_json::{Value, json};

use super::target_bridge::serve_args;
// Not every test binary that includes this module uses both.
#[allow(unused_imports)]
pub use super::target_bridge::{Running, serve};

pub const TOKEN: &str = "lumapps-wiring-token-0123456789abcdefghijklmnop";

/// A simulator `prepare` has seeded, on a loopback port.
pub async fn start_sim(prepare: impl FnOnce(&Simulator)) -> RunningSim {
    let sim = Simulator::new(SimConfig::default());
    prepare(&sim);
    sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// The settings `serve` reads from `BRIDGE_TARGET=lumapps` and the `LUMAPPS_*` variables
/// pointing at `sim` (no `[groups]`: LumApps groups are its feeds).
pub fn settings(sim: &RunningSim) -> Settings {
    let config = sim.sim.config();
    let args = ServeArgs {
        lumapps_base_url: Some(sim.base_url.clone()),
        lumapps_organization_id: Some(config.org_id.clone()),
        lumapps_client_id: Some(config.client_id.clone()),
        lumapps_client_secret: Some(config.client_secret.clone()),
        lumapps_admin_email: Some(config.admin_email.clone()),
        ..serve_args(TargetKind::Lumapps, TOKEN)
    };
    let settings = Settings::from_args(&args).expect("valid LumApps settings");
    assert!(matches!(
        settings.tenants[0].core.target,
        TargetSettings::Lumapps(_)
    ));
    settings
}

/// The LumApps client's settings inside `settings`, for a test to shorten its bounds.
pub fn lumapps_of(settings: &mut Settings) -> &mut lumapps::ClientConfig {
    match &mut settings.tenants[0].core.target {
        TargetSettings::Lumapps(cfg) => cfg,
        other => panic!("not LumApps: {other:?}"),
    }
}

/// Every call the simulator got other than reads and the token: the writes, by route.
pub fn writes(sim: &RunningSim) -> Vec<(String, u64)> {
    super::target_bridge::writes(sim.sim.call_counts().routes, |route| {
        route.ends_with("/application-token")
    })
}

/// The LumApps user with this e-mail, which must exist.
pub fn user(sim: &RunningSim, email: &str) -> serde_json::Map<String, Value> {
    sim.sim
        .user_by_email(email)
        .unwrap_or_else(|| panic!("no LumApps user {email}"))
}

/// The feed named `name`, if any.
pub fn feed(sim: &RunningSim, name: &str) -> Option<serde_json::Map<String, Value>> {
    sim.sim.feeds().into_iter().find(|f| f["name"] == name)
}

/// `{"value": "…"}` member entries for a group PATCH or POST.
pub fn members(ids: &[&str]) -> Vec<Value> {
    ids.iter().map(|id| json!({"value": id})).collect()
}
