//! The bridge with `BRIDGE_TARGET=lumapps` against the LumApps simulator, both on loopback
//! ports: settings as `serve` reads them from the environment, a running bridge, and the
//! requests an IdP sends.

use std::sync::Arc;
use std::time::Duration;

use bridge::Bridge;
use falcon_scim_bridge::config::{ServeArgs, Settings, TargetSettings};
use falcon_scim_bridge::startup::Application;
use falcon_scim_bridge::target::{ConfiguredTarget, TargetKind};
use lumapps::sim::{RunningSim, SimConfig, Simulator};
use serde_json::{Value, json};

pub const TOKEN: &str = "lumapps-wiring-token-0123456789abcdefghijklmnop";

/// A simulator `prepare` has seeded, on a loopback port.
pub async fn start_sim(prepare: impl FnOnce(&Simulator)) -> RunningSim {
    let sim = Simulator::new(SimConfig::default());
    prepare(&sim);
    sim.spawn("127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// The settings `serve` reads from `BRIDGE_TARGET=lumapps` and the `LUMAPPS_*` variables
/// pointing at `sim` (no `[groups]`: LumApps groups are its feeds).
pub fn settings(sim: &RunningSim) -> Settings {
    let config = sim.sim.config();
    let args = ServeArgs {
        bridge_target: TargetKind::Lumapps,
        lumapps_base_url: Some(sim.base_url.clone()),
        lumapps_organization_id: Some(config.org_id.clone()),
        lumapps_client_id: Some(config.client_id.clone()),
        lumapps_client_secret: Some(config.client_secret.clone()),
        lumapps_admin_email: Some(config.admin_email.clone()),
        scim_bearer_tokens: Some(TOKEN.to_owned()),
        bridge_listen: "127.0.0.1:0".into(),
        bridge_database_url: "sqlite::memory:".into(),
        bridge_directory_refresh_secs: 3600,
        bridge_deprovision: "delete".into(),
        bridge_max_deletions_per_hour: 25,
        bridge_reconcile_interval_secs: 0,
        bridge_reconcile_rate_percent: 10,
        ..ServeArgs::default()
    };
    let settings = Settings::from_args(&args).expect("valid LumApps settings");
    assert!(matches!(settings.target, TargetSettings::Lumapps(_)));
    settings
}

/// The LumApps client's settings inside `settings`, for a test to shorten its bounds.
pub fn lumapps_of(settings: &mut Settings) -> &mut lumapps::ClientConfig {
    match &mut settings.target {
        TargetSettings::Lumapps(cfg) => cfg,
        other => panic!("not LumApps: {other:?}"),
    }
}

/// A running bridge; it stops when this is dropped.
pub struct Running {
    pub root: String,
    pub http: reqwest::Client,
    /// For what an IdP cannot see (the store, reconciliation).
    pub bridge: Arc<Bridge<ConfiguredTarget>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn serve(settings: Settings) -> Running {
    let app = Application::build(settings)
        .await
        .expect("the bridge starts");
    let root = format!("http://{}", app.local_addr());
    let bridge = app.bridge();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    Running {
        root,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        bridge,
        _stop: stop,
    }
}

impl Running {
    /// Sends a SCIM request; the status and the JSON body (`Null` when empty).
    pub async fn scim(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, _, body) = self.scim_with_headers(method, path, body).await;
        (status, body)
    }

    /// Like [`Self::scim`], with the response headers.
    pub async fn scim_with_headers(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/scim/v2{path}", self.root))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.scim(reqwest::Method::GET, path, None).await
    }

    /// `GET /Users?filter=userName eq "…"`, which must answer 200.
    pub async fn find(&self, user_name: &str) -> Value {
        let filter = format!("userName eq \"{user_name}\"");
        let query = serde_urlencoded::to_string([("filter", filter.as_str())]).unwrap();
        let (status, page) = self.get(&format!("/Users?{query}")).await;
        assert_eq!(status, 200, "{page}");
        page
    }

    /// Okta's `POST /Users`; the status and the body.
    pub async fn post_user(&self, user_name: &str, first: &str, last: &str) -> (u16, Value) {
        self.scim(
            reqwest::Method::POST,
            "/Users",
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user_name,
                "name": {"givenName": first, "familyName": last},
                "emails": [{"primary": true, "value": user_name, "type": "work"}],
                "active": true,
            })),
        )
        .await
    }

    /// `POST /Groups` with no members; the new group's id.
    pub async fn create_group(&self, name: &str) -> String {
        let (status, group) = self
            .scim(
                reqwest::Method::POST,
                "/Groups",
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": name,
                })),
            )
            .await;
        assert_eq!(status, 201, "{group}");
        group["id"].as_str().unwrap().to_owned()
    }

    /// One PATCH of a group's members (`op` is `add` or `remove`), as Okta's Group Push sends.
    pub async fn patch_members(&self, group: &str, op: &str, users: &[&str]) {
        let members: Vec<Value> = users.iter().map(|u| json!({"value": u})).collect();
        let (status, body) = self
            .scim(
                reqwest::Method::PATCH,
                &format!("/Groups/{group}"),
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": op, "path": "members", "value": members}],
                })),
            )
            .await;
        assert!(status == 200 || status == 204, "{status} {body}");
    }

    /// A user PATCH with these operations; the status and the body.
    pub async fn patch_user(&self, id: &str, operations: Value) -> (u16, Value) {
        self.scim(
            reqwest::Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": operations,
            })),
        )
        .await
    }

    pub async fn readyz(&self) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}/readyz", self.root))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

/// Every call the simulator got other than reads and the token: the writes, by route.
pub fn writes(sim: &RunningSim) -> Vec<(String, u64)> {
    sim.sim
        .call_counts()
        .routes
        .into_iter()
        .filter(|(route, _)| !route.starts_with("GET ") && !route.ends_with("/application-token"))
        .collect()
}

/// The LumApps user with this e-mail, which must exist.
pub fn user(sim: &RunningSim, email: &str) -> serde_json::Map<String, Value> {
    sim.sim
        .user_by_email(email)
        .unwrap_or_else(|| panic!("no LumApps user {email}"))
}

/// The feed named `name`, if any.
pub fn feed(sim: &RunningSim, name: &str) -> Option<serde_json::Map<String, Value>> {
    sim.sim.feeds().into_iter().find(|f| f["name"] == name)
}

/// `{"value": "…"}` member entries for a group PATCH or POST.
pub fn members(ids: &[&str]) -> Vec<Value> {
    ids.iter().map(|id| json!({"value": id})).collect()
}
