//! `/Roles` and `/Roles/{id}`: the roles an IdP may assign directly, for Okta Identity
//! Governance's discovery (it reads every value of each Role resource type `/ResourceTypes`
//! lists, and its conformance test asks for `?count=1&startIndex=1`).
//!
//! Behind the same authentication as every other route. Only paging is offered: a filter is
//! refused rather than ignored, so that no client takes a full list for a filtered one.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::ScimState;
use super::backend::RoleBackend;
use super::error::ScimError;
use super::query::ListParams;
use super::request::{base_url, list_response, scim_json};

type St<B> = State<Arc<ScimState<B>>>;

pub(crate) fn routes<B: RoleBackend>() -> Router<Arc<ScimState<B>>> {
    Router::new()
        .route("/Roles", get(list::<B>))
        .route("/Roles/{id}", get(read::<B>))
}

async fn list<B: RoleBackend>(
    State(st): St<B>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let params = ListParams::parse(query.as_deref(), st.settings.limits.max_results)?;
    if params.filter.is_some() {
        return Err(ScimError::invalid_filter(
            "/Roles cannot be filtered; list it with startIndex and count",
        ));
    }
    let roles = st.backend.roles();
    let base = base_url(&st.settings, &headers);
    let page = roles
        .iter()
        .skip(params.start_index - 1)
        .take(params.count)
        .map(|r| r.to_json(&base))
        .collect();
    Ok(list_response(roles.len(), params.start_index, page))
}

async fn read<B: RoleBackend>(
    State(st): St<B>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let role = st
        .backend
        .roles()
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ScimError::not_found("Role", &id))?;
    Ok(scim_json(
        StatusCode::OK,
        &role.to_json(&base_url(&st.settings, &headers)),
    ))
}
