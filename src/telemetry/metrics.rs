//! Prometheus metrics: the names the bridge exports, and the one recorder behind `/metrics`.
//!
//! Code records through the `metrics` crate's macros with the names below, so every metric is
//! declared in one place; `/metrics` renders the recorder in Prometheus text format.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// SCIM requests, by `route` (the matched pattern, never the id) and `status`.
pub const SCIM_REQUESTS: &str = "scim_requests_total";
/// SCIM request latency in seconds, by `route` and `status`.
pub const SCIM_REQUEST_SECONDS: &str = "scim_request_duration_seconds";
/// Falcon calls, by `operation` (Falcon's operation id) and `status` (HTTP status or `error`).
pub const FALCON_CALLS: &str = "falcon_calls_total";
/// Falcon call latency in seconds, by `operation` and `status`.
pub const FALCON_CALL_SECONDS: &str = "falcon_call_duration_seconds";
/// 429s Falcon answered.
pub const FALCON_THROTTLED: &str = "falcon_throttled_total";
/// Milliseconds spent waiting because of Falcon's rate limit (an integer counter).
pub const FALCON_THROTTLE_WAIT_MS: &str = "falcon_throttle_wait_milliseconds_total";
/// Access tokens obtained.
pub const FALCON_TOKEN_REFRESHES: &str = "falcon_token_refreshes_total";
/// Users deprovisioned (roles revoked and, in `delete` mode, the Falcon user deleted).
pub const DEPROVISIONINGS: &str = "bridge_deprovisionings_total";
/// Deprovisionings refused by the deletion guard.
pub const GUARD_REFUSALS: &str = "bridge_deletion_guard_refusals_total";
/// Group members the bridge did not know, ignored.
pub const UNKNOWN_MEMBERS: &str = "bridge_unknown_group_members_total";
/// Groups created whose name maps to no Falcon role.
pub const UNMAPPED_GROUPS: &str = "bridge_unmapped_groups_total";
/// Users in the in-memory directory.
pub const DIRECTORY_USERS: &str = "bridge_directory_users";
/// Unix time of the last successful directory refresh.
pub const DIRECTORY_REFRESHED: &str = "bridge_directory_refreshed_timestamp_seconds";
/// Drift found by the last reconciliation, by `kind`.
pub const DRIFT: &str = "bridge_drift";
/// SCIM requests refused by authentication or scope, by `reason` (`missing`, `unknown-token`,
/// `read-only`, or the JWT check that failed).
pub const AUTH_REFUSALS: &str = "scim_auth_refusals_total";
/// SCIM requests refused by the per-credential rate limit, by `credential` (its name).
pub const RATE_LIMITED: &str = "scim_rate_limited_total";

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The recorder keeps every histogram sample until upkeep folds it into the buckets, and
/// `install_recorder` leaves upkeep to us: without it a bridge nobody scrapes grows by about
/// 11 bytes a request, forever. A plain thread, so that no runtime is needed.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
    }
}

/// Installs the process-wide recorder if it is not installed yet; idempotent.
pub fn install() {
    let _ = handle();
}

/// The process-wide recorder (installed on first use; tests build many apps in one process).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .expect("the bucket list is not empty");
            match builder.install_recorder() {
                Ok(handle) => {
                    spawn_upkeep(handle.clone());
                    handle
                }
                // Another recorder is installed (an embedding program's): render ours anyway.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}
