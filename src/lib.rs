//! falcon-scim-bridge: the binary's library. It wires the crates together: `scim` speaks SCIM,
//! `bridge` is the provisioning core that drives any `target_api::Target`, and `falcon`,
//! `incydr`, `lumapps` and `allthenticate` are the targets (client, simulator), one of which
//! `target` holds as the configured one. Here live the command line's settings, start-up, the HTTP server around the SCIM routes,
//! the `demo`, `bench`, `check` and admin subcommands.

pub mod admin;
pub mod bench;
pub mod check;
pub mod config;
pub mod demo;
pub mod server;
pub mod simulators;
pub mod startup;
pub mod target;
pub mod telemetry;
pub mod tls;
