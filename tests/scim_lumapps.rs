//! The bridge with `BRIDGE_TARGET=lumapps` against the LumApps simulator, both on loopback ports
//! over real HTTP, as Okta and Entra drive it: the user lifecycle (create, rename keeping what
//! the bridge does not model, deactivate, reactivate, delete), adoption of external and
//! directory-synchronised users, group push onto feeds (one `feed/subscribers/save` per
//! membership change), an expired token mid-sequence and a 429 storm, within and past the
//! client's bound.

mod common;

use std::time::Duration;

use common::lumapps::{Running, feed, lumapps_of, members, serve, settings, start_sim, user};
use lumapps::sim::{
    FEED_DELETE, FEED_SAVE, FEED_SUBSCRIBERS_SAVE, Fault, RunningSim, USER_DELETE_MULTI, USER_SAVE,
};
use serde_json::{Value, json};

fn subscriber_saves(sim: &RunningSim) -> u64 {
    sim.sim.call_count("POST", FEED_SUBSCRIBERS_SAVE)
}

/// The e-mails of the members of the feed named `name`, sorted.
fn feed_emails(sim: &RunningSim, name: &str) -> Vec<String> {
    let feed = feed(sim, name).unwrap_or_else(|| panic!("no feed {name}"));
    let mut emails: Vec<String> = sim
        .sim
        .feed_members(feed["uid"].as_str().unwrap())
        .unwrap()
        .iter()
        .map(|id| {
            sim.sim.user(id).unwrap()["email"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    emails.sort();
    emails
}

async fn post_group(app: &Running, name: &str, members: Vec<Value>) -> (u16, Value) {
    app.scim(
        reqwest::Method::POST,
        "/Groups",
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
            "members": members,
        })),
    )
    .await
}

async fn patch_group(app: &Running, group: &str, operations: Value) -> (u16, Value) {
    app.scim(
        reqwest::Method::PATCH,
        &format!("/Groups/{group}"),
        Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        })),
    )
    .await
}

