//! The role calls: the catalogue, a user's roles, and the replace-all `PUT`.

use reqwest::Method;

use super::IncydrClient;
use super::call::Call;
use super::reply::decode;
use crate::error::IncydrError;
use crate::model::{Role, RolesReplacement, RolesUpdate, UserRole, UserRoles, routes};

impl IncydrClient {
    /// The roles this API client may assign (a bare JSON array).
    pub async fn roles(&self) -> Result<Vec<Role>, IncydrError> {
        self.execute_json(Call::new("listRoles", Method::GET, routes::ROLES))
            .await
    }

    /// The roles a user holds.
    pub async fn user_roles(&self, id: &str) -> Result<Vec<UserRole>, IncydrError> {
        let call = Call::new("getUserRoles", Method::GET, routes::user_roles(id))
            .about(format!("user {id}"));
        let reply: UserRoles = self.execute_json(call).await?;
        Ok(reply.roles)
    }

    /// Replaces the user's whole role set with `role_ids` (an empty list clears it). Incydr
    /// answers what changed; ids it ignored are in [`RolesUpdate::ignored`], for the caller to
    /// judge. An empty 2xx body (the shape of the answer is inferred) reads as "nothing
    /// ignored".
    pub async fn replace_roles(
        &self,
        id: &str,
        role_ids: Vec<String>,
    ) -> Result<RolesUpdate, IncydrError> {
        let call = Call::new("replaceUserRoles", Method::PUT, routes::user_roles(id))
            .about(format!("user {id}"))
            .json(RolesReplacement { role_ids });
        let received = self.execute(&call).await?;
        if received.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(RolesUpdate::default());
        }
        decode(&call, &received)
    }
}
