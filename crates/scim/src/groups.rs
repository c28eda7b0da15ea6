//! `/Groups`: list and filter, create, read, replace, patch, delete.
//!
//! Members are shown unless the client excludes them (`excludedAttributes=members`, which IdPs
//! send). A PATCH answers 204 unless the request names `attributes` or `excludedAttributes`
//! (RFC 7644 §3.5.2): a group of 10,000 members must not be rendered on every membership change.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::ScimState;
use super::backend::{GroupBackend, GroupListRequest, UserBackend};
use super::error::ScimError;
use super::etag::Preconditions;
use super::group::{GroupResource, GroupWrite};
use super::patch::{GroupChange, group_changes, parse_patch};
use super::query::{GroupFilter, ListParams, Projection};
use super::request::{Ctx, ScimBody, base_url, created, list_response, not_modified, resource};
use super::text;

type St<B> = State<Arc<ScimState<B>>>;

pub(crate) fn routes<B: UserBackend + GroupBackend>() -> Router<Arc<ScimState<B>>> {
    Router::new()
        .route("/Groups", get(list::<B>).post(create::<B>))
        .route(
            "/Groups/{id}",
            get(read::<B>)
                .put(replace::<B>)
                .patch(patch::<B>)
                .delete(delete::<B>),
        )
}

fn render(group: &GroupResource, base: &str, projection: &Projection) -> serde_json::Value {
    let mut json = group.to_json(base, projection.includes("members"));
    projection.apply(&mut json);
    json
}

async fn list<B: GroupBackend>(
    State(st): St<B>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let params = ListParams::parse(query.as_deref(), st.settings.limits.max_results)?;
    if params.sort_by.is_some() {
        tracing::debug!("sortBy on /Groups ignored: groups are listed by creation");
    }
    let request = GroupListRequest {
        filter: params
            .filter
            .as_deref()
            .map(|f| GroupFilter::parse_limited(f, (&st.settings.limits).into()))
            .transpose()?,
        start_index: params.start_index,
        count: params.count,
        include_members: params.projection.includes("members"),
    };
    let page = st.backend.list_groups(&request).await.map_err(Into::into)?;
    let base = base_url(&st.settings, &headers);
    let resources = page
        .items
        .iter()
        .map(|g| render(g, &base, &params.projection))
        .collect();
    Ok(list_response(page.total, params.start_index, resources))
}

async fn create<B: GroupBackend>(
    State(st): St<B>,
    headers: HeaderMap,
    Ctx(ctx): Ctx,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let group = GroupWrite::parse(&body)?;
    check_display_name(&st, None, &group.display_name).await?;
    st.settings.limits.check_members(group.members.len())?;
    let created_group = st
        .backend
        .create_group(group, &ctx)
        .await
        .map_err(Into::into)?;
    Ok(created(
        &created_group.to_json(&base_url(&st.settings, &headers), true),
        &created_group.version(),
    ))
}

async fn read<B: GroupBackend>(
    State(st): St<B>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let projection = Projection::from_query(query.as_deref());
    let group = st
        .backend
        .get_group(&id, projection.includes("members"))
        .await
        .map_err(Into::into)?;
    let version = group.version();
    if Preconditions::from_headers(&headers).not_modified(&version) {
        return Ok(not_modified(&version));
    }
    Ok(resource(
        StatusCode::OK,
        &render(&group, &base_url(&st.settings, &headers), &projection),
        &version,
    ))
}

async fn replace<B: GroupBackend>(
    State(st): St<B>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Ctx(ctx): Ctx,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let group = GroupWrite::parse(&body)?;
    check_display_name(&st, Some(&id), &group.display_name).await?;
    st.settings.limits.check_members(group.members.len())?;
    let replaced = st
        .backend
        .replace_group(&id, group, &ctx)
        .await
        .map_err(Into::into)?;
    Ok(resource(
        StatusCode::OK,
        &replaced.to_json(&base_url(&st.settings, &headers), true),
        &replaced.version(),
    ))
}

async fn patch<B: GroupBackend>(
    State(st): St<B>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    Ctx(ctx): Ctx,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let ops = parse_patch(&body, st.settings.limits.max_patch_operations)?;
    let changes = group_changes(ops)?;
    for change in &changes {
        if let GroupChange::Rename(name) = change {
            check_display_name(&st, Some(&id), name).await?;
        }
    }
    st.settings
        .limits
        .check_members(changes.iter().map(GroupChange::member_count).sum())?;
    st.backend
        .patch_group(&id, changes, &ctx)
        .await
        .map_err(Into::into)?;
    let projection = Projection::from_query(query.as_deref());
    if projection.is_identity() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let group = st
        .backend
        .get_group(&id, projection.includes("members"))
        .await
        .map_err(Into::into)?;
    Ok(resource(
        StatusCode::OK,
        &render(&group, &base_url(&st.settings, &headers), &projection),
        &group.version(),
    ))
}

/// Refuses a `displayName` holding a control or invisible format character, unless it is the
/// name `id` already has: Okta re-sends the name with every membership change, and a group
/// named before this rule must keep getting its members.
async fn check_display_name<B: GroupBackend>(
    st: &ScimState<B>,
    id: Option<&str>,
    name: &str,
) -> Result<(), ScimError> {
    let Err(refused) = text::check("displayName", name) else {
        return Ok(());
    };
    if let Some(id) = id
        && let Ok(stored) = st.backend.get_group(id, false).await
        && stored.display_name == name
    {
        return Ok(());
    }
    Err(refused)
}

async fn delete<B: GroupBackend>(
    State(st): St<B>,
    Path(id): Path<String>,
    Ctx(ctx): Ctx,
) -> Result<Response, ScimError> {
    st.backend
        .delete_group(&id, &ctx)
        .await
        .map_err(Into::into)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
