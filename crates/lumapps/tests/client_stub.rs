//! The client's HTTP behaviour against small hand-written stubs on 127.0.0.1: the token request
//! (Basic, form body, impersonated admin), one refresh after a 401, one token for concurrent
//! callers, cursor paging across an empty `more: true` page, a get-then-save that keeps unknown
//! fields, both error shapes with the call id, 429 and 5xx handling, and the secret kept out of
//! every error. Each test builds only the routes it needs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use base64::Engine;
use lumapps::client::DeleteOutcome;
use lumapps::model::{Feed, User};
use lumapps::{ClientConfig, LumAppsClient, LumAppsError};
use secrecy::SecretString;
use serde_json::{Value, json};

const SECRET: &str = "s3cr3t-VALUE";
const TOKEN_PATH: &str = "/v2/organizations/org-1/application-token";
const V1: &str = "/_ah/api/lumsites/v1";

type Params = Query<HashMap<String, String>>;

fn basic() -> String {
    let raw = format!("app-1:{SECRET}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn header_of(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// What the token endpoint saw.
#[derive(Default)]
struct Tokens {
    issued: AtomicU32,
    /// (Authorization, Content-Type, body) of each request.
    requests: Mutex<Vec<(String, String, String)>>,
}

/// A token endpoint issuing `t1`, `t2`, … after `delay`, to the right Basic credentials only.
fn token_route(tokens: Arc<Tokens>, delay: Duration) -> Router {
    token_route_lasting(tokens, delay, 3600)
}

/// [`token_route`] with tokens that live `expires_in` seconds.
fn token_route_lasting(tokens: Arc<Tokens>, delay: Duration, expires_in: u64) -> Router {
    Router::new().route(
        TOKEN_PATH,
        post(move |headers: HeaderMap, body: String| {
            let tokens = tokens.clone();
            async move {
                let auth = header_of(&headers, "authorization");
                tokens.requests.lock().unwrap().push((
                    auth.clone(),
                    header_of(&headers, "content-type"),
                    body,
                ));
                if auth != basic() {
                    return (StatusCode::UNAUTHORIZED, "bad client").into_response();
                }
                tokio::time::sleep(delay).await;
                let n = tokens.issued.fetch_add(1, Ordering::SeqCst) + 1;
                axum::Json(json!({"access_token": format!("t{n}"), "token_type": "Bearer", "expires_in": expires_in}))
                    .into_response()
            }
        }),
    )
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn config(base: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        base,
        "org-1",
        "app-1",
        SecretString::from(SECRET),
        "admin@x.io",
    );
    cfg.retry_base_delay = Duration::from_millis(20);
    cfg.max_rate_limit_wait = Duration::from_secs(5);
    cfg
}

/// A client against `api` plus a token endpoint; returns the token counters too.
async fn start(api: Router) -> (LumAppsClient, Arc<Tokens>) {
    let tokens = Arc::new(Tokens::default());
    let base = serve(api.merge(token_route(tokens.clone(), Duration::from_millis(50)))).await;
    (LumAppsClient::new(config(&base)).unwrap(), tokens)
}

fn ann() -> Value {
    json!({
        "id": "5629499534213120", "uid": "5629499534213120", "email": "ann@x.io",
        "firstName": "Ann", "lastName": "Lee", "fullName": "Ann Lee", "status": "enabled",
        "accountType": "external", "synchronized": false, "isSuperAdmin": false,
        "isHidden": false, "instancesSuperAdmin": ["6050"], "customer": "org-1",
        "customProfile": {"department": {"en": "Ops", "fr": "Exploitation"}, "badge": 1234},
        "createdAt": "2026-01-02T03:04:05.678Z", "apiProfile": {"thumbnailPhotoUrl": null},
        "subscriptions": [{"feed": "77", "at": 1}]
    })
}

#[tokio::test]
async fn the_token_request_is_basic_with_the_form_and_calls_carry_the_token() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let api = Router::new().route(
        &format!("{V1}/user/get"),
        get({
            let seen = seen.clone();
            move |headers: HeaderMap| async move {
                seen.lock().unwrap().push((
                    header_of(&headers, "authorization"),
                    header_of(&headers, "x-lumapps-analytics"),
                ));
                axum::Json(ann())
            }
        }),
    );
    let (client, tokens) = start(api).await;
    assert!(client.token_obtained_at().is_none());
    assert_eq!(
        client.user("5629499534213120").await.unwrap().email,
        "ann@x.io"
    );

    let requests = tokens.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let (auth, content_type, body) = &requests[0];
    assert_eq!(auth, &basic());
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    let form: HashMap<String, String> = serde_urlencoded::from_str(body).unwrap();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["user_email"], "admin@x.io");
    assert_eq!(form.len(), 2, "{body}");

    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [("Bearer t1".to_owned(), "off".to_owned())]
    );
    assert!(client.token_obtained_at().is_some());
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_a_second_401_is_unauthorized() {
    let calls = Arc::new(AtomicU32::new(0));
    let api = Router::new().route(
        &format!("{V1}/user/get"),
        get({
            let calls = calls.clone();
            move |headers: HeaderMap, Query(q): Params| async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let revoked = header_of(&headers, "authorization") == "Bearer t1";
                if q["uid"] == "never" || revoked {
                    return (
                        StatusCode::UNAUTHORIZED,
                        axum::Json(
                            json!({"errors":[{"code":"UNAUTHORIZED","detail":"token expired"}]}),
                        ),
                    )
                        .into_response();
                }
                axum::Json(ann()).into_response()
            }
        }),
    );
    let (client, tokens) = start(api).await;
    client.user("5629499534213120").await.unwrap();
    assert_eq!(tokens.issued.load(Ordering::SeqCst), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    match client.user("never").await {
        Err(LumAppsError::Unauthorized {
            client_id,
            admin_email,
            status,
            message,
            ..
        }) => {
            assert_eq!((client_id.as_str(), status), ("app-1", 401));
            assert_eq!(message, "token expired");
            assert_eq!(admin_email, "admin@x.io");
        }
        other => panic!("{other:?}"),
    }
    // One refresh and one more attempt, no more.
    assert_eq!(tokens.issued.load(Ordering::SeqCst), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_token_is_refreshed_before_it_expires() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let api = Router::new().route(
        &format!("{V1}/user/get"),
        get({
            let seen = seen.clone();
            move |headers: HeaderMap| async move {
                seen.lock()
                    .unwrap()
                    .push(header_of(&headers, "authorization"));
                axum::Json(ann())
            }
        }),
    );
    let tokens = Arc::new(Tokens::default());
    // A 2 s token is refreshed a fifth of its lifetime early, at 1.6 s.
    let base = serve(api.merge(token_route_lasting(tokens.clone(), Duration::ZERO, 2))).await;
    let client = LumAppsClient::new(config(&base)).unwrap();
    client.user("1").await.unwrap();
    client.user("1").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert!(client.token_obtained_at().is_none(), "the token is due");
    client.user("1").await.unwrap();
    assert_eq!(tokens.issued.load(Ordering::SeqCst), 2);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["Bearer t1", "Bearer t1", "Bearer t2"]
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_token_fetch() {
    let api = Router::new().route(
        &format!("{V1}/user/get"),
        get(|| async { axum::Json(ann()) }),
    );
    let (client, tokens) = start(api).await;
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.user("5629499534213120").await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(tokens.issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn paging_follows_cursors_across_an_empty_more_page() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let api = Router::new().route(
        &format!("{V1}/user/list"),
        get({
            let seen = seen.clone();
            move |Query(q): Params| async move {
                seen.lock().unwrap().push(q.clone());
                let page = match q.get("cursor").map(String::as_str) {
                    None => json!({"items": [{"id": "1", "email": "a@x.io"}, {"id": "2", "email": "b@x.io"}],
                                    "more": true, "cursor": "c1", "callId": "k1"}),
                    Some("c1") => json!({"items": [], "more": true, "cursor": "c2"}),
                    Some("c2") => json!({"items": [{"id": "3", "email": "c@x.io"}], "more": false}),
                    Some(other) => panic!("unexpected cursor {other}"),
                };
                axum::Json(page)
            }
        }),
    );
    let tokens = Arc::new(Tokens::default());
    let base = serve(api.merge(token_route(tokens, Duration::ZERO))).await;
    let mut cfg = config(&base);
    cfg.page_size = 2;
    let client = LumAppsClient::new(cfg).unwrap();

    let users = client.list_users().await.unwrap();
    let emails: Vec<_> = users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["a@x.io", "b@x.io", "c@x.io"]);
    let seen = seen.lock().unwrap();
    let cursors: Vec<_> = seen.iter().map(|q| q.get("cursor").cloned()).collect();
    assert_eq!(cursors, [None, Some("c1".into()), Some("c2".into())]);
    assert!(
        seen.iter()
            .all(|q| q["maxResults"] == "2" && q["showHidden"] == "true")
    );
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_list() {
    let calls = Arc::new(AtomicU32::new(0));
    let api = Router::new().route(
        &format!("{V1}/feed/list"),
        get({
            let calls = calls.clone();
            move || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                axum::Json(json!({"items": [{"uid": "77", "name": "Ops"}], "more": true, "cursor": "same"}))
            }
        }),
    );
    let (client, _) = start(api).await;
    let feeds = client.list_feeds().await.unwrap();
    assert_eq!(feeds.len(), 1, "the repeated feed is reported once");
    assert_eq!(feeds[0].name.as_deref(), Some("Ops"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_page_with_more_but_no_cursor_fails_rather_than_pass_for_complete() {
    let api = Router::new()
        .route(
            &format!("{V1}/user/list"),
            get(|| async {
                axum::Json(json!({"items": [{"id": "1", "email": "a@x.io"}], "more": true, "callId": "k7"}))
            }),
        )
        .route(
            &format!("{V1}/user/get"),
            // A server that ignores the filter and answers the calling admin.
            get(|| async { axum::Json(json!({"id": "9", "email": "admin@x.io"})) }),
        );
    let (client, _) = start(api).await;
    match client.list_users().await {
        Err(e @ LumAppsError::Decode { .. }) => assert_eq!(e.call_id(), Some("k7")),
        other => panic!("{other:?}"),
    }
    match client.user_by_email("ann@x.io").await {
        Err(LumAppsError::Decode { detail, .. }) => {
            assert!(detail.contains("admin@x.io"), "{detail}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_get_then_save_sends_back_every_field_received() {
    let saved = Arc::new(Mutex::new(None));
    let api = Router::new()
        .route(
            &format!("{V1}/user/get"),
            get(|Query(q): Params| async move {
                assert_eq!(q["email"], "ann@x.io");
                axum::Json(ann())
            }),
        )
        .route(
            &format!("{V1}/user/save"),
            post({
                let saved = saved.clone();
                move |body: Bytes| async move {
                    let value: Value = serde_json::from_slice(&body).unwrap();
                    *saved.lock().unwrap() = Some(value.clone());
                    axum::Json(value)
                }
            }),
        );
    let (client, _) = start(api).await;
    let mut user = client.user_by_email("ann@x.io").await.unwrap().unwrap();
    user.first_name = Some("Annie".into());
    let stored = client.save_user(&user).await.unwrap();
    assert_eq!(stored.first_name.as_deref(), Some("Annie"));

    let mut expected = ann();
    expected["firstName"] = json!("Annie");
    assert_eq!(saved.lock().unwrap().clone().unwrap(), expected);
}

#[tokio::test]
async fn an_unknown_email_is_none_and_an_unknown_uid_not_found_with_the_call_id() {
    let api = Router::new().route(
        &format!("{V1}/user/get"),
        get(|| async {
            (
                StatusCode::NOT_FOUND,
                [("LumApps-Call-Id", "call-404")],
                axum::Json(json!({"errors":[{"code":"NOT_FOUND","detail":"Can't find user","title":"Not found","status":"404"}]})),
            )
        }),
    );
    let (client, _) = start(api).await;
    assert_eq!(client.user_by_email("nobody@x.io").await.unwrap(), None);
    match client.user("999").await {
        Err(e @ LumAppsError::NotFound { .. }) => {
            assert_eq!(e.call_id(), Some("call-404"));
            let text = e.to_string();
            assert!(
                text.contains("user 999") && text.contains("Can't find user"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn v1_refusals_become_conflict_and_forbidden_with_the_call_id() {
    let api = Router::new()
        .route(
            &format!("{V1}/user/save"),
            post(|body: Bytes| async move {
                let user: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(user["accountType"], "external");
                let (status, message) = match user["email"].as_str().unwrap() {
                    "dup@x.io" => (
                        StatusCode::BAD_REQUEST,
                        "A user with this email already exists",
                    ),
                    "quiet@x.io" => (StatusCode::BAD_REQUEST, "Invalid request"),
                    _ => (StatusCode::FORBIDDEN, "Only administrators can save users"),
                };
                let body = json!({"error": {"code": status.as_u16(), "message": message,
                    "errors": [{"domain": "global", "reason": "badRequest", "message": message}]},
                    "callId": "call-v1"});
                (status, axum::Json(body))
            }),
        )
        .route(
            &format!("{V1}/user/get"),
            get(|Query(q): Params| async move {
                // "quiet@x.io" exists although the refusal did not say so.
                let mut user = ann();
                user["email"] = json!(q["email"]);
                axum::Json(user)
            }),
        );
    let (client, _) = start(api).await;
    for email in ["dup@x.io", "quiet@x.io"] {
        match client
            .save_user(&User::new_external(email, "D", "Up"))
            .await
        {
            Err(e @ LumAppsError::Conflict { status: 400, .. }) => {
                assert_eq!(e.call_id(), Some("call-v1"));
                assert!(e.to_string().contains(email), "{e}");
            }
            other => panic!("{email}: {other:?}"),
        }
    }
    match client
        .save_user(&User::new_external("new@x.io", "N", "Ew"))
        .await
    {
        Err(e @ LumAppsError::Forbidden { .. }) => {
            assert_eq!(e.call_id(), Some("call-v1"));
            let text = e.to_string();
            assert!(
                text.contains("admin@x.io") && text.contains("Only administrators"),
                "{text}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_feed_create_refused_for_a_taken_name_is_a_conflict() {
    let api = Router::new()
        .route(
            &format!("{V1}/feed/save"),
            post(|body: Bytes| async move {
                let feed: Value = serde_json::from_slice(&body).unwrap();
                assert!(feed.get("uid").is_none() && feed.get("id").is_none());
                let body = json!({"error": {"code": 400, "message": "Invalid feed"}});
                (StatusCode::BAD_REQUEST, axum::Json(body))
            }),
        )
        .route(
            &format!("{V1}/feed/list"),
            get(|| async { axum::Json(json!({"items": [{"uid": "77", "name": "Ops"}]})) }),
        );
    let (client, _) = start(api).await;
    let taken = client.save_feed(&Feed::named("Ops")).await;
    assert!(
        matches!(taken, Err(LumAppsError::Conflict { status: 400, .. })),
        "{taken:?}"
    );
    // Names are compared case-sensitively: "ops" is free, so the refusal stands.
    let refused = client.save_feed(&Feed::named("ops")).await;
    assert!(
        matches!(refused, Err(LumAppsError::Rejected { status: 400, .. })),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_and_a_long_one_fails_at_once() {
    let calls = Arc::new(AtomicU32::new(0));
    let api = Router::new().route(
        &format!("{V1}/user/get"),
        get({
            let calls = calls.clone();
            move |Query(q): Params| async move {
                if q["uid"] == "slow" {
                    return (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, "120")],
                    )
                        .into_response();
                }
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")])
                        .into_response();
                }
                axum::Json(ann()).into_response()
            }
        }),
    );
    let (client, _) = start(api).await;
    client.authenticate().await.unwrap();
    let started = Instant::now();
    client.user("5629499534213120").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "came back before Retry-After"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let started = Instant::now();
    match client.user("slow").await {
        Err(LumAppsError::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Duration::from_secs(120));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "waited for nothing"
    );
}

#[tokio::test]
async fn a_500_is_retried_but_a_create_is_not_sent_twice() {
    let gets = Arc::new(AtomicU32::new(0));
    let saves = Arc::new(AtomicU32::new(0));
    let api = Router::new()
        .route(
            &format!("{V1}/user/get"),
            get({
                let gets = gets.clone();
                move || async move {
                    if gets.fetch_add(1, Ordering::SeqCst) < 2 {
                        return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
                    }
                    axum::Json(ann()).into_response()
                }
            }),
        )
        .route(
            &format!("{V1}/user/save"),
            post({
                let saves = saves.clone();
                move || async move {
                    saves.fetch_add(1, Ordering::SeqCst);
                    (StatusCode::BAD_GATEWAY, "upstream").into_response()
                }
            }),
        );
    let (client, _) = start(api).await;
    assert_eq!(client.user("1").await.unwrap().email, "ann@x.io");
    assert_eq!(gets.load(Ordering::SeqCst), 3);

    match client
        .save_user(&User::new_external("b@x.io", "B", "C"))
        .await
    {
        Err(e @ LumAppsError::Server { status: 502, .. }) => assert!(e.is_transient()),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        saves.load(Ordering::SeqCst),
        1,
        "a create may have happened"
    );
}

#[tokio::test]
async fn the_secret_and_the_token_never_show_in_an_error() {
    let api = Router::new().route(
        &format!("{V1}/user/get"),
        get(|headers: HeaderMap| async move {
            let echo = header_of(&headers, "authorization");
            (StatusCode::BAD_REQUEST, format!("bad header {echo}"))
        }),
    );
    let tokens = Arc::new(Tokens::default());
    let base = serve(api.merge(token_route(tokens, Duration::ZERO))).await;

    // An API refusal echoing the bearer token.
    let client = LumAppsClient::new(config(&base)).unwrap();
    let e = client.user("1").await.unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(
        matches!(e, LumAppsError::Rejected { status: 400, .. }),
        "{shown}"
    );
    assert!(
        shown.contains("[redacted]") && !shown.contains("Bearer t1"),
        "{shown}"
    );

    // A token endpoint echoing the secret and the Basic header it was sent.
    let echo = Router::new().route(
        TOKEN_PATH,
        post(|headers: HeaderMap| async move {
            let auth = header_of(&headers, "authorization");
            (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({"error": "invalid_client",
                    "error_description": format!("{auth} / {SECRET} is not valid")})),
            )
        }),
    );
    let client = LumAppsClient::new(config(&serve(echo).await)).unwrap();
    let e = client.authenticate().await.unwrap_err();
    let shown = format!("{e} {e:?} {client:?}");
    assert!(
        matches!(e, LumAppsError::Unauthorized { status: 401, .. }),
        "{shown}"
    );
    assert!(shown.contains("app-1"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(
        !shown.contains(basic().trim_start_matches("Basic ")),
        "{shown}"
    );
}

#[tokio::test]
async fn deletions_memberships_and_feeds() {
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let record = |bodies: Arc<Mutex<Vec<(String, Value)>>>, name: &'static str, answer: Value| {
        move |body: Bytes| async move {
            bodies
                .lock()
                .unwrap()
                .push((name.to_owned(), serde_json::from_slice(&body).unwrap()));
            axum::Json(answer)
        }
    };
    let deleted_feeds = Arc::new(Mutex::new(Vec::new()));
    let api = Router::new()
        .route(
            &format!("{V1}/user/deleteMulti"),
            post(record(
                bodies.clone(),
                "deleteMulti",
                json!({"uid": ["1", "2", "3"], "errors": [{"uid": "2", "reason": "NOT_FOUND"},
                                                          {"uid": "3", "reason": "forbidden"}]}),
            )),
        )
        .route(
            &format!("{V1}/feed/subscribers/save"),
            post(record(bodies.clone(), "subscribers", json!({}))),
        )
        .route(
            &format!("{V1}/feed/delete"),
            delete({
                let deleted_feeds = deleted_feeds.clone();
                move |Query(q): Params| async move {
                    deleted_feeds.lock().unwrap().push(q["uid"].clone());
                    axum::Json(json!({}))
                }
            }),
        )
        .route(
            &format!("{V1}/user/list"),
            get(|Query(q): Params| async move {
                assert_eq!(q["feeds"], "77");
                axum::Json(json!({"items": [{"id": "1", "email": "a@x.io"}], "more": false}))
            }),
        );
    let (client, _) = start(api).await;

    let uids: Vec<String> = ["1", "2", "3"].map(String::from).to_vec();
    let outcomes = client.delete_users(&uids).await.unwrap();
    assert_eq!(outcomes[0].outcome, DeleteOutcome::Deleted);
    assert!(matches!(
        outcomes[1].outcome,
        DeleteOutcome::NotFound { .. }
    ));
    assert_eq!(
        outcomes[2].outcome,
        DeleteOutcome::Failed {
            reason: "forbidden".into()
        }
    );
    client
        .save_subscribers("77", &["a@x.io".into()], &["9".into()])
        .await
        .unwrap();
    // Nothing to change, no call.
    client.save_subscribers("77", &[], &[]).await.unwrap();
    client.delete_feed("77").await.unwrap();
    let members = client.feed_members("77").await.unwrap();
    assert_eq!(members[0].email, "a@x.io");

    assert_eq!(
        bodies.lock().unwrap().as_slice(),
        [
            ("deleteMulti".to_owned(), json!({"uid": ["1", "2", "3"]})),
            (
                "subscribers".to_owned(),
                json!({"feed": "77", "addedUsers": ["a@x.io"], "removedUsers": ["9"]})
            ),
        ]
    );
    assert_eq!(deleted_feeds.lock().unwrap().as_slice(), ["77"]);
}
