//! Safe under faults: every SCIM answer of success means Falcon holds the result, nothing the
//! IdP sent is lost, and after the fault clears Falcon's users and grants equal what the store
//! says (a clean reconciliation proves it). Also the deletion guard, dry run, the audit log and
//! reconciliation with repairs.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use bridge::reconcile::{Drift, Pace};
use bridge::store::AuditQuery;
use common::{TestApp, spawn_app_custom};
use falcon::model::routes;
use falcon::sim::{Fault, SimConfig};
use serde_json::{Value, json};

const SOC_ROLES: [&str; 2] = ["event_viewer", "falcon_analyst"];

/// A bridge whose "SOC" group grants SOC_ROLES and "Admins" falcon_administrator.
async fn app_with(adjust: impl FnOnce(&mut falcon_scim_bridge::config::Settings)) -> TestApp {
    spawn_app_custom(
        SimConfig::default(),
        |_| {},
        |settings| {
            let mut groups = BTreeMap::new();
            groups.insert(
                "SOC".to_owned(),
                SOC_ROLES.iter().map(|r| r.to_string()).collect(),
            );
            groups.insert("Admins".to_owned(), vec!["falcon_administrator".to_owned()]);
            settings.tenants[0].core.group_roles = groups;
            adjust(settings);
        },
    )
    .await
}

fn user(login: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": login,
        "name": {"givenName": "Given", "familyName": "Family"},
        "active": true
    })
}

fn set_active(active: bool) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": active}}]
    })
}

fn add_member(id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]
    })
}

async fn create_user(app: &TestApp, login: &str) -> (String, String) {
    let created = app.expect(app.post("/Users", &user(login)), 201).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let uuid = app.sim.sim.user_by_uid(login).expect("in Falcon").uuid;
    (id, uuid)
}

async fn create_group(app: &TestApp, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": name,
        "members": members
    });
    let created = app.expect(app.post("/Groups", &body), 201).await;
    created["id"].as_str().unwrap().to_owned()
}

fn sorted(roles: Vec<String>) -> Vec<String> {
    let mut roles = roles;
    roles.sort();
    roles
}

fn soc() -> Vec<String> {
    SOC_ROLES.iter().map(|r| r.to_string()).collect()
}

/// Falcon's users and grants equal what the store says.
async fn assert_converged(app: &TestApp) {
    let report = app
        .bridge
        .reconcile(Pace::per_minute(6000))
        .await
        .expect("reconciliation runs");
    assert!(report.is_clean(), "drift:\n{}", report.render());
}

async fn status_of(req: reqwest::RequestBuilder) -> (u16, Option<String>, Value) {
    let resp = req.send().await.expect("the bridge answers");
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, retry_after, body)
}

#[tokio::test]
async fn a_grant_failing_after_a_reactivation_fails_the_request_and_the_retry_finishes_it() {
    let app = app_with(|_| {}).await;
    let (id, _) = create_user(&app, "mover@example.com").await;
    create_group(&app, "SOC", &[&id]).await;
    let got = app
        .expect(app.patch(&format!("/Users/{id}"), &set_active(false)), 200)
        .await;
    assert_eq!(got["active"], false);
    assert!(app.sim.sim.user_by_uid("mover@example.com").is_none());

    // Reactivation re-creates the Falcon user, then the grant fails past every retry.
    app.sim.sim.inject_fault(
        routes::USER_ROLE_ACTIONS,
        Some("POST"),
        Fault::Status(500),
        50,
    );
    let (status, retry_after, body) =
        status_of(app.patch(&format!("/Users/{id}"), &set_active(true))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        retry_after.as_deref(),
        Some("30"),
        "the bridge's retry-later"
    );
    assert_eq!(body["status"], "503");
    let recreated = app
        .sim
        .sim
        .user_by_uid("mover@example.com")
        .expect("the create went through");
    assert!(app.sim.sim.grants_of(&recreated.uuid).is_empty());

    // The fault clears; the IdP retries; Falcon ends up with the user and its roles.
    app.sim.sim.clear_faults();
    let got = app
        .expect(app.patch(&format!("/Users/{id}"), &set_active(true)), 200)
        .await;
    assert_eq!(got["active"], true);
    assert_eq!(sorted(app.sim.sim.grants_of(&recreated.uuid)), soc());
    assert_converged(&app).await;
}

