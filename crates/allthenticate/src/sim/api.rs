//! The simulated Allthenticate HTTP routes: users, invites and groups.
//!
//! Handlers see only requests the gateway let through (counted, possibly delayed or faulted,
//! and carrying a valid key). Every handler reads its parameters from the JSON body, a form
//! body or the query string alike (`params.rs`). A bad or missing parameter and an unknown user
//! are both 400 `{"error"}`; success is `{"success": msg}` unless the reference documents
//! another shape. Routes the reference lists but the bridge does not use
//! (`/modifyallusernames`, `/modifysmartcard`) are absent: 404, but counted.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::{Value, json};

use super::Simulator;
use super::gateway::gateway;
use super::org::SimError;
use super::params::Params;
use super::reply::{bad_request, error, success};
use crate::model::{EmailId, Rank, UserId, UserTag, routes};
use sim_support::locks::{read, write};

pub(crate) fn router(sim: &Simulator) -> Router {
    Router::new()
        .route(routes::MULTIPLE_USERS, get(list_users))
        .route(routes::USER, get(get_user).delete(delete_user))
        .route(routes::MODIFY_RANK, post(modify_rank))
        .route(routes::TOGGLE_SUSPENSION, post(toggle_suspension))
        .route(routes::PROMOTE_GUEST, post(promote_guest))
        .route(
            routes::INVITES,
            get(list_invites).put(put_invites).post(post_invites),
        )
        .route(routes::GROUPS, get(list_groups).delete(delete_group))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not Found") })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        })
        .layer(from_fn_with_state(sim.clone(), gateway))
        .with_state(sim.clone())
}

/// What every handler takes: the state and the three places parameters can come from.
type Input = (State<Simulator>, HeaderMap, RawQuery, Bytes);

/// A handler's outcome: its answer, or the message of a 400 `{"error"}` (every refusal of
/// this API is a 400).
type Handled = Result<Response, String>;

fn params(headers: &HeaderMap, query: &RawQuery, body: &[u8]) -> Result<Params, String> {
    Params::read(headers, query.0.as_deref(), body)
}

fn required<T>(value: Result<Option<T>, String>, name: &str) -> Result<T, String> {
    value?.ok_or_else(|| format!("Missing required parameter {name}"))
}

fn sim_error(err: SimError) -> String {
    err.to_string()
}

fn answer(result: Handled) -> Response {
    result.unwrap_or_else(bad_request)
}

async fn list_users((State(sim), headers, query, body): Input) -> Response {
    answer((|| {
        let p = params(&headers, &query, &body)?;
        let email_as_name = p.bool("email")?.unwrap_or(false);
        let tag = match p.text("user_tag") {
            None => None,
            Some(text) => match UserTag::parse(&text) {
                UserTag::Other(other) => {
                    return Err(format!("Invalid user_tag {other}: expected USER or GUEST"));
                }
                known => Some(known),
            },
        };
        let users = read(&sim.inner.org).list(email_as_name, tag.as_ref());
        Ok(Json(users).into_response())
    })())
}

async fn get_user((State(sim), headers, query, body): Input) -> Response {
    answer((|| {
        let p = params(&headers, &query, &body)?;
        let id = EmailId(required(p.int("email_id"), "email_id")?);
        match read(&sim.inner.org).detail(id) {
            Ok(detail) => {
                // The reference's shape: policies nested in arrays, as groups are.
                let mut value = serde_json::to_value(&detail).unwrap_or_default();
                value["policies"] = detail.policies.iter().map(|p| json!([p])).collect();
                value["computer_usernames"] = detail
                    .computer_usernames
                    .iter()
                    .map(|c| json!({ "computer_username": c }))
                    .collect();
                value["email_id"] = json!(id.0);
                Ok(Json(value).into_response())
            }
            Err(err) => Err(sim_error(err)),
        }
    })())
}

/// `email_id` wins over `email`; only `email` can also find a pending invite.
async fn delete_user((State(sim), headers, query, body): Input) -> Response {
    answer((|| {
        let p = params(&headers, &query, &body)?;
        let mut org = write(&sim.inner.org);
        let deleted = match (p.int("email_id")?, p.text("email")) {
            (Some(id), _) => org.delete_by_email_id(EmailId(id)),
            (None, Some(email)) => org.delete_by_email(&email),
            (None, None) => {
                return Err("Missing required parameter email_id or email".to_owned());
            }
        };
        deleted.map(success).map_err(sim_error)
    })())
}

