//! The user calls: paged id queries, batched look-ups, create, rename and delete. Falcon finds
//! users in two steps (a query returns uuids, a look-up returns the users), so every read here
//! is a query followed by a look-up.

use futures::{StreamExt, TryStreamExt, stream};
use reqwest::Method;

use super::FalconClient;
use super::call::Call;
use super::reply::with_user;
use crate::error::FalconError;
use crate::fql;
use crate::model::{
    CreateUserRequest, IdsRequest, MAX_IDS_PER_LOOKUP, MAX_PAGE_LIMIT, UpdateUserRequest, User,
    routes,
};

/// How many query pages or id batches are fetched at once during a bulk load.
const BULK_PARALLELISM: usize = 8;

impl FalconClient {
    /// queryUserV1 paged to exhaustion (limit 500): the uuids of every user matching `filter`.
    pub async fn query_user_ids(&self, filter: Option<&str>) -> Result<Vec<String>, FalconError> {
        let page = |offset: u64| {
            let mut call = Call::new("queryUserV1", Method::GET, routes::QUERY_USERS)
                .query("offset", offset.to_string())
                .query("limit", MAX_PAGE_LIMIT.to_string())
                .query("sort", "uid|asc");
            if let Some(f) = filter {
                call = call.query("filter", f);
            }
            self.execute::<String>(call)
        };
        let first = page(0).await?;
        let total = first
            .envelope
            .meta
            .pagination
            .map(|p| p.total)
            .unwrap_or_default();
        let mut ids = first.envelope.into_resources();
        if (ids.len() as u64) < total && !ids.is_empty() {
            // The first page tells us every offset, so the rest can be fetched in parallel.
            let step = ids.len() as u64;
            let offsets: Vec<u64> = (1..).map(|i| i * step).take_while(|o| *o < total).collect();
            let rest: Vec<Vec<String>> = stream::iter(offsets)
                .map(|offset| async move {
                    Ok::<_, FalconError>(page(offset).await?.envelope.into_resources())
                })
                .buffered(BULK_PARALLELISM)
                .try_collect()
                .await?;
            ids.extend(rest.into_iter().flatten());
        }
        // Users created or deleted while we paged can shift offsets; never report one twice.
        let mut seen = std::collections::HashSet::with_capacity(ids.len());
        ids.retain(|id| seen.insert(id.clone()));
        Ok(ids)
    }

    /// retrieveUsersGETV1 in batches of at most 5000 ids. Unknown ids are simply absent.
    pub async fn retrieve_users(&self, ids: &[String]) -> Result<Vec<User>, FalconError> {
        // Owned chunks: a stream over borrowed ones makes the future not `Send` (rust#100013).
        let chunks: Vec<Vec<String>> = ids
            .chunks(MAX_IDS_PER_LOOKUP)
            .map(<[String]>::to_vec)
            .collect();
        let batches: Vec<Vec<User>> = stream::iter(chunks)
            .map(|chunk| async move {
                let call = Call::new("retrieveUsersGETV1", Method::POST, routes::RETRIEVE_USERS)
                    .json(IdsRequest { ids: chunk });
                Ok::<_, FalconError>(self.execute::<User>(call).await?.envelope.into_resources())
            })
            .buffered(BULK_PARALLELISM)
            .try_collect()
            .await?;
        Ok(batches.into_iter().flatten().collect())
    }

    /// Every user of the CID, in a few paged queries plus batched look-ups.
    pub async fn list_all_users(&self) -> Result<Vec<User>, FalconError> {
        let ids = self.query_user_ids(None).await?;
        self.retrieve_users(&ids).await
    }

    /// The user whose login is `uid` (compared as Falcon's tools do: lower-cased).
    pub async fn find_user_by_uid(&self, uid: &str) -> Result<Option<User>, FalconError> {
        let filter = fql::eq("uid", &uid.to_lowercase());
        let ids = self.query_user_ids(Some(&filter)).await?;
        let users = self.retrieve_users(&ids).await?;
        Ok(users.into_iter().find(|u| u.uid.eq_ignore_ascii_case(uid)))
    }

    /// createUserV1. With `validate_only`, Falcon checks the request and creates nothing
    /// (the result is then `None`).
    pub async fn create_user(
        &self,
        request: &CreateUserRequest,
        validate_only: bool,
    ) -> Result<Option<User>, FalconError> {
        let call = Call::new("createUserV1", Method::POST, routes::USERS)
            .query("validate_only", validate_only.to_string())
            .json(request)
            .never_retry();
        let reply = self.execute::<User>(call).await?;
        if validate_only {
            return Ok(None);
        }
        let status = reply.status;
        reply
            .envelope
            .into_resources()
            .into_iter()
            .next()
            .map(Some)
            .ok_or_else(|| FalconError::Decode {
                operation: "createUserV1",
                detail: format!("HTTP {status} without the created user"),
            })
    }

    /// updateUserV1. Falcon wants both names on every rename, so both are required here.
    pub async fn update_user(
        &self,
        uuid: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<User, FalconError> {
        let call = Call::new("updateUserV1", Method::PATCH, routes::USERS)
            .query("user_uuid", uuid)
            .json(UpdateUserRequest {
                first_name: Some(first_name.to_owned()),
                last_name: Some(last_name.to_owned()),
            });
        let reply = self
            .execute::<User>(call)
            .await
            .map_err(|e| with_user(e, uuid))?;
        reply
            .envelope
            .into_resources()
            .into_iter()
            .next()
            .ok_or_else(|| FalconError::Decode {
                operation: "updateUserV1",
                detail: "reply without the updated user".into(),
            })
    }

    /// deleteUserV1: permanent.
    pub async fn delete_user(&self, uuid: &str) -> Result<(), FalconError> {
        let call = Call::new("deleteUserV1", Method::DELETE, routes::USERS)
            .query("user_uuid", uuid)
            .never_retry();
        self.execute::<serde_json::Value>(call)
            .await
            .map(|_| ())
            .map_err(|e| with_user(e, uuid))
    }
}
