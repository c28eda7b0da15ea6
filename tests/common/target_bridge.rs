//! The bridge as `serve` runs it against one target's simulator, both on loopback ports: the
//! settings every target's tests share, a running bridge, and the requests an IdP sends. What is
//! a target's own lives in its module (`incydr.rs`, `lumapps.rs`): how to start its simulator,
//! the variables that point the bridge at it, and which of its routes are not writes.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bridge::Bridge;
use falcon_scim_bridge::config::{ServeArgs, Settings};
use falcon_scim_bridge::startup::Application;
use falcon_scim_bridge::target::{ConfiguredTarget, TargetKind};
use scim::auth::CredentialKind;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// What `serve` reads from `BRIDGE_TARGET=kind`, `SCIM_BEARER_TOKENS=scim_token` and the
/// `BRIDGE_*` variables every target's tests set alike; a target's module adds the variables
/// that point the bridge at its simulator.
pub fn serve_args(kind: TargetKind, scim_token: &str) -> ServeArgs {
    ServeArgs {
        bridge_target: kind,
        scim_bearer_tokens: Some(scim_token.to_owned()),
        bridge_listen: "127.0.0.1:0".into(),
        bridge_database_url: "sqlite::memory:".into(),
        bridge_directory_refresh_secs: 3600,
        bridge_deprovision: "delete".into(),
        bridge_max_deletions_per_hour: 25,
        bridge_reconcile_interval_secs: 0,
        bridge_reconcile_rate_percent: 10,
        ..ServeArgs::default()
    }
}

/// A running bridge; it stops when this is dropped.
pub struct Running {
    pub root: String,
    pub http: reqwest::Client,
    /// For what an IdP cannot see (the store, reconciliation).
    pub bridge: Arc<Bridge<ConfiguredTarget>>,
    /// The SCIM bearer token every request carries.
    token: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Starts the bridge with `settings`; its requests carry the first SCIM token they configure.
pub async fn serve(settings: Settings) -> Running {
    let token = settings.tenants[0]
        .credentials
        .iter()
        .find_map(|c| match &c.kind {
            CredentialKind::StaticToken(token) => Some(token.expose_secret().to_owned()),
            CredentialKind::Jwt(_) => None,
        })
        .expect("the settings have a SCIM token");
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
        token,
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
            .bearer_auth(&self.token);
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

    /// Okta's path-less deactivation or reactivation.
    pub async fn set_active(&self, id: &str, active: bool) -> (u16, Value) {
        self.patch_user(id, json!([{"op": "replace", "value": {"active": active}}]))
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

/// Every call a simulator counted (`routes`, `"METHOD /path"` → calls) other than reads and the
/// token request (`is_token`; `|_| false` for a target without one): the writes, by route.
pub fn writes(
    routes: BTreeMap<String, u64>,
    is_token: impl Fn(&str) -> bool,
) -> Vec<(String, u64)> {
    routes
        .into_iter()
        .filter(|(route, _)| !route.starts_with("GET ") && !is_token(route))
        .collect()
}
