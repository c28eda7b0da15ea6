//! The role calls: granting and revoking, a user's direct grants, and the role catalogue.
//! Grants and revokes go in chunks because Falcon takes at most 100 roles per action call.

use reqwest::Method;

use super::FalconClient;
use super::call::Call;
use super::reply::with_user;
use crate::error::FalconError;
use crate::model::{
    Grant, IdsRequest, MAX_IDS_PER_LOOKUP, MAX_PAGE_LIMIT, MAX_ROLES_PER_ACTION, Role, RoleAction,
    RoleActionKind, routes,
};

impl FalconClient {
    /// Grants `role_ids` to the user: one call per 100 roles (each call is atomic in Falcon).
    pub async fn grant_roles(
        &self,
        uuid: &str,
        cid: &str,
        role_ids: &[String],
    ) -> Result<(), FalconError> {
        self.role_action(RoleActionKind::Grant, uuid, cid, role_ids)
            .await
    }

    /// Revokes `role_ids` from the user: one call per 100 roles.
    pub async fn revoke_roles(
        &self,
        uuid: &str,
        cid: &str,
        role_ids: &[String],
    ) -> Result<(), FalconError> {
        self.role_action(RoleActionKind::Revoke, uuid, cid, role_ids)
            .await
    }

    async fn role_action(
        &self,
        action: RoleActionKind,
        uuid: &str,
        cid: &str,
        role_ids: &[String],
    ) -> Result<(), FalconError> {
        for chunk in role_ids.chunks(MAX_ROLES_PER_ACTION) {
            let call = Call::new("userRolesActionV1", Method::POST, routes::USER_ROLE_ACTIONS)
                .json(RoleAction {
                    action,
                    cid: cid.to_owned(),
                    uuid: uuid.to_owned(),
                    role_ids: chunk.to_vec(),
                    expires_at: None,
                });
            self.execute::<serde_json::Value>(call)
                .await
                .map_err(|e| with_user(e, uuid))?;
        }
        Ok(())
    }

    /// The user's direct grants (CombinedUserRolesV2, `direct_only=true`), paged to exhaustion.
    /// Temporary grants are included; they carry `expires_at`.
    pub async fn user_grants(&self, uuid: &str) -> Result<Vec<Grant>, FalconError> {
        let mut grants = Vec::new();
        let mut offset = 0u64;
        loop {
            let call = Call::new(
                "CombinedUserRolesV2",
                Method::GET,
                routes::COMBINED_USER_ROLES,
            )
            .query("user_uuid", uuid)
            .query("direct_only", "true")
            .query("offset", offset.to_string())
            .query("limit", MAX_PAGE_LIMIT.to_string());
            let reply = self
                .execute::<Grant>(call)
                .await
                .map_err(|e| with_user(e, uuid))?;
            let total = reply.envelope.meta.pagination.map(|p| p.total);
            let page = reply.envelope.into_resources();
            offset += page.len() as u64;
            let done = page.is_empty() || total.is_none_or(|t| offset >= t);
            grants.extend(page);
            if done {
                return Ok(grants);
            }
        }
    }

    /// Ids of the roles the caller's CID can grant (queriesRolesV1).
    pub async fn role_ids(&self) -> Result<Vec<String>, FalconError> {
        let call = Call::new("queriesRolesV1", Method::GET, routes::QUERY_ROLES);
        Ok(self
            .execute::<String>(call)
            .await?
            .envelope
            .into_resources())
    }

    /// Role details (entitiesRolesGETV2, 5000 ids a call). Unknown ids are absent.
    pub async fn roles(&self, ids: &[String]) -> Result<Vec<Role>, FalconError> {
        let mut roles = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_IDS_PER_LOOKUP) {
            let call = Call::new("entitiesRolesGETV2", Method::POST, routes::RETRIEVE_ROLES).json(
                IdsRequest {
                    ids: chunk.to_vec(),
                },
            );
            match self.execute::<Role>(call).await {
                Ok(reply) => roles.extend(reply.envelope.into_resources()),
                // Falcon documents 404 for ids it does not know.
                Err(FalconError::Rejected(f)) if f.status == 404 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(roles)
    }

    /// The whole role catalogue: queriesRolesV1 then entitiesRolesGETV2.
    pub async fn role_catalogue(&self) -> Result<Vec<Role>, FalconError> {
        let ids = self.role_ids().await?;
        self.roles(&ids).await
    }
}
