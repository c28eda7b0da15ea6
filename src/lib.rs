//! falcon-scim-bridge: a SCIM 2.0 service provider that provisions CrowdStrike Falcon users.
//!
//! `scim` speaks SCIM, `falcon` speaks Falcon, `bridge` maps one onto the other, `store` keeps
//! what Falcon cannot hold, and `sim` is a faithful Falcon simulator for tests and the demo.

pub mod falcon;
pub mod sim;
