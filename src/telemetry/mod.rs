//! Logs and metrics. Logging goes to stderr, so that what a subcommand prints on stdout (a
//! report, JSON) stays parseable: JSON lines when stderr is not a terminal (containers, log
//! shippers), readable text on a terminal; `BRIDGE_LOG_FORMAT=json|text` overrides; `RUST_LOG`
//! filters (default `info`). Metrics: see [`metrics`]; the `tenant` label of a bridge serving
//! several tenants: see [`tenant_label`].

pub mod metrics;
pub mod tenant_label;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = match std::env::var("BRIDGE_LOG_FORMAT").ok().as_deref() {
        Some("json") => true,
        Some("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
