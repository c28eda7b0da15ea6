//! Grant routes: userRolesActionV1 and CombinedUserRolesV2.
//!
//! Writes apply at once; CombinedUserRolesV2 reads through the configured lag. Every simulated
//! grant is a direct grant homed in the user's CID; temporary grants carry `expires_at`, which
//! is how `direct_only` callers such as Terraform tell them apart.

use std::time::Instant;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use chrono::{DateTime, Utc};

use crate::model::{Grant, RoleAction, RoleActionKind};
use crate::sim::Simulator;
use crate::sim::auth::Caller;
use crate::sim::fql::{Field, Filter};
use crate::sim::ids::timestamp;
use crate::sim::paging::{Page, Sort};
use crate::sim::params::{Params, json_body};
use crate::sim::reply::{Outcome, Reply};
use crate::sim::state::{DirectoryError, RoleChange};
use sim_support::locks::{read, write};

use super::resolve_cid;

/// `grant_type` of every simulated grant (a guess: Falcon does not document its values).
const DIRECT: &str = "direct";

const FILTER_FIELDS: &[Field] = &[
    Field::exact("role_id"),
    Field::exact("role_name"),
    Field::exact("expires_at"),
];
const SORT_FIELDS: &[&str] = &["cid", "expires_at", "role_name", "type", "user_uuid"];
const DEFAULT_SORT: Sort = Sort {
    field: "role_name",
    descending: false,
};

fn parse_expiry(value: Option<&str>) -> Result<Option<DateTime<Utc>>, Reply> {
    let Some(text) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let at = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Reply::bad_request(format!(
                "invalid expires_at '{text}': expected an RFC 3339 timestamp"
            ))
        })?;
    if at <= Utc::now() {
        return Err(Reply::bad_request(format!(
            "invalid expires_at '{text}': must be in the future"
        )));
    }
    Ok(Some(at))
}

pub(super) async fn role_action(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Outcome {
    let action: RoleAction = json_body(&body)?;
    let change = match action.action {
        RoleActionKind::Grant => RoleChange::Grant {
            expires_at: parse_expiry(action.expires_at.as_deref())?,
        },
        RoleActionKind::Revoke => RoleChange::Revoke,
    };
    let lag = sim.inner.config.grant_read_lag;
    let mut dir = write(&sim.inner.directory);
    let home = dir.visible_user(&action.uuid, &caller.cid)?.cid.clone();
    // Grants always land in the user's home CID; naming another CID is a client bug the
    // simulator reports rather than silently re-homing the grant.
    let cid = resolve_cid(&dir, &caller, Some(action.cid.as_str()))?;
    if !action.cid.is_empty() && cid != home {
        return Err(DirectoryError::InvalidCid(action.cid).into());
    }
    let changed = dir.change_roles(
        &action.uuid,
        &caller.cid,
        &action.role_ids,
        &change,
        Instant::now(),
        lag,
    )?;
    Ok(Reply::meta_only().with_writes(changed as u64))
}

fn grant_field<'g>(grant: &'g Grant, field: &str) -> Option<&'g str> {
    match field {
        "role_id" => Some(&grant.role_id),
        "role_name" => grant.role_name.as_deref(),
        "expires_at" => grant.expires_at.as_deref(),
        _ => None,
    }
}

fn sort_key(grant: &Grant, field: &str) -> (String, String) {
    let key = match field {
        "cid" => grant.cid.clone(),
        "expires_at" => grant.expires_at.clone(),
        "type" => grant.grant_type.clone(),
        "user_uuid" => grant.uuid.clone(),
        _ => grant.role_name.clone(),
    };
    (key.unwrap_or_default(), grant.role_id.clone())
}

pub(super) async fn combined(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Outcome {
    let params = Params::parse(query.as_deref())?;
    let uuid = params.get("user_uuid").unwrap_or_default();
    // Validated for fidelity; every simulated grant is direct, so it filters nothing.
    params.flag("direct_only", false)?;
    let page = Page::from_params(&params)?;
    let sort = Sort::parse(params.get("sort"), SORT_FIELDS, DEFAULT_SORT)?;
    let filter = match params.get("filter").filter(|f| !f.trim().is_empty()) {
        Some(text) => Some(Filter::parse(text, FILTER_FIELDS)?),
        None => None,
    };
    let lag = sim.inner.config.grant_read_lag;
    let dir = read(&sim.inner.directory);
    let user = dir.visible_user(uuid, &caller.cid)?;
    // An empty `cid` shows the user's grants in its home CID; an explicit other CID shows
    // none, because simulated users hold roles only at home.
    let requested = params.get("cid").filter(|c| !c.is_empty());
    let cid = resolve_cid(&dir, &caller, requested)?;
    let at_home = requested.is_none() || cid == user.cid;
    let mut grants: Vec<Grant> = if at_home {
        dir.visible_grants(&user.uuid, Instant::now(), lag, Utc::now())
            .into_iter()
            .map(|(role_id, held)| Grant {
                role_name: Some(
                    dir.role(&role_id)
                        .map_or_else(|| role_id.clone(), |r| r.display_name.clone()),
                ),
                uuid: Some(user.uuid.clone()),
                cid: Some(user.cid.clone()),
                grant_type: Some(DIRECT.to_owned()),
                expires_at: held.expires_at.map(timestamp),
                role_id,
            })
            .filter(|g| {
                filter
                    .as_ref()
                    .is_none_or(|f| f.matches(|field| grant_field(g, field)))
            })
            .collect()
    } else {
        Vec::new()
    };
    grants.sort_by_cached_key(|g| sort_key(g, sort.field));
    if sort.descending {
        grants.reverse();
    }
    let (items, pagination) = page.cut(grants);
    Ok(Reply::ok(items).with_pagination(pagination))
}
