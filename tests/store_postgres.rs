//! The bridge on a PostgreSQL store, over loopback HTTP against the Falcon simulator: an Okta
//! user's whole life (create with a direct role, group push, deprovisioning, reactivation,
//! deletion) with the state read back by a second process start on the same database, and the
//! audit trail kept there; and an outage of PostgreSQL in the middle of a run: readiness drops,
//! changes are refused with 503 before any Falcon call, reads go on, and everything works again
//! once the server is back; and two processes on one database reconciling once per interval
//! (`tests/replicas.rs` runs two replicas behind a load balancer). A
//! throwaway server is started for each test; without PostgreSQL
//! binaries a test says so and passes, except where `BRIDGE_REQUIRE_POSTGRES=1` (CI) makes that a
//! failure.

mod common;

use bridge::roles::{DirectRoles, RoleAllowlist};
use bridge::store::{AuditQuery, Engine, Store};
use common::{TEST_TOKEN, falcon_settings, spawn_sim};
use falcon::sim::SimConfig;
use falcon_scim_bridge::config::Settings;
use serde_json::{Value, json};

/// One start of the bridge, serving until [`Running::stop`].
struct Running {
    base: String,
    bridge: std::sync::Arc<bridge::Bridge<falcon_scim_bridge::target::ConfiguredTarget>>,
    http: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve(settings: Settings) -> Running {
    let app = falcon_scim_bridge::startup::Application::build(settings)
        .await
        .expect("the bridge starts on PostgreSQL");
    let base = app.scim_base_url();
    let bridge = app.bridge();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    Running {
        base,
        bridge,
        http: reqwest::Client::new(),
        stop,
        served,
    }
}

impl Running {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TEST_TOKEN);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("the bridge answers");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn call_with_headers(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TEST_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("the bridge answers");
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        (status, headers, resp.json().await.unwrap_or(Value::Null))
    }

    /// `/readyz`, at the root beside the SCIM prefix.
    async fn ready(&self) -> (u16, Value) {
        let root = self.base.trim_end_matches("/scim/v2");
        let resp = self
            .http
            .get(format!("{root}/readyz"))
            .send()
            .await
            .expect("the bridge answers");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.served.await.unwrap().unwrap();
    }
}

fn patch(ops: Value) -> Value {
    json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations": ops})
}

