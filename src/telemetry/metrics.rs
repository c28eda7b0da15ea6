//! Prometheus metrics: the one recorder behind `/metrics`, and the names of the HTTP server's
//! own metrics.
//!
//! Code records through the `metrics` crate's macros; each crate declares the names it records
//! in its own `telemetry` module (`scim`, `bridge`, `falcon`), and `/metrics` renders them all
//! from this recorder in Prometheus text format.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::tenant_label::TenantLabelled;

/// SCIM requests, by `route` (the matched pattern, never the id) and `status`.
pub const SCIM_REQUESTS: &str = "scim_requests_total";
/// SCIM request latency in seconds, by `route` and `status`.
pub const SCIM_REQUEST_SECONDS: &str = "scim_request_duration_seconds";
/// 1 while a tenant of several is ready (store reachable, target credentials accepted), by
/// `tenant`; a bridge without tenants has `/readyz` instead.
pub const TENANT_READY: &str = "bridge_tenant_ready";

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
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder installed (an embedding program's): render ours anyway.
            if metrics::set_global_recorder(TenantLabelled(recorder)).is_ok() {
                spawn_upkeep(handle.clone());
            }
            handle
        })
        .clone()
}
