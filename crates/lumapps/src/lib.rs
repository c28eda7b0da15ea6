//! LumApps' user and feed ("group") API as a provisioning target: the wire types (`model`), a
//! typed client (`client`), and a faithful simulator (`sim`) for tests and the demo. Nothing
//! here knows SCIM or the bridge's core. Facts and inferences: `../shared/targets/lumapps.md`.

pub mod client;
pub mod error;
pub mod model;
mod token;

pub use client::{ClientConfig, LumAppsClient};
pub use error::LumAppsError;
