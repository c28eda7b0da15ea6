//! falcon-scim-bridge: a SCIM 2.0 service provider that provisions CrowdStrike Falcon users.
//!
//! `scim` speaks SCIM, `falcon` speaks Falcon, `bridge` maps one onto the other, `store` keeps
//! what Falcon cannot hold, `sim` is a faithful Falcon simulator for tests and the demo, and
//! `bench` measures the bridge against it.

pub mod admin;
pub mod bench;
pub mod bridge;
pub mod check;
pub mod config;
pub mod demo;
pub mod falcon;
pub mod scim;
pub mod secret;
pub mod server;
pub mod sim;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tls;
