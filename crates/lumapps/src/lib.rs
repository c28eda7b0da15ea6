//! LumApps' user and feed ("group") API as a provisioning target: the wire types (`model`), a
//! typed client (`client`), and a faithful simulator (`sim`) for tests and the demo. Nothing
//! here knows SCIM or the bridge's core. Facts and inferences: `../shared/targets/lumapps.md`.
//!
//! Selected with `BRIDGE_TARGET=lumapps`: [`target::LumAppsTarget`] drives users and, as the
//! core's native groups, feeds (a SCIM group is a LumApps feed, changed by one
//! `feed/subscribers/save` per group change).

pub mod client;
pub mod error;
pub mod model;
pub mod sim;
pub mod target;

pub use client::{ClientConfig, LumAppsClient};
pub use error::LumAppsError;
pub use target::LumAppsTarget;
