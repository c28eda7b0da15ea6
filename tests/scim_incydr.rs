//! Okta and Entra provisioning into Incydr through the bridge, over HTTP against the Incydr
//! simulator: users Incydr does not have yet (pending, then linked by the directory refresh),
//! group pushes as one roles PUT per member, deactivation both IdPs' ways, the legal-hold
//! refusal, DELETE on a target that cannot delete, an expired token mid-sequence and a 429 storm.

mod common;

use std::time::Duration;

use common::incydr::{Running, SECRET, incydr_of, serve, settings, start_sim, writes};
use incydr::sim::{ACTIVATE, ANY_ROUTE, DEACTIVATE, Fault, NewUser, RunningSim, USER_ROLES};
use serde_json::{Value, json};

const ANALYSTS: (&str, &str) = ("Insider Risk Analysts", "insider-risk-analyst");
/// Mapped by Incydr's case-sensitive role name, not by its id (`cloud-admin`).
const ADMINS: (&str, &str) = ("Incydr Cloud Admins", "Cloud Admin");

fn active_of(sim: &RunningSim, login: &str) -> bool {
    sim.sim.user_by_username(login).unwrap().active
}

fn calls(sim: &RunningSim, method: &str, template: &str) -> u64 {
    sim.sim.call_count(method, template)
}

/// Waits (up to 15 s) until `done` holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..150 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 15 s");
}

#[tokio::test]
async fn a_user_incydr_does_not_have_yet_is_pending_until_it_appears_then_gets_its_roles() {
    let sim = start_sim(|_| {}).await;
    let mut config = settings(&sim, SECRET, &[ANALYSTS]);
    config.directory_refresh = Duration::from_secs(1);
    let app = serve(config).await;

    // Okta creates two users Incydr does not have: 201 each, kept pending, nothing sent.
    let (status, dana) = app.post_user("dana@corp.example", "Dana", "Ng").await;
    assert_eq!(status, 201, "{dana}");
    let dana = dana["id"].as_str().unwrap().to_owned();
    let (status, erin) = app.post_user("erin@corp.example", "Erin", "Ho").await;
    assert_eq!(status, 201, "{erin}");
    let erin = erin["id"].as_str().unwrap().to_owned();
    let found = app.find("DANA@corp.example").await;
    assert_eq!(found["Resources"][0]["id"], dana.as_str(), "{found}");
    assert_eq!(found["Resources"][0]["active"], true);

    // The group push and Erin's deactivation (Okta's path-less form) are kept for later.
    let group = app.create_group(ANALYSTS.0).await;
    app.patch_members(&group, "add", &[&dana, &erin]).await;
    let (status, off) = app
        .patch_user(
            &erin,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["active"], false);
    assert_eq!(writes(&sim), [], "nothing to write to yet");
    let metrics = app
        .http
        .get(format!("{}/metrics", app.root))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The gauge is process-wide and other tests here move it too: its value is checked through
    // what sets it.
    assert!(metrics.contains("bridge_pending_users "), "{metrics}");
    assert_eq!(app.bridge.pending_users().len(), 2);

    // Incydr's own provisioning brings them in; the background refresh links them under the
    // ids the IdP knows, grants Dana her group's role and deactivates Erin.
    sim.sim
        .add_user(NewUser::new("Dana@Corp.Example", "Dana", "Ng"))
        .unwrap();
    sim.sim
        .add_user(NewUser::new("erin@corp.example", "Erin", "Ho"))
        .unwrap();
    let dana_in_incydr = sim.sim.user_by_username("dana@corp.example").unwrap();
    eventually("Dana's role grant", || {
        sim.sim.roles_of(&dana_in_incydr.user_id).unwrap() == [ANALYSTS.1]
    })
    .await;
    eventually("Erin's deactivation", || {
        !active_of(&sim, "erin@corp.example")
    })
    .await;
    let (status, read) = app.get(&format!("/Users/{dana}")).await;
    assert_eq!((status, &read["active"]), (200, &json!(true)), "{read}");
    let (_, all) = app.get("/Users").await;
    assert_eq!(all["totalResults"], 2, "linked, not listed twice: {all}");
    let erin_in_incydr = sim.sim.user_by_username("erin@corp.example").unwrap();
    assert!(
        sim.sim
            .roles_of(&erin_in_incydr.user_id)
            .unwrap()
            .is_empty(),
        "an inactive user gets its roles when it is reactivated"
    );
    assert!(app.bridge.pending_users().is_empty());

    // Reactivating Erin now reaches Incydr, with her group's role.
    let (status, _) = app
        .patch_user(&erin, json!([{"op": "replace", "value": {"active": true}}]))
        .await;
    assert_eq!(status, 200);
    assert!(active_of(&sim, "erin@corp.example"));
    assert_eq!(
        sim.sim.roles_of(&erin_in_incydr.user_id).unwrap(),
        [ANALYSTS.1]
    );
}

