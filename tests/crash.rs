//! The bridge process killed (SIGKILL) between a user's create and its grant, then restarted on
//! the same store: the membership the IdP sent is kept, the grant is made at start-up, and the
//! `reconcile` and `audit` subcommands see the result. And with two replicas on PostgreSQL, the
//! one killed leaves the grant to the other, which makes it without a restart or an IdP retry.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use common::process::{
    bridge_command, free_port, output_of, outputs_of, serve, signal, wait_healthy,
};
use common::{TEST_TOKEN, spawn_sim};
use falcon::model::routes;
use falcon::sim::{Fault, RunningSim, SimConfig};
use serde_json::{Value, json};
use tokio::process::Child;

struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> reqwest::Result<(u16, Value)> {
    let mut req = http.request(method, url).bearer_auth(TEST_TOKEN);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let resp = req.send().await?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await.unwrap_or(Value::Null)))
}

/// POSTs `body` to `base/resource`, expects 201, returns the new id.
async fn create(http: &reqwest::Client, base: &str, resource: &str, body: Value) -> String {
    let (status, created) = call(
        http,
        reqwest::Method::POST,
        format!("{base}/{resource}"),
        Some(body),
    )
    .await
    .unwrap();
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// Adds `member` to `group` through `base` while Falcon holds the grant for `delay`, and kills
/// `bridge` (SIGKILL) once the grant has reached Falcon; returns what the bridge had logged.
async fn kill_during_grant(
    http: &reqwest::Client,
    sim: &RunningSim,
    bridge: Child,
    (base, group, member): (&str, &str, &str),
    delay: Duration,
) -> String {
    sim.sim.inject_fault(
        routes::USER_ROLE_ACTIONS,
        Some("POST"),
        Fault::Delay(delay),
        1,
    );
    let patch = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations":[{"op":"add","path":"members","value":[{"value": member}]}]});
    let pending = tokio::spawn({
        let http = http.clone();
        let url = format!("{base}/Groups/{group}");
        async move { call(&http, reqwest::Method::PATCH, url, Some(patch)).await }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while sim.sim.call_count(routes::USER_ROLE_ACTIONS) == 0 {
        assert!(Instant::now() < deadline, "the grant never reached Falcon");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    signal(&bridge, "-KILL");
    let (status, log) = output_of(bridge).await;
    assert_eq!(
        status.signal(),
        Some(9),
        "killed by SIGKILL: {status:?}\n{log}"
    );
    assert!(
        pending.await.unwrap().is_err(),
        "the IdP got no answer, so it saw no success"
    );
    log
}

#[tokio::test]
async fn a_grant_cut_off_by_sigkill_is_made_after_the_restart() {
    let sim = spawn_sim(SimConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("fsb-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let scratch = Scratch(dir.clone());
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "[groups]\n\"SOC\" = [\"falcon_analyst\", \"event_viewer\"]\n",
    )
    .unwrap();
    let env = vec![
        (
            "BRIDGE_DATABASE_URL",
            format!("sqlite://{}", dir.join("bridge.db").display()),
        ),
        ("BRIDGE_CONFIG", config.display().to_string()),
    ];
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}/scim/v2");
    let http = reqwest::Client::new();

    let first = serve(&sim, port, &env);
    wait_healthy(port).await;
    let id = create(
        &http,
        &base,
        "Users",
        json!({"userName":"crash@example.com","name":{"givenName":"C","familyName":"K"}}),
    )
    .await;
    let uuid = sim.sim.user_by_uid("crash@example.com").unwrap().uuid;
    let group = create(&http, &base, "Groups", json!({"displayName":"SOC"})).await;

    // The grant hangs in Falcon; the bridge is killed while it waits.
    let first_log = kill_during_grant(
        &http,
        &sim,
        first,
        (&base, &group, &id),
        Duration::from_secs(2),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    sim.sim.clear_faults();

    // Restarted on the same store: the membership is still there and the grant is made.
    let second = serve(&sim, port, &env);
    wait_healthy(port).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut grants = sim.sim.grants_of(&uuid);
        grants.sort();
        if grants == ["event_viewer", "falcon_analyst"] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never granted: {grants:?}\n{first_log}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, got) = call(
        &http,
        reqwest::Method::GET,
        format!("{base}/Groups/{group}"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(got["members"][0]["value"], id.as_str(), "{got}");
    signal(&second, "-TERM");
    let (status, log) = output_of(second).await;
    assert!(status.success(), "{log}");

    // The operator's view: no drift, and the audit log of what was done and why. Neither
    // subcommand needs the SCIM credentials `serve` takes.
    let operator = |args: &[&str]| {
        let mut cmd = bridge_command(&sim, args, &env);
        cmd.env_remove("SCIM_BEARER_TOKENS");
        cmd
    };
    let (status, report, log) =
        outputs_of(operator(&["reconcile", "--json"]).spawn().unwrap()).await;
    assert!(status.success(), "{report}\n{log}");
    let parsed: Value = serde_json::from_str(&report).expect("stdout is the JSON report");
    assert_eq!(parsed["drift"], json!([]), "{report}");
    assert_eq!(parsed["users_checked"], 1);

    let (status, audit, log) = outputs_of(
        operator(&["audit", "--json", "--user", "CRASH@example.com"])
            .spawn()
            .unwrap(),
    )
    .await;
    assert!(status.success(), "{audit}\n{log}");
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let create = records
        .iter()
        .find(|r| r["operation"] == "create")
        .expect("the create is audited");
    assert_eq!(create["credential"], "token-1");
    assert_eq!(create["path"], "/scim/v2/Users");
    assert_eq!(create["outcome"], "ok");
    assert!(
        records
            .iter()
            .any(|r| r["operation"] == "grant" && r["outcome"] == "ok" && r["path"] == "start-up"),
        "the restart made the grant: {audit}"
    );
    // Nothing else: the grant cut off by the kill left no record of its own.
    let summary: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["operation"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
                r["path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("create", "ok", "/scim/v2/Users"),
            ("grant", "ok", "start-up")
        ],
        "{audit}"
    );
    drop(scratch);
}

/// Two replicas on one PostgreSQL: the one making a grant is killed (SIGKILL) while Falcon
/// holds the call; the other, without any IdP retry, finds the membership whose grant was cut
/// off and makes it, once, audited as its own work.
#[tokio::test]
async fn a_grant_cut_off_by_sigkill_is_made_by_the_other_replica() {
    let Some(server) = pg_harness::ThrowawayPostgres::for_test().await else {
        return;
    };
    let sim = spawn_sim(SimConfig::default()).await;
    let dir = std::env::temp_dir().join(format!("fsb-crash-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let scratch = Scratch(dir.clone());
    let config = dir.join("config.toml");
    std::fs::write(&config, "[groups]\n\"SOC\" = [\"falcon_analyst\"]\n").unwrap();
    let env = vec![
        (
            "BRIDGE_DATABASE_URL",
            server.fresh_database().await.unwrap(),
        ),
        ("BRIDGE_CONFIG", config.display().to_string()),
    ];
    let (port_a, port_b) = (free_port(), free_port());
    let (a, b) = (serve(&sim, port_a, &env), serve(&sim, port_b, &env));
    wait_healthy(port_a).await;
    wait_healthy(port_b).await;
    let base_a = format!("http://127.0.0.1:{port_a}/scim/v2");
    let base_b = format!("http://127.0.0.1:{port_b}/scim/v2");
    let http = reqwest::Client::new();
    let id = create(
        &http,
        &base_a,
        "Users",
        json!({"userName":"twice@example.com","name":{"givenName":"T","familyName":"W"}}),
    )
    .await;
    let uuid = sim.sim.user_by_uid("twice@example.com").unwrap().uuid;
    let group = create(&http, &base_b, "Groups", json!({"displayName":"SOC"})).await;
    kill_during_grant(
        &http,
        &sim,
        a,
        (&base_a, &group, &id),
        Duration::from_secs(3),
    )
    .await;

    // The other replica shows the membership at once, and grants it within a bounded time.
    let (status, got) = call(
        &http,
        reqwest::Method::GET,
        format!("{base_b}/Groups/{group}"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(got["members"][0]["value"], id.as_str(), "{got}");
    let deadline = Instant::now() + Duration::from_secs(45);
    while sim.sim.grants_of(&uuid) != ["falcon_analyst"] {
        assert!(
            Instant::now() < deadline,
            "never granted: {:?}",
            sim.sim.grants_of(&uuid)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let metrics = http
        .get(format!("http://127.0.0.1:{port_b}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("bridge_abandoned_changes_finished_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("bridge_replica_changes_applied_total"),
        "{metrics}"
    );
    signal(&b, "-TERM");
    let (status, b_log) = output_of(b).await;
    assert!(status.success(), "{b_log}");

    let mut operator = bridge_command(
        &sim,
        &["audit", "--json", "--user", "twice@example.com"],
        &env,
    );
    operator.env_remove("SCIM_BEARER_TOKENS");
    let (status, audit, log) = outputs_of(operator.spawn().unwrap()).await;
    assert!(status.success(), "{audit}\n{log}");
    let grants: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("one JSON object per line"))
        .filter(|r| r["operation"] == "grant")
        .collect();
    assert_eq!(grants.len(), 1, "granted once: {audit}");
    assert_eq!(grants[0]["outcome"], "ok");
    assert_eq!(
        grants[0]["path"], "finishing another replica's work",
        "{audit}"
    );
    drop(scratch);
}