async fn modify_rank((State(sim), headers, query, body): Input) -> Response {
    answer((|| {
        let p = params(&headers, &query, &body)?;
        let id = UserId(required(p.int("admin_user_id"), "admin_user_id")?);
        let text = required(Ok(p.text("rank")), "rank")?;
        let rank = match Rank::parse(&text) {
            Rank::Other(other) => {
                return Err(format!(
                    "Invalid rank {other}: expected REGULAR, ADMIN or SUPER"
                ));
            }
            known => known,
        };
        let changed = write(&sim.inner.org).modify_rank(id, rank);
        changed.map(success).map_err(sim_error)
    })())
}

/// The return value is undocumented; the simulator says what it did and the new status.
async fn toggle_suspension((State(sim), headers, query, body): Input) -> Response {
    answer((|| {
        let p = params(&headers, &query, &body)?;
        let id = EmailId(required(p.int("email_id"), "email_id")?);
        let toggled = write(&sim.inner.org).toggle_suspension(id);
        match toggled {
            Ok((email, status)) => Ok(Json(json!({
                "success": format!("User {email} is now {status}."),
                "status": status,
            }))
            .into_response()),
            Err(err) => Err(sim_error(err)),
        }
    })())
}

async fn promote_guest((State(sim), headers, query, body): Input) -> Response {
    answer((|| {
        let p = params(&headers, &query, &body)?;
        let id = EmailId(required(p.int("email_id"), "email_id")?);
        let promoted = write(&sim.inner.org).promote_guest(id);
        promoted.map(success).map_err(sim_error)
    })())
}

async fn list_invites(State(sim): State<Simulator>) -> Response {
    Json(read(&sim.inner.org).invitations.list()).into_response()
}

/// `PUT /invites` (and `POST /invites` with `emails`). `smartcards` are accepted and ignored;
/// `groups` may be `[{id,name}]` objects or bare ids; unknown group ids are ignored.
fn invite(sim: &Simulator, p: &Params) -> Handled {
    let emails: Vec<String> = p
        .list("emails")
        .into_iter()
        .map(|v| match v {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .collect();
    if emails.is_empty() {
        return Err("Missing required parameter emails".to_owned());
    }
    let no_email = p.bool("no_email")?.unwrap_or(false);
    let groups: Vec<i64> = p
        .list("groups")
        .iter()
        .filter_map(|g| {
            let id = g.get("id").unwrap_or(g);
            id.as_i64().or_else(|| id.as_str()?.trim().parse().ok())
        })
        .collect();
    let answer = write(&sim.inner.org).invite(&emails, no_email, &groups, Utc::now());
    Ok(Json(answer).into_response())
}

async fn put_invites((State(sim), headers, query, body): Input) -> Response {
    answer((|| invite(&sim, &params(&headers, &query, &body)?))())
}

/// `emails` invites (the quickstart's reading), `email` resends a pending invite.
async fn post_invites((State(sim), headers, query, body): Input) -> Response {
    answer((|| {
        let p = params(&headers, &query, &body)?;
        if p.has("emails") {
            return invite(&sim, &p);
        }
        let email = required(Ok(p.text("email")), "email")?;
        let resent = read(&sim.inner.org).resend(&email);
        resent.map(success).map_err(sim_error)
    })())
}

/// `type` is `users` (the default) or `resources`; `resource_type` narrows resources to
/// `COMPUTER` or `DOOR`.
fn group_type(p: &Params) -> Result<bool, String> {
    match p.text("type").map(|t| t.to_ascii_lowercase()).as_deref() {
        None | Some("users") => Ok(true),
        Some("resources") => Ok(false),
        Some(other) => Err(format!("Invalid type {other}: expected users or resources")),
    }
}

async fn list_groups((State(sim), headers, query, body): Input) -> Response {
    answer((|| {
        let p = params(&headers, &query, &body)?;
        let users = group_type(&p)?;
        let resource_type = p.text("resource_type");
        if let Some(kind) = &resource_type
            && !["COMPUTER", "DOOR"].contains(&kind.to_ascii_uppercase().as_str())
        {
            return Err(format!(
                "Invalid resource_type {kind}: expected COMPUTER or DOOR"
            ));
        }
        let org = read(&sim.inner.org);
        let groups = if users {
            org.groups_of(None)
        } else {
            org.groups_of(Some(resource_type.as_deref()))
        };
        Ok(Json(groups).into_response())
    })())
}

async fn delete_group((State(sim), headers, query, body): Input) -> Response {
    answer((|| {
        let p = params(&headers, &query, &body)?;
        let users = group_type(&p)?;
        let id = required(p.int("group_id"), "group_id")?;
        let deleted = write(&sim.inner.org).delete_group(id, users);
        deleted.map(success).map_err(sim_error)
    })())
}
