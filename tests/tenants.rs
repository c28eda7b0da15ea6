//! Several tenants in one bridge, configured by `[[tenants]]` tables as an MSSP would: two
//! Falcon tenants acting in two child CIDs of one parent API client (Flight Control), and one
//! Allthenticate tenant, each with its own credential, all driven over HTTP on loopback.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bridge::Bridge;
use falcon::model::routes;
use falcon::sim::RunningSim as FalconSim;
use falcon_scim_bridge::config::{ServeArgs, Settings};
use falcon_scim_bridge::startup::Application;
use falcon_scim_bridge::target::ConfiguredTarget;
use reqwest::Method;
use serde_json::{Value, json};

const ACME_TOKEN: &str = "acme-scim-token-0123456789abcdefghijklmnop";
const GLOBEX_TOKEN: &str = "globex-scim-token-0123456789abcdefghijklmn";
const INITECH_TOKEN: &str = "initech-scim-token-0123456789abcdefghijklm";

/// The simulators, the bridge serving the three tenants, and the configuration's directory.
struct World {
    falcon: FalconSim,
    allthenticate: allthenticate::sim::RunningSim,
    root: String,
    http: reqwest::Client,
    dir: PathBuf,
    /// The Falcon tenants' cores, for what an IdP cannot see.
    falcon_bridges: [Arc<Bridge<ConfiguredTarget>>; 2],
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `[[tenants]]` of the MSSP: `acme` and `globex` in the first and second child CID of the
/// simulator's parent client, `initech` on Allthenticate. `extra` is appended to acme's table.
fn config(
    falcon: &FalconSim,
    allthenticate_url: &str,
    dir: &std::path::Path,
    acme: &str,
) -> String {
    let parent = falcon.sim.default_client();
    let children = falcon.sim.child_cids();
    let secret = |name: &str, value: &str| {
        let path = dir.join(name);
        std::fs::write(&path, format!("{value}\n")).unwrap();
        path.display().to_string()
    };
    let falcon_secret = secret("falcon-secret", &parent.client_secret);
    let tenant = |name: &str, cid: &str, token: &str, extra: &str| {
        format!(
            "[[tenants]]\nname = \"{name}\"\n{extra}\n\
             [tenants.falcon]\nclient_id = \"{}\"\nclient_secret_file = \"{falcon_secret}\"\n\
             base_url = \"{}\"\nmember_cid = \"{cid}\"\n\
             [tenants.groups]\n\"SOC\" = [\"falcon_analyst\"]\n\
             [[tenants.credentials]]\nname = \"{name}-idp\"\ntoken_file = \"{}\"\n",
            parent.client_id,
            falcon.base_url,
            secret(name, token),
        )
    };
    format!(
        "{}{}\
         [[tenants]]\nname = \"initech\"\n\
         [tenants.allthenticate]\nbase_url = \"{allthenticate_url}\"\napi_key_file = \"{}\"\n\
         [[tenants.credentials]]\nname = \"initech-entra\"\ntoken_file = \"{}\"\n",
        tenant("acme", &children[0], ACME_TOKEN, acme),
        tenant("globex", &children[1], GLOBEX_TOKEN, ""),
        secret("allthenticate-key", common::allthenticate::KEY),
        secret("initech", INITECH_TOKEN),
    )
}

/// The simulators, and the tenants' configuration (`acme` added to acme's table, `edit` applied
/// to the whole) with its secrets in a directory of its own.
struct Setup {
    falcon: FalconSim,
    allthenticate: allthenticate::sim::RunningSim,
    dir: PathBuf,
    file: PathBuf,
}

async fn setup(acme: &str, edit: impl FnOnce(String) -> String) -> Setup {
    let falcon = common::spawn_sim(falcon::sim::SimConfig::default()).await;
    let allthenticate = common::allthenticate::start_sim(|_| {}).await;
    let dir = std::env::temp_dir().join(format!("fsb-tenants-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bridge.toml");
    let toml = edit(config(&falcon, &allthenticate.base_url, &dir, acme));
    std::fs::write(&file, toml).unwrap();
    Setup {
        falcon,
        allthenticate,
        dir,
        file,
    }
}

/// Acme's mapping names a role its CID does not have.
fn unknown_role(toml: String) -> String {
    toml.replacen(
        "\"SOC\" = [\"falcon_analyst\"]",
        "\"SOC\" = [\"no_such_role\"]",
        1,
    )
}

/// `serve`'s variables beside the file `config`: a loopback port, the store at `database_url`,
/// no background reconciliation; nothing of a single tenant.
fn serve_args(config: PathBuf, database_url: &str) -> ServeArgs {
    ServeArgs {
        bridge_config: Some(config),
        bridge_listen: "127.0.0.1:0".into(),
        bridge_database_url: database_url.into(),
        bridge_database_pool_size: 2,
        bridge_directory_refresh_secs: 3600,
        bridge_deprovision: "delete".into(),
        bridge_max_deletions_per_hour: 25,
        bridge_reconcile_interval_secs: 0,
        bridge_reconcile_rate_percent: 10,
        falcon_cloud: "us-1".into(),
        ..ServeArgs::default()
    }
}

/// Starts the simulators and the bridge on an in-memory store; `acme` is added to acme's table.
async fn world(acme: &str) -> World {
    world_on("sqlite::memory:", acme).await
}

/// [`world`] with the store at `database_url`.
async fn world_on(database_url: &str, acme: &str) -> World {
    let Setup {
        falcon,
        allthenticate,
        dir,
        file,
    } = setup(acme, |toml| toml).await;
    let args = serve_args(file, database_url);
    let settings = Settings::from_args(&args).expect("the tenants' configuration is valid");
    let app = Box::pin(Application::build(settings))
        .await
        .expect("the bridge starts");
    let root = format!("http://{}", app.local_addr());
    let falcon_bridges = ["acme", "globex"].map(|t| app.tenant_bridge(t).expect("started"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    World {
        falcon_bridges,
        falcon,
        allthenticate,
        root,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        dir,
        _stop: stop,
    }
}

impl World {
    /// A SCIM request to `tenant`'s endpoint with `token`; the status and the JSON body.
    async fn scim(
        &self,
        tenant: &str,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/t/{tenant}/scim/v2{path}", self.root))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// The tenant's own token.
    fn token(tenant: &str) -> &'static str {
        match tenant {
            "acme" => ACME_TOKEN,
            "globex" => GLOBEX_TOKEN,
            _ => INITECH_TOKEN,
        }
    }

    async fn as_tenant(
        &self,
        tenant: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.scim(tenant, Self::token(tenant), method, path, body)
            .await
    }

    async fn post_user(&self, tenant: &str, body: Value) -> String {
        let (status, user) = self
            .as_tenant(tenant, Method::POST, "/Users", Some(body))
            .await;
        assert_eq!(status, 201, "{tenant}: {user}");
        user["id"].as_str().unwrap().to_owned()
    }

    /// Okta's path-less deactivation of the user `id`.
    async fn deactivate(&self, tenant: &str, id: &str) -> (u16, Value) {
        let ops = json!([{"op": "replace", "value": {"active": false}}]);
        self.as_tenant(
            tenant,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(patch(ops)),
        )
        .await
    }

    async fn find(&self, tenant: &str, user_name: &str) -> Value {
        let filter = format!("userName eq \"{user_name}\"");
        let query = serde_urlencoded::to_string([("filter", filter.as_str())]).unwrap();
        let (status, page) = self
            .as_tenant(tenant, Method::GET, &format!("/Users?{query}"), None)
            .await;
        assert_eq!(status, 200, "{page}");
        page
    }

    async fn total_users(&self, tenant: &str) -> u64 {
        let (status, page) = self.as_tenant(tenant, Method::GET, "/Users", None).await;
        assert_eq!(status, 200, "{page}");
        page["totalResults"].as_u64().unwrap()
    }

    async fn get_root(&self, path: &str) -> (u16, String) {
        let resp = self
            .http
            .get(format!("{}{path}", self.root))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

fn okta_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Pat", "familyName": "Lee"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "active": true,
    })
}

fn entra_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": user_name, "userName": user_name, "active": true, "displayName": "Sam Roe",
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "name": {"formatted": "Sam Roe", "familyName": "Roe", "givenName": "Sam"},
        "roles": [], "addresses": null, "phoneNumbers": null, "title": null,
    })
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// Okta's joiner, mover and leaver on one tenant: a user, a pushed group granting a role, the
/// member removed, then deactivated. Returns the user's login.
async fn okta_sequence(w: &World, tenant: &str, user_name: &str) -> String {
    let id = w.post_user(tenant, okta_user(user_name)).await;
    let (status, group) = w
        .as_tenant(
            tenant,
            Method::POST,
            "/Groups",
            Some(
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "SOC", "members": [{"value": id}]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let falcon_user = w.falcon.sim.user_by_uid(user_name).expect("in Falcon");
    assert_eq!(
        w.falcon.sim.grants_of(&falcon_user.uuid),
        ["falcon_analyst"]
    );
    let group_id = group["id"].as_str().unwrap().to_owned();
    let (status, body) = w
        .as_tenant(
            tenant,
            Method::PATCH,
            &format!("/Groups/{group_id}"),
            Some(patch(
                json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]),
            )),
        )
        .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    let (status, body) = w.deactivate(tenant, &id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], false);
    user_name.to_owned()
}