#[tokio::test]
async fn a_membership_whose_grant_failed_is_granted_by_the_start_up_resume() {
    let app = app_with(|_| {}).await;
    let (id, uuid) = create_user(&app, "joiner@example.com").await;
    let group = create_group(&app, "SOC", &[]).await;
    app.sim.sim.inject_fault(
        routes::USER_ROLE_ACTIONS,
        Some("POST"),
        Fault::Status(503),
        50,
    );
    let (status, retry_after, body) =
        status_of(app.patch(&format!("/Groups/{group}"), &add_member(&id))).await;
    assert_eq!(status, 503, "no success without the grant in Falcon");
    assert_eq!(
        retry_after.as_deref(),
        Some("30"),
        "the bridge's retry-later"
    );
    assert_eq!(body["status"], "503", "{body}");
    assert!(app.sim.sim.grants_of(&uuid).is_empty());
    // The membership the IdP sent is kept.
    let got = app.expect(app.get(&format!("/Groups/{group}")), 200).await;
    assert_eq!(got["members"][0]["value"], id.as_str());

    app.sim.sim.clear_faults();
    let unfinished = app.bridge.resume().await.unwrap();
    assert_eq!(unfinished, 0);
    assert_eq!(sorted(app.sim.sim.grants_of(&uuid)), soc());
    assert_converged(&app).await;
}

#[tokio::test]
async fn a_429_storm_past_the_wait_bound_reaches_the_idp_as_429_and_loses_nothing() {
    let app = app_with(|_| {}).await;
    app.sim.sim.inject_fault(
        routes::USERS,
        Some("POST"),
        Fault::RateLimit {
            retry_after_secs: 3,
        },
        100,
    );
    let (status, retry_after, body) =
        status_of(app.post("/Users", &user("storm@example.com"))).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["status"], "429");
    let secs: u64 = retry_after.expect("Retry-After").parse().unwrap();
    // Falcon's 3 s, counted from its reset time (whole epoch seconds, so up to a second more)
    // and rounded up to whole seconds: never earlier than Falcon allows.
    assert!((3..=4).contains(&secs), "Retry-After: {secs}");
    assert!(app.sim.sim.user_by_uid("storm@example.com").is_none());
    assert_eq!(
        app.expect(
            app.get("/Users?filter=userName%20eq%20%22storm@example.com%22"),
            200
        )
        .await["totalResults"],
        0,
        "a failed create leaves nothing behind"
    );

    app.sim.sim.clear_faults();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let (id, uuid) = create_user(&app, "storm@example.com").await;
    create_group(&app, "SOC", &[&id]).await;
    assert_eq!(sorted(app.sim.sim.grants_of(&uuid)), soc());
    assert_converged(&app).await;
}

#[tokio::test]
async fn a_token_that_dies_mid_sequence_is_replaced_without_the_idp_noticing() {
    let app = app_with(|_| {}).await;
    let (id, uuid) = create_user(&app, "token@example.com").await;
    app.sim.sim.revoke_all_tokens();
    let group = create_group(&app, "SOC", &[]).await;
    let answer = app
        .expect(
            app.patch(&format!("/Groups/{group}"), &add_member(&id)),
            204,
        )
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert_eq!(sorted(app.sim.sim.grants_of(&uuid)), soc());
    app.sim.sim.revoke_all_tokens();
    let got = app
        .expect(app.patch(&format!("/Users/{id}"), &set_active(false)), 200)
        .await;
    assert_eq!(got["active"], false);
    assert!(app.sim.sim.user_by_uuid(&uuid).is_none());
    assert_converged(&app).await;
}

