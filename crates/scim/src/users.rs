//! `/Users`: list and filter, create, read, replace, patch, delete.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::ScimState;
use super::backend::{GroupBackend, ListRequest, UserBackend, UserEdit};
use super::error::ScimError;
use super::etag::Preconditions;
use super::patch::{apply_user_patch, parse_patch};
use super::query::{ListParams, Projection, SortSpec, UserFilter};
use super::request::{Ctx, ScimBody, base_url, created, list_response, not_modified, resource};
use super::user::{UserResource, UserWrite};

type St<B> = State<Arc<ScimState<B>>>;

pub(crate) fn routes<B: UserBackend + GroupBackend>() -> Router<Arc<ScimState<B>>> {
    Router::new()
        .route("/Users", get(list::<B>).post(create::<B>))
        .route(
            "/Users/{id}",
            get(read::<B>)
                .put(replace::<B>)
                .patch(patch::<B>)
                .delete(delete::<B>),
        )
}

fn render(user: &UserResource, base: &str, projection: &Projection) -> serde_json::Value {
    let mut json = user.to_json(base);
    projection.apply(&mut json);
    json
}

async fn list<B: UserBackend>(
    State(st): St<B>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let params = ListParams::parse(query.as_deref(), st.settings.limits.max_results)?;
    let request = ListRequest {
        filter: params
            .filter
            .as_deref()
            .map(|f| UserFilter::parse_limited(f, (&st.settings.limits).into()))
            .transpose()?,
        sort: params
            .sort_by
            .as_deref()
            .map(|by| SortSpec::parse(by, params.sort_order.as_deref()))
            .transpose()?,
        start_index: params.start_index,
        count: params.count,
    };
    let page = st.backend.list_users(&request).await.map_err(Into::into)?;
    let base = base_url(&st.settings, &headers);
    let resources = page
        .items
        .iter()
        .map(|u| render(u, &base, &params.projection))
        .collect();
    Ok(list_response(page.total, params.start_index, resources))
}

async fn create<B: UserBackend>(
    State(st): St<B>,
    headers: HeaderMap,
    Ctx(ctx): Ctx,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let user = UserWrite::parse(&body)?;
    user.check_text(None)?;
    let created_user = st
        .backend
        .create_user(user, &ctx)
        .await
        .map_err(Into::into)?;
    Ok(created(
        &created_user.to_json(&base_url(&st.settings, &headers)),
        &created_user.version(),
    ))
}

async fn read<B: UserBackend>(
    State(st): St<B>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let user = st.backend.get_user(&id).await.map_err(Into::into)?;
    let version = user.version();
    if Preconditions::from_headers(&headers).not_modified(&version) {
        return Ok(not_modified(&version));
    }
    let projection = Projection::from_query(query.as_deref());
    Ok(resource(
        StatusCode::OK,
        &render(&user, &base_url(&st.settings, &headers), &projection),
        &version,
    ))
}

async fn replace<B: UserBackend>(
    State(st): St<B>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Ctx(ctx): Ctx,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let wanted = UserWrite::parse(&body)?;
    // Checked against the stored user: a PUT echoing names stored before may still deactivate.
    let edit: UserEdit = Box::new(move |current| {
        wanted.check_text(Some(&current.write))?;
        Ok(wanted)
    });
    let user = st
        .backend
        .update_user(&id, edit, &ctx)
        .await
        .map_err(Into::into)?;
    Ok(resource(
        StatusCode::OK,
        &user.to_json(&base_url(&st.settings, &headers)),
        &user.version(),
    ))
}

async fn patch<B: UserBackend>(
    State(st): St<B>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    Ctx(ctx): Ctx,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimError> {
    let ops = parse_patch(&body, st.settings.limits.max_patch_operations)?;
    let edit: UserEdit = Box::new(move |current| apply_user_patch(current, &ops));
    let user = st
        .backend
        .update_user(&id, edit, &ctx)
        .await
        .map_err(Into::into)?;
    let projection = Projection::from_query(query.as_deref());
    Ok(resource(
        StatusCode::OK,
        &render(&user, &base_url(&st.settings, &headers), &projection),
        &user.version(),
    ))
}

async fn delete<B: UserBackend>(
    State(st): St<B>,
    Path(id): Path<String>,
    Ctx(ctx): Ctx,
) -> Result<Response, ScimError> {
    st.backend
        .delete_user(&id, &ctx)
        .await
        .map_err(Into::into)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
