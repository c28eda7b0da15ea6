//! The *target*: the small set of user-management operations the bridge needs from the system
//! it provisions. Falcon is the first target; a second one would implement this trait and reuse
//! the whole SCIM front end.

use std::future::Future;

use falcon::model::{CreateUserRequest, Role, User};
use falcon::{FalconClient, FalconError};

/// A user as the target holds it.
pub type TargetUser = User;
/// A grantable role.
pub type TargetRole = Role;
pub type TargetError = FalconError;

pub trait Target: Send + Sync + 'static {
    /// Every user of the tenant (the directory's initial load and refresh).
    fn list_users(&self) -> impl Future<Output = Result<Vec<TargetUser>, TargetError>> + Send;
    /// The user whose login is `login`, compared case-insensitively.
    fn find_user(
        &self,
        login: &str,
    ) -> impl Future<Output = Result<Option<TargetUser>, TargetError>> + Send;
    fn create_user(
        &self,
        login: &str,
        first_name: &str,
        last_name: &str,
    ) -> impl Future<Output = Result<TargetUser, TargetError>> + Send;
    fn rename_user(
        &self,
        uuid: &str,
        first_name: &str,
        last_name: &str,
    ) -> impl Future<Output = Result<TargetUser, TargetError>> + Send;
    fn delete_user(&self, uuid: &str) -> impl Future<Output = Result<(), TargetError>> + Send;
    /// Role ids granted directly to the user (temporary grants included).
    fn user_roles(
        &self,
        uuid: &str,
    ) -> impl Future<Output = Result<Vec<String>, TargetError>> + Send;
    fn grant_roles(
        &self,
        uuid: &str,
        cid: &str,
        roles: &[String],
    ) -> impl Future<Output = Result<(), TargetError>> + Send;
    fn revoke_roles(
        &self,
        uuid: &str,
        cid: &str,
        roles: &[String],
    ) -> impl Future<Output = Result<(), TargetError>> + Send;
    /// Every role the tenant can grant.
    fn role_catalogue(&self) -> impl Future<Output = Result<Vec<TargetRole>, TargetError>> + Send;
}

impl Target for FalconClient {
    async fn list_users(&self) -> Result<Vec<TargetUser>, TargetError> {
        self.list_all_users().await
    }

    async fn find_user(&self, login: &str) -> Result<Option<TargetUser>, TargetError> {
        self.find_user_by_uid(login).await
    }

    async fn create_user(
        &self,
        login: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<TargetUser, TargetError> {
        let request = CreateUserRequest {
            uid: login.to_owned(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            cid: None,
            password: None,
        };
        let created = FalconClient::create_user(self, &request, false).await?;
        created.ok_or_else(|| FalconError::Decode {
            operation: "createUserV1",
            detail: "no user in the reply".into(),
        })
    }

    async fn rename_user(
        &self,
        uuid: &str,
        first_name: &str,
        last_name: &str,
    ) -> Result<TargetUser, TargetError> {
        self.update_user(uuid, first_name, last_name).await
    }

    async fn delete_user(&self, uuid: &str) -> Result<(), TargetError> {
        FalconClient::delete_user(self, uuid).await
    }

    async fn user_roles(&self, uuid: &str) -> Result<Vec<String>, TargetError> {
        let mut roles: Vec<String> = self
            .user_grants(uuid)
            .await?
            .into_iter()
            .map(|g| g.role_id)
            .collect();
        roles.sort();
        roles.dedup();
        Ok(roles)
    }

    async fn grant_roles(
        &self,
        uuid: &str,
        cid: &str,
        roles: &[String],
    ) -> Result<(), TargetError> {
        FalconClient::grant_roles(self, uuid, cid, roles).await
    }

    async fn revoke_roles(
        &self,
        uuid: &str,
        cid: &str,
        roles: &[String],
    ) -> Result<(), TargetError> {
        FalconClient::revoke_roles(self, uuid, cid, roles).await
    }

    async fn role_catalogue(&self) -> Result<Vec<TargetRole>, TargetError> {
        FalconClient::role_catalogue(self).await
    }
}