#[tokio::test]
async fn a_slow_or_unreachable_falcon_is_a_503_and_the_retry_adopts_what_was_made() {
    let app = app_with(|s| common::falcon_of(s).request_timeout = Duration::from_secs(1)).await;
    app.sim.sim.set_latency(Duration::from_secs(5));
    let (status, retry_after, body) =
        status_of(app.post("/Users", &user("slow@example.com"))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        retry_after.as_deref(),
        Some("30"),
        "the bridge's retry-later"
    );
    assert_eq!(body["status"], "503", "{body}");
    app.sim.sim.set_latency(Duration::ZERO);
    // Whether or not Falcon finished the create it was sent, the retry ends with one user.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (id, _) = create_user(&app, "slow@example.com").await;
    let same_login = app
        .sim
        .sim
        .users()
        .into_iter()
        .filter(|u| u.uid.eq_ignore_ascii_case("slow@example.com"))
        .count();
    assert_eq!(same_login, 1);

    app.sim
        .sim
        .inject_fault(routes::USER_ROLE_ACTIONS, None, Fault::Drop, 50);
    let group = create_group(&app, "SOC", &[]).await;
    let (status, retry_after, body) =
        status_of(app.patch(&format!("/Groups/{group}"), &add_member(&id))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        retry_after.as_deref(),
        Some("30"),
        "the bridge's retry-later"
    );
    assert_eq!(body["status"], "503", "{body}");
    app.sim.sim.clear_faults();
    let answer = app
        .expect(
            app.patch(&format!("/Groups/{group}"), &add_member(&id)),
            204,
        )
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    assert_converged(&app).await;
}

#[tokio::test]
async fn the_deletion_guard_allows_exactly_its_limit_under_concurrency() {
    let app = app_with(|s| s.tenants[0].core.policy.max_deletions_per_hour = 10).await;
    let mut ids = Vec::new();
    for i in 0..50 {
        ids.push(create_user(&app, &format!("leaver{i:02}@example.com")).await);
    }
    let members: Vec<&str> = ids.iter().map(|(id, _)| id.as_str()).collect();
    create_group(&app, "SOC", &members).await;
    let before = app.sim.sim.users().len();
    app.sim.sim.reset_counts();

    let answers = futures::future::join_all(ids.iter().map(|(id, _)| {
        let req = app.patch(&format!("/Users/{id}"), &set_active(false));
        status_of(req)
    }))
    .await;
    let ok = answers.iter().filter(|(s, _, _)| *s == 200).count();
    let refused: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 503).collect();
    assert_eq!(ok, 10);
    assert_eq!(refused.len(), 40);
    for (_, retry_after, body) in &refused {
        let secs: u64 = retry_after
            .as_deref()
            .expect("Retry-After")
            .parse()
            .unwrap();
        assert!((1..=3600).contains(&secs));
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("BRIDGE_MAX_DELETIONS_PER_HOUR"), "{detail}");
    }
    let deletes = app
        .sim
        .sim
        .call_counts()
        .get(&format!("DELETE {}", routes::USERS))
        .copied()
        .unwrap_or(0);
    assert_eq!(deletes, 10, "exactly 10 Falcon deletions");
    assert_eq!(app.sim.sim.users().len(), before - 10);
    // The refused users were not touched: still in Falcon, roles intact, active in SCIM.
    let mut untouched = 0;
    for (id, uuid) in &ids {
        if app.sim.sim.user_by_uuid(uuid).is_some() {
            assert_eq!(sorted(app.sim.sim.grants_of(uuid)), soc());
            let got = app.expect(app.get(&format!("/Users/{id}")), 200).await;
            assert_eq!(got["active"], true);
            untouched += 1;
        }
    }
    assert_eq!(untouched, 40);
    assert_converged(&app).await;
}

