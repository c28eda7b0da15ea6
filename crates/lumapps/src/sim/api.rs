//! The simulated LumApps HTTP routes: the v2 application-token endpoint and the v1 user and
//! feed calls.
//!
//! Handlers see only requests the gateway let through (counted, possibly delayed, and for v1
//! authenticated, with the impersonated user as [`Caller`]). Query strings are read as lists of
//! pairs because `types`, `feeds` and `ids` repeat; unknown parameters (`fields`, `lang`, …)
//! are ignored. Bodies must be JSON objects, or the call is a 400.

use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, RawQuery, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::{Value, json};

use super::Simulator;
use super::auth::basic_credentials;
use super::directory::{ACCOUNT_TYPES, Object, SimError, UserFilter};
use super::gateway::{Caller, gateway};
use super::paging::{Cursor, page, page_size};
use super::reply::{CallId, error_for, ok, v1_error, v2_error};
use super::templates::{
    FEED_DELETE, FEED_GET, FEED_LIST, FEED_SAVE, FEED_SUBSCRIBERS_SAVE, TOKEN, USER_DELETE_MULTI,
    USER_GET, USER_LIST, USER_SAVE, token_org,
};
use sim_support::locks::{lock, read, write};

pub(crate) fn router(sim: &Simulator) -> Router {
    Router::new()
        .route(TOKEN, post(token))
        .route(USER_LIST, get(user_list))
        .route(USER_GET, get(user_get))
        .route(USER_SAVE, post(user_save))
        .route(USER_DELETE_MULTI, post(user_delete_multi))
        .route(FEED_LIST, get(feed_list))
        .route(FEED_GET, get(feed_get))
        .route(FEED_SAVE, post(feed_save))
        .route(FEED_DELETE, get(feed_delete).delete(feed_delete))
        .route(FEED_SUBSCRIBERS_SAVE, post(feed_subscribers_save))
        .fallback(|uri: Uri| async move {
            error_for(
                uri.path(),
                StatusCode::NOT_FOUND,
                format!("Not Found: {}", uri.path()),
            )
        })
        .method_not_allowed_fallback(|uri: Uri| async move {
            error_for(
                uri.path(),
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
            )
        })
        .layer(from_fn_with_state(sim.clone(), gateway))
        .with_state(sim.clone())
}

fn sim_error(err: &SimError) -> Response {
    let status = match err {
        SimError::UnknownUser(_) | SimError::UnknownFeed(_) => StatusCode::NOT_FOUND,
        SimError::DuplicateEmail(_) | SimError::DuplicateFeedName(_) | SimError::Invalid(_) => {
            StatusCode::BAD_REQUEST
        }
    };
    v1_error(status, err.to_string())
}

/// Why a request is a 400: the message of its v1 error.
struct BadRequest(String);

impl BadRequest {
    fn answer(self) -> Response {
        v1_error(StatusCode::BAD_REQUEST, self.0)
    }
}

fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, BadRequest> {
    serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|e| BadRequest(format!("Malformed query: {e}")))
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn all(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

fn object_body(body: &[u8]) -> Result<Object, BadRequest> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(BadRequest(
            "Malformed body: a JSON object is required".to_owned(),
        )),
    }
}

/// A listing page as v1 answers it: `{items, more, cursor, callId}` (no cursor on the last).
fn listing(
    sim: &Simulator,
    items: &[Object],
    query: &[(String, String)],
    call_id: &CallId,
) -> Response {
    let size = match page_size(first(query, "maxResults"), sim.inner.config.page_cap) {
        Ok(size) => size,
        Err(message) => return v1_error(StatusCode::BAD_REQUEST, message),
    };
    let cursor = match first(query, "cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => match Cursor::decode(raw) {
            Some(cursor) => Some(cursor),
            None => return v1_error(StatusCode::BAD_REQUEST, format!("Invalid cursor '{raw}'")),
        },
    };
    let edge = sim.empty_page_before_next();
    let page = page(items, cursor, size, edge);
    let mut body = json!({ "items": page.items, "more": page.more, "callId": call_id.0 });
    if let Some(cursor) = page.cursor {
        body["cursor"] = Value::String(cursor);
    }
    ok(body)
}

