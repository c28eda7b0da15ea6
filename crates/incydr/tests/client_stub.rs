//! The client's HTTP behaviour that unit tests cannot show, against a tiny stub on 127.0.0.1:
//! one token refresh and one retry after a 401, and 429s with and without `Retry-After`. The
//! full API is exercised against the simulator elsewhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use incydr::{ClientConfig, IncydrClient, IncydrError};
use secrecy::SecretString;
use serde_json::json;

#[derive(Default)]
struct Stub {
    tokens: AtomicU32,
    roles_calls: AtomicU32,
    throttled_calls: AtomicU32,
    paced_calls: AtomicU32,
}

fn bearer(headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn token(State(stub): State<Arc<Stub>>, headers: HeaderMap) -> Response {
    // Basic base64("key-1:s3cret").
    if bearer(&headers) != "Basic a2V5LTE6czNjcmV0" {
        return (StatusCode::UNAUTHORIZED, "bad client").into_response();
    }
    let n = stub.tokens.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(json!({"access_token": format!("t{n}"), "token_type": "bearer", "expires_in": 900}))
        .into_response()
}

/// The first token is revoked early: the catalogue refuses it.
async fn roles(State(stub): State<Arc<Stub>>, headers: HeaderMap) -> Response {
    stub.roles_calls.fetch_add(1, Ordering::SeqCst);
    if bearer(&headers) == "Bearer t1" {
        return (StatusCode::UNAUTHORIZED, "token revoked").into_response();
    }
    axum::Json(json!([{"roleId": "desktop-user", "roleName": "Desktop User"}])).into_response()
}

/// Every token is refused.
async fn always_unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, "no").into_response()
}

fn user(id: &str) -> Response {
    axum::Json(json!({"userId": id, "username": "ann@x.io", "active": true})).into_response()
}

/// One 429 that says when to come back.
async fn throttled_once(State(stub): State<Arc<Stub>>) -> Response {
    if stub.throttled_calls.fetch_add(1, Ordering::SeqCst) == 0 {
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response();
    }
    user("u1")
}

/// Two 429s that do not say.
async fn throttled_twice(State(stub): State<Arc<Stub>>) -> Response {
    if stub.paced_calls.fetch_add(1, Ordering::SeqCst) < 2 {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    user("u2")
}

async fn throttled_for_long() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "120")],
    )
        .into_response()
}

async fn start() -> (IncydrClient, Arc<Stub>) {
    let stub = Arc::new(Stub::default());
    let app = Router::new()
        .route("/v1/oauth", post(token))
        .route("/v1/users/roles", get(roles))
        .route("/v1/users/revoked", get(always_unauthorized))
        .route("/v1/users/u1", get(throttled_once))
        .route("/v1/users/u2", get(throttled_twice))
        .route("/v1/users/u3", get(throttled_for_long))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut cfg = ClientConfig::new(
        format!("http://{addr}"),
        "key-1",
        SecretString::from("s3cret"),
    );
    cfg.retry_base_delay = Duration::from_millis(20);
    cfg.max_rate_limit_wait = Duration::from_secs(5);
    (IncydrClient::new(cfg).unwrap(), stub)
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_and_retries_once() {
    let (client, stub) = start().await;
    let roles = client.roles().await.unwrap();
    assert_eq!(roles[0].role_id, "desktop-user");
    assert_eq!(stub.tokens.load(Ordering::SeqCst), 2);
    assert_eq!(stub.roles_calls.load(Ordering::SeqCst), 2);

    // A token refused again after the refresh is an authentication error, after one refresh.
    match client.user("revoked").await {
        Err(IncydrError::Authentication {
            client_id, status, ..
        }) => assert_eq!((client_id.as_str(), status), ("key-1", 401)),
        other => panic!("{other:?}"),
    }
    assert_eq!(stub.tokens.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn wrong_credentials_name_the_client_but_not_the_secret() {
    let (client, _stub) = start().await;
    let mut cfg = client.config().clone();
    cfg.client_secret = SecretString::from("wrong-secret");
    let err = IncydrClient::new(cfg)
        .unwrap()
        .authenticate()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(
        err,
        IncydrError::Authentication { status: 401, .. }
    ));
    assert!(
        text.contains("key-1") && !text.contains("wrong-secret"),
        "{text}"
    );
}

#[tokio::test]
async fn a_429_is_waited_out_with_or_without_retry_after() {
    let (client, stub) = start().await;
    let started = Instant::now();
    assert_eq!(client.user("u1").await.unwrap().user_id, "u1");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "came back before Retry-After"
    );
    assert_eq!(stub.throttled_calls.load(Ordering::SeqCst), 2);

    assert_eq!(client.user("u2").await.unwrap().user_id, "u2");
    assert_eq!(stub.paced_calls.load(Ordering::SeqCst), 3);

    // A wait beyond `max_rate_limit_wait` fails at once, carrying the wait.
    let started = Instant::now();
    match client.user("u3").await {
        Err(IncydrError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(120));
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}
