//! The Incydr simulator over real HTTP on 127.0.0.1, driven with `reqwest` as a client would.

use std::net::SocketAddr;
use std::time::Duration;

use incydr::model::{
    ACTIVE_LEGAL_HOLD, ErrorBody, Role, RolesUpdate, TokenResponse, User, UserRoles, UsersPage,
    routes,
};
use incydr::sim::{
    ANY_ROUTE, DEACTIVATE, Fault, NewUser, RunningSim, SimConfig, Simulator, USER_ROLES,
};
use reqwest::{Client, StatusCode};
use serde_json::json;

async fn start(config: SimConfig) -> RunningSim {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Simulator::new(config).spawn(addr).await.unwrap()
}

async fn token(http: &Client, running: &RunningSim) -> String {
    let config = running.sim.config();
    let answer = http
        .post(format!("{}{}", running.base_url, routes::TOKEN))
        .basic_auth(&config.client_id, Some(&config.client_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    answer.json::<TokenResponse>().await.unwrap().access_token
}

async fn get(http: &Client, running: &RunningSim, token: &str, path: &str) -> reqwest::Response {
    http.get(format!("{}{path}", running.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn post(http: &Client, running: &RunningSim, token: &str, path: &str) -> reqwest::Response {
    http.post(format!("{}{path}", running.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn basic_auth_yields_a_bearer_token_and_bad_credentials_a_401() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let config = running.sim.config().clone();
    let answer: TokenResponse = http
        .post(format!("{}{}", running.base_url, routes::TOKEN))
        .basic_auth(&config.client_id, Some(&config.client_secret))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer.token_type, "bearer");
    assert_eq!(answer.expires_in, 900);
    assert_eq!(answer.access_token.split('.').count(), 3);

    let refused = http
        .post(format!("{}{}", running.base_url, routes::TOKEN))
        .basic_auth(&config.client_id, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let body: ErrorBody = refused.json().await.unwrap();
    assert_eq!((body.status, body.path.as_str()), (401, routes::TOKEN));

    let no_token = http
        .get(format!("{}{}", running.base_url, routes::USERS))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    let ok = get(&http, &running, &answer.access_token, routes::USERS).await;
    assert_eq!(ok.status(), StatusCode::OK);
    running.shutdown().await;
}

#[tokio::test]
async fn tokens_expire_and_can_be_revoked_mid_sequence() {
    let running = start(SimConfig {
        token_lifetime: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let http = Client::new();
    let short = token(&http, &running).await;
    assert_eq!(
        get(&http, &running, &short, routes::ROLES).await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let expired = get(&http, &running, &short, routes::ROLES).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert!(expired.text().await.unwrap().contains("expired"));

    running.sim.set_token_lifetime(Duration::from_secs(900));
    let long = token(&http, &running).await;
    assert_eq!(
        get(&http, &running, &long, routes::ROLES).await.status(),
        StatusCode::OK
    );
    running.sim.revoke_all_tokens();
    assert_eq!(
        get(&http, &running, &long, routes::ROLES).await.status(),
        StatusCode::UNAUTHORIZED
    );
    running.shutdown().await;
}

#[tokio::test]
async fn paging_filters_and_strict_parameters() {
    let running = start(SimConfig::default()).await;
    let seeded = running.sim.seed_users(7, "example.com");
    running
        .sim
        .add_user(NewUser {
            active: false,
            ..NewUser::new("gone@example.com", "Gone", "Away")
        })
        .unwrap();
    let http = Client::new();
    let t = token(&http, &running).await;
    let mut seen = Vec::new();
    for page in 1..=3 {
        let got: UsersPage = get(
            &http,
            &running,
            &t,
            &format!("/v1/users?page={page}&pageSize=3"),
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(got.total_count, 8);
        seen.extend(got.users.into_iter().map(|u| u.user_id));
    }
    assert_eq!(seen.len(), 8);
    assert_eq!(
        seen[..7],
        seeded.iter().map(|u| u.user_id.clone()).collect::<Vec<_>>()[..]
    );

    let active: UsersPage = get(&http, &running, &t, "/v1/users?active=True")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(active.total_count, 7);
    let lower: UsersPage = get(&http, &running, &t, "/v1/users?active=false&blocked=False")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(lower.users[0].username, "gone@example.com");

    let by_name: UsersPage = get(&http, &running, &t, "/v1/users?username=GONE%40example.com")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_name.total_count, 1);

    for bad in ["page=0", "active=yes", "pageSize=501", "pageSize=abc"] {
        let answer = get(&http, &running, &t, &format!("/v1/users?{bad}")).await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: ErrorBody = answer.json().await.unwrap();
        assert_eq!(body.error, "Bad Request");
    }
    running.shutdown().await;
}

#[tokio::test]
async fn users_roles_and_the_catalogue_read_back() {
    let running = start(SimConfig::default()).await;
    let ann = running.sim.seed_user("ann@example.com", "Ann", "Lee");
    running
        .sim
        .grant_roles(&ann.user_id, &["desktop-user"])
        .unwrap();
    let http = Client::new();
    let t = token(&http, &running).await;

    let user: User = get(&http, &running, &t, &routes::user(&ann.user_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user, ann);
    let missing = get(&http, &running, &t, &routes::user("nobody")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let catalogue: Vec<Role> = get(&http, &running, &t, routes::ROLES)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        catalogue
            .iter()
            .any(|r| r.role_id == "cloud-admin" && r.role_name == "Cloud Admin")
    );
    let role: Role = get(&http, &running, &t, &routes::role("alerts-read"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(role.role_name, "Alerts Read");
    assert_eq!(
        get(&http, &running, &t, &routes::role("nope"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let held: UserRoles = get(&http, &running, &t, &routes::user_roles(&ann.user_id))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(held.roles.len(), 1);
    assert_eq!(held.roles[0].role_name, "Desktop User");
    assert!(!held.roles[0].permission_ids.is_empty());
    running.shutdown().await;
}

#[tokio::test]
async fn put_roles_replaces_the_set_and_ignores_unknown_ids() {
    let running = start(SimConfig::default()).await;
    let ann = running.sim.seed_user("ann@example.com", "Ann", "Lee");
    running
        .sim
        .grant_roles(&ann.user_id, &["desktop-user", "alerts-read"])
        .unwrap();
    let http = Client::new();
    let t = token(&http, &running).await;
    let url = format!("{}{}", running.base_url, routes::user_roles(&ann.user_id));
    let update: RolesUpdate = http
        .put(&url)
        .bearer_auth(&t)
        .json(&json!({ "roleIds": ["desktop-user", "cloud-admin", "no-such-role"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(update.processed, ["desktop-user", "cloud-admin"]);
    assert_eq!(update.newly_assigned, ["cloud-admin"]);
    assert_eq!(update.unassigned, ["alerts-read"]);
    assert_eq!(update.ignored, ["no-such-role"]);
    assert_eq!(
        running.sim.roles_of(&ann.user_id).unwrap(),
        ["cloud-admin", "desktop-user"]
    );

    let malformed = http
        .put(&url)
        .bearer_auth(&t)
        .body("{\"roles\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);

    let cleared: RolesUpdate = http
        .put(&url)
        .bearer_auth(&t)
        .json(&json!({ "roleIds": [] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared.unassigned.len(), 2);
    assert!(running.sim.roles_of(&ann.user_id).unwrap().is_empty());
    running.shutdown().await;
}

#[tokio::test]
async fn activation_is_idempotent_and_a_legal_hold_blocks_deactivation() {
    let running = start(SimConfig::default()).await;
    let ann = running.sim.seed_user("ann@example.com", "Ann", "Lee");
    running
        .sim
        .grant_roles(&ann.user_id, &["alerts-read"])
        .unwrap();
    let http = Client::new();
    let t = token(&http, &running).await;
    for _ in 0..2 {
        let answer = post(&http, &running, &t, &routes::deactivate(&ann.user_id)).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert!(answer.bytes().await.unwrap().is_empty());
    }
    assert!(!running.sim.user(&ann.user_id).unwrap().active);
    assert_eq!(running.sim.roles_of(&ann.user_id).unwrap(), ["alerts-read"]);
    for _ in 0..2 {
        let answer = post(&http, &running, &t, &routes::activate(&ann.user_id)).await;
        assert_eq!(answer.status(), StatusCode::OK);
    }
    assert!(running.sim.user(&ann.user_id).unwrap().active);

    running.sim.set_legal_hold(&ann.user_id, true).unwrap();
    let refused = post(&http, &running, &t, &routes::deactivate(&ann.user_id)).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains(ACTIVE_LEGAL_HOLD));
    assert!(running.sim.user(&ann.user_id).unwrap().active);
    assert_eq!(
        post(&http, &running, &t, &routes::deactivate("nobody"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    running.shutdown().await;
}

#[tokio::test]
async fn injected_429s_carry_retry_after_only_when_asked_and_other_faults_apply() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let t = token(&http, &running).await;
    running.sim.inject_fault(
        routes::USERS,
        Some("GET"),
        Fault::RateLimit {
            retry_after_secs: Some(3),
        },
        1,
    );
    running.sim.inject_fault(
        routes::USERS,
        None,
        Fault::RateLimit {
            retry_after_secs: None,
        },
        1,
    );
    let first = get(&http, &running, &t, routes::USERS).await;
    assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.headers()["retry-after"], "3");
    let second = get(&http, &running, &t, routes::USERS).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(second.headers().get("retry-after").is_none());
    assert_eq!(
        get(&http, &running, &t, routes::USERS).await.status(),
        StatusCode::OK
    );

    running
        .sim
        .inject_fault(ANY_ROUTE, None, Fault::Status(503), 1);
    assert_eq!(
        get(&http, &running, &t, routes::ROLES).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    running.sim.inject_fault(ANY_ROUTE, None, Fault::Drop, 1);
    assert!(
        http.get(format!("{}{}", running.base_url, routes::ROLES))
            .bearer_auth(&t)
            .send()
            .await
            .is_err(),
        "a dropped connection must not produce a response"
    );
    assert_eq!(
        get(&http, &running, &t, routes::ROLES).await.status(),
        StatusCode::OK
    );
    running.shutdown().await;
}

#[tokio::test]
async fn calls_are_counted_per_template_including_absent_routes() {
    let running = start(SimConfig::default()).await;
    let ann = running.sim.seed_user("ann@example.com", "Ann", "Lee");
    let http = Client::new();
    let t = token(&http, &running).await;
    post(&http, &running, &t, &routes::deactivate(&ann.user_id)).await;
    post(&http, &running, &t, &routes::deactivate("other")).await;
    let create = post(&http, &running, &t, routes::USERS).await;
    assert_eq!(create.status(), StatusCode::METHOD_NOT_ALLOWED);
    let delete = http
        .delete(format!(
            "{}{}",
            running.base_url,
            routes::user(&ann.user_id)
        ))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::METHOD_NOT_ALLOWED);

    let sim = &running.sim;
    assert_eq!(sim.call_count("POST", routes::TOKEN), 1);
    assert_eq!(sim.call_count("POST", DEACTIVATE), 2);
    assert_eq!(sim.call_count("POST", routes::USERS), 1);
    assert_eq!(sim.call_count("DELETE", incydr::sim::USER), 1);
    assert_eq!(sim.call_count("PUT", USER_ROLES), 0);
    assert_eq!(sim.total_calls(), 5);
    sim.reset_counts();
    assert_eq!(sim.total_calls(), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn http_controls_seed_add_later_hold_grant_fault_and_count() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let base = running.base_url.clone();
    let seeded: serde_json::Value = http
        .post(format!("{base}/_sim/users"))
        .json(&json!({ "users": [{ "username": "ann@example.com", "firstName": "Ann" }] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seeded["created"], 1);
    let t = token(&http, &running).await;
    let before: UsersPage = get(&http, &running, &t, routes::USERS)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before.total_count, 1);

    // Incydr's own provisioning adds a user later; the next listing shows it.
    let added: serde_json::Value = http
        .post(format!("{base}/_sim/users"))
        .json(&json!({ "users": [{ "username": "late@example.com", "active": true }] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let late_id = added["users"][0]["userId"].as_str().unwrap().to_owned();
    let found: UsersPage = get(&http, &running, &t, "/v1/users?username=late%40example.com")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found.users[0].user_id, late_id);

    let granted = http
        .post(format!("{base}/_sim/users/{late_id}/roles"))
        .json(&json!({ "roleIds": ["cloud-admin"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), StatusCode::OK);
    let roles: serde_json::Value = http
        .get(format!("{base}/_sim/users/{late_id}/roles"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(roles["roleIds"], json!(["cloud-admin"]));

    let hold = http
        .put(format!("{base}/_sim/users/{late_id}/legal-hold"))
        .json(&json!({ "held": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(hold.status(), StatusCode::OK);
    let refused = post(&http, &running, &t, &routes::deactivate(&late_id)).await;
    assert!(refused.text().await.unwrap().contains(ACTIVE_LEGAL_HOLD));

    let armed = http
        .post(format!("{base}/_sim/faults"))
        .json(&json!({ "route": "/v1/users", "fault": { "rate_limit": {} } }))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), StatusCode::CREATED);
    assert_eq!(
        get(&http, &running, &t, routes::USERS).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let counts: serde_json::Value = http
        .get(format!("{base}/_sim/calls"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts["routes"]["GET /v1/users"], 3);
    // Token, three listings (one throttled) and the refused deactivation; controls are not counted.
    assert_eq!(counts["total"], 5);

    let revoked = http
        .delete(format!("{base}/_sim/tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(
        get(&http, &running, &t, routes::USERS).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let reset = http
        .post(format!("{base}/_sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(running.sim.total_calls(), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn controls_can_be_disabled() {
    let running = start(SimConfig {
        controls_enabled: false,
        ..SimConfig::default()
    })
    .await;
    let answer = Client::new()
        .get(format!("{}/_sim/calls", running.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    assert_eq!(running.sim.total_calls(), 0);
    running.shutdown().await;
}

#[tokio::test]
async fn move_changes_the_org_and_refuses_unknown_orgs_and_bad_bodies() {
    let running = start(SimConfig::default()).await;
    let ann = running.sim.seed_user("ann@example.com", "Ann", "Lee");
    let target = running.sim.org_guids()[1].clone();
    let http = Client::new();
    let t = token(&http, &running).await;
    let url = format!("{}/v1/users/{}/move", running.base_url, ann.user_id);
    let send = |body: serde_json::Value| http.post(&url).bearer_auth(&t).json(&body).send();
    let moved = send(json!({ "orgGuid": target })).await.unwrap();
    assert_eq!(moved.status(), StatusCode::OK);
    assert!(moved.bytes().await.unwrap().is_empty());
    assert_eq!(
        running.sim.user(&ann.user_id).unwrap().org_guid,
        Some(target)
    );
    let unknown = send(json!({ "orgGuid": "nope" })).await.unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let malformed = send(json!({ "org": 1 })).await.unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    running.shutdown().await;
}