async fn token(
    State(sim): State<Simulator>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = &sim.inner.config;
    if token_org(uri.path()) != Some(config.org_id.as_str()) {
        return v2_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Can't find the organization",
        );
    }
    let credentials = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(basic_credentials);
    let valid = credentials
        .is_some_and(|(id, secret)| id == config.client_id && secret == config.client_secret);
    if !valid {
        return v2_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Invalid client credentials",
        );
    }
    let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return v2_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Malformed form body",
        );
    };
    if first(&form, "grant_type") != Some("client_credentials") {
        return v2_error(
            StatusCode::BAD_REQUEST,
            "UNSUPPORTED_GRANT_TYPE",
            "grant_type must be client_credentials",
        );
    }
    let user_id = {
        let directory = read(&sim.inner.directory);
        let user = match (first(&form, "user_email"), first(&form, "user_id")) {
            (Some(email), _) => directory.user_by_email(email),
            (None, Some(id)) => directory.user(id),
            (None, None) => {
                return v2_error(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "user_email (or user_id) is required",
                );
            }
        };
        match user {
            Some(u) if u.get("status") == Some(&Value::from("enabled")) => u
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            _ => {
                return v2_error(
                    StatusCode::UNAUTHORIZED,
                    "UNAUTHORIZED",
                    "The user to impersonate is unknown or disabled",
                );
            }
        }
    };
    let (access_token, expires_in) = lock(&sim.inner.tokens).issue(&user_id, Instant::now());
    ok(json!({
        "access_token": access_token,
        "expires_in": expires_in,
        "token_type": "Bearer",
    }))
}

fn user_filter(query: &[(String, String)]) -> Result<UserFilter, BadRequest> {
    let status = first(query, "status").map(str::to_owned);
    if let Some(s) = status
        .as_deref()
        .filter(|s| *s != "enabled" && *s != "disabled")
    {
        return Err(BadRequest(format!(
            "Invalid status '{s}': enabled or disabled"
        )));
    }
    let types = all(query, "types");
    if let Some(t) = types.iter().find(|t| !ACCOUNT_TYPES.contains(&t.as_str())) {
        return Err(BadRequest(format!("Invalid types value '{t}'")));
    }
    let show_hidden = match first(query, "showHidden") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(BadRequest(format!("Invalid showHidden '{other}'"))),
    };
    Ok(UserFilter {
        status,
        types,
        feeds: all(query, "feeds"),
        email: first(query, "email").map(str::to_owned),
        ids: all(query, "ids"),
        show_hidden,
    })
}

async fn user_list(
    State(sim): State<Simulator>,
    Extension(call_id): Extension<CallId>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = match pairs(raw.as_deref()) {
        Ok(q) => q,
        Err(bad) => return bad.answer(),
    };
    let filter = match user_filter(&query) {
        Ok(f) => f,
        Err(bad) => return bad.answer(),
    };
    let users = read(&sim.inner.directory).list_users(&filter);
    listing(&sim, &users, &query, &call_id)
}

async fn user_get(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = match pairs(raw.as_deref()) {
        Ok(q) => q,
        Err(bad) => return bad.answer(),
    };
    let directory = read(&sim.inner.directory);
    let by_uid = first(&query, "uid").map(|uid| directory.user(uid));
    let by_email = first(&query, "email").map(|email| directory.user_by_email(email));
    let found = match (by_uid, by_email) {
        (None, None) => directory.user(&caller.user_id),
        (Some(a), Some(b)) if a != b => None,
        (Some(user), _) | (None, Some(user)) => user,
    };
    match found {
        Some(user) => ok(Value::Object(user.clone())),
        None => v1_error(StatusCode::NOT_FOUND, "User not found"),
    }
}

