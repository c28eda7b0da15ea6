//! Shared test setup: a Falcon simulator on a random loopback port, and clients for it.
#![allow(dead_code)]

pub mod allthenticate;
pub mod incydr;
pub mod jwt;
pub mod lumapps;
pub mod process;
pub mod target_bridge;

use std::time::Duration;

use falcon::sim::{ApiClientSpec, RunningSim, SimConfig, Simulator};
use falcon::{ClientConfig, FalconClient};
use falcon_scim_bridge::config::{CoreSettings, Settings, TargetSettings, TenantSettings};
use scim::auth::CredentialSpec;
use secrecy::SecretString;

pub async fn spawn_sim(config: SimConfig) -> RunningSim {
    Simulator::new(config)
        .spawn("127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator binds a loopback port")
}

/// A client config for `spec` against the simulator, with short bounds so tests stay quick.
pub fn client_config(sim: &RunningSim, spec: &ApiClientSpec) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        sim.base_url.clone(),
        spec.client_id.clone(),
        SecretString::from(spec.client_secret.clone()),
    );
    cfg.retry_base_delay = Duration::from_millis(20);
    cfg.max_rate_limit_wait = Duration::from_secs(5);
    cfg
}

pub fn client(sim: &RunningSim) -> FalconClient {
    FalconClient::new(client_config(sim, &sim.sim.default_client())).unwrap()
}

/// The bridge and a simulator, both on random loopback ports, as an IdP sees them.
pub struct TestApp {
    /// `http://127.0.0.1:PORT/scim/v2`
    pub base: String,
    pub token: String,
    pub sim: RunningSim,
    pub http: reqwest::Client,
    pub bridge_addr: std::net::SocketAddr,
    /// The running bridge, for what an IdP cannot see (the store, reconciliation).
    pub bridge: std::sync::Arc<bridge::Bridge<falcon_scim_bridge::target::ConfiguredTarget>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub const TEST_TOKEN: &str = "test-token-0123456789abcdefghijklmnopqrstuvwxyz";

/// Starts a simulator with `sim_config`, lets `prepare` seed it, then starts the bridge on it.
pub async fn spawn_app_with(sim_config: SimConfig, prepare: impl FnOnce(&Simulator)) -> TestApp {
    spawn_app_custom(sim_config, prepare, |_| {}).await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(SimConfig::default(), |_| {}).await
}

/// Like [`spawn_app_with`], with a last word on the bridge's settings.
pub async fn spawn_app_custom(
    sim_config: SimConfig,
    prepare: impl FnOnce(&Simulator),
    adjust: impl FnOnce(&mut falcon_scim_bridge::config::Settings),
) -> TestApp {
    let sim = spawn_sim(sim_config).await;
    prepare(&sim.sim);
    let mut settings = falcon_settings(&sim);
    adjust(&mut settings);
    let app = falcon_scim_bridge::startup::Application::build(settings)
        .await
        .expect("the bridge starts");
    let base = app.scim_base_url();
    let bridge_addr = app.local_addr();
    let bridge = app.bridge();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    TestApp {
        base,
        token: TEST_TOKEN.to_owned(),
        sim,
        http: reqwest::Client::new(),
        bridge_addr,
        bridge,
        shutdown: Some(tx),
        served: Some(served),
    }
}

/// The settings `serve` would have for the Falcon simulator `sim`: its default API client,
/// short bounds, one SCIM token, an in-memory store.
pub fn falcon_settings(sim: &RunningSim) -> Settings {
    let mut falcon = client_config(sim, &sim.sim.default_client());
    falcon.max_rate_limit_wait = Duration::from_secs(2);
    Settings {
        tenants: vec![TenantSettings {
            core: CoreSettings {
                tenant: None,
                target: TargetSettings::Falcon(falcon),
                database_url: "sqlite::memory:".into(),
                database_pool: 1,
                policy: bridge::Policy::default(),
                group_roles: Default::default(),
                refuse_unmapped_groups: false,
                reconcile: Default::default(),
            },
            credentials: vec![CredentialSpec::static_token(
                "okta",
                SecretString::from(TEST_TOKEN),
            )],
        }],
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        directory_refresh: Duration::from_secs(3600),
        security: Default::default(),
    }
}

/// The Falcon client settings of `settings`, which [`spawn_app_custom`] made.
pub fn falcon_of(settings: &mut Settings) -> &mut ClientConfig {
    match &mut settings.tenants[0].core.target {
        TargetSettings::Falcon(cfg) => cfg,
        other => panic!("not Falcon: {other:?}"),
    }
}

impl TestApp {
    /// Shuts the bridge down gracefully and returns what `run_until_stopped` returned.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.served
            .take()
            .expect("running")
            .await
            .expect("the server task does not panic")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&self.token)
    }

    pub fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header("content-type", "application/scim+json; charset=utf-8")
            .body(body.to_string())
    }

    pub fn post(&self, path: &str, body: &serde_json::Value) -> reqwest::RequestBuilder {
        self.send_json(reqwest::Method::POST, path, body)
    }

    pub fn put(&self, path: &str, body: &serde_json::Value) -> reqwest::RequestBuilder {
        self.send_json(reqwest::Method::PUT, path, body)
    }

    pub fn patch(&self, path: &str, body: &serde_json::Value) -> reqwest::RequestBuilder {
        self.send_json(reqwest::Method::PATCH, path, body)
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.delete(self.url(path)).bearer_auth(&self.token)
    }

    /// Sends, checks the status, and returns the JSON body (or `Null` when empty).
    pub async fn expect(&self, req: reqwest::RequestBuilder, status: u16) -> serde_json::Value {
        let resp = req.send().await.expect("the bridge answers");
        let got = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(got, status, "unexpected status; body: {text}");
        if text.is_empty() {
            return serde_json::Value::Null;
        }
        assert!(
            ctype.starts_with("application/scim+json"),
            "content-type {ctype}"
        );
        serde_json::from_str(&text).expect("the body is JSON")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
