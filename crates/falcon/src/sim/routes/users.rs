//! User routes: queryUserV1, retrieveUsersGETV1, createUserV1, updateUserV1, deleteUserV1 and
//! userActionV1.

use std::collections::BTreeSet;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;

use crate::model::{CreateUserRequest, IdsRequest, UpdateUserRequest, User};
use crate::sim::Simulator;
use crate::sim::auth::Caller;
use crate::sim::fql::{Field, Filter};
use crate::sim::paging::{Page, Sort};
use crate::sim::params::{Params, json_body};
use crate::sim::reply::{Outcome, Reply};
use crate::sim::state::{Directory, NewUser};
use sim_support::locks::{read, write};

use super::{check_id_count, resolve_cid};

/// Filterable fields of queryUserV1 (the subset of Falcon's filter fields the simulator models).
const FILTER_FIELDS: &[Field] = &[
    Field::folded("uid"),
    Field::exact("first_name"),
    Field::exact("last_name"),
    Field::exact("status"),
    Field::exact("cid"),
    Field::exact("uuid"),
];

/// Sort fields of queryUserV1, as Falcon's API accepts them.
const SORT_FIELDS: &[&str] = &[
    "cid_name",
    "created_at",
    "first_name",
    "has_temporary_roles",
    "last_login_at",
    "last_name",
    "name",
    "status",
    "temporarily_assigned_cids",
    "uid",
];

const DEFAULT_SORT: Sort = Sort {
    field: "uid",
    descending: false,
};

fn user_field<'u>(user: &'u User, field: &str) -> Option<&'u str> {
    match field {
        "uid" => Some(&user.uid),
        "first_name" => Some(&user.first_name),
        "last_name" => Some(&user.last_name),
        "status" => Some(&user.status),
        "cid" => Some(&user.cid),
        "uuid" => Some(&user.uuid),
        _ => None,
    }
}

fn sort_key(dir: &Directory, user: &User, field: &str) -> String {
    let temporary = || dir.has_temporary_roles(&user.uuid, Utc::now());
    match field {
        "created_at" => user.created_at.clone().unwrap_or_default(),
        "first_name" => user.first_name.clone(),
        "last_name" => user.last_name.clone(),
        "name" => format!("{} {}", user.first_name, user.last_name),
        "status" => user.status.clone(),
        "last_login_at" => user.last_login_at.clone().unwrap_or_default(),
        // The simulator has no CID names; the CID itself orders the same way for one tenant.
        "cid_name" => user.cid.clone(),
        "has_temporary_roles" => u8::from(temporary()).to_string(),
        "temporarily_assigned_cids" => {
            if temporary() {
                user.cid.clone()
            } else {
                String::new()
            }
        }
        _ => user.uid.to_lowercase(),
    }
}

