//! The `/_sim/` HTTP test controls: the programmatic controls of [`Simulator`] for tests and
//! demos that only have the simulator's URL (for instance a bridge started as a separate
//! process). Served only when `SimConfig::controls_enabled`; unauthenticated by design, and
//! answered with plain JSON rather than Falcon envelopes because no Falcon client reads them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use sim_support::controls::{self, Answer, parse};

use super::Simulator;
use super::faults::FaultSpec;

pub(crate) fn router(sim: &Simulator) -> Router {
    Router::new()
        .route("/_sim/users", post(seed_users).get(list_users))
        .route("/_sim/faults", post(arm_fault).delete(clear_faults))
        .route("/_sim/calls", get(calls))
        .route("/_sim/reset", post(reset))
        .route("/_sim/grants/{uuid}", get(grants))
        .with_state(sim.clone())
}

#[derive(Debug, Deserialize)]
struct SeedUser {
    uid: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
}

/// `{"users":[...]}` or `{"count":N,"domain":"x"}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SeedRequest {
    Listed { users: Vec<SeedUser> },
    Bulk { count: usize, domain: String },
}

async fn seed_users(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<SeedRequest>(&body) {
        Err(answer) => answer,
        Ok(SeedRequest::Listed { users }) => {
            let created: Vec<_> = users
                .iter()
                .map(|u| sim.seed_user(&u.uid, &u.first_name, &u.last_name))
                .collect();
            (
                StatusCode::CREATED,
                Json(json!({ "created": created.len(), "users": created })),
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
    controls::calls(&sim.inner.calls.snapshot())
}

async fn reset(State(sim): State<Simulator>) -> Answer {
    sim.reset_counts();
    sim.clear_faults();
    (StatusCode::OK, Json(json!({ "reset": true })))
}

async fn grants(State(sim): State<Simulator>, Path(uuid): Path<String>) -> Answer {
    if sim.user_by_uuid(&uuid).is_none() {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("no user with uuid '{uuid}'") })),
        );
    }
    (
        StatusCode::OK,
        Json(json!({ "uuid": uuid, "role_ids": sim.grants_of(&uuid) })),
    )
}
