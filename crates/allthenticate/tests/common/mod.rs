//! What the client tests share: a simulator with a known key on a loopback port, and a client
//! with short retry delays for it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use allthenticate::sim::{RunningSim, SimConfig, Simulator};
use allthenticate::{AllthenticateClient, ClientConfig};
use secrecy::SecretString;

pub const KEY: &str = "k-test-7f3a9c51";

pub async fn start_with(config: SimConfig) -> RunningSim {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Simulator::new(config).spawn(addr).await.unwrap()
}

pub async fn start() -> RunningSim {
    start_with(SimConfig {
        api_key: KEY.to_owned(),
        ..SimConfig::default()
    })
    .await
}

pub fn config(running: &RunningSim, key: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(running.base_url.clone(), SecretString::from(key.to_owned()));
    cfg.retry_base_delay = Duration::from_millis(10);
    cfg
}

pub fn client(running: &RunningSim) -> AllthenticateClient {
    AllthenticateClient::new(config(running, KEY)).unwrap()
}