#[tokio::test]
async fn refuse_makes_an_unknown_user_a_400_that_says_how_to_get_it_into_incydr() {
    let sim = start_sim(|_| {}).await;
    let mut config = settings(&sim, SECRET, &[]);
    config.tenants[0].core.policy.pending = bridge::PendingUsers::Refuse;
    let app = serve(config).await;
    let (status, refused) = app.post_user("dana@corp.example", "Dana", "Ng").await;
    assert_eq!(status, 400, "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Incydr cannot create users through its API: add dana@corp.example to Incydr through its own channels"),
        "{detail}"
    );
    assert_eq!(app.find("dana@corp.example").await["totalResults"], 0);
}

#[tokio::test]
async fn a_group_push_is_one_roles_put_per_member_and_a_removal_keeps_what_else_they_hold() {
    let sim = start_sim(|sim| {
        for (login, first) in [
            ("ann@corp.example", "Ann"),
            ("bo@corp.example", "Bo"),
            ("cy@corp.example", "Cy"),
        ] {
            sim.seed_user(login, first, "Lee");
        }
        let ann = sim.user_by_username("ann@corp.example").unwrap();
        // Granted in Incydr's console and mapped by no group: the bridge keeps it.
        sim.grant_roles(&ann.user_id, &["desktop-user"]).unwrap();
        // Granted in the console too, but a group maps it and Bo is not in that group: the IdP
        // decides, so Bo's next roles PUT drops it.
        let bo = sim.user_by_username("bo@corp.example").unwrap();
        sim.grant_roles(&bo.user_id, &["cloud-admin"]).unwrap();
    })
    .await;
    let app = serve(settings(&sim, SECRET, &[ANALYSTS, ADMINS])).await;
    let mut ids = Vec::new();
    for login in ["ann@corp.example", "bo@corp.example", "cy@corp.example"] {
        // Okta sends its own names; Incydr keeps its own, and the adopted user shows them.
        let (status, user) = app.post_user(login, "Someone", "Else").await;
        assert_eq!(status, 201, "{user}");
        assert_eq!(user["name"]["familyName"], "Lee", "{user}");
        ids.push(user["id"].as_str().unwrap().to_owned());
    }
    let ann = ids[0].as_str();
    assert_eq!(writes(&sim), [], "adoptions write nothing");

    let analysts = app.create_group(ANALYSTS.0).await;
    let admins = app.create_group(ADMINS.0).await;
    let members: Vec<&str> = ids.iter().map(String::as_str).collect();
    app.patch_members(&analysts, "add", &members).await;
    assert_eq!(calls(&sim, "PUT", USER_ROLES), 3, "one PUT per member");
    assert_eq!(
        sim.sim.roles_of(ann).unwrap(),
        ["desktop-user", "insider-risk-analyst"]
    );
    // Bo's hand-granted cloud-admin went: the Admins group maps it and Bo is not a member.
    assert_eq!(sim.sim.roles_of(&ids[1]).unwrap(), ["insider-risk-analyst"]);

    app.patch_members(&admins, "add", &[ann]).await;
    assert_eq!(calls(&sim, "PUT", USER_ROLES), 4);
    assert_eq!(
        sim.sim.roles_of(ann).unwrap(),
        ["cloud-admin", "desktop-user", "insider-risk-analyst"]
    );

    // Out of one group: the other group's role and the hand-granted one stay.
    app.patch_members(&analysts, "remove", &[ann]).await;
    assert_eq!(calls(&sim, "PUT", USER_ROLES), 5);
    assert_eq!(
        sim.sim.roles_of(ann).unwrap(),
        ["cloud-admin", "desktop-user"]
    );
    let (_, group) = app.get(&format!("/Groups/{admins}")).await;
    assert_eq!(group["members"][0]["value"], ann, "{group}");
}

