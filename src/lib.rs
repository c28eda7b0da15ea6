//! falcon-scim-bridge: the binary's library. It wires the crates together: `scim` speaks SCIM,
//! `bridge` is the provisioning core that drives any `target_api::Target`, and `falcon` is the
//! first target (client, simulator). Here live the command line's settings, start-up, the HTTP
//! server around the SCIM routes, the `demo`, `bench`, `check` and admin subcommands.

pub mod admin;
pub mod bench;
pub mod check;
pub mod config;
pub mod demo;
pub mod server;
pub mod simulators;
pub mod startup;
pub mod telemetry;
pub mod tls;
