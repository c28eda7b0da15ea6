//! The simulator on a loopback port, served by `sim_support::serve` (connections an injected
//! `Fault::Drop` can cut mid-request, so the client sees a network failure).

use std::io;
use std::net::SocketAddr;

use sim_support::Serving;

use super::Simulator;

/// A simulator serving on a local port.
#[derive(Debug)]
pub struct RunningSim {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`: the base URL to point a client at.
    pub base_url: String,
    pub sim: Simulator,
    serving: Serving,
}

impl RunningSim {
    /// Stops accepting connections, lets in-flight requests finish (up to a few seconds), and
    /// waits for the server task.
    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }
}

pub(crate) async fn spawn(sim: Simulator, addr: SocketAddr) -> io::Result<RunningSim> {
    let serving = sim_support::serve(sim.router(), addr, "allthenticate").await?;
    Ok(RunningSim {
        addr: serving.addr,
        base_url: serving.base_url.clone(),
        sim,
        serving,
    })
}
