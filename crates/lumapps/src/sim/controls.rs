//! The `/_sim/` HTTP test controls: the programmatic controls of [`Simulator`] for tests and
//! demos that only have the simulator's URL (for instance a bridge started as a separate
//! process). Always served, unauthenticated by design, never counted as calls, and answered
//! with plain JSON (`{"error": "..."}` on failure) because no LumApps client reads them.
//!
//! * `POST /_sim/users {"users":[{"email", …}]}` seeds users (201; 409 on a taken e-mail),
//!   `GET /_sim/users` lists them; `PUT /_sim/users/{id or email}/admin {"isSuperAdmin"}`;
//! * `POST /_sim/feeds {"feeds":[{"name","members":[email|id]}]}`, `GET /_sim/feeds`;
//! * `POST /_sim/faults {"route","method"?,"fault","times"?}`, `DELETE /_sim/faults`;
//! * `GET /_sim/calls` (counts), `DELETE /_sim/calls` (zero them), `POST /_sim/reset`
//!   (zero the counts and disarm the faults);
//! * `PUT /_sim/tokens {"lifetime_secs"}`, `DELETE /_sim/tokens` (revoke all);
//! * `PUT /_sim/paging {"empty_page_before_next"}`.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use sim_support::controls::{self, Answer, failure, parse};

use super::Simulator;
use super::directory::SimError;
use super::faults::FaultSpec;

fn sim_failure(err: &SimError) -> Answer {
    let status = match err {
        SimError::UnknownUser(_) | SimError::UnknownFeed(_) => StatusCode::NOT_FOUND,
        SimError::DuplicateEmail(_) | SimError::DuplicateFeedName(_) => StatusCode::CONFLICT,
        SimError::Invalid(_) => StatusCode::BAD_REQUEST,
    };
    failure(status, err)
}

pub(crate) fn router(sim: &Simulator) -> Router {
    Router::new()
        .route("/_sim/users", post(seed_users).get(list_users))
        .route("/_sim/users/{key}/admin", put(set_admin))
        .route("/_sim/feeds", post(seed_feeds).get(list_feeds))
        .route("/_sim/faults", post(arm_fault).delete(clear_faults))
        .route("/_sim/calls", get(calls).delete(reset_calls))
        .route("/_sim/reset", post(reset))
        .route("/_sim/tokens", put(token_lifetime).delete(revoke_tokens))
        .route("/_sim/paging", put(paging))
        .with_state(sim.clone())
}

#[derive(Debug, Deserialize)]
struct SeedUsers {
    users: Vec<Value>,
}

/// `{"users":[{"email":…, …any user fields…}]}`: all or nothing per user, in order; the first
/// refusal (a duplicate e-mail: 409) stops the batch and reports how many were created.
async fn seed_users(State(sim): State<Simulator>, body: Bytes) -> Answer {
    let SeedUsers { users } = match parse(&body) {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let mut created = Vec::new();
    for user in users {
        match sim.seed_user(user) {
            Ok(u) => created.push(u),
            Err(err) => {
                let (status, Json(mut body)) = sim_failure(&err);
                body["created"] = json!(created);
                return (status, Json(body));
            }
        }
    }
    (StatusCode::CREATED, Json(json!({ "created": created })))
}

async fn list_users(State(sim): State<Simulator>) -> Answer {
    (StatusCode::OK, Json(json!({ "users": sim.users() })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Admin {
    is_super_admin: bool,
}

/// `PUT /_sim/users/{id or email}/admin {"isSuperAdmin": bool}`.
async fn set_admin(State(sim): State<Simulator>, Path(key): Path<String>, body: Bytes) -> Answer {
    match parse::<Admin>(&body) {
        Err(answer) => answer,
        Ok(Admin { is_super_admin }) => match sim.set_super_admin(&key, is_super_admin) {
            Ok(user) => (StatusCode::OK, Json(Value::Object(user))),
            Err(err) => sim_failure(&err),
        },
    }
}

#[derive(Debug, Deserialize)]
struct NewFeed {
    name: String,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct SeedFeeds {
    feeds: Vec<NewFeed>,
}

/// `{"feeds":[{"name":…, "members":[email|id]}]}`; stops at the first refusal.
async fn seed_feeds(State(sim): State<Simulator>, body: Bytes) -> Answer {
    let SeedFeeds { feeds } = match parse(&body) {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let mut created = Vec::new();
    for feed in feeds {
        let members: Vec<&str> = feed.members.iter().map(String::as_str).collect();
        match sim.seed_feed(&feed.name, &members) {
            Ok(f) => created.push(f),
            Err(err) => {
                let (status, Json(mut body)) = sim_failure(&err);
                body["created"] = json!(created);
                return (status, Json(body));
            }
        }
    }
    (StatusCode::CREATED, Json(json!({ "created": created })))
}

/// Every feed with its member ids.
async fn list_feeds(State(sim): State<Simulator>) -> Answer {
    let feeds: Vec<Value> = sim
        .feeds()
        .into_iter()
        .map(|feed| {
            let uid = feed["uid"].as_str().unwrap_or_default().to_owned();
            json!({ "feed": feed, "members": sim.feed_members(&uid).unwrap_or_default() })
        })
        .collect();
    (StatusCode::OK, Json(json!({ "feeds": feeds })))
}

/// `{"route": template|path|"*", "method"?: "POST", "fault": FaultSpec, "times"?: n}`.
async fn arm_fault(State(sim): State<Simulator>, body: Bytes) -> Answer {
    controls::arm_fault(parse(&body), |route, method, spec: FaultSpec, times| {
        sim.inject_fault(route, method, spec.into(), times);
    })
}

async fn clear_faults(State(sim): State<Simulator>) -> Answer {
    sim.clear_faults();
    (StatusCode::OK, Json(json!({ "cleared": true })))
}

async fn calls(State(sim): State<Simulator>) -> Answer {
    controls::calls(&sim.call_counts())
}

async fn reset_calls(State(sim): State<Simulator>) -> Answer {
    sim.reset_counts();
    (StatusCode::OK, Json(json!({ "reset": true })))
}

/// Zeroes the counters and disarms every fault: a clean slate between scenarios.
async fn reset(State(sim): State<Simulator>) -> Answer {
    sim.reset_counts();
    sim.clear_faults();
    (StatusCode::OK, Json(json!({ "reset": true })))
}

#[derive(Debug, Deserialize)]
struct Lifetime {
    lifetime_secs: u64,
}

async fn token_lifetime(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<Lifetime>(&body) {
        Err(answer) => answer,
        Ok(Lifetime { lifetime_secs }) => {
            sim.set_token_lifetime(Duration::from_secs(lifetime_secs));
            (
                StatusCode::OK,
                Json(json!({ "lifetime_secs": lifetime_secs })),
            )
        }
    }
}

async fn revoke_tokens(State(sim): State<Simulator>) -> Answer {
    sim.revoke_all_tokens();
    (StatusCode::OK, Json(json!({ "revoked": true })))
}

#[derive(Debug, Deserialize)]
struct Paging {
    empty_page_before_next: bool,
}

/// `{"empty_page_before_next": bool}`: the empty-page edge case on or off.
async fn paging(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<Paging>(&body) {
        Err(answer) => answer,
        Ok(Paging {
            empty_page_before_next,
        }) => {
            sim.set_empty_page_before_next(empty_page_before_next);
            (
                StatusCode::OK,
                Json(json!({ "empty_page_before_next": empty_page_before_next })),
            )
        }
    }
}
