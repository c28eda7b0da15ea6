//! Allthenticate's users API as the bridge needs it: the wire types (`model`), a typed client
//! (`client`), its [`target_api::Target`] implementation (`target`) and a faithful simulator
//! (`sim`) for tests and the demo. Nothing here knows SCIM or the bridge's core.
//!
//! What Allthenticate's API does shapes everything here: creating a user means inviting an
//! e-mail (added at once when it already has an Allthenticate account, pending until accepted
//! otherwise), suspension is a toggle (not idempotent: read the state first), rank is one value
//! addressed by `user_id` while everything else is addressed by `email_id`, and delete removes
//! the user from the organisation with its groups and sole-owner policies. Facts and
//! inferences: `../shared/targets/allthenticate.md`.

pub mod client;
pub mod error;
pub mod model;
pub mod sim;
pub mod target;

pub use client::{AllthenticateClient, ClientConfig, InviteOutcome, SuspensionChange};
pub use error::AllthenticateError;
pub use model::{EmailId, Rank, Status, User, UserId, UserTag};
pub use target::{AllthenticateTarget, TargetOptions};
