//! The LumApps simulator over real HTTP on 127.0.0.1, driven with `reqwest` as a client would.

use std::net::SocketAddr;
use std::time::Duration;

use lumapps::sim::{
    CALL_ID_HEADER, FEED_DELETE, FEED_SUBSCRIBERS_SAVE, Fault, RunningSim, SimConfig, Simulator,
    TOKEN, USER_LIST, USER_SAVE, V1,
};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

async fn start(config: SimConfig) -> RunningSim {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Simulator::new(config).spawn(addr).await.unwrap()
}

async fn token_answer(http: &Client, running: &RunningSim, secret: &str, email: &str) -> Response {
    let config = running.sim.config();
    http.post(format!("{}{}", running.base_url, running.sim.token_path()))
        .basic_auth(&config.client_id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("user_email", email)])
        .send()
        .await
        .unwrap()
}

async fn token_for(http: &Client, running: &RunningSim, email: &str) -> String {
    let secret = running.sim.config().client_secret.clone();
    let answer = token_answer(http, running, &secret, email).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body: Value = answer.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn admin_token(http: &Client, running: &RunningSim) -> String {
    let admin = running.sim.config().admin_email.clone();
    token_for(http, running, &admin).await
}

async fn get(http: &Client, running: &RunningSim, token: &str, call: &str) -> Response {
    http.get(format!("{}{V1}/{call}", running.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn post(
    http: &Client,
    running: &RunningSim,
    token: &str,
    call: &str,
    body: Value,
) -> Response {
    http.post(format!("{}{V1}/{call}", running.base_url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn ok_json(answer: Response) -> Value {
    assert_eq!(answer.status(), StatusCode::OK, "{:?}", answer.url().path());
    answer.json().await.unwrap()
}

/// A v1 error answer: status, shape, and its call id header; returns the message.
async fn v1_error(answer: Response, status: StatusCode) -> String {
    assert_eq!(answer.status(), status);
    assert!(answer.headers().contains_key(CALL_ID_HEADER));
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"]["code"], status.as_u16());
    let detail = &body["error"]["errors"][0];
    assert_eq!(detail["domain"], "global");
    assert!(detail["reason"].is_string());
    assert_eq!(detail["message"], body["error"]["message"]);
    body["error"]["message"].as_str().unwrap().to_owned()
}

fn new_user(email: &str) -> Value {
    json!({"email": email, "firstName": "Ada", "lastName": "Lovelace", "accountType": "external"})
}

fn emails(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows the cursor to the end; returns every e-mail and the item count of each page.
async fn list_all(
    http: &Client,
    running: &RunningSim,
    token: &str,
    query: &str,
) -> (Vec<String>, Vec<usize>) {
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = format!("user/list?{query}");
        if let Some(c) = &cursor {
            call.push_str(&format!("&cursor={c}"));
        }
        let page = ok_json(get(http, running, token, &call).await).await;
        sizes.push(page["items"].as_array().unwrap().len());
        seen.extend(emails(&page));
        if page["more"] == json!(false) {
            assert!(page.get("cursor").is_none());
            return (seen, sizes);
        }
        cursor = Some(page["cursor"].as_str().unwrap().to_owned());
    }
}

#[tokio::test]
async fn tokens_impersonate_expire_and_are_refused_with_bad_credentials() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let config = running.sim.config().clone();

    let answer = token_answer(&http, &running, &config.client_secret, &config.admin_email).await;
    assert!(answer.headers().contains_key(CALL_ID_HEADER));
    let body = ok_json(answer).await;
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap().to_owned();
    // With neither email nor uid, user/get answers the impersonated user.
    let me = ok_json(get(&http, &running, &token, "user/get").await).await;
    assert_eq!(me["email"], config.admin_email.as_str());
    assert_eq!(me["isSuperAdmin"], true);

    // Bad secret and unknown user: 401 in the v2 shape.
    for answer in [
        token_answer(&http, &running, "wrong", &config.admin_email).await,
        token_answer(&http, &running, &config.client_secret, "nobody@x.example").await,
    ] {
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED");
        assert_eq!(body["errors"][0]["status"], "401");
        assert!(body["errors"][0]["detail"].is_string());
        assert!(body["errors"][0]["title"].is_string());
    }
    // user_id instead of user_email impersonates too.
    let admin_id = running.sim.user_by_email(&config.admin_email).unwrap()["id"].clone();
    let by_id = http
        .post(format!("{}{}", running.base_url, running.sim.token_path()))
        .basic_auth(&config.client_id, Some(&config.client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("user_id", admin_id.as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let by_id = ok_json(by_id).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = ok_json(get(&http, &running, &by_id, "user/get").await).await;
    assert_eq!(me["id"], admin_id);
    // Wrong grant type: 400; another organisation: 404.
    let answer = http
        .post(format!("{}{}", running.base_url, running.sim.token_path()))
        .basic_auth(&config.client_id, Some(&config.client_secret))
        .form(&[
            ("grant_type", "password"),
            ("user_email", &config.admin_email),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let answer = http
        .post(format!(
            "{}/v2/organizations/999/application-token",
            running.base_url
        ))
        .basic_auth(&config.client_id, Some(&config.client_secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("user_email", &config.admin_email),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);

    // No token, a garbage token: 401 in the v1 shape.
    let answer = http
        .get(format!("{}{USER_LIST}", running.base_url))
        .send()
        .await
        .unwrap();
    v1_error(answer, StatusCode::UNAUTHORIZED).await;
    v1_error(
        get(&http, &running, "garbage", "user/list").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // A short lifetime: the token dies at its expiry.
    running.sim.set_token_lifetime(Duration::from_secs(1));
    let short = admin_token(&http, &running).await;
    ok_json(get(&http, &running, &short, "user/list").await).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let message = v1_error(
        get(&http, &running, &short, "user/list").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert!(message.contains("expired"), "{message}");

    // Revocation kills the long-lived one too.
    ok_json(get(&http, &running, &token, "user/list").await).await;
    running.sim.revoke_all_tokens();
    v1_error(
        get(&http, &running, &token, "user/list").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

#[tokio::test]
async fn writes_need_a_super_admin_and_reads_do_not() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let plain = running
        .sim
        .seed_user(json!({"email": "plain@x.example"}))
        .unwrap();
    let token = token_for(&http, &running, "plain@x.example").await;

    ok_json(get(&http, &running, &token, "user/list").await).await;
    v1_error(
        post(
            &http,
            &running,
            &token,
            "user/save",
            new_user("new@x.example"),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    v1_error(
        post(
            &http,
            &running,
            &token,
            "user/deleteMulti",
            json!({"uid": [plain["id"]]}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    v1_error(
        post(&http, &running, &token, "feed/save", json!({"name": "F"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let feed = running.sim.seed_feed("Seeded", &[]).unwrap();
    let feed_uid = feed["uid"].as_str().unwrap().to_owned();
    v1_error(
        get(
            &http,
            &running,
            &token,
            &format!("feed/delete?uid={feed_uid}"),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    v1_error(
        post(
            &http,
            &running,
            &token,
            "feed/subscribers/save",
            json!({"feed": feed_uid, "addedUsers": ["plain@x.example"]}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(running.sim.user_by_email("new@x.example").is_none());
    assert_eq!(running.sim.feed_members(&feed_uid), Some(vec![]));
    assert_eq!(running.sim.users().len(), 2);

    // Promotion takes effect on the same token, demotion too.
    running
        .sim
        .set_super_admin("plain@x.example", true)
        .unwrap();
    ok_json(
        post(
            &http,
            &running,
            &token,
            "user/save",
            new_user("new@x.example"),
        )
        .await,
    )
    .await;
    // The token follows its user, not the e-mail it was asked for.
    let mut me = ok_json(get(&http, &running, &token, "user/get").await).await;
    me["email"] = json!("renamed@x.example");
    ok_json(post(&http, &running, &token, "user/save", me).await).await;
    let me = ok_json(get(&http, &running, &token, "user/get").await).await;
    assert_eq!(me["email"], "renamed@x.example");
    assert_eq!(me["id"], plain["id"]);
    running
        .sim
        .set_super_admin("renamed@x.example", false)
        .unwrap();
    v1_error(
        post(&http, &running, &token, "feed/save", json!({"name": "F"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

#[tokio::test]
async fn users_are_created_once_replaced_whole_and_looked_up() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let token = admin_token(&http, &running).await;

    let created = ok_json(
        post(
            &http,
            &running,
            &token,
            "user/save",
            json!({
                "email": "ada@x.example", "firstName": "Ada", "lastName": "Lovelace",
                "accountType": "external", "customField": {"team": "engines"}
            }),
        )
        .await,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["uid"], created["id"]);
    assert!(id.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(created["status"], "enabled");
    assert_eq!(created["fullName"], "Ada Lovelace");
    assert_eq!(created["isSuperAdmin"], false);
    assert_eq!(created["customField"]["team"], "engines");

    // The same e-mail in another case: 400, v1 shape.
    let message = v1_error(
        post(
            &http,
            &running,
            &token,
            "user/save",
            new_user("ADA@x.example"),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("already exists"), "{message}");
    // A create missing a required field.
    v1_error(
        post(
            &http,
            &running,
            &token,
            "user/save",
            json!({"email": "z@x.example", "firstName": "Z"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    // GET then SAVE the whole object: unknown fields survive a round trip...
    let mut fetched =
        ok_json(get(&http, &running, &token, "user/get?email=ADA@x.example").await).await;
    assert_eq!(fetched, created);
    fetched["status"] = json!("disabled");
    fetched["lastName"] = json!("King");
    let saved = ok_json(post(&http, &running, &token, "user/save", fetched.clone()).await).await;
    assert_eq!(saved["customField"]["team"], "engines");
    assert_eq!(saved["fullName"], "Ada King");
    assert_eq!(saved["createdAt"], created["createdAt"]);
    // ...and a field the client drops is lost.
    let mut dropped = saved.clone();
    dropped.as_object_mut().unwrap().remove("customField");
    dropped["status"] = json!("enabled");
    ok_json(post(&http, &running, &token, "user/save", dropped).await).await;
    let stored = running.sim.user(&id).unwrap();
    assert!(!stored.contains_key("customField"));
    assert_eq!(stored["status"], "enabled");

    // Lookups: by uid, by e-mail, 404s.
    let by_uid = ok_json(get(&http, &running, &token, &format!("user/get?uid={id}")).await).await;
    assert_eq!(by_uid["email"], "ada@x.example");
    v1_error(
        get(&http, &running, &token, "user/get?email=ghost@x.example").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    v1_error(
        get(&http, &running, &token, "user/get?uid=123").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    // An update of an id that does not exist.
    let mut ghost = new_user("ghost@x.example");
    ghost["id"] = json!("123");
    ghost["status"] = json!("enabled");
    v1_error(
        post(&http, &running, &token, "user/save", ghost).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn listings_page_with_a_cursor_up_to_the_cap_and_survive_the_empty_page() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let token = admin_token(&http, &running).await;
    for i in 0..130 {
        running
            .sim
            .seed_user(json!({"email": format!("u{i:03}@x.example")}))
            .unwrap();
    }
    let all: Vec<String> = running
        .sim
        .users()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), 131);

    let first = ok_json(get(&http, &running, &token, "user/list").await).await;
    assert_eq!(
        first["items"].as_array().unwrap().len(),
        30,
        "default page size"
    );
    assert_eq!(first["more"], true);
    assert!(first["callId"].is_string());

    // maxResults above the cap is served as the cap.
    let (seen, sizes) = list_all(&http, &running, &token, "maxResults=500").await;
    assert_eq!(seen, all);
    assert_eq!(sizes, vec![100, 31]);
    v1_error(
        get(&http, &running, &token, "user/list?maxResults=0").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    v1_error(
        get(&http, &running, &token, "user/list?cursor=%21%21").await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    // The edge case: one empty page with more: true before the real second page.
    running.sim.set_empty_page_before_next(true);
    let (seen, sizes) = list_all(&http, &running, &token, "maxResults=50").await;
    assert_eq!(seen, all);
    assert_eq!(sizes, vec![50, 0, 50, 31]);
}

#[tokio::test]
async fn the_empty_page_switch_is_also_a_config_and_a_control() {
    let config = SimConfig {
        empty_page_before_next: true,
        ..SimConfig::default()
    };
    let running = start(config).await;
    let http = Client::new();
    let token = admin_token(&http, &running).await;
    for i in 0..3 {
        running
            .sim
            .seed_user(json!({"email": format!("e{i}@x.example")}))
            .unwrap();
    }
    let (_, sizes) = list_all(&http, &running, &token, "maxResults=2").await;
    assert_eq!(sizes, vec![2, 0, 2]);
    let answer = http
        .put(format!("{}/_sim/paging", running.base_url))
        .json(&json!({"empty_page_before_next": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let (_, sizes) = list_all(&http, &running, &token, "maxResults=2").await;
    assert_eq!(sizes, vec![2, 2]);
}

#[tokio::test]
async fn list_filters_combine() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let token = admin_token(&http, &running).await;
    let sim = &running.sim;
    sim.seed_user(json!({"email": "g@x.example", "accountType": "google"}))
        .unwrap();
    sim.seed_user(
        json!({"email": "m@x.example", "accountType": "microsoft", "status": "disabled"}),
    )
    .unwrap();
    let okta = sim
        .seed_user(json!({"email": "o@x.example", "accountType": "okta"}))
        .unwrap();
    assert_eq!(okta["synchronized"], true);
    let ext = sim.seed_user(json!({"email": "e@x.example"})).unwrap();
    assert_eq!(ext["synchronized"], false);
    sim.seed_user(json!({"email": "h@x.example", "isHidden": true}))
        .unwrap();
    sim.seed_feed("Ops", &["o@x.example", "e@x.example"])
        .unwrap();
    let ops = sim.feeds()[0]["uid"].as_str().unwrap().to_owned();

    let list = |query: String| {
        let http = http.clone();
        let token = token.clone();
        let running = &running;
        async move {
            emails(&ok_json(get(&http, running, &token, &format!("user/list?{query}")).await).await)
        }
    };
    assert_eq!(list("status=disabled".into()).await, ["m@x.example"]);
    assert_eq!(
        list("types=google&types=okta".into()).await,
        ["g@x.example", "o@x.example"]
    );
    assert_eq!(
        list(format!("feeds={ops}")).await,
        ["o@x.example", "e@x.example"]
    );
    assert_eq!(
        list(format!("feeds={ops}&types=okta")).await,
        ["o@x.example"]
    );
    assert_eq!(list("email=G@X.example".into()).await, ["g@x.example"]);
    assert_eq!(
        list(format!("ids={}", ext["id"].as_str().unwrap())).await,
        ["e@x.example"]
    );
    assert_eq!(list("email=h@x.example".into()).await, Vec::<String>::new());
    assert_eq!(
        list("email=h@x.example&showHidden=true".into()).await,
        ["h@x.example"]
    );
    assert_eq!(list("feeds=404".into()).await, Vec::<String>::new());
    v1_error(
        get(&http, &running, &token, "user/list?status=gone").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    v1_error(
        get(&http, &running, &token, "user/list?types=ldap").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn delete_multi_reports_unknown_ids() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let token = admin_token(&http, &running).await;
    let user = running
        .sim
        .seed_user(json!({"email": "bye@x.example"}))
        .unwrap();
    let id = user["id"].as_str().unwrap().to_owned();
    running.sim.seed_feed("Leavers", &[&id]).unwrap();

    let body = ok_json(
        post(
            &http,
            &running,
            &token,
            "user/deleteMulti",
            json!({"uid": [id, "42"]}),
        )
        .await,
    )
    .await;
    assert_eq!(body["uid"], json!([id]));
    assert_eq!(
        body["errors"],
        json!([{"uid": "42", "reason": "NOT_FOUND"}])
    );
    assert!(running.sim.user(&id).is_none());
    let feed = running.sim.feeds()[0]["uid"].as_str().unwrap().to_owned();
    assert_eq!(running.sim.feed_members(&feed), Some(vec![]));
    v1_error(
        post(
            &http,
            &running,
            &token,
            "user/deleteMulti",
            json!({"uid": "not a list"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn feeds_are_created_renamed_filled_emptied_and_deleted() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let token = admin_token(&http, &running).await;
    let a = running
        .sim
        .seed_user(json!({"email": "a@x.example"}))
        .unwrap();
    let b = running
        .sim
        .seed_user(json!({"email": "b@x.example"}))
        .unwrap();
    let b_id = b["id"].as_str().unwrap().to_owned();

    let feed = ok_json(
        post(
            &http,
            &running,
            &token,
            "feed/save",
            json!({"name": "Engineering"}),
        )
        .await,
    )
    .await;
    let uid = feed["uid"].as_str().unwrap().to_owned();
    assert_eq!(feed["name"], "Engineering");
    // Names are unique case-sensitively.
    v1_error(
        post(
            &http,
            &running,
            &token,
            "feed/save",
            json!({"name": "Engineering"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let other = ok_json(
        post(
            &http,
            &running,
            &token,
            "feed/save",
            json!({"name": "engineering"}),
        )
        .await,
    )
    .await;
    // Rename, and a rename onto a taken name.
    let mut renamed = feed.clone();
    renamed["name"] = json!("R&D");
    let renamed = ok_json(post(&http, &running, &token, "feed/save", renamed).await).await;
    assert_eq!(renamed["uid"], feed["uid"]);
    let mut clash = other.clone();
    clash["name"] = json!("R&D");
    v1_error(
        post(&http, &running, &token, "feed/save", clash).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let fetched = ok_json(get(&http, &running, &token, &format!("feed/get?uid={uid}")).await).await;
    assert_eq!(fetched["name"], "R&D");
    let listed = ok_json(get(&http, &running, &token, "feed/list").await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(listed["more"], false);
    // feed/list pages with a cursor like user/list.
    running.sim.seed_feed("Third", &[]).unwrap();
    let first = ok_json(get(&http, &running, &token, "feed/list?maxResults=2").await).await;
    assert_eq!(first["items"][0]["name"], "R&D");
    assert_eq!(first["more"], true);
    let cursor = first["cursor"].as_str().unwrap();
    let rest = ok_json(
        get(
            &http,
            &running,
            &token,
            &format!("feed/list?maxResults=2&cursor={cursor}"),
        )
        .await,
    )
    .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["name"], "Third");
    assert_eq!(rest["more"], false);

    // Members by e-mail and by id; an unknown user refuses the whole batch.
    let add = json!({"feed": uid, "addedUsers": ["A@x.example", b_id], "removedUsers": []});
    assert_eq!(
        ok_json(post(&http, &running, &token, "feed/subscribers/save", add).await).await,
        json!({})
    );
    let members = |running: &RunningSim| running.sim.feed_members(&uid).unwrap();
    assert_eq!(
        members(&running),
        vec![a["id"].as_str().unwrap().to_owned(), b_id.clone()]
    );
    let listed =
        ok_json(get(&http, &running, &token, &format!("user/list?feeds={uid}")).await).await;
    assert_eq!(emails(&listed), ["a@x.example", "b@x.example"]);
    let bad = json!({"feed": uid, "addedUsers": [], "removedUsers": [b_id, "ghost@x.example"]});
    v1_error(
        post(&http, &running, &token, "feed/subscribers/save", bad).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(members(&running).len(), 2);
    let remove = json!({"feed": uid, "removedUsers": ["a@x.example", b_id]});
    ok_json(post(&http, &running, &token, "feed/subscribers/save", remove).await).await;
    assert!(members(&running).is_empty());

    // Delete (DELETE method), then it is gone.
    let answer = http
        .delete(format!("{}{FEED_DELETE}?uid={uid}", running.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok_json(answer).await, json!({}));
    v1_error(
        get(&http, &running, &token, &format!("feed/get?uid={uid}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    v1_error(
        get(&http, &running, &token, &format!("feed/delete?uid={uid}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(running.sim.call_count("DELETE", FEED_DELETE), 1);
    assert_eq!(running.sim.call_count("GET", FEED_DELETE), 1);
}

#[tokio::test]
async fn call_ids_are_on_every_answer_and_match_the_body() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let token = admin_token(&http, &running).await;
    let answer = get(&http, &running, &token, "user/list").await;
    let header = answer.headers()[CALL_ID_HEADER]
        .to_str()
        .unwrap()
        .to_owned();
    let body = ok_json(answer).await;
    assert_eq!(body["callId"], header.as_str());
    let again = get(&http, &running, &token, "user/list").await;
    assert_ne!(again.headers()[CALL_ID_HEADER].to_str().unwrap(), header);
    let missing = get(&http, &running, &token, "user/nothing").await;
    v1_error(missing, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn faults_answer_429_and_500_and_calls_are_counted() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let token = admin_token(&http, &running).await;
    assert_eq!(running.sim.call_count("POST", TOKEN), 1);
    running.sim.reset_counts();

    running.sim.inject_fault(
        USER_SAVE,
        Some("POST"),
        Fault::RateLimit {
            retry_after_secs: Some(7),
        },
        1,
    );
    running
        .sim
        .inject_fault(USER_SAVE, None, Fault::Status(500), 1);
    let limited = post(
        &http,
        &running,
        &token,
        "user/save",
        new_user("f@x.example"),
    )
    .await;
    assert_eq!(limited.headers()["retry-after"], "7");
    v1_error(limited, StatusCode::TOO_MANY_REQUESTS).await;
    v1_error(
        post(
            &http,
            &running,
            &token,
            "user/save",
            new_user("f@x.example"),
        )
        .await,
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .await;
    assert!(running.sim.user_by_email("f@x.example").is_none());
    ok_json(
        post(
            &http,
            &running,
            &token,
            "user/save",
            new_user("f@x.example"),
        )
        .await,
    )
    .await;
    assert_eq!(running.sim.call_count("POST", USER_SAVE), 3);

    // 429 without Retry-After, armed over HTTP on every v1 route; the token still works.
    let armed = http
        .post(format!("{}/_sim/faults", running.base_url))
        .json(&json!({"route": "*", "fault": {"rate_limit": {}}, "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), StatusCode::CREATED);
    admin_token(&http, &running).await;
    let limited = get(&http, &running, &token, "user/list").await;
    assert!(limited.headers().get("retry-after").is_none());
    v1_error(limited, StatusCode::TOO_MANY_REQUESTS).await;

    // A fault on the token endpoint is in the v2 shape.
    running.sim.inject_fault(TOKEN, None, Fault::Status(503), 1);
    let config = running.sim.config().clone();
    let answer = token_answer(&http, &running, &config.client_secret, &config.admin_email).await;
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["errors"][0]["status"], "503");

    // A delay holds the call, which then succeeds.
    running.sim.inject_fault(
        USER_LIST,
        Some("GET"),
        Fault::Delay(Duration::from_millis(300)),
        1,
    );
    let started = std::time::Instant::now();
    ok_json(get(&http, &running, &token, "user/list").await).await;
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A dropped connection is a transport error.
    running
        .sim
        .inject_fault(FEED_SUBSCRIBERS_SAVE, None, Fault::Drop, 1);
    let dropped = http
        .post(format!("{}{FEED_SUBSCRIBERS_SAVE}", running.base_url))
        .bearer_auth(&token)
        .json(&json!({"feed": "1"}))
        .send()
        .await;
    assert!(dropped.is_err());

    let counts: Value = http
        .get(format!("{}/_sim/calls", running.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts["routes"][format!("POST {USER_SAVE}")], 3);
    assert_eq!(counts["routes"][format!("GET {USER_LIST}")], 2);
    assert_eq!(counts["routes"][format!("POST {TOKEN}")], 2);
    assert_eq!(counts["routes"][format!("POST {FEED_SUBSCRIBERS_SAVE}")], 1);
    assert_eq!(counts["total"], 8);
    let reset = http
        .post(format!("{}/_sim/reset", running.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(running.sim.call_counts().total, 0);
}

#[tokio::test]
async fn http_controls_seed_users_feeds_admins_and_tokens() {
    let running = start(SimConfig::default()).await;
    let http = Client::new();
    let base = &running.base_url;
    let seeded = http
        .post(format!("{base}/_sim/users"))
        .json(&json!({"users": [
            {"email": "s@x.example", "accountType": "microsoft", "firstName": "S", "lastName": "T"},
            {"email": "t@x.example"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), StatusCode::CREATED);
    let dup = http
        .post(format!("{base}/_sim/users"))
        .json(&json!({"users": [{"email": "S@x.example"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let synced = running.sim.user_by_email("s@x.example").unwrap();
    assert_eq!(synced["synchronized"], true);
    assert_eq!(synced["accountType"], "microsoft");

    let feeds = http
        .post(format!("{base}/_sim/feeds"))
        .json(&json!({"feeds": [{"name": "Sales", "members": ["s@x.example"]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(feeds.status(), StatusCode::CREATED);
    let listed: Value = http
        .get(format!("{base}/_sim/feeds"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["feeds"][0]["feed"]["name"], "Sales");
    assert_eq!(listed["feeds"][0]["members"], json!([synced["id"]]));

    let token = token_for(&http, &running, "t@x.example").await;
    v1_error(
        post(&http, &running, &token, "feed/save", json!({"name": "X"})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let promoted = http
        .put(format!("{base}/_sim/users/t@x.example/admin"))
        .json(&json!({"isSuperAdmin": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status(), StatusCode::OK);
    ok_json(post(&http, &running, &token, "feed/save", json!({"name": "X"})).await).await;

    let lifetime = http
        .put(format!("{base}/_sim/tokens"))
        .json(&json!({"lifetime_secs": 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(lifetime.status(), StatusCode::OK);
    let short = token_answer(
        &http,
        &running,
        &running.sim.config().client_secret.clone(),
        "t@x.example",
    )
    .await;
    assert_eq!(ok_json(short).await["expires_in"], 60);
    let revoked = http
        .delete(format!("{base}/_sim/tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    v1_error(
        get(&http, &running, &token, "user/list").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // Controls are not counted.
    assert_eq!(running.sim.call_count("GET", "/_sim/feeds"), 0);
}