#[tokio::test]
async fn dry_run_answers_like_the_real_thing_and_sends_no_write() {
    let app = app_with(|s| s.tenants[0].core.policy.dry_run = true).await;
    app.sim
        .sim
        .seed_user("native@example.com", "Native", "User");
    app.bridge.refresh_directory().await.unwrap();
    app.sim.sim.reset_counts();

    // An Okta sequence: look up, create, rename, group push, deactivate, reactivate, delete.
    let found = app
        .expect(
            app.get("/Users?filter=userName%20eq%20%22dry@example.com%22"),
            200,
        )
        .await;
    assert_eq!(found["totalResults"], 0);
    let created = app
        .expect(app.post("/Users", &user("dry@example.com")), 201)
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let rename = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "name.familyName", "value": "Renamed"}]
    });
    let renamed = app
        .expect(app.patch(&format!("/Users/{id}"), &rename), 200)
        .await;
    assert_eq!(renamed["name"]["familyName"], "Renamed");
    let native = app
        .expect(
            app.get("/Users?filter=userName%20eq%20%22native@example.com%22"),
            200,
        )
        .await;
    let native_id = native["Resources"][0]["id"].as_str().unwrap().to_owned();
    let group = create_group(&app, "SOC", &[&id, &native_id]).await;
    let got = app.expect(app.get(&format!("/Users/{id}")), 200).await;
    assert_eq!(got["groups"][0]["value"], group.as_str(), "{got}");
    assert_eq!(got["groups"][0]["display"], "SOC", "{got}");
    let got = app
        .expect(app.patch(&format!("/Users/{id}"), &set_active(false)), 200)
        .await;
    assert_eq!(got["active"], false);
    let got = app
        .expect(app.patch(&format!("/Users/{id}"), &set_active(true)), 200)
        .await;
    assert_eq!(got["active"], true);
    let got = app
        .expect(
            app.patch(&format!("/Users/{native_id}"), &set_active(false)),
            200,
        )
        .await;
    assert_eq!(got["active"], false);
    let answer = app
        .expect(app.delete(&format!("/Groups/{group}")), 204)
        .await;
    assert_eq!(answer, Value::Null, "a 204 has no body");
    let answer = app.expect(app.delete(&format!("/Users/{id}")), 204).await;
    assert_eq!(answer, Value::Null, "a 204 has no body");

    assert_eq!(
        app.sim.sim.write_calls(),
        0,
        "{:?}",
        app.sim.sim.call_counts()
    );
    assert!(app.sim.sim.total_calls() > 0, "reads still go to Falcon");
    assert!(app.sim.sim.user_by_uid("native@example.com").is_some());
    let audit = app
        .bridge
        .store()
        .audit(&AuditQuery::default())
        .await
        .unwrap();
    assert!(!audit.is_empty());
    assert!(audit.iter().all(|r| r.outcome == "dry-run"), "{audit:?}");
    let ops: Vec<&str> = audit.iter().map(|r| r.operation.as_str()).collect();
    for op in ["create", "rename", "grant", "delete"] {
        assert!(ops.contains(&op), "{op} missing from {ops:?}");
    }
}

