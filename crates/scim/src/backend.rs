//! The small traits the SCIM handlers call, and the requests they pass.
//!
//! Handlers parse and validate HTTP; whatever stands behind these traits (the bridge's core, or
//! a test double) only ever sees typed requests, never raw JSON or query strings, and answers
//! with its own error type, which becomes a SCIM error through its `Into<ScimError>`: the
//! backend decides what a failure means, this crate only how it is written.

use std::future::Future;

use super::error::ScimError;
use super::etag::Preconditions;
use super::group::{GroupResource, GroupWrite};
use super::patch::GroupChange;
use super::query::{GroupFilter, SortSpec, UserFilter};
use super::role::RoleResource;
use super::user::{UserResource, UserWrite};

/// Who asked for a change, for logs and the audit trail (never the secret itself).
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The configured name of the credential that authenticated the request.
    pub credential: String,
    pub method: String,
    pub path: String,
    pub request_id: Option<String>,
    /// `If-Match` of the request: the backend checks it under the resource's lock, before it
    /// changes anything.
    pub preconditions: Preconditions,
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

/// What every backend has: its error, and how it describes itself in discovery.
pub trait Backend: Send + Sync + 'static {
    /// The backend's own failures; `Into<ScimError>` is where each becomes a SCIM error.
    type Error: Into<ScimError> + Send;

    /// How `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` describe the resources.
    fn description(&self) -> &Description;
}

/// The backend's words for the resources it serves and which attributes it can change; the
/// discovery endpoints are built from it (Entra and conformance tools read them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// The User resource type: "A Falcon console user".
    pub user_resource: String,
    /// The User schema: what a user is and what its userName means.
    pub user_schema: String,
    pub user_name: Attribute,
    /// The `name` complex attribute.
    pub name: String,
    pub given_name: Attribute,
    pub family_name: Attribute,
    pub display_name: String,
    pub active: String,
    /// The Group resource type: "A set of Falcon roles".
    pub group_resource: String,
    pub group_schema: String,
    /// The Role resource type: "A Falcon role a user may be given directly".
    pub role_resource: String,
}

/// One attribute's description and whether a client may change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub description: String,
    pub mutability: Mutability,
}

/// RFC 7643 §7 `mutability`, as far as a client can change a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadWrite,
    /// Set once, on create.
    Immutable,
    ReadOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::ReadOnly => "readOnly",
        }
    }
}

/// The roles an IdP may assign to a user directly, served by `/Roles` from memory (discovery
/// must not cost a target call). None by default: direct assignment is off.
pub trait RoleBackend: Backend {
    fn roles(&self) -> Vec<RoleResource> {
        Vec::new()
    }

    /// Whether a user holds one role at most (a rank): the highest of those given counts.
    fn single_role(&self) -> bool {
        false
    }
}

pub trait UserBackend: Backend {
    fn get_user(&self, id: &str) -> impl Future<Output = Result<UserResource, Self::Error>> + Send;
    fn list_users(
        &self,
        req: &ListRequest,
    ) -> impl Future<Output = Result<Page<UserResource>, Self::Error>> + Send;
    fn create_user(
        &self,
        user: UserWrite,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<UserResource, Self::Error>> + Send;
    fn update_user(
        &self,
        id: &str,
        edit: UserEdit,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<UserResource, Self::Error>> + Send;
    fn delete_user(
        &self,
        id: &str,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

pub trait GroupBackend: Backend {
    fn get_group(
        &self,
        id: &str,
        include_members: bool,
    ) -> impl Future<Output = Result<GroupResource, Self::Error>> + Send;
    fn list_groups(
        &self,
        req: &GroupListRequest,
    ) -> impl Future<Output = Result<Page<GroupResource>, Self::Error>> + Send;
    fn create_group(
        &self,
        group: GroupWrite,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<GroupResource, Self::Error>> + Send;
    fn replace_group(
        &self,
        id: &str,
        group: GroupWrite,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<GroupResource, Self::Error>> + Send;
    fn patch_group(
        &self,
        id: &str,
        changes: Vec<GroupChange>,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
    fn delete_group(
        &self,
        id: &str,
        ctx: &RequestContext,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}
