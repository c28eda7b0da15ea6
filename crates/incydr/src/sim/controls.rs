//! The `/_sim/` HTTP test controls: the programmatic controls of [`Simulator`] for tests and
//! demos that only have the simulator's URL (for instance a bridge started as a separate
//! process). Served only when `SimConfig::controls_enabled`; unauthenticated by design, never
//! counted as calls, and answered with plain JSON (`{"error": "..."}` on failure) because no
//! Incydr client reads them.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use sim_support::controls::{self, Answer, failure, parse};

use super::Simulator;
use super::directory::{DirectoryError, NewUser};
use super::faults::FaultSpec;

fn directory_failure(err: &DirectoryError) -> Answer {
    let status = match err {
        DirectoryError::UnknownUser(_) => StatusCode::NOT_FOUND,
        DirectoryError::DuplicateUsername(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    failure(status, err)
}

pub(crate) fn router(sim: &Simulator) -> Router {
    Router::new()
        .route("/_sim/users", post(seed_users).get(list_users))
        .route(
            "/_sim/users/{userId}/roles",
            get(user_roles).post(grant_roles),
        )
        .route("/_sim/users/{userId}/legal-hold", put(legal_hold))
        .route("/_sim/users/{userId}/blocked", put(blocked))
        .route("/_sim/faults", post(arm_fault).delete(clear_faults))
        .route("/_sim/calls", get(calls))
        .route("/_sim/reset", post(reset))
        .route("/_sim/tokens", put(token_lifetime).delete(revoke_tokens))
        .route("/_sim/latency", put(latency))
        .with_state(sim.clone())
}

/// `{"users":[{"username","firstName","lastName","active"}]}` or `{"count":N,"domain":"x"}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SeedRequest {
    Listed { users: Vec<NewUser> },
    Bulk { count: usize, domain: String },
}

/// Adds users to the tenant, at start or later (Incydr's own provisioning). Idempotent per
/// username: an existing user is returned unchanged, so a harness can re-run its seeding.
async fn seed_users(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<SeedRequest>(&body) {
        Err(answer) => answer,
        Ok(SeedRequest::Listed { users }) => {
            let users: Vec<_> = users.into_iter().map(|u| sim.seed(u)).collect();
            (
                StatusCode::CREATED,
                Json(json!({ "created": users.len(), "users": users })),
            )
        }
        Ok(SeedRequest::Bulk { count, domain }) => {
            let created = sim.seed_users(count, &domain).len();
            (StatusCode::CREATED, Json(json!({ "created": created })))
        }
    }
}

async fn list_users(State(sim): State<Simulator>) -> Answer {
    (StatusCode::OK, Json(json!({ "users": sim.users() })))
}

fn roles_answer(sim: &Simulator, user_id: &str) -> Answer {
    match sim.roles_of(user_id) {
        Ok(ids) => (
            StatusCode::OK,
            Json(json!({ "userId": user_id, "roleIds": ids })),
        ),
        Err(err) => directory_failure(&err),
    }
}

async fn user_roles(State(sim): State<Simulator>, Path(user_id): Path<String>) -> Answer {
    roles_answer(&sim, &user_id)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Grant {
    role_ids: Vec<String>,
}

async fn grant_roles(
    State(sim): State<Simulator>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Answer {
    let grant = match parse::<Grant>(&body) {
        Ok(g) => g,
        Err(answer) => return answer,
    };
    let ids: Vec<&str> = grant.role_ids.iter().map(String::as_str).collect();
    match sim.grant_roles(&user_id, &ids) {
        Ok(()) => roles_answer(&sim, &user_id),
        Err(err) => directory_failure(&err),
    }
}

#[derive(Debug, Deserialize)]
struct Held {
    held: bool,
}

async fn legal_hold(
    State(sim): State<Simulator>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Answer {
    match parse::<Held>(&body) {
        Err(answer) => answer,
        Ok(Held { held }) => match sim.set_legal_hold(&user_id, held) {
            Ok(()) => (
                StatusCode::OK,
                Json(json!({ "userId": user_id, "held": held })),
            ),
            Err(err) => directory_failure(&err),
        },
    }
}

#[derive(Debug, Deserialize)]
struct Blocked {
    blocked: bool,
}

async fn blocked(State(sim): State<Simulator>, Path(user_id): Path<String>, body: Bytes) -> Answer {
    match parse::<Blocked>(&body) {
        Err(answer) => answer,
        Ok(Blocked { blocked }) => match sim.set_blocked(&user_id, blocked) {
            Ok(()) => (
                StatusCode::OK,
                Json(json!({ "userId": user_id, "blocked": blocked })),
            ),
            Err(err) => directory_failure(&err),
        },
    }
}

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
struct Latency {
    latency_ms: u64,
}

async fn latency(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<Latency>(&body) {
        Err(answer) => answer,
        Ok(Latency { latency_ms }) => {
            sim.set_latency(Duration::from_millis(latency_ms));
            (StatusCode::OK, Json(json!({ "latency_ms": latency_ms })))
        }
    }
}
