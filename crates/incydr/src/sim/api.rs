//! The simulated Incydr HTTP routes: the token endpoint and the users API v1.
//!
//! Handlers see only requests the gateway let through (counted, possibly delayed, and for
//! `/v1/users…` authenticated). Create, delete and the deprecated devices route are absent:
//! the router answers 404 or 405 with an error body, after the gateway counted the call.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use std::time::Instant;

use super::Simulator;
use super::auth::basic_credentials;
use super::directory::DirectoryError;
use super::gateway::gateway;
use super::params::parse_list_query;
use super::reply::{empty_ok, error};
use super::templates::{ACTIVATE, DEACTIVATE, MOVE, ROLE, USER, USER_ROLES};
use crate::model::{RolesReplacement, TokenResponse, routes};
use sim_support::locks::{lock, read, write};

pub(crate) fn router(sim: &Simulator) -> Router {
    Router::new()
        .route(routes::TOKEN, post(token))
        .route(routes::USERS, get(list_users))
        .route(routes::ROLES, get(list_roles))
        .route(ROLE, get(get_role))
        .route(USER, get(get_user))
        .route(USER_ROLES, get(get_user_roles).put(put_user_roles))
        .route(ACTIVATE, post(activate))
        .route(DEACTIVATE, post(deactivate))
        .route(MOVE, post(move_user))
        .fallback(|uri: Uri| async move { error(StatusCode::NOT_FOUND, "Not Found", uri.path()) })
        .method_not_allowed_fallback(|uri: Uri| async move {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                uri.path(),
            )
        })
        .layer(from_fn_with_state(sim.clone(), gateway))
        .with_state(sim.clone())
}

fn directory_error(err: &DirectoryError, path: &str) -> Response {
    let status = match err {
        DirectoryError::UnknownUser(_) => StatusCode::NOT_FOUND,
        DirectoryError::DuplicateUsername(_) => StatusCode::CONFLICT,
        DirectoryError::UnknownRole(_)
        | DirectoryError::UnknownOrg(_)
        | DirectoryError::LegalHold(_) => StatusCode::BAD_REQUEST,
    };
    error(status, err.to_string(), path)
}

async fn token(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
    let config = &sim.inner.config;
    let credentials = headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(basic_credentials);
    let valid = credentials
        .is_some_and(|(id, secret)| id == config.client_id && secret == config.client_secret);
    if !valid {
        return error(StatusCode::UNAUTHORIZED, "Bad credentials", routes::TOKEN);
    }
    let (access_token, expires_in) =
        lock(&sim.inner.tokens).issue(&config.tenant_uid, &config.client_id, Instant::now());
    Json(TokenResponse {
        access_token,
        token_type: "bearer".to_owned(),
        expires_in,
    })
    .into_response()
}

async fn list_users(State(sim): State<Simulator>, RawQuery(query): RawQuery) -> Response {
    match parse_list_query(query.as_deref()) {
        Err(message) => error(StatusCode::BAD_REQUEST, message, routes::USERS),
        Ok(query) => Json(read(&sim.inner.directory).list(&query)).into_response(),
    }
}

async fn list_roles(State(sim): State<Simulator>) -> Response {
    Json(read(&sim.inner.directory).roles().to_vec()).into_response()
}

async fn get_role(State(sim): State<Simulator>, Path(role_id): Path<String>) -> Response {
    match read(&sim.inner.directory).role(&role_id) {
        Some(role) => Json(role.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("no role with id '{role_id}'"),
            &routes::role(&role_id),
        ),
    }
}

async fn get_user(State(sim): State<Simulator>, Path(user_id): Path<String>) -> Response {
    match read(&sim.inner.directory).user(&user_id) {
        Some(user) => Json(user.clone()).into_response(),
        None => directory_error(
            &DirectoryError::UnknownUser(user_id.clone()),
            &routes::user(&user_id),
        ),
    }
}

async fn get_user_roles(State(sim): State<Simulator>, Path(user_id): Path<String>) -> Response {
    match read(&sim.inner.directory).roles_of(&user_id) {
        Ok(roles) => Json(roles).into_response(),
        Err(err) => directory_error(&err, &routes::user_roles(&user_id)),
    }
}

async fn put_user_roles(
    State(sim): State<Simulator>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Response {
    let path = routes::user_roles(&user_id);
    // Unknown user first: a 404 tells more than a complaint about the body.
    if read(&sim.inner.directory).user(&user_id).is_none() {
        return directory_error(&DirectoryError::UnknownUser(user_id), &path);
    }
    let replacement: RolesReplacement = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(err) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("Malformed body, expected {{\"roleIds\":[…]}}: {err}"),
                &path,
            );
        }
    };
    match write(&sim.inner.directory).replace_roles(&user_id, &replacement.role_ids, Utc::now()) {
        Ok(update) => Json(update).into_response(),
        Err(err) => directory_error(&err, &path),
    }
}

fn set_active(sim: &Simulator, user_id: &str, active: bool, path: &str) -> Response {
    match write(&sim.inner.directory).set_active(user_id, active, Utc::now()) {
        Ok(()) => empty_ok(),
        Err(err) => directory_error(&err, path),
    }
}

async fn activate(State(sim): State<Simulator>, Path(user_id): Path<String>) -> Response {
    set_active(&sim, &user_id, true, &routes::activate(&user_id))
}

async fn deactivate(State(sim): State<Simulator>, Path(user_id): Path<String>) -> Response {
    set_active(&sim, &user_id, false, &routes::deactivate(&user_id))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MoveBody {
    org_guid: String,
}

async fn move_user(
    State(sim): State<Simulator>,
    Path(user_id): Path<String>,
    body: Bytes,
) -> Response {
    let path = format!("/v1/users/{user_id}/move");
    let Ok(MoveBody { org_guid }) = serde_json::from_slice(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Malformed body, expected {\"orgGuid\":\"…\"}",
            &path,
        );
    };
    match write(&sim.inner.directory).move_user(&user_id, &org_guid, Utc::now()) {
        Ok(()) => empty_ok(),
        Err(err) => directory_error(&err, &path),
    }
}
