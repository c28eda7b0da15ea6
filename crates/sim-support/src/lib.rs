//! What the target simulators (Falcon's, Incydr's, LumApps', Allthenticate's) share and no
//! production code needs: serving a simulator's router on a loopback port with connections that
//! an injected fault can cut mid-request (`server`), injected faults and the book of armed ones
//! (`faults`), call counts (`accounting`), the pieces of the `/_sim/` controls that answer alike
//! (`controls`), and poison-tolerant locks for their state (`locks`).
//! It knows no target's API.

pub mod accounting;
pub mod controls;
pub mod faults;
pub mod locks;
pub mod server;

pub use accounting::{CallCounts, CallLog};
pub use faults::{ArmFault, Fault, FaultBook, FaultSpec};
pub use server::{DropSwitch, Peer, RunningSim, Serving, serve};
