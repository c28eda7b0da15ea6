//! The `/_sim/` HTTP test controls: the programmatic controls of [`Simulator`] for tests and
//! demos that only have the simulator's URL (for instance a bridge started as a separate
//! process). Served only when `SimConfig::controls_enabled`; unauthenticated by design, never
//! counted as calls, and answered with plain JSON (`{"error": "..."}` on failure) because no
//! Allthenticate client reads them.
//!
//! * `POST /_sim/users {"users":[{"email", "first_name"?, "last_name"?, "status"?, "rank"?,
//!   "user_tag"?, "groups"?, "policies"?, "smartcards"?, "computer_usernames"?}]}` seeds members
//!   (201; 409 on a taken e-mail), `GET /_sim/users` lists every member's full state,
//!   `GET /_sim/users/{email, user_id or email_id}` one member's (404 when absent);
//! * `POST /_sim/invites {"email"}` adds a pending invite as if invited in the portal;
//!   `POST /_sim/invites/accept {"email","first_name","last_name"}` accepts one (the member);
//! * `PUT /_sim/accounts {"email","first_name"?,"last_name"?}`: that e-mail already has an
//!   Allthenticate account (invites add it at once); `PUT /_sim/accounts/global {"exists"}`:
//!   every e-mail has one; `PUT /_sim/undeliverable {"email"}`: its invitation fails;
//! * `POST /_sim/groups {"name","type"?,"resource_type"?,"items"?}` and
//!   `POST /_sim/policies {"name","users"?,"groups"?}` (e-mails and group names);
//! * `POST /_sim/keys {"lifetime_secs"?}` generates a key (0 or absent: never expires),
//!   `POST /_sim/keys/expire {"key"?}` and `POST /_sim/keys/revoke {"key"?}` (every key when
//!   absent);
//! * `POST /_sim/faults {"route","method"?,"fault","times"?}`, `DELETE /_sim/faults`;
//! * `GET /_sim/calls` (counts), `DELETE /_sim/calls` (zero them), `POST /_sim/reset` (zero the
//!   counts and disarm the faults); `PUT /_sim/latency {"latency_ms"}`.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sim_support::controls::{self, Answer, failure};

use super::Simulator;
use super::faults::FaultSpec;
use super::org::{NewUser, SimError};

/// `sim_support::controls::parse`, but an empty body reads as `{}`, as Allthenticate's own
/// API reads parameters.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Answer> {
    let body = if body.trim_ascii().is_empty() {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| failure(StatusCode::BAD_REQUEST, e))
}

fn sim_failure(err: &SimError) -> Answer {
    let status = match err {
        SimError::UnknownUser(_) | SimError::UnknownGroup(_) | SimError::NoPendingInvite(_) => {
            StatusCode::NOT_FOUND
        }
        SimError::DuplicateEmail(_) => StatusCode::CONFLICT,
        SimError::GroupInUse { .. } | SimError::NotAGuest(_) | SimError::Invalid(_) => {
            StatusCode::BAD_REQUEST
        }
    };
    failure(status, err)
}

fn ok(value: Value) -> Answer {
    (StatusCode::OK, Json(value))
}

pub(crate) fn router(sim: &Simulator) -> Router {
    Router::new()
        .route("/_sim/users", post(seed_users).get(list_users))
        .route("/_sim/users/{key}", get(user_state))
        .route("/_sim/invites", post(seed_invite))
        .route("/_sim/invites/accept", post(accept_invite))
        .route("/_sim/accounts", put(account))
        .route("/_sim/accounts/global", put(global_accounts))
        .route("/_sim/undeliverable", put(undeliverable))
        .route("/_sim/groups", post(seed_group))
        .route("/_sim/policies", post(seed_policy))
        .route("/_sim/keys", post(generate_key))
        .route("/_sim/keys/expire", post(expire_keys))
        .route("/_sim/keys/revoke", post(revoke_keys))
        .route("/_sim/faults", post(arm_fault).delete(clear_faults))
        .route("/_sim/calls", get(calls).delete(reset_calls))
        .route("/_sim/reset", post(reset))
        .route("/_sim/latency", put(latency))
        .with_state(sim.clone())
}

#[derive(Debug, Deserialize)]
struct Seed {
    users: Vec<NewUser>,
}

/// All or nothing would need a transaction; seeding stops at the first refusal instead and
/// says how many went in before it.
async fn seed_users(State(sim): State<Simulator>, body: Bytes) -> Answer {
    let seed = match parse::<Seed>(&body) {
        Ok(seed) => seed,
        Err(answer) => return answer,
    };
    let mut created = Vec::new();
    for user in seed.users {
        match sim.add_user(user) {
            Ok(user) => created.push(user),
            Err(err) => {
                let (status, Json(mut body)) = sim_failure(&err);
                body["created"] = json!(created.len());
                return (status, Json(body));
            }
        }
    }
    (
        StatusCode::CREATED,
        Json(json!({ "created": created.len(), "users": created })),
    )
}

async fn list_users(State(sim): State<Simulator>) -> Answer {
    ok(json!({ "users": sim.users() }))
}