#[tokio::test]
async fn okta_user_lifecycle_creates_renames_deactivates_and_deletes_lumapps_users() {
    let sim = start_sim(|sim| {
        // Fields LumApps has and the bridge does not model: a rename must send them back.
        sim.seed_user(json!({
            "email": "ann@corp.example",
            "firstName": "Ann",
            "lastName": "Lee",
            "customProfile": {"office": "Lyon", "badge": 42},
            "isHidden": false,
        }))
        .unwrap();
    })
    .await;
    let app = serve(settings(&sim)).await;

    // Okta's connection test: a userName nobody has, first page of one.
    let query = serde_urlencoded::to_string([
        (
            "filter",
            "userName eq \"okta-test-no-such-user@example.com\"",
        ),
        ("startIndex", "1"),
        ("count", "1"),
    ])
    .unwrap();
    let (status, page) = app.get(&format!("/Users?{query}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["totalResults"], 0, "{page}");
    assert_eq!(page["Resources"].as_array().map_or(0, Vec::len), 0);

    // A new user: an external LumApps user with the IdP's names.
    let (status, created) = app.post_user("new@corp.example", "New", "Person").await;
    assert_eq!(status, 201, "{created}");
    let new_id = created["id"].as_str().unwrap().to_owned();
    let lum = user(&sim, "new@corp.example");
    assert_eq!(lum["accountType"], "external", "{lum:?}");
    assert_eq!(
        (&lum["firstName"], &lum["lastName"]),
        (&json!("New"), &json!("Person"))
    );
    assert_eq!(lum["status"], "enabled");
    assert_eq!(sim.sim.call_count("POST", USER_SAVE), 1);

    // The seeded user, adopted, then renamed: its unmodelled fields survive the whole-object save.
    let (status, ann) = app.post_user("ann@corp.example", "Ann", "Lee").await;
    assert_eq!(status, 201, "{ann}");
    let ann_id = ann["id"].as_str().unwrap().to_owned();
    let (status, renamed) = app
        .patch_user(
            &ann_id,
            json!([
                {"op": "replace", "path": "name.givenName", "value": "Annie"},
                {"op": "replace", "path": "name.familyName", "value": "Leigh"},
            ]),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    let lum = user(&sim, "ann@corp.example");
    assert_eq!(
        (&lum["firstName"], &lum["lastName"]),
        (&json!("Annie"), &json!("Leigh"))
    );
    assert_eq!(
        lum["customProfile"],
        json!({"office": "Lyon", "badge": 42}),
        "{lum:?}"
    );

    // active:false disables the LumApps user; active:true enables it again.
    let (status, off) = app
        .patch_user(
            &new_id,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(off["active"], false, "{off}");
    assert_eq!(user(&sim, "new@corp.example")["status"], "disabled");
    let (status, on) = app
        .patch_user(
            &new_id,
            json!([{"op": "replace", "value": {"active": true}}]),
        )
        .await;
    assert_eq!(status, 200, "{on}");
    assert_eq!(user(&sim, "new@corp.example")["status"], "enabled");

    // DELETE: gone from LumApps through user/deleteMulti, and 404 to the IdP.
    let (status, body) = app
        .scim(reqwest::Method::DELETE, &format!("/Users/{new_id}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(sim.sim.user_by_email("new@corp.example").is_none());
    assert_eq!(sim.sim.call_count("POST", USER_DELETE_MULTI), 1);
    let (status, _) = app.get(&format!("/Users/{new_id}")).await;
    assert_eq!(status, 404);
    assert!(sim.sim.user_by_email("ann@corp.example").is_some());
}

#[tokio::test]
async fn entra_deactivates_with_a_capitalised_replace_and_a_string_false() {
    let sim = start_sim(|_| {}).await;
    let app = serve(settings(&sim)).await;
    let (status, created) = app.post_user("eve@corp.example", "Eve", "Moss").await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, off) = app
        .patch_user(
            id,
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(user(&sim, "eve@corp.example")["status"], "disabled");
}

#[tokio::test]
async fn external_and_synchronised_users_are_adopted_but_a_synchronised_name_is_not_ours() {
    let sim = start_sim(|sim| {
        sim.seed_user(
            json!({"email": "ext@corp.example", "firstName": "Ext", "lastName": "Ernal"}),
        )
        .unwrap();
        sim.seed_user(json!({
            "email": "sync@corp.example",
            "firstName": "Syn",
            "lastName": "Chro",
            "accountType": "microsoft",
            "synchronized": true,
        }))
        .unwrap();
    })
    .await;
    let app = serve(settings(&sim)).await;
    let ext_uid = user(&sim, "ext@corp.example")["id"].clone();
    let sync_before = user(&sim, "sync@corp.example");

    let (status, ext) = app.post_user("ext@corp.example", "Ext", "Ernal").await;
    assert_eq!(status, 201, "{ext}");
    let (status, sync) = app.post_user("sync@corp.example", "Syn", "Chro").await;
    assert_eq!(status, 201, "{sync}");
    // Adoption creates nothing: both keep their LumApps ids, and no user/save was made.
    assert_eq!(
        sim.sim.users().len(),
        3,
        "the admin and the two seeded users"
    );
    assert_eq!(user(&sim, "ext@corp.example")["id"], ext_uid);
    assert_eq!(sim.sim.call_count("POST", USER_SAVE), 0);

    // The synchronised user's names belong to its directory: a rename is refused, untouched.
    let sync_id = sync["id"].as_str().unwrap();
    let (status, refused) = app
        .patch_user(
            sync_id,
            json!([{"op": "replace", "path": "name.givenName", "value": "Other"}]),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["scimType"], "mutability", "{refused}");
    assert_eq!(user(&sim, "sync@corp.example"), sync_before);
    assert_eq!(sim.sim.call_count("POST", USER_SAVE), 0);
}

#[tokio::test]
async fn okta_group_push_is_one_feed_and_one_subscribers_save_per_change() {
    let sim = start_sim(|sim| {
        for name in ["a", "b", "c"] {
            sim.seed_user(json!({"email": format!("{name}@corp.example")}))
                .unwrap();
        }
        sim.seed_feed("Existing Feed", &[]).unwrap();
    })
    .await;
    let app = serve(settings(&sim)).await;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let (status, u) = app
            .post_user(&format!("{name}@corp.example"), name, "X")
            .await;
        assert_eq!(status, 201, "{u}");
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();

    // A group of an existing feed's name adopts it: no feed created.
    let (status, adopted) = post_group(&app, "Existing Feed", vec![]).await;
    assert_eq!(status, 201, "{adopted}");
    assert_eq!(sim.sim.call_count("POST", FEED_SAVE), 0);
    assert_eq!(sim.sim.feeds().len(), 1);

    // A new name creates the feed.
    let group = app.create_group("Security Team").await;
    assert_eq!(sim.sim.call_count("POST", FEED_SAVE), 1);
    assert!(feed(&sim, "Security Team").is_some());

    // Three members in one PATCH: one feed/subscribers/save.
    let before = subscriber_saves(&sim);
    app.patch_members(&group, "add", &ids).await;
    assert_eq!(subscriber_saves(&sim), before + 1);
    assert_eq!(
        feed_emails(&sim, "Security Team"),
        ["a@corp.example", "b@corp.example", "c@corp.example"]
    );

    // One removed: one more call.
    app.patch_members(&group, "remove", &ids[1..2]).await;
    assert_eq!(subscriber_saves(&sim), before + 2);
    assert_eq!(
        feed_emails(&sim, "Security Team"),
        ["a@corp.example", "c@corp.example"]
    );

    // Rename: the feed's name changes, the same feed.
    let uid = feed(&sim, "Security Team").unwrap()["uid"].clone();
    let (status, renamed) = patch_group(
        &app,
        &group,
        json!([{"op": "replace", "value": {"displayName": "Sec Team"}}]),
    )
    .await;
    assert!(status == 200 || status == 204, "{status} {renamed}");
    let now = feed(&sim, "Sec Team").expect("the feed was renamed");
    assert_eq!(now["uid"], uid);
    assert!(feed(&sim, "Security Team").is_none());

    // DELETE: the feed is gone.
    let (status, body) = app
        .scim(reqwest::Method::DELETE, &format!("/Groups/{group}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(feed(&sim, "Sec Team").is_none());
    assert!(
        sim.sim.call_count("DELETE", FEED_DELETE) + sim.sim.call_count("GET", FEED_DELETE) >= 1
    );
    assert!(feed(&sim, "Existing Feed").is_some());
}

#[tokio::test]
async fn entra_group_patches_add_remove_and_remove_with_a_value() {
    let sim = start_sim(|sim| {
        for name in ["a", "b", "c"] {
            sim.seed_user(json!({"email": format!("{name}@corp.example")}))
                .unwrap();
        }
    })
    .await;
    let app = serve(settings(&sim)).await;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let (status, u) = app
            .post_user(&format!("{name}@corp.example"), name, "X")
            .await;
        assert_eq!(status, 201, "{u}");
        ids.push(u["id"].as_str().unwrap().to_owned());
    }
    let (status, group) = post_group(&app, "Entra Group", vec![]).await;
    assert_eq!(status, 201, "{group}");
    let group = group["id"].as_str().unwrap().to_owned();

    let (status, body) = patch_group(
        &app,
        &group,
        json!([{"op": "Add", "path": "members", "value": members(&[&ids[0], &ids[1], &ids[2]])}]),
    )
    .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    assert_eq!(feed_emails(&sim, "Entra Group").len(), 3);

    let (status, body) = patch_group(
        &app,
        &group,
        json!([{"op": "Remove", "path": "members", "value": [{"value": ids[0]}]}]),
    )
    .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    assert_eq!(
        feed_emails(&sim, "Entra Group"),
        ["b@corp.example", "c@corp.example"]
    );

    let (status, body) = patch_group(
        &app,
        &group,
        json!([{"op": "Remove", "path": format!("members[value eq \"{}\"]", ids[1])}]),
    )
    .await;
    assert!(status == 200 || status == 204, "{status} {body}");
    assert_eq!(feed_emails(&sim, "Entra Group"), ["c@corp.example"]);
}

/// The `display` (userName) of each member of a SCIM group, sorted.
fn member_names(group: &Value) -> Vec<String> {
    let mut names: Vec<String> = group["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members in {group}"))
        .iter()
        .map(|m| m["display"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn an_adopted_feed_keeps_its_members_and_reconciliation_reads_each_feed_once() {
    let sim = start_sim(|sim| {
        for name in ["a", "b", "c", "d"] {
            sim.seed_user(json!({"email": format!("{name}@corp.example")}))
                .unwrap();
        }
        // d is in the feed and never provisioned by the IdP.
        sim.seed_feed("Existing Feed", &["a@corp.example", "d@corp.example"])
            .unwrap();
    })
    .await;
    let app = serve(settings(&sim)).await;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        let (status, u) = app
            .post_user(&format!("{name}@corp.example"), name, "X")
            .await;
        assert_eq!(status, 201, "{u}");
        ids.push(u["id"].as_str().unwrap().to_owned());
    }

    // Before any push, the feed shows the members LumApps gives it.
    let (status, listed) = app
        .get("/Groups?filter=displayName%20eq%20%22Existing%20Feed%22")
        .await;
    assert_eq!(status, 200, "{listed}");
    let unmanaged = &listed["Resources"][0];
    assert_eq!(
        member_names(unmanaged),
        ["a@corp.example", "d@corp.example"]
    );
    let uid = unmanaged["id"].as_str().unwrap().to_owned();
    let (status, one) = app.get(&format!("/Groups/{uid}")).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(member_names(&one), member_names(unmanaged));

    // Okta pushes a group of that name with b: adopted with a and d, only b is written.
    let saves = subscriber_saves(&sim);
    let (status, adopted) = post_group(&app, "Existing Feed", members(&[&ids[1]])).await;
    assert_eq!(status, 201, "{adopted}");
    assert_eq!(adopted["id"], uid.as_str());
    assert_eq!(
        member_names(&adopted),
        ["a@corp.example", "b@corp.example", "d@corp.example"]
    );
    assert_eq!(subscriber_saves(&sim), saves + 1, "one save, for b");
    assert_eq!(
        feed_emails(&sim, "Existing Feed"),
        ["a@corp.example", "b@corp.example", "d@corp.example"]
    );
    // a knows its group, as the IdP reads a user.
    let (_, a) = app.get(&format!("/Users/{}", ids[0])).await;
    assert_eq!(a["groups"][0]["value"], uid.as_str(), "{a}");

    // A second group, with c; then reconciliation reads each feed once, not each user's feeds.
    let team = app.create_group("Team").await;
    app.patch_members(&team, "add", &[&ids[2]]).await;
    let listings = sim.sim.call_count("GET", lumapps::sim::USER_LIST);
    let feed_lists = sim.sim.call_count("GET", lumapps::sim::FEED_LIST);
    let report = app
        .bridge
        .reconcile(bridge::reconcile::Pace::per_minute(60_000))
        .await
        .unwrap();
    assert!(report.is_clean(), "{}", report.render());
    assert_eq!(
        sim.sim.call_count("GET", lumapps::sim::USER_LIST),
        listings + 1 + 2,
        "the users once, then each of the two feeds once"
    );
    assert_eq!(
        sim.sim.call_count("GET", lumapps::sim::FEED_LIST),
        feed_lists
    );

    // c leaves Team in LumApps' console: reconciliation sees it.
    let team_uid = feed(&sim, "Team").unwrap()["uid"]
        .as_str()
        .unwrap()
        .to_owned();
    sim.sim
        .change_feed_members(&team_uid, &[], &["c@corp.example"])
        .expect("c leaves the feed");
    let report = app
        .bridge
        .reconcile(bridge::reconcile::Pace::per_minute(60_000))
        .await
        .unwrap();
    assert_eq!(report.drift.len(), 1, "{}", report.render());
    assert_eq!(report.drift[0].login, "c@corp.example");
    assert!(matches!(
        report.drift[0].drift,
        bridge::reconcile::Drift::MissingRoles { .. }
    ));
}

#[tokio::test]
async fn an_expired_token_mid_sequence_and_a_429_storm_cost_the_idp_nothing_but_time() {
    let sim = start_sim(|sim| {
        sim.seed_user(json!({"email": "ann@corp.example"})).unwrap();
    })
    .await;
    let mut config = settings(&sim);
    lumapps_of(&mut config).max_rate_limit_wait = Duration::from_secs(3);
    let app = serve(config).await;
    let (_, ann) = app.post_user("ann@corp.example", "Ann", "Lee").await;
    let ann = ann["id"].as_str().unwrap().to_owned();
    let group = app.create_group("Team").await;

    // Every token dies (as at its hour's end): the next change still goes through.
    sim.sim.revoke_all_tokens();
    let token = sim.sim.token_path();
    let tokens_before = sim.sim.call_count("POST", lumapps::sim::TOKEN);
    app.patch_members(&group, "add", &[&ann]).await;
    assert_eq!(feed_emails(&sim, "Team"), ["ann@corp.example"]);
    assert!(
        sim.sim.call_count("POST", lumapps::sim::TOKEN) > tokens_before,
        "a new token from {token}"
    );

    // A 429 storm within the bound: waited out, the IdP sees a plain success.
    let saves_before = sim.sim.call_count("POST", USER_SAVE);
    sim.sim.inject_fault(
        USER_SAVE,
        Some("POST"),
        Fault::RateLimit {
            retry_after_secs: Some(1),
        },
        2,
    );
    let (status, off) = app
        .patch_user(&ann, json!([{"op": "replace", "value": {"active": false}}]))
        .await;
    assert_eq!(status, 200, "{off}");
    assert_eq!(user(&sim, "ann@corp.example")["status"], "disabled");
    assert_eq!(
        sim.sim.call_count("POST", USER_SAVE),
        saves_before + 3,
        "two 429s, then the save"
    );

    // A storm longer than the bound: a SCIM 429 with Retry-After, and nothing changed.
    sim.sim.inject_fault(
        USER_SAVE,
        Some("POST"),
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
    assert_eq!(user(&sim, "ann@corp.example")["status"], "disabled");
    let (_, read) = app.get(&format!("/Users/{ann}")).await;
    assert_eq!(read["active"], false, "{read}");

    // Once LumApps answers again, the IdP's retry goes through.
    sim.sim.clear_faults();
    let (status, on) = app
        .patch_user(&ann, json!([{"op": "replace", "value": {"active": true}}]))
        .await;
    assert_eq!((status, &on["active"]), (200, &json!(true)), "{on}");
    assert_eq!(user(&sim, "ann@corp.example")["status"], "enabled");
}