/// Entra's joiner with its PATCH dialect: create, change the family name, keep active.
async fn entra_sequence(w: &World, tenant: &str, user_name: &str) -> String {
    let id = w.post_user(tenant, entra_user(user_name)).await;
    let (status, body) = w
        .as_tenant(
            tenant,
            Method::PATCH,
            &format!("/Users/{id}"),
            Some(patch(json!([
                {"op": "Replace", "path": "name.familyName", "value": "Roe-Smith"},
                {"op": "Replace", "path": "active", "value": "True"},
            ]))),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"]["familyName"], "Roe-Smith");
    id
}

#[tokio::test]
async fn three_tenants_are_provisioned_concurrently_and_apart() {
    let w = world("").await;
    let children = w.falcon.sim.child_cids();
    let (left, joined, _) = tokio::join!(
        okta_sequence(&w, "acme", "leaver@acme.example"),
        entra_sequence(&w, "globex", "sam@globex.example"),
        entra_sequence(&w, "initech", "sam@initech.example"),
    );
    // Acme's leaver is gone from acme's CID (Falcon cannot disable: deleted), and only there.
    assert!(w.falcon.sim.user_by_uid(&left).is_none());
    let sam = w
        .falcon
        .sim
        .user_by_uid("sam@globex.example")
        .expect("globex's user is in Falcon");
    assert_eq!(sam.cid, children[1], "created in globex's child CID");
    assert_eq!(sam.last_name, "Roe-Smith");
    assert!(
        w.allthenticate
            .sim
            .invites()
            .iter()
            .any(|i| i.email == "sam@initech.example")
    );
    // Each tenant lists its own users only.
    assert_eq!(w.total_users("acme").await, 1, "acme's deactivated user");
    assert_eq!(w.total_users("globex").await, 1);
    assert_eq!(
        w.find("globex", "sam@globex.example").await["Resources"][0]["id"],
        joined.as_str()
    );
    assert_eq!(
        w.find("acme", "sam@globex.example").await["totalResults"],
        0
    );
    assert_eq!(
        w.find("initech", "sam@globex.example").await["totalResults"],
        0
    );
    // Both Falcon tenants draw on the one rate budget of their parent client, each with its
    // own token (bound to its child CID).
    let [acme, globex] = &w.falcon_bridges;
    let (ConfiguredTarget::Falcon(acme), ConfiguredTarget::Falcon(globex)) =
        (acme.target(), globex.target())
    else {
        panic!("two Falcon tenants");
    };
    assert!(Arc::ptr_eq(&acme.rate_budget(), &globex.rate_budget()));
    assert_eq!(acme.rate_limit_snapshot(), globex.rate_limit_snapshot());
    assert_eq!(
        acme.config().member_cid.as_deref(),
        Some(children[0].as_str())
    );
    let (status, metrics) = w.get_root("/metrics").await;
    assert_eq!(status, 200);
    for tenant in ["acme", "globex", "initech"] {
        assert!(
            metrics.contains(&format!("tenant=\"{tenant}\"")),
            "the metrics carry tenant {tenant}:\n{metrics}"
        );
    }
    assert!(
        metrics.contains(
            "scim_requests_total{route=\"/scim/v2/Users\",method=\"POST\",status=\"201\",tenant=\"globex\"}"
        ),
        "a tenant's routes are named as a single bridge's: {metrics}"
    );
    assert!(
        metrics.contains("bridge_tenant_ready{tenant=\"globex\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_credential_opens_its_own_tenant_only_and_paths_reveal_no_tenant() {
    let w = world("").await;
    let id = w.post_user("acme", okta_user("pat@acme.example")).await;
    let (status, wrong) = w
        .scim(
            "acme",
            "not-a-token-of-anyone-0123456789abcdef",
            Method::GET,
            "/Users",
            None,
        )
        .await;
    assert_eq!(status, 401);
    // Acme's token on globex's path: the same 401 as any wrong token, and nothing of globex.
    let (status, crossed) = w
        .scim("globex", ACME_TOKEN, Method::GET, "/Users", None)
        .await;
    assert_eq!(status, 401);
    assert_eq!(crossed, wrong);
    let (status, crossed) = w
        .scim(
            "globex",
            ACME_TOKEN,
            Method::GET,
            &format!("/Users/{id}"),
            None,
        )
        .await;
    assert_eq!((status, &crossed), (401, &wrong));
    let (status, crossed) = w
        .scim(
            "globex",
            ACME_TOKEN,
            Method::POST,
            "/Users",
            Some(okta_user("x@globex.example")),
        )
        .await;
    assert_eq!((status, &crossed), (401, &wrong));
    assert!(w.falcon.sim.user_by_uid("x@globex.example").is_none());
    // A tenant that does not exist answers exactly like one that does, to any token.
    let (status, nowhere) = w
        .scim("umbrella", ACME_TOKEN, Method::GET, "/Users", None)
        .await;
    assert_eq!((status, &nowhere), (401, &wrong));
    // Acme's own id under globex's path, with globex's token: not found.
    let (status, _) = w
        .as_tenant("globex", Method::GET, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(status, 404);
    // With tenants there is no single-tenant endpoint.
    let (status, _) = w.get_root("/scim/v2/Users").await;
    assert_eq!(status, 404);
}

/// The same login created in acme (Falcon) and initech (Allthenticate): two users, each found
/// in its own tenant whatever the case. Their ids, acme's first.
async fn look_alikes(w: &World) -> (String, String) {
    let acme = w.post_user("acme", okta_user("pat@shared.example")).await;
    let initech = w
        .post_user("initech", okta_user("pat@shared.example"))
        .await;
    assert_ne!(acme, initech);
    assert_eq!(
        w.find("acme", "PAT@shared.example").await["Resources"][0]["id"],
        acme.as_str()
    );
    assert_eq!(
        w.find("initech", "pat@shared.example").await["Resources"][0]["id"],
        initech.as_str()
    );
    (acme, initech)
}

#[tokio::test]
async fn look_alike_user_names_in_two_tenants_stay_separate() {
    let w = world("").await;
    let (falcon_id, other_id) = look_alikes(&w).await;
    // Deleting acme's leaves initech's untouched.
    let (status, _) = w
        .as_tenant("acme", Method::DELETE, &format!("/Users/{falcon_id}"), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        w.find("acme", "pat@shared.example").await["totalResults"],
        0
    );
    let kept = w.find("initech", "pat@shared.example").await;
    assert_eq!(kept["Resources"][0]["id"], other_id.as_str(), "{kept}");
    assert!(w.falcon.sim.user_by_uid("pat@shared.example").is_none());
}

#[tokio::test]
async fn one_tenants_target_down_leaves_the_others_serving() {
    let w = world("").await;
    // Allthenticate refuses everything (an outage): initech's changes fail, the others' not.
    w.allthenticate.sim.inject_fault(
        allthenticate::sim::ANY_ROUTE,
        None,
        allthenticate::sim::Fault::Status(503),
        u32::MAX,
    );
    let (status, body) = w
        .as_tenant(
            "initech",
            Method::POST,
            "/Users",
            Some(okta_user("new@initech.example")),
        )
        .await;
    assert!(status >= 500, "{status} {body}");
    w.post_user("acme", okta_user("new@acme.example")).await;
    w.post_user("globex", okta_user("new@globex.example")).await;
    let (status, ready) = w.get_root("/readyz").await;
    assert_eq!(status, 200, "the configuration is valid: {ready}");
    let ready: Value = serde_json::from_str(&ready).unwrap();
    assert_eq!(ready["tenants"]["acme"]["status"], "ready", "{ready}");
}

#[tokio::test]
async fn a_tenant_that_cannot_start_answers_503_to_its_own_idp_only() {
    // Acme's mapping names a role its CID does not have: it cannot start, the others do.
    // The simulators must outlive the bridge: bound, not dropped.
    let Setup {
        dir,
        file,
        falcon: _falcon,
        allthenticate: _allthenticate,
    } = setup("", unknown_role).await;
    let settings = Settings::from_args(&serve_args(file, "sqlite::memory:")).unwrap();
    let app = Box::pin(Application::build(settings))
        .await
        .expect("the others start");
    assert!(app.tenant_bridge("acme").is_none());
    assert!(app.tenant_bridge("globex").is_some());
    let root = format!("http://{}", app.local_addr());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let get = |path: &str, token: &str| {
        http.get(format!("{root}{path}"))
            .bearer_auth(token.to_owned())
            .send()
    };
    let acme = get("/t/acme/scim/v2/Users", ACME_TOKEN).await.unwrap();
    assert_eq!(acme.status().as_u16(), 503);
    let body: Value = acme.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("check --tenant acme"),
        "{body}"
    );
    let stranger = get("/t/acme/scim/v2/Users", GLOBEX_TOKEN).await.unwrap();
    assert_eq!(
        stranger.status().as_u16(),
        401,
        "nothing of acme shows to globex's IdP"
    );
    let globex = get("/t/globex/scim/v2/Users", GLOBEX_TOKEN).await.unwrap();
    assert_eq!(globex.status().as_u16(), 200);
    let ready: Value = http
        .get(format!("{root}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["tenants"]["acme"]["status"], "not ready", "{ready}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_deletion_guard_counts_each_tenant_apart() {
    let w = world("max_deletions_per_hour = 1").await;
    let mut acme = Vec::new();
    for i in 0..2 {
        acme.push(
            w.post_user("acme", okta_user(&format!("a{i}@acme.example")))
                .await,
        );
    }
    let globex = w.post_user("globex", okta_user("g0@globex.example")).await;
    let (status, _) = w.deactivate("acme", &acme[0]).await;
    assert_eq!(status, 200);
    let (status, refused) = w.deactivate("acme", &acme[1]).await;
    assert_eq!(status, 503, "acme's budget of one is spent: {refused}");
    assert!(w.falcon.sim.user_by_uid("a1@acme.example").is_some());
    // Globex's budget (the environment's 25) is its own.
    let (status, body) = w.deactivate("globex", &globex).await;
    assert_eq!(status, 200, "{body}");
    assert!(w.falcon.sim.user_by_uid("g0@globex.example").is_none());
    let deletes = w
        .falcon
        .sim
        .call_counts()
        .get(&format!("DELETE {}", routes::USERS))
        .copied()
        .unwrap_or(0);
    assert_eq!(deletes, 2);
}

#[tokio::test]
async fn on_postgresql_each_tenant_lives_in_a_schema_of_its_own() {
    let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
        return;
    };
    let url = server.fresh_database().await.expect("a fresh database");
    let w = world_on(&url, "").await;
    look_alikes(&w).await;
    w.post_user("globex", okta_user("lee@globex.example")).await;
    // Each schema holds its tenant's rows only; the database's default schema holds none.
    for (tenant, logins) in [
        (Some("acme"), vec!["pat@shared.example"]),
        (Some("globex"), vec!["lee@globex.example"]),
        (Some("initech"), vec!["pat@shared.example"]),
        (None, vec![]),
    ] {
        let store = bridge::store::Store::open_for(&url, 1, tenant)
            .await
            .unwrap();
        let rows: Vec<String> = store
            .all_users()
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.user_name)
            .collect();
        assert_eq!(rows, logins, "{tenant:?}");
        store.close().await;
    }
}

/// The binary's `check`, `reconcile` and `audit` with `[[tenants]]`: one verdict per tenant, and
/// `--tenant` to pick one.
#[tokio::test]
async fn check_gives_one_verdict_per_tenant_and_the_admin_commands_take_tenant() {
    // The simulators must outlive the bridge: bound, not dropped.
    let Setup {
        dir,
        file,
        falcon: _falcon,
        allthenticate: _allthenticate,
    } = setup("", unknown_role).await;
    let store = format!("sqlite://{}", dir.join("store.db").display());
    let run_with = |args: &[&str], extra: &[(&str, PathBuf)]| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_falcon-scim-bridge"));
        cmd.args(args)
            .env_clear()
            .env("BRIDGE_CONFIG", &file)
            .env("BRIDGE_DATABASE_URL", &store)
            .env("RUST_LOG", "error");
        for (key, value) in extra {
            cmd.env(key, value);
        }
        async move {
            let out = cmd.output().await.expect("the binary runs");
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            (out.status.code(), text)
        }
    };
    let run = |args: &[&str]| run_with(args, &[]);
    let (code, text) = run(&["check"]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("== tenant acme: FAILED"), "{text}");
    assert!(text.contains("no_such_role"), "{text}");
    assert!(text.contains("== tenant globex: passed"), "{text}");
    assert!(text.contains("== tenant initech: passed"), "{text}");
    assert!(text.contains("check failed for tenant(s) acme"), "{text}");
    // A single tenant's secret file beside [[tenants]] is refused, not silently unused.
    let (code, text) = run_with(&["check"], &[("SCIM_BEARER_TOKENS_FILE", dir.join("acme"))]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("SCIM_BEARER_TOKENS: SCIM_BEARER_TOKENS_FILE is set, but BRIDGE_CONFIG declares [[tenants]]"),
        "{text}"
    );
    let (code, text) = run(&["check", "--tenant", "globex"]).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains("acme"), "one tenant only: {text}");
    let (code, text) = run(&["reconcile"]).await;
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("name the tenant with --tenant: acme, globex, initech"),
        "{text}"
    );
    let (code, text) = run(&["reconcile", "--tenant", "globex"]).await;
    assert_eq!(code, Some(0), "no drift in an empty tenant: {text}");
    assert!(
        dir.join("store.globex.db").exists(),
        "globex's store is its own file"
    );
    let (code, text) = run(&["audit", "--tenant", "globex", "--json"]).await;
    assert_eq!(code, Some(0), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}
