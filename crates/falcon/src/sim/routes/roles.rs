//! Role routes: queriesRolesV1, entitiesRolesV1 and entitiesRolesGETV2.
//!
//! A CID sees every default role plus the custom roles homed in it; a custom role of another
//! CID is as unknown as a misspelt id.

use std::collections::BTreeSet;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use chrono::Utc;

use crate::model::{IdsRequest, Role};
use crate::sim::Simulator;
use crate::sim::auth::Caller;
use crate::sim::params::{Params, json_body};
use crate::sim::reply::{Outcome, Reply};
use sim_support::locks::read;

use super::{check_id_count, resolve_cid};

pub(super) async fn query(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Outcome {
    let params = Params::parse(query.as_deref())?;
    let action = params
        .get("action")
        .filter(|a| !a.is_empty())
        .unwrap_or("grant");
    if action != "grant" && action != "revoke" {
        return Err(Reply::bad_request(format!(
            "invalid action '{action}': expected grant or revoke"
        )));
    }
    let dir = read(&sim.inner.directory);
    let cid = resolve_cid(&dir, &caller, params.get("cid"))?;
    let ids: Vec<String> = match params.get("user_uuid").filter(|u| !u.is_empty()) {
        None => dir.roles_for(&cid).map(|r| r.id.clone()).collect(),
        Some(uuid) => {
            let user = dir.visible_user(uuid, &caller.cid)?;
            if action == "grant" {
                // Roles that can be granted to this user: those usable in its home CID.
                dir.roles_for(&user.cid).map(|r| r.id.clone()).collect()
            } else {
                // Roles that can be revoked: the ones the user holds now.
                dir.current_grant_ids(&user.uuid, Utc::now())
            }
        }
    };
    Ok(Reply::ok(ids))
}

/// Looks `ids` up as seen from `cid`: 200 with the known ones, 404 when none is known.
fn lookup(sim: &Simulator, caller: &Caller, cid: Option<&str>, ids: &[String]) -> Outcome {
    check_id_count(ids)?;
    let dir = read(&sim.inner.directory);
    let cid = resolve_cid(&dir, caller, cid)?;
    let mut seen = BTreeSet::new();
    let found: Vec<&Role> = ids
        .iter()
        .filter(|id| seen.insert(id.as_str()))
        .filter_map(|id| dir.role(id))
        .filter(|role| role.cid.as_deref().is_none_or(|home| home == cid))
        .collect();
    if found.is_empty() {
        // Falcon documents 404 here without the body; naming the ids helps the test reader.
        let shown: Vec<&str> = ids.iter().take(10).map(String::as_str).collect();
        return Err(Reply::error(
            StatusCode::NOT_FOUND,
            format!("no role found for ids: {}", shown.join(", ")),
        ));
    }
    Ok(Reply::ok(found))
}

pub(super) async fn entities_v2(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Outcome {
    let params = Params::parse(query.as_deref())?;
    let request: IdsRequest = json_body(&body)?;
    lookup(&sim, &caller, params.get("cid"), &request.ids)
}

pub(super) async fn entities_v1(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Outcome {
    let params = Params::parse(query.as_deref())?;
    let ids: Vec<String> = params.all("ids").into_iter().map(str::to_owned).collect();
    lookup(&sim, &caller, params.get("cid"), &ids)
}
