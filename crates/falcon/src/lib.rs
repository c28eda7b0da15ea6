//! The Falcon user-management API: wire types and a typed client. Nothing here knows SCIM.

pub mod client;
pub mod error;
pub mod fql;
pub mod model;
pub mod region;
pub mod sim;
mod telemetry;
mod throttle;
mod token;
pub mod trace;

pub use client::{ClientConfig, FalconClient};
pub use error::{Failure, FalconError};
pub use region::Region;
