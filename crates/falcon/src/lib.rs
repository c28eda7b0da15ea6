//! CrowdStrike Falcon's user-management API as a provisioning target: the wire types
//! (`model`), a typed client (`client`), its [`target_api::Target`] implementation (`target`)
//! and a faithful simulator (`sim`) for tests, the demo and the bench. Nothing here knows SCIM
//! or the bridge's core.

pub mod client;
pub mod error;
pub mod fql;
pub mod model;
pub mod region;
pub mod sim;
pub mod target;
mod telemetry;
mod throttle;

pub use client::{ClientConfig, FalconClient};
pub use error::{Failure, FalconError};
pub use region::Region;
pub use throttle::RateBudget;
