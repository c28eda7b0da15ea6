//! The two small traits the SCIM handlers call, and the requests they pass.
//!
//! Handlers parse and validate HTTP; whatever stands behind these traits (the bridge to Falcon,
//! or a test double) only ever sees typed requests, never raw JSON or query strings.

use std::future::Future;

use super::error::ScimError;
use super::group::{GroupResource, GroupWrite};
use super::patch::GroupChange;
use super::query::{GroupFilter, SortSpec, UserFilter};
use super::user::{UserResource, UserWrite};

/// Who asked for a change, for logs and the audit trail (never the secret itself).
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The configured name of the credential that authenticated the request.
    pub credential: String,
    pub method: String,
    pub path: String,
    pub request_id: Option<String>,
}

/// A list or search over Users, already validated and clamped.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub filter: Option<UserFilter>,
    pub sort: Option<SortSpec>,
    /// 1-based.
    pub start_index: usize,
    pub count: usize,
}

impl Default for ListRequest {
    fn default() -> Self {
        Self {
            filter: None,
            sort: None,
            start_index: 1,
            count: usize::MAX,
        }
    }
}

#[derive(Debug, Clone)]
pub struct GroupListRequest {
    pub filter: Option<GroupFilter>,
    pub start_index: usize,
    pub count: usize,
    /// Whether the response shows `members` (they can be large; IdPs usually exclude them).
    pub include_members: bool,
}

/// One page of results and the number of all matches.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub total: usize,
    pub items: Vec<T>,
}

/// Computes the wanted state of a user from its current state (a PUT ignores the current
/// state, a PATCH applies its operations to it). It runs under the user's lock, so concurrent
/// PATCHes to one user never lose each other's changes.
pub type UserEdit = Box<dyn FnOnce(&UserResource) -> Result<UserWrite, ScimError> + Send>;

pub trait UserBackend: Send + Sync + 'static {
    fn get_user(&self, id: &str) -> impl Future<Output = Result<UserResource, ScimError>> + Send;
    fn list_users(
        &self,
        req: &ListRequest,
    ) -> impl Future<Output = Result<Page<UserResource>, ScimError>> + Send;
    fn create_user(
        &self,
        user: UserWrite,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<UserResource, ScimError>> + Send;
    fn update_user(
        &self,
        id: &str,
        edit: UserEdit,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<UserResource, ScimError>> + Send;
    fn delete_user(
        &self,
        id: &str,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<(), ScimError>> + Send;
}

pub trait GroupBackend: Send + Sync + 'static {
    fn get_group(
        &self,
        id: &str,
        include_members: bool,
    ) -> impl Future<Output = Result<GroupResource, ScimError>> + Send;
    fn list_groups(
        &self,
        req: &GroupListRequest,
    ) -> impl Future<Output = Result<Page<GroupResource>, ScimError>> + Send;
    fn create_group(
        &self,
        group: GroupWrite,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<GroupResource, ScimError>> + Send;
    fn replace_group(
        &self,
        id: &str,
        group: GroupWrite,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<GroupResource, ScimError>> + Send;
    fn patch_group(
        &self,
        id: &str,
        changes: Vec<GroupChange>,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<(), ScimError>> + Send;
    fn delete_group(
        &self,
        id: &str,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<(), ScimError>> + Send;
}
