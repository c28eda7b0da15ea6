//! The Allthenticate simulator over real HTTP on 127.0.0.1, driven with raw `reqwest`: what the
//! typed client never sends (form bodies, query parameters, other routes), the key checks, and
//! the `/_sim/` controls.

use std::net::SocketAddr;

use allthenticate::model::{ErrorBody, Group, PendingInvite, SuccessBody, User, routes};
use allthenticate::sim::{NewUser, RunningSim, SimConfig, Simulator};
use allthenticate::{Rank, Status, UserTag};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const KEY: &str = "k-sim-http";

async fn start() -> RunningSim {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Simulator::new(SimConfig {
        api_key: KEY.to_owned(),
        ..SimConfig::default()
    })
    .spawn(addr)
    .await
    .unwrap()
}

fn url(running: &RunningSim, path: &str) -> String {
    format!("{}{path}", running.base_url)
}

#[tokio::test]
async fn a_missing_wrong_expired_or_revoked_key_is_a_401_with_an_error_body() {
    let running = start().await;
    let http = Client::new();
    let users = url(&running, routes::MULTIPLE_USERS);
    let refusal = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        response.json::<ErrorBody>().await.unwrap().error
    };
    assert_eq!(
        refusal(http.get(&users).send().await.unwrap()).await,
        "Missing API key"
    );
    assert_eq!(
        refusal(http.get(&users).bearer_auth("nope").send().await.unwrap()).await,
        "Invalid API key"
    );
    // A bare key in Authorization is not the Bearer scheme the default configuration reads.
    let bare = http
        .get(&users)
        .header("Authorization", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(bare).await, "Missing API key");
    let ok = http.get(&users).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);

    // A generated key with a lifetime, expired and revoked through the controls.
    let generated: Value = http
        .post(url(&running, "/_sim/keys"))
        .json(&json!({"lifetime_secs": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = generated["key"].as_str().unwrap().to_owned();
    let with_key = || http.get(&users).bearer_auth(&key).send();
    assert_eq!(with_key().await.unwrap().status(), StatusCode::OK);
    http.post(url(&running, "/_sim/keys/expire"))
        .json(&json!({"key": key}))
        .send()
        .await
        .unwrap();
    let expired = refusal(with_key().await.unwrap()).await;
    assert_eq!(expired, "API key expired");
    assert!(!expired.contains(&key));
    http.post(url(&running, "/_sim/keys/revoke"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let revoked = http.get(&users).bearer_auth(KEY).send().await.unwrap();
    assert_eq!(refusal(revoked).await, "API key revoked");
    running.shutdown().await;
}

#[tokio::test]
async fn parameters_are_read_from_form_bodies_and_query_strings_too() {
    let running = start().await;
    let http = Client::new();
    let ann = running.sim.seed_user("ann@example.com", "Ann", "Lee");

    // Form body.
    let toggled: Value = http
        .post(url(&running, routes::TOGGLE_SUSPENSION))
        .bearer_auth(KEY)
        .form(&[("email_id", ann.email_id.0.to_string())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(toggled["status"], "SUSPENDED");
    assert_eq!(
        running.sim.user("ann@example.com").unwrap().status,
        Status::Suspended
    );

    // Query string.
    let answer = http
        .post(format!(
            "{}?email_id={}",
            url(&running, routes::TOGGLE_SUSPENSION),
            ann.email_id.0
        ))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        running.sim.user("ann@example.com").unwrap().status,
        Status::Active
    );

    // Form: `emails[]` repeated, Python-style booleans, rank in lower case.
    let invited: Value = http
        .put(url(&running, routes::INVITES))
        .bearer_auth(KEY)
        .form(&[
            ("emails[]", "b@example.com"),
            ("emails[]", "c@example.com"),
            ("no_email", "True"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        invited["invited"],
        json!(["b@example.com", "c@example.com"])
    );
    assert_eq!(invited["send_email"], false);
    let ranked = http
        .post(url(&running, routes::MODIFY_RANK))
        .bearer_auth(KEY)
        .form(&[
            ("admin_user_id", ann.user_id.0.to_string()),
            ("rank", "admin".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ranked.status(), StatusCode::OK);
    assert_eq!(
        running.sim.user("ann@example.com").unwrap().rank,
        Rank::Admin
    );

    // DELETE with the e-mail in the query: the pending invite goes.
    let deleted: SuccessBody = http
        .delete(format!(
            "{}?email=b%40example.com",
            url(&running, routes::USER)
        ))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        deleted.success.contains("b@example.com"),
        "{}",
        deleted.success
    );
    assert_eq!(running.sim.invites().len(), 1);

    // email_id wins over email: the query names Ann by id, the body an invite by e-mail.
    let by_id: SuccessBody = http
        .delete(format!(
            "{}?email_id={}",
            url(&running, routes::USER),
            ann.email_id.0
        ))
        .bearer_auth(KEY)
        .form(&[("email", "c@example.com")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        by_id.success,
        "User ann@example.com/ann was successfully deleted from your organization."
    );
    assert_eq!(running.sim.invites().len(), 1);

    // A malformed JSON body and a non-numeric id are 400s with an error body.
    let bad = http
        .post(url(&running, routes::TOGGLE_SUSPENSION))
        .bearer_auth(KEY)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let bad_id = http
        .post(url(&running, routes::PROMOTE_GUEST))
        .bearer_auth(KEY)
        .json(&json!({"email_id": "abc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
    assert!(
        bad_id
            .json::<ErrorBody>()
            .await
            .unwrap()
            .error
            .contains("integer")
    );
    running.shutdown().await;
}

#[tokio::test]
async fn listing_options_the_user_detail_and_guest_promotion() {
    let running = start().await;
    let http = Client::new();
    running.sim.seed_demo();
    let gina = running.sim.user("gina.guest@example.com").unwrap();
    let get = |path: String| http.get(url(&running, &path)).bearer_auth(KEY).send();

    let with_email: Vec<User> = get(format!("{}?email=true", routes::MULTIPLE_USERS))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(with_email.iter().all(|u| u.name == u.email));
    let guests: Vec<User> = get(format!("{}?user_tag=GUEST", routes::MULTIPLE_USERS))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(guests.len(), 1);
    assert_eq!(guests[0].email_id, gina.email_id);

    let alice = running.sim.user("alice.admin@example.com").unwrap();
    let detail: Value = get(format!("{}?email_id={}", routes::USER, alice.email_id.0))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Direct and through the Engineering group, nested in arrays as the reference shows.
    assert_eq!(
        detail["policies"],
        json!([["Alice's Office Door"], ["Engineering Laptops"]])
    );
    assert_eq!(detail["rank"], "SUPER");
    let missing = get(format!("{}?email_id={}", routes::USER, alice.user_id.0))
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert!(
        missing
            .json::<ErrorBody>()
            .await
            .unwrap()
            .error
            .starts_with("User not found")
    );

    let promote = || {
        http.post(url(&running, routes::PROMOTE_GUEST))
            .bearer_auth(KEY)
            .json(&json!({"email_id": gina.email_id.0}))
            .send()
    };
    assert_eq!(promote().await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        running.sim.user("gina.guest@example.com").unwrap().user_tag,
        UserTag::User
    );
    assert_eq!(promote().await.unwrap().status(), StatusCode::BAD_REQUEST);
    running.shutdown().await;
}

#[tokio::test]
async fn post_invites_invites_or_resends_and_groups_refuse_deletion_while_used() {
    let running = start().await;
    let http = Client::new();
    running.sim.seed_demo();

    let invited: Value = http
        .post(url(&running, routes::INVITES))
        .bearer_auth(KEY)
        .json(&json!({"emails": ["zed@example.com"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(invited["invited"], json!(["zed@example.com"]));
    let resend = |email: &'static str| {
        http.post(url(&running, routes::INVITES))
            .bearer_auth(KEY)
            .json(&json!({ "email": email }))
            .send()
    };
    assert_eq!(
        resend("zed@example.com").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        resend("nobody@example.com").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let pending: Vec<PendingInvite> = http
        .get(url(&running, routes::INVITES))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pending.len(), 2);

    let groups: Vec<Group> = http
        .get(format!("{}?type=users", url(&running, routes::GROUPS)))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].count, Some(2));
    let engineering = groups[0].id;
    let delete_group = |id: i64| {
        http.delete(url(&running, routes::GROUPS))
            .bearer_auth(KEY)
            .json(&json!({"type": "users", "group_id": id}))
            .send()
    };
    let refused = delete_group(engineering).await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused
            .json::<ErrorBody>()
            .await
            .unwrap()
            .error
            .contains("Engineering Laptops")
    );
    let spare = running.sim.add_group("Spare");
    assert_eq!(delete_group(spare).await.unwrap().status(), StatusCode::OK);
    running.shutdown().await;
}

#[tokio::test]
async fn controls_seed_fault_count_and_show_full_state() {
    let running = start().await;
    let http = Client::new();
    let seeded = http
        .post(url(&running, "/_sim/users"))
        .json(&json!({"users": [
            {"email": "ann@example.com", "first_name": "Ann", "rank": "admin", "groups": ["Ops"],
             "smartcards": [{"label": "badge", "number": "42"}]},
            {"email": "gus@example.com", "user_tag": "guest", "status": "SUSPENDED"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), StatusCode::CREATED);
    let again = http
        .post(url(&running, "/_sim/users"))
        .json(&json!({"users": [{"email": "ANN@example.com"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);

    let ann: Value = http
        .get(url(&running, "/_sim/users/ann@example.com"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ann["rank"], "ADMIN");
    assert_eq!(ann["groups"], json!(["Ops"]));
    assert_eq!(ann["smartcards"][0]["number"], "42");
    let by_id: Value = http
        .get(url(&running, &format!("/_sim/users/{}", ann["user_id"])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["email"], "ann@example.com");

    let armed = http
        .post(url(&running, "/_sim/faults"))
        .json(&json!({"route": routes::MULTIPLE_USERS, "fault": {"status": 502}, "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), StatusCode::CREATED);
    let list = || {
        http.get(url(&running, routes::MULTIPLE_USERS))
            .bearer_auth(KEY)
            .send()
    };
    assert_eq!(list().await.unwrap().status(), StatusCode::BAD_GATEWAY);
    let users: Vec<User> = list().await.unwrap().json().await.unwrap();
    assert_eq!(users.len(), 2);
    let gus = users.iter().find(|u| u.is_guest()).unwrap();
    assert!(gus.is_suspended());
    // A route Allthenticate has but the simulator does not: 404, counted all the same.
    let absent = http
        .post(url(&running, "/modifysmartcard"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(absent.status(), StatusCode::NOT_FOUND);

    let calls: Value = http
        .get(url(&running, "/_sim/calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls["routes"]["GET /multipleusers"], 2);
    assert_eq!(calls["routes"]["POST /modifysmartcard"], 1);
    assert_eq!(calls["total"], 3);
    http.post(url(&running, "/_sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(running.sim.total_calls(), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn controls_are_absent_when_disabled() {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let running = Simulator::new(SimConfig {
        controls_enabled: false,
        ..SimConfig::default()
    })
    .spawn(addr)
    .await
    .unwrap();
    let answer = Client::new()
        .get(url(&running, "/_sim/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    // The API itself is still there; seeding stays possible from code.
    running
        .sim
        .add_user(NewUser::new("ann@example.com", "Ann", "Lee"))
        .unwrap();
    let users: Vec<User> = Client::new()
        .get(url(&running, routes::MULTIPLE_USERS))
        .bearer_auth(&running.sim.config().api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(users.len(), 1);
    running.shutdown().await;
}