#[tokio::test]
async fn a_user_lifecycle_on_postgres_survives_a_restart() {
    let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
        return;
    };
    let url = server.fresh_database().await.unwrap();
    let sim = spawn_sim(SimConfig::default()).await;
    let mut settings = falcon_settings(&sim);
    settings.tenants[0].core.database_url = url.clone();
    settings.tenants[0].core.database_pool = 4;
    settings.tenants[0]
        .core
        .group_roles
        .insert("Analysts".into(), vec!["falcon_analyst".into()]);
    settings.tenants[0].core.policy.direct_roles = DirectRoles {
        allowlist: RoleAllowlist::Listed(vec!["event_viewer".into()]),
        aliases: Default::default(),
    };
    let login = "pg.user@example.com";
    let grants = || {
        sim.sim
            .user_by_uid(login)
            .map(|u| sim.sim.grants_of(&u.uuid))
    };

    let first = serve(settings.clone()).await;
    let (status, user) = first
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(
                json!({"userName": login, "name": {"givenName": "Pg", "familyName": "User"},
                "externalId": "okta-pg", "roles": [{"value": "event_viewer"}]}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    let (status, group) = first
        .call(
            reqwest::Method::POST,
            "/Groups",
            Some(json!({"displayName": "Analysts", "members": [{"value": id}]})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group_id = group["id"].as_str().unwrap().to_owned();
    assert_eq!(
        grants(),
        Some(vec!["event_viewer".into(), "falcon_analyst".into()])
    );
    let path = format!("/Users/{id}");
    let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
    let (status, body) = first.call(reqwest::Method::PATCH, &path, Some(off)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(grants(), None, "deprovisioned: Falcon's user is deleted");
    let on = patch(json!([{"op": "replace", "value": {"active": true}}]));
    let (status, body) = first.call(reqwest::Method::PATCH, &path, Some(on)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        grants(),
        Some(vec!["event_viewer".into(), "falcon_analyst".into()])
    );
    first.stop().await;

    // A new start reads everything back from PostgreSQL.
    let second = serve(settings).await;
    let (status, again) = second.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["externalId"], "okta-pg");
    assert_eq!(again["active"], true);
    assert_eq!(again["roles"], json!([{"value": "event_viewer"}]));
    assert_eq!(again["groups"][0]["value"], group_id.as_str());
    let filter = format!("/Users?filter=userName%20eq%20%22{login}%22");
    let (status, found) = second.call(reqwest::Method::GET, &filter, None).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["totalResults"], 1);
    let (status, _) = second.call(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    assert_eq!(grants(), None);
    second.stop().await;

    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.engine(), Engine::Postgres);
    assert!(store.user(&id).await.unwrap().is_none(), "deleted for good");
    let operations: Vec<String> = store
        .audit(&AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.operation)
        .collect();
    for wanted in ["create", "grant", "delete"] {
        assert!(
            operations.iter().any(|o| o == wanted),
            "{wanted} in {operations:?}"
        );
    }
    store.close().await;
}

#[tokio::test]
async fn an_outage_of_postgres_refuses_changes_before_any_falcon_call_and_heals() {
    let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
        return;
    };
    let sim = spawn_sim(SimConfig::default()).await;
    let mut settings = falcon_settings(&sim);
    settings.tenants[0].core.database_url = server.fresh_database().await.unwrap();
    settings.tenants[0].core.database_pool = 2;
    let app = serve(settings).await;
    let user =
        |login: &str| json!({"userName": login, "name": {"givenName": "Out", "familyName": "Age"}});
    let (status, before) = app
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(user("before@example.com")),
        )
        .await;
    assert_eq!(status, 201, "{before}");
    let id = before["id"].as_str().unwrap().to_owned();
    assert_eq!(app.ready().await.0, 200);

    server.pause().await.unwrap();
    let (status, ready) = app.ready().await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["problems"][0]["component"], "store", "{ready}");
    sim.sim.reset_counts();
    let (status, headers, refused) = app
        .call_with_headers(reqwest::Method::POST, "/Users", user("during@example.com"))
        .await;
    assert_eq!(status, 503, "{refused}");
    assert!(headers.contains_key("retry-after"), "{headers:?}");
    let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
    let (status, _, refused) = app
        .call_with_headers(reqwest::Method::PATCH, &format!("/Users/{id}"), off.clone())
        .await;
    assert_eq!(status, 503, "{refused}");
    assert_eq!(
        sim.sim.write_calls(),
        0,
        "no Falcon write while the store is away"
    );
    assert!(sim.sim.user_by_uid("during@example.com").is_none());
    assert!(sim.sim.user_by_uid("before@example.com").is_some());
    // Reads are served from memory meanwhile.
    let (status, read) = app
        .call(reqwest::Method::GET, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(status, 200, "{read}");

    server.resume().await.unwrap();
    let (status, after) = app
        .call(
            reqwest::Method::POST,
            "/Users",
            Some(user("during@example.com")),
        )
        .await;
    assert_eq!(
        status, 201,
        "the retry succeeds once the store is back: {after}"
    );
    let (status, body) = app
        .call(reqwest::Method::PATCH, &format!("/Users/{id}"), Some(off))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(sim.sim.user_by_uid("before@example.com").is_none());
    assert_eq!(app.ready().await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn migrate_store_copies_a_sqlite_store_into_postgres() {
    let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("fsb-migrate-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = format!("sqlite://{}", dir.join("falcon-scim-bridge.db").display());
    let postgres = server.fresh_database().await.unwrap();
    let sim = spawn_sim(SimConfig::default()).await;
    let mut settings = falcon_settings(&sim);
    settings.tenants[0]
        .core
        .group_roles
        .insert("Analysts".into(), vec!["falcon_analyst".into()]);
    settings.tenants[0].core.policy.direct_roles = DirectRoles {
        allowlist: RoleAllowlist::Listed(vec!["event_viewer".into()]),
        aliases: Default::default(),
    };

    // A store with a bit of everything: users, a tombstone, a group, memberships, direct roles,
    // applied roles, audit rows and the deletion guard's ledger.
    settings.tenants[0].core.database_url = sqlite.clone();
    let before = serve(settings.clone()).await;
    let mut ids = Vec::new();
    for login in ["one@example.com", "two@example.com"] {
        let (status, user) = before
            .call(
                reqwest::Method::POST,
                "/Users",
                Some(json!({"userName": login, "roles": [{"value": "event_viewer"}]})),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    let (status, group) = before
        .call(
            reqwest::Method::POST,
            "/Groups",
            Some(json!({"displayName": "Analysts", "members": [{"value": ids[0]}]})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let off = patch(json!([{"op": "replace", "value": {"active": false}}]));
    let (status, _) = before
        .call(
            reqwest::Method::PATCH,
            &format!("/Users/{}", ids[1]),
            Some(off),
        )
        .await;
    assert_eq!(status, 200);
    before.stop().await;
    let source = Store::open(&sqlite).await.unwrap();
    let audit_rows = source.audit(&AuditQuery::default()).await.unwrap().len();
    source.close().await;

    let migrate = |from: &str, to: &str| {
        std::process::Command::new(common::process::BIN)
            .args(["migrate-store", "--from", from, "--to", to])
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let done = migrate(&sqlite, &postgres);
    let out = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(out.contains("users") && out.contains("2 rows"), "{out}");

    // The same store joins a bridge of several tenants as the tenant acme: its own schema.
    let tenant = |name: &str| {
        std::process::Command::new(common::process::BIN)
            .args(["migrate-store", "--from", &sqlite, "--to", &postgres])
            .args(["--to-tenant", name])
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let joined = tenant("acme");
    assert!(
        joined.status.success(),
        "{}",
        String::from_utf8_lossy(&joined.stderr)
    );
    let acme = Store::open_for(&postgres, 1, Some("acme")).await.unwrap();
    assert_eq!(acme.all_users().await.unwrap().len(), 2);
    acme.close().await;
    let refused = tenant("Acme Corp");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not a tenant name"));

    // The bridge on PostgreSQL carries on where the SQLite one stopped.
    settings.tenants[0].core.database_url = postgres.clone();
    let after = serve(settings).await;
    let (status, one) = after
        .call(reqwest::Method::GET, &format!("/Users/{}", ids[0]), None)
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["roles"], json!([{"value": "event_viewer"}]));
    assert_eq!(one["groups"][0]["display"], "Analysts");
    let (status, two) = after
        .call(reqwest::Method::GET, &format!("/Users/{}", ids[1]), None)
        .await;
    assert_eq!(status, 200, "{two}");
    assert_eq!(two["active"], false, "the tombstone came along");
    let on = patch(json!([{"op": "replace", "value": {"active": true}}]));
    let (status, body) = after
        .call(
            reqwest::Method::PATCH,
            &format!("/Users/{}", ids[1]),
            Some(on),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sim.sim
            .user_by_uid("two@example.com")
            .map(|u| sim.sim.grants_of(&u.uuid)),
        Some(vec!["event_viewer".to_owned()]),
        "reactivated from the copied direct set"
    );
    after.stop().await;
    let copy = Store::open(&postgres).await.unwrap();
    let audit = copy.audit(&AuditQuery::default()).await.unwrap();
    assert!(audit.len() > audit_rows, "new rows after the copied ones");
    copy.close().await;

    // Into a store that is no longer empty: refused, nothing touched.
    let again = migrate(&sqlite, &postgres);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("not empty"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn of_two_replicas_one_leads_the_scheduled_reconciliation() {
    let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
        return;
    };
    let sim = spawn_sim(SimConfig::default()).await;
    let mut settings = falcon_settings(&sim);
    settings.tenants[0].core.database_url = server.fresh_database().await.unwrap();
    let (a, b) = (serve(settings.clone()).await, serve(settings).await);
    let hour = std::time::Duration::from_secs(3600);
    assert!(a.bridge.lead_reconciliation(hour).await.unwrap());
    assert!(
        !b.bridge.lead_reconciliation(hour).await.unwrap(),
        "a holds it"
    );
    assert!(
        a.bridge.lead_reconciliation(hour).await.unwrap(),
        "a renews"
    );
    // A holder that stops renewing loses the lease once it expires: with a lease of no length,
    // it expires at once.
    let none = std::time::Duration::ZERO;
    assert!(a.bridge.lead_reconciliation(none).await.unwrap());
    assert!(
        b.bridge.lead_reconciliation(hour).await.unwrap(),
        "b takes over"
    );
    assert!(!a.bridge.lead_reconciliation(hour).await.unwrap());
    a.stop().await;
    b.stop().await;
}