#[tokio::test]
async fn deactivation_both_idps_ways_the_legal_hold_refusal_and_delete() {
    let sim = start_sim(|sim| {
        sim.seed_user("ann@corp.example", "Ann", "Lee");
    })
    .await;
    let app = serve(settings(&sim, SECRET, &[ANALYSTS])).await;
    let (_, user) = app.post_user("ann@corp.example", "Ann", "Lee").await;
    let id = user["id"].as_str().unwrap().to_owned();
    let group = app.create_group(ANALYSTS.0).await;
    app.patch_members(&group, "add", &[&id]).await;

    // Okta: a path-less replace. Incydr deactivates natively and the roles stay.
    let (status, off) = app
        .patch_user(&id, json!([{"op": "replace", "value": {"active": false}}]))
        .await;
    assert_eq!((status, &off["active"]), (200, &json!(false)), "{off}");
    assert!(!active_of(&sim, "ann@corp.example"));
    assert_eq!(sim.sim.roles_of(&id).unwrap(), [ANALYSTS.1]);
    let (status, on) = app
        .patch_user(&id, json!([{"op": "replace", "value": {"active": true}}]))
        .await;
    assert_eq!((status, &on["active"]), (200, &json!(true)), "{on}");
    assert!(active_of(&sim, "ann@corp.example"));

    // Entra: a capitalised op on the path, with the string "False".
    let (status, off) = app
        .patch_user(
            &id,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!((status, &off["active"]), (200, &json!(false)), "{off}");
    assert!(!active_of(&sim, "ann@corp.example"));
    app.patch_user(
        &id,
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
    )
    .await;
    assert!(active_of(&sim, "ann@corp.example"));
    assert_eq!(
        (
            calls(&sim, "POST", DEACTIVATE),
            calls(&sim, "POST", ACTIVATE)
        ),
        (2, 2)
    );

    // Under a legal hold, Incydr refuses: a 400 that says so, nothing changed, audited.
    sim.sim.set_legal_hold(&id, true).unwrap();
    let (status, refused) = app
        .patch_user(&id, json!([{"op": "replace", "value": {"active": false}}]))
        .await;
    assert_eq!(status, 400, "{refused}");
    let detail = refused["detail"].as_str().unwrap();
    assert!(detail.contains("legal hold in Incydr"), "{detail}");
    assert!(detail.contains("released"), "{detail}");
    assert!(active_of(&sim, "ann@corp.example"));
    let (_, read) = app.get(&format!("/Users/{id}")).await;
    assert_eq!(read["active"], true, "{read}");
    let audit = app.bridge.store().audit(&Default::default()).await.unwrap();
    let refusal = audit.last().unwrap();
    assert_eq!(refusal.operation, "deactivate");
    assert_ne!(refusal.outcome, "ok", "{refusal:?}");

    // DELETE: Incydr has no delete, so the user is deactivated and gone for the IdP.
    sim.sim.set_legal_hold(&id, false).unwrap();
    let (status, _) = app
        .scim(reqwest::Method::DELETE, &format!("/Users/{id}"), None)
        .await;
    assert_eq!(status, 204);
    assert!(
        !active_of(&sim, "ann@corp.example"),
        "still in Incydr, inactive"
    );
    let (status, _) = app.get(&format!("/Users/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(app.find("ann@corp.example").await["totalResults"], 0);
    app.bridge.refresh_directory().await.unwrap();
    let (_, all) = app.get("/Users").await;
    assert_eq!(all["totalResults"], 0, "not listed after a refresh: {all}");

    // Assigned again: the same Incydr user is taken over and activated, under a new SCIM id.
    let (status, again) = app.post_user("ann@corp.example", "Ann", "Lee").await;
    assert_eq!(status, 201, "{again}");
    assert_ne!(again["id"], id.as_str());
    assert_eq!(again["active"], true);
    assert!(active_of(&sim, "ann@corp.example"));
    assert_eq!(sim.sim.users().len(), 1);
}

#[tokio::test]
async fn an_expired_token_mid_sequence_and_a_429_storm_cost_the_idp_nothing_but_time() {
    let sim = start_sim(|sim| {
        sim.seed_user("ann@corp.example", "Ann", "Lee");
        sim.seed_user("bo@corp.example", "Bo", "Chen");
    })
    .await;
    let mut config = settings(&sim, SECRET, &[ANALYSTS]);
    incydr_of(&mut config).max_rate_limit_wait = Duration::from_secs(3);
    let app = serve(config).await;
    let (_, ann) = app.post_user("ann@corp.example", "Ann", "Lee").await;
    let ann = ann["id"].as_str().unwrap().to_owned();
    let group = app.create_group(ANALYSTS.0).await;

    // Every token Incydr issued dies (as at its 15-minute expiry): the next change gets a 401,
    // the bridge takes a new token once and goes on.
    sim.sim.revoke_all_tokens();
    let tokens_before = calls(&sim, "POST", "/v1/oauth");
    app.patch_members(&group, "add", &[&ann]).await;
    assert_eq!(sim.sim.roles_of(&ann).unwrap(), [ANALYSTS.1]);
    assert_eq!(calls(&sim, "POST", "/v1/oauth"), tokens_before + 1);

    // A 429 storm within the bound: waited out, the IdP sees a plain success.
    sim.sim.inject_fault(
        ANY_ROUTE,
        None,
        Fault::RateLimit {
            retry_after_secs: Some(1),
        },
        2,
    );
    let (status, off) = app
        .patch_user(&ann, json!([{"op": "replace", "value": {"active": false}}]))
        .await;
    assert_eq!(status, 200, "{off}");
    assert!(!active_of(&sim, "ann@corp.example"));

    // A storm longer than the bound: a SCIM 429 with Retry-After, and nothing changed.
    sim.sim.inject_fault(
        ANY_ROUTE,
        None,
        Fault::RateLimit {
            retry_after_secs: Some(60),
        },
        100,
    );
    let (status, headers, body) = app
        .scim_with_headers(
            reqwest::Method::PATCH,
            &format!("/Users/{ann}"),
            Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "value": {"active": true}}],
            })),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1, "{retry_after}");
    assert!(!active_of(&sim, "ann@corp.example"));
    let (_, read) = app.get(&format!("/Users/{ann}")).await;
    assert_eq!(read["active"], false, "{read}");

    // Once Incydr answers again, the IdP's retry goes through.
    sim.sim.clear_faults();
    let (status, on) = app
        .patch_user(&ann, json!([{"op": "replace", "value": {"active": true}}]))
        .await;
    assert_eq!((status, &on["active"]), (200, &json!(true)), "{on}");
    assert!(active_of(&sim, "ann@corp.example"));
}

/// Okta's connection test and the discovery an IdP reads say what Incydr does.
#[tokio::test]
async fn discovery_describes_incydr() {
    let sim = start_sim(|_| {}).await;
    let app: Running = serve(settings(&sim, SECRET, &[])).await;
    let (status, schemas) = app.get("/Schemas").await;
    assert_eq!(status, 200);
    let attributes: &Vec<Value> = schemas["Resources"][0]["attributes"].as_array().unwrap();
    let active = attributes.iter().find(|a| a["name"] == "active").unwrap();
    assert_eq!(
        active["description"],
        "false deactivates the Incydr user; true activates it again"
    );
    let name = attributes.iter().find(|a| a["name"] == "name").unwrap();
    let given = name["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "givenName")
        .unwrap();
    assert_eq!(given["mutability"], "readOnly", "{given}");
}
