//! Code42 Incydr's users API v1 as a provisioning target: the wire types (`model`), a typed
//! client (`client`), its [`target_api::Target`] implementation (`target`) and a faithful
//! simulator (`sim`) for tests and the demo. Nothing here knows SCIM or the bridge's core.
//!
//! What Incydr's API cannot do shapes the target: it cannot create or delete users (they come
//! from Incydr's own provisioning, so the bridge adopts them), deactivation is native and
//! reversible, and a user's roles are replaced as a whole set. Facts and inferences:
//! `../shared/targets/incydr.md`.

pub mod client;
pub mod error;
pub mod model;
pub mod sim;
pub mod target;

pub use client::{ClientConfig, IncydrClient};
pub use error::IncydrError;
pub use target::IncydrTarget;
