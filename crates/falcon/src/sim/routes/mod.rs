//! The simulated Falcon HTTP routes (OAuth2 and user management), one module per resource.
//!
//! Handlers see only requests the gateway let through, with the authenticated [`Caller`] in
//! the request extensions, and answer with a [`Reply`] the gateway renders.

mod grants;
mod oauth;
mod roles;
mod users;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::model::routes;

use super::Simulator;
use super::auth::Caller;
use super::gateway::{ENTITIES_ROLES_V1, USER_ACTIONS, gateway};
use super::ids::is_hex32;
use super::reply::{GATEWAY, Reply};
use super::state::{Directory, DirectoryError};

/// Every Falcon route behind the gateway.
pub(crate) fn api_router(sim: &Simulator) -> Router {
    Router::new()
        .route(routes::TOKEN, post(oauth::token))
        .route(routes::REVOKE, post(oauth::revoke))
        .route(routes::QUERY_USERS, get(users::query))
        .route(routes::RETRIEVE_USERS, post(users::retrieve))
        .route(
            routes::USERS,
            post(users::create)
                .patch(users::update)
                .delete(users::delete),
        )
        .route(USER_ACTIONS, post(users::user_action))
        .route(routes::QUERY_ROLES, get(roles::query))
        .route(ENTITIES_ROLES_V1, get(roles::entities_v1))
        .route(routes::RETRIEVE_ROLES, post(roles::entities_v2))
        .route(routes::USER_ROLE_ACTIONS, post(grants::role_action))
        .route(routes::COMBINED_USER_ROLES, get(grants::combined))
        // The gateway answers unknown routes itself; this only catches what slips past it.
        .fallback(|| async {
            Reply::error(axum::http::StatusCode::NOT_FOUND, "Not Found").powered_by(GATEWAY)
        })
        .layer(from_fn_with_state(sim.clone(), gateway))
        .with_state(sim.clone())
}

/// The CID a call acts in: an absent or empty `cid` means the caller's; otherwise it must be
/// well-formed and the caller's own CID or one of its children.
fn resolve_cid(
    dir: &Directory,
    caller: &Caller,
    requested: Option<&str>,
) -> Result<String, DirectoryError> {
    match requested.filter(|c| !c.is_empty()) {
        None => Ok(caller.cid.clone()),
        Some(cid) if is_hex32(cid) && dir.is_within(cid, &caller.cid) => Ok(cid.to_owned()),
        Some(cid) => Err(DirectoryError::InvalidCid(cid.to_owned())),
    }
}

/// Rejects id lists the `.../GET/...` look-ups would refuse.
fn check_id_count(ids: &[String]) -> Result<(), Reply> {
    use crate::model::MAX_IDS_PER_LOOKUP;
    if ids.is_empty() {
        Err(Reply::bad_request("ids must not be empty"))
    } else if ids.len() > MAX_IDS_PER_LOOKUP {
        Err(Reply::bad_request(format!(
            "too many ids: {} given, at most {MAX_IDS_PER_LOOKUP} allowed",
            ids.len()
        )))
    } else {
        Ok(())
    }
}
