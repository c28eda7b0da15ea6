//! What the target simulators (Falcon's, Incydr's, LumApps', Allthenticate's) share and no
//! production code needs: serving a simulator's router on a loopback port with connections that
//! an injected fault can cut mid-request (`server`, and `RunningSim` for what `spawn` returns),
//! the book of armed faults (`faults`), call counts (`accounting`), and poison-tolerant locks
//! for their state (`locks`).
//! It knows no target's API.

pub mod accounting;
pub mod faults;
pub mod locks;
pub mod server;

pub use accounting::{CallCounts, CallLog};
pub use faults::FaultBook;
pub use server::{DropSwitch, Peer, RunningSim, Serving, serve};