pub(super) async fn query(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Outcome {
    let params = Params::parse(query.as_deref())?;
    let page = Page::from_params(&params)?;
    let sort = Sort::parse(params.get("sort"), SORT_FIELDS, DEFAULT_SORT)?;
    let filter = match params.get("filter").filter(|f| !f.trim().is_empty()) {
        Some(text) => Some(Filter::parse(text, FILTER_FIELDS)?),
        None => None,
    };
    let dir = read(&sim.inner.directory);
    if filter.is_none() && sort == DEFAULT_SORT {
        // The bulk listing every client makes: one page of a cached order, not a full walk.
        let order = dir.uuids_of_cid_by_uid(&caller.cid);
        let (items, pagination) = page.cut_slice(&order);
        return Ok(Reply::ok(items.iter().map(String::as_str)).with_pagination(pagination));
    }
    let mut matches: Vec<&User> = dir
        .users_by_uid()
        .filter(|u| u.cid == caller.cid)
        .filter(|u| {
            filter
                .as_ref()
                .is_none_or(|f| f.matches(|field| user_field(u, field)))
        })
        .collect();
    if sort.field != DEFAULT_SORT.field {
        // Ties fall back to uid order, which `users_by_uid` already produced (stable sort).
        matches.sort_by_cached_key(|u| sort_key(&dir, u, sort.field));
    }
    if sort.descending {
        matches.reverse();
    }
    let (items, pagination) = page.cut(matches);
    Ok(Reply::ok(items.into_iter().map(|u| u.uuid.as_str())).with_pagination(pagination))
}

pub(super) async fn retrieve(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Outcome {
    let request: IdsRequest = json_body(&body)?;
    check_id_count(&request.ids)?;
    let dir = read(&sim.inner.directory);
    let wanted: BTreeSet<&str> = request.ids.iter().map(String::as_str).collect();
    let mut users: Vec<&User> = wanted
        .into_iter()
        .filter_map(|uuid| dir.visible_user(uuid, &caller.cid).ok())
        .collect();
    // Falcon does not answer in request order; uid order is deterministic and equally
    // un-request-like, which keeps order-dependent client bugs visible.
    users.sort_by_cached_key(|u| u.uid.to_lowercase());
    Ok(Reply::ok(users))
}

pub(super) async fn create(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Outcome {
    let params = Params::parse(query.as_deref())?;
    let validate_only = params.flag("validate_only", false)?;
    // `password` is accepted (also as null) and ignored, as under SSO.
    let request: CreateUserRequest = json_body(&body)?;
    let allowed = sim.inner.config.allowed_domains.as_deref();
    let mut dir = write(&sim.inner.directory);
    let cid = resolve_cid(&dir, &caller, request.cid.as_deref())?;
    let new = NewUser {
        uid: request.uid,
        first_name: request.first_name,
        last_name: request.last_name,
        cid,
    };
    if validate_only {
        // The swagger documents 201 only for a real creation; a dry run answers 200 meta-only
        // because nothing was created (a simulator choice, see the module docs of `sim`).
        dir.check_new_user(&new, allowed)?;
        return Ok(Reply::meta_only());
    }
    let user = dir.create_user(new, allowed, Utc::now())?;
    Ok(Reply::resources(StatusCode::CREATED, [user]).with_writes(1))
}

fn user_uuid(params: &Params) -> String {
    params.get("user_uuid").unwrap_or_default().to_owned()
}

pub(super) async fn update(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Outcome {
    let params = Params::parse(query.as_deref())?;
    let uuid = user_uuid(&params);
    let request: UpdateUserRequest = json_body(&body)?;
    let (Some(first_name), Some(last_name)) = (request.first_name, request.last_name) else {
        return Err(Reply::bad_request(
            "both first_name and last_name must be specified",
        ));
    };
    let user = write(&sim.inner.directory).rename(
        &uuid,
        &caller.cid,
        first_name,
        last_name,
        Utc::now(),
    )?;
    Ok(Reply::ok([user]).with_writes(1))
}

pub(super) async fn delete(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Outcome {
    let params = Params::parse(query.as_deref())?;
    write(&sim.inner.directory).delete(&user_uuid(&params), &caller.cid)?;
    Ok(Reply::meta_only().with_writes(1))
}

#[derive(Debug, Deserialize)]
struct UserActionRequest {
    action: UserAction,
    #[serde(default)]
    ids: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct UserAction {
    action_name: String,
}

/// The only user actions Falcon has; there is no disable or suspend.
const USER_ACTION_NAMES: &[&str] = &["reset_password", "reset_2fa"];

pub(super) async fn user_action(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Outcome {
    let request: UserActionRequest = json_body(&body)?;
    let name = request.action.action_name;
    if !USER_ACTION_NAMES.contains(&name.as_str()) {
        return Err(Reply::bad_request(format!(
            "invalid action_name '{name}': expected one of {}",
            USER_ACTION_NAMES.join(", ")
        )));
    }
    check_id_count(&request.ids)?;
    let dir = read(&sim.inner.directory);
    for uuid in &request.ids {
        dir.visible_user(uuid, &caller.cid)?;
    }
    // Password and MFA resets have no state the simulator models beyond their validation.
    Ok(Reply::meta_only().with_writes(request.ids.len() as u64))
}