async fn user_state(State(sim): State<Simulator>, Path(key): Path<String>) -> Answer {
    match sim.user(&key) {
        Some(user) => ok(json!(user)),
        None => sim_failure(&SimError::UnknownUser(key)),
    }
}

#[derive(Debug, Deserialize)]
struct Email {
    email: String,
}

async fn seed_invite(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<Email>(&body) {
        Err(answer) => answer,
        Ok(Email { email }) => {
            sim.add_invite(&email);
            (
                StatusCode::CREATED,
                Json(json!({ "invites": sim.invites() })),
            )
        }
    }
}

#[derive(Debug, Deserialize)]
struct Acceptance {
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
}

async fn accept_invite(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<Acceptance>(&body) {
        Err(answer) => answer,
        Ok(a) => match sim.accept_invite(&a.email, &a.first_name, &a.last_name) {
            Ok(user) => ok(json!(user)),
            Err(err) => sim_failure(&err),
        },
    }
}

#[derive(Debug, Deserialize)]
struct Account {
    email: String,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

async fn account(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<Account>(&body) {
        Err(answer) => answer,
        Ok(a) => {
            sim.set_has_account(&a.email, a.first_name, a.last_name);
            ok(json!({ "email": a.email, "has_account": true }))
        }
    }
}

#[derive(Debug, Deserialize)]
struct Global {
    exists: bool,
}

async fn global_accounts(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<Global>(&body) {
        Err(answer) => answer,
        Ok(Global { exists }) => {
            sim.set_every_email_has_account(exists);
            ok(json!({ "exists": exists }))
        }
    }
}

async fn undeliverable(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<Email>(&body) {
        Err(answer) => answer,
        Ok(Email { email }) => {
            sim.set_undeliverable(&email);
            ok(json!({ "email": email, "undeliverable": true }))
        }
    }
}

#[derive(Debug, Deserialize)]
struct NewGroup {
    name: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    resource_type: Option<String>,
    #[serde(default)]
    items: Vec<String>,
}

async fn seed_group(State(sim): State<Simulator>, body: Bytes) -> Answer {
    let group = match parse::<NewGroup>(&body) {
        Ok(group) => group,
        Err(answer) => return answer,
    };
    let id = match group
        .kind
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("users") => sim.add_group(&group.name),
        Some("resources") => sim.add_resource_group(
            &group.name,
            group.resource_type.as_deref().unwrap_or("COMPUTER"),
            group.items,
        ),
        Some(other) => return failure(StatusCode::BAD_REQUEST, format!("unknown type {other}")),
    };
    (StatusCode::CREATED, Json(json!({ "id": id })))
}

#[derive(Debug, Deserialize)]
struct NewPolicy {
    name: String,
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

async fn seed_policy(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<NewPolicy>(&body) {
        Err(answer) => answer,
        Ok(p) => match sim.add_policy(&p.name, &p.users, &p.groups) {
            Ok(()) => (StatusCode::CREATED, Json(json!({ "name": p.name }))),
            Err(err) => sim_failure(&err),
        },
    }
}

#[derive(Debug, Deserialize)]
struct KeyRequest {
    #[serde(default)]
    lifetime_secs: u64,
}

async fn generate_key(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<KeyRequest>(&body) {
        Err(answer) => answer,
        Ok(KeyRequest { lifetime_secs }) => {
            let lifetime = (lifetime_secs > 0).then(|| Duration::from_secs(lifetime_secs));
            let key = sim.generate_key(lifetime);
            (StatusCode::CREATED, Json(json!({ "key": key })))
        }
    }
}

#[derive(Debug, Deserialize)]
struct KeyChoice {
    #[serde(default)]
    key: Option<String>,
}

async fn expire_keys(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<KeyChoice>(&body) {
        Err(answer) => answer,
        Ok(KeyChoice { key }) => ok(json!({ "expired": sim.expire_keys(key.as_deref()) })),
    }
}

async fn revoke_keys(State(sim): State<Simulator>, body: Bytes) -> Answer {
    match parse::<KeyChoice>(&body) {
        Err(answer) => answer,
        Ok(KeyChoice { key }) => ok(json!({ "revoked": sim.revoke_keys(key.as_deref()) })),
    }
}

async fn arm_fault(State(sim): State<Simulator>, body: Bytes) -> Answer {
    controls::arm_fault(parse(&body), |route, method, spec: FaultSpec, times| {
        sim.inject_fault(route, method, spec.into(), times);
    })
}

async fn clear_faults(State(sim): State<Simulator>) -> Answer {
    sim.clear_faults();
    ok(json!({ "cleared": true }))
}

async fn calls(State(sim): State<Simulator>) -> Answer {
    controls::calls(&sim.call_counts())
}

async fn reset_calls(State(sim): State<Simulator>) -> Answer {
    sim.reset_counts();
    ok(json!({ "reset": true }))
}

/// Zeroes the counters and disarms every fault: a clean slate between scenarios.
async fn reset(State(sim): State<Simulator>) -> Answer {
    sim.reset_counts();
    sim.clear_faults();
    ok(json!({ "reset": true }))
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
            ok(json!({ "latency_ms": latency_ms }))
        }
    }
}