async fn user_save(State(sim): State<Simulator>, body: Bytes) -> Response {
    let body = match object_body(&body) {
        Ok(b) => b,
        Err(bad) => return bad.answer(),
    };
    let has_id = ["id", "uid"].iter().any(|k| {
        body.get(*k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    });
    let mut directory = write(&sim.inner.directory);
    let saved = if has_id {
        directory.replace_user(body, Utc::now())
    } else {
        directory.create_user(body, Utc::now())
    };
    match saved {
        Ok(user) => ok(Value::Object(user)),
        Err(err) => sim_error(&err),
    }
}

fn string_list(body: &Object, field: &str) -> Result<Vec<String>, BadRequest> {
    let wrong = || BadRequest(format!("'{field}' must be a list of strings"));
    match body.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(wrong),
        Some(_) => Err(wrong()),
    }
}

async fn user_delete_multi(State(sim): State<Simulator>, body: Bytes) -> Response {
    let uids = match object_body(&body).and_then(|b| string_list(&b, "uid")) {
        Ok(uids) => uids,
        Err(bad) => return bad.answer(),
    };
    let mut directory = write(&sim.inner.directory);
    let mut deleted = Vec::new();
    let mut errors = Vec::new();
    for uid in uids {
        if directory.delete_user(&uid) {
            deleted.push(uid);
        } else {
            errors.push(json!({ "uid": uid, "reason": "NOT_FOUND" }));
        }
    }
    ok(json!({ "uid": deleted, "errors": errors }))
}

async fn feed_list(
    State(sim): State<Simulator>,
    Extension(call_id): Extension<CallId>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = match pairs(raw.as_deref()) {
        Ok(q) => q,
        Err(bad) => return bad.answer(),
    };
    let feeds = read(&sim.inner.directory).feeds();
    listing(&sim, &feeds, &query, &call_id)
}

fn required_uid(raw: Option<&str>) -> Result<String, BadRequest> {
    let query = pairs(raw)?;
    first(&query, "uid")
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| BadRequest("Missing required parameter 'uid'".to_owned()))
}

async fn feed_get(State(sim): State<Simulator>, RawQuery(raw): RawQuery) -> Response {
    let uid = match required_uid(raw.as_deref()) {
        Ok(uid) => uid,
        Err(bad) => return bad.answer(),
    };
    match read(&sim.inner.directory).feed(&uid) {
        Some(feed) => ok(Value::Object(feed.clone())),
        None => sim_error(&SimError::UnknownFeed(uid)),
    }
}

async fn feed_save(State(sim): State<Simulator>, body: Bytes) -> Response {
    let body = match object_body(&body) {
        Ok(b) => b,
        Err(bad) => return bad.answer(),
    };
    match write(&sim.inner.directory).save_feed(body, Utc::now()) {
        Ok(feed) => ok(Value::Object(feed)),
        Err(err) => sim_error(&err),
    }
}

async fn feed_delete(State(sim): State<Simulator>, RawQuery(raw): RawQuery) -> Response {
    let uid = match required_uid(raw.as_deref()) {
        Ok(uid) => uid,
        Err(bad) => return bad.answer(),
    };
    match write(&sim.inner.directory).delete_feed(&uid) {
        Ok(()) => ok(json!({})),
        Err(err) => sim_error(&err),
    }
}

async fn feed_subscribers_save(State(sim): State<Simulator>, body: Bytes) -> Response {
    let body = match object_body(&body) {
        Ok(b) => b,
        Err(bad) => return bad.answer(),
    };
    let Some(feed) = body.get("feed").and_then(Value::as_str) else {
        return v1_error(StatusCode::BAD_REQUEST, "Missing required field 'feed'");
    };
    let (added, removed) = match (
        string_list(&body, "addedUsers"),
        string_list(&body, "removedUsers"),
    ) {
        (Ok(a), Ok(r)) => (a, r),
        (Err(bad), _) | (_, Err(bad)) => return bad.answer(),
    };
    match write(&sim.inner.directory).change_members(feed, &added, &removed) {
        Ok(()) => ok(json!({})),
        // Unknown users in the lists are a bad request, not a missing resource.
        Err(SimError::UnknownUser(who)) => v1_error(
            StatusCode::BAD_REQUEST,
            SimError::UnknownUser(who).to_string(),
        ),
        Err(err) => sim_error(&err),
    }
}