#[tokio::test]
async fn every_falcon_write_is_audited_with_its_request_and_trace_id() {
    let app = app_with(|_| {}).await;
    let (id, uuid) = create_user(&app, "audited@example.com").await;
    create_group(&app, "SOC", &[&id]).await;
    app.sim.sim.inject_fault(
        routes::USER_ROLE_ACTIONS,
        Some("POST"),
        Fault::Status(500),
        50,
    );
    let (status, retry_after, body) =
        status_of(app.patch(&format!("/Users/{id}"), &set_active(false))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        retry_after.as_deref(),
        Some("30"),
        "the bridge's retry-later"
    );
    assert_eq!(body["status"], "503", "{body}");

    let query = AuditQuery {
        login: Some("AUDITED@example.com".into()),
        ..Default::default()
    };
    let audit = app.bridge.store().audit(&query).await.unwrap();
    let summary: Vec<(&str, &str)> = audit
        .iter()
        .map(|r| (r.operation.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        summary,
        [("create", "ok"), ("grant", "ok"), ("revoke", "failed")]
    );
    let create = &audit[0];
    assert_eq!(create.method.as_deref(), Some("POST"));
    assert_eq!(create.path.as_deref(), Some("/scim/v2/Users"));
    assert_eq!(create.credential.as_deref(), Some("okta"));
    assert_eq!(create.account_id.as_deref(), Some(uuid.as_str()));
    let trace = create.trace_id.as_deref().expect("a Falcon trace id");
    assert!(
        uuid::Uuid::parse_str(trace).is_ok(),
        "Falcon's trace id, as it sent it: {trace}"
    );
    let grant = &audit[1];
    assert_eq!(grant.method.as_deref(), Some("POST"));
    assert_eq!(grant.path.as_deref(), Some("/scim/v2/Groups"), "{grant:?}");
    assert_eq!(sorted(grant.roles.clone()), soc());
    let revoke = &audit[2];
    assert_eq!(revoke.method.as_deref(), Some("PATCH"));
    assert!(
        revoke.detail.as_deref().unwrap_or_default().contains("500"),
        "{revoke:?}"
    );
    for record in &audit {
        assert!(!format!("{record:?}").contains(common::TEST_TOKEN));
    }
}

#[tokio::test]
async fn reconcile_reports_each_kind_of_drift_and_apply_repairs_it() {
    let app = app_with(|_| {}).await;
    let falcon = common::client(&app.sim);
    let (rolled, rolled_uuid) = create_user(&app, "rolled@example.com").await;
    let (gone, _) = create_user(&app, "gone@example.com").await;
    let (leaver, _) = create_user(&app, "leaver@example.com").await;
    create_group(&app, "SOC", &[&rolled, &gone]).await;
    let got = app
        .expect(
            app.patch(&format!("/Users/{leaver}"), &set_active(false)),
            200,
        )
        .await;
    assert_eq!(got["active"], false);
    assert_converged(&app).await;

    // Console changes behind the bridge's back.
    let cid = app.sim.sim.user_by_uuid(&rolled_uuid).unwrap().cid;
    falcon
        .revoke_roles(&rolled_uuid, &cid, &["event_viewer".to_owned()])
        .await
        .unwrap();
    falcon
        .grant_roles(
            &rolled_uuid,
            &cid,
            &["falcon_administrator".to_owned(), "help_desk".to_owned()],
        )
        .await
        .unwrap();
    let gone_uuid = app.sim.sim.user_by_uid("gone@example.com").unwrap().uuid;
    falcon.delete_user(&gone_uuid).await.unwrap();
    app.sim.sim.seed_user("leaver@example.com", "Back", "Again");
    // "Admins" makes falcon_administrator a managed role; help_desk is nobody's business.
    create_group(&app, "Admins", &[]).await;
    app.sim.sim.reset_counts();

    let report = app.bridge.reconcile(Pace::per_minute(6000)).await.unwrap();
    let found: Vec<(&str, &Drift)> = report
        .drift
        .iter()
        .map(|d| (d.login.as_str(), &d.drift))
        .collect();
    assert_eq!(report.drift.len(), 4, "{}", report.render());
    assert!(found.contains(&(
        "rolled@example.com",
        &Drift::MissingRoles {
            roles: vec!["event_viewer".into()]
        }
    )));
    assert!(found.contains(&(
        "rolled@example.com",
        &Drift::ExtraRoles {
            roles: vec!["falcon_administrator".into()]
        }
    )));
    assert!(found.contains(&("gone@example.com", &Drift::UserMissingInTarget)));
    assert!(found.contains(&("leaver@example.com", &Drift::UserShouldNotExist)));
    assert_eq!(app.sim.sim.write_calls(), 0, "a report changes nothing");

    let applied = app
        .bridge
        .reconcile_apply(Pace::per_minute(6000))
        .await
        .unwrap();
    assert_eq!(applied.drift.len(), 4, "{}", applied.render());
    for d in &applied.drift {
        assert_eq!(
            d.repair.as_deref(),
            Some("repaired"),
            "{}",
            applied.render()
        );
    }
    assert_converged(&app).await;
    assert_eq!(
        sorted(app.sim.sim.grants_of(&rolled_uuid)),
        ["event_viewer", "falcon_analyst", "help_desk"],
        "the hand-granted unmanaged role stays"
    );
    let back = app
        .sim
        .sim
        .user_by_uid("gone@example.com")
        .expect("re-created");
    assert_eq!(sorted(app.sim.sim.grants_of(&back.uuid)), soc());
    assert!(app.sim.sim.user_by_uid("leaver@example.com").is_none());
    let got = app.expect(app.get(&format!("/Users/{gone}")), 200).await;
    assert_eq!(got["active"], true, "the SCIM id survives the re-creation");
}
